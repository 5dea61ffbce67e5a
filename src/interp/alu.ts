/** ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NEG NOT. */
import type { Cpu } from "../cpu/cpu.js";
import { ARITH, CF, LazyOp } from "../cpu/flags.js";
import type { OpRow } from "../isa/row.js";
import { eaOffset, type Handler, isByte, Loc, locOf, mask, rmwLinear, unaryModifyWrite } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

export function add(c: Cpu, a: number, b: number, size: number): number {
  const r = (a + b) | 0;
  c.setLazy(LazyOp.ADD, a, b, r, size, ARITH);
  return r;
}
export function adc(c: Cpu, a: number, b: number, size: number): number {
  const r = (a + b + c.getCF()) | 0;
  c.setLazy(LazyOp.ADD, a, b, r, size, ARITH);
  return r;
}
export function sub(c: Cpu, a: number, b: number, size: number): number {
  const r = (a - b) | 0;
  c.setLazy(LazyOp.SUB, a, b, r, size, ARITH);
  return r;
}
export function sbb(c: Cpu, a: number, b: number, size: number): number {
  const r = (a - b - c.getCF()) | 0;
  c.setLazy(LazyOp.SUB, a, b, r, size, ARITH);
  return r;
}
export function logic(c: Cpu, r: number, size: number): number {
  c.setLazy(LazyOp.LOGIC, 0, 0, r, size, ARITH);
  return r;
}

/** The two-operand ALU operations, in their opcode order, then TEST. */
const enum Bin {
  ADD,
  OR,
  ADC,
  SBB,
  AND,
  SUB,
  XOR,
  CMP,
  TEST,
}

/**
 * dst op src with its flags; the result (CMP and TEST store nothing). One function
 * for every operation, switched on a per-row constant: each handler calls it from
 * its one call site, where an indirect call per operation would be megamorphic.
 */
function compute(c: Cpu, op: Bin, a: number, b: number, size: number): number {
  switch (op) {
    case Bin.ADD:
      return add(c, a, b, size);
    case Bin.OR:
      return logic(c, a | b, size);
    case Bin.ADC:
      return adc(c, a, b, size);
    case Bin.SBB:
      return sbb(c, a, b, size);
    case Bin.AND:
      return logic(c, a & b, size);
    case Bin.SUB:
    case Bin.CMP:
      return sub(c, a, b, size);
    case Bin.XOR:
      return logic(c, a ^ b, size);
    default:
      return logic(c, a & b, size);
  }
}

/**
 * The ALU forms of the table (E,G / G,E / A,I / E,I): operand size and source
 * location are resolved once per row, the memory destination is read and written
 * at one checked linear address.
 */
function binaryHandler(op: Bin, row: OpRow): Handler {
  const [dstCode, srcCode] = row.operands;
  const byte = isByte(dstCode);
  const dst = locOf(dstCode);
  const srcIsReg = locOf(srcCode) === Loc.G;
  const stores = op !== Bin.CMP && op !== Bin.TEST;
  if (dst === Loc.E) {
    return (c, i) => {
      const sz = byte ? 8 : i.o32 ? 32 : 16;
      const b = srcIsReg ? c.reg(i.reg, sz) : i.imm & mask(sz);
      if (i.mod === 3) {
        const r = compute(c, op, c.reg(i.rm, sz), b, sz);
        if (stores) c.setReg(i.rm, sz, r);
        return;
      }
      const la = stores ? rmwLinear(c, i, sz) : c.linear(i.seg, eaOffset(c, i), sz >> 3, false);
      const r = compute(c, op, c.readLin(la, sz), b, sz);
      if (stores) c.writeLin(la, sz, r);
    };
  }
  const srcIsE = locOf(srcCode) === Loc.E;
  const dstIsA = dst === Loc.A;
  return (c, i) => {
    const sz = byte ? 8 : i.o32 ? 32 : 16;
    const n = dstIsA ? 0 : i.reg;
    const b = srcIsE ? (i.mod === 3 ? c.reg(i.rm, sz) : c.read(i.seg, eaOffset(c, i), sz)) : i.imm & mask(sz);
    const r = compute(c, op, c.reg(n, sz), b, sz);
    if (stores) c.setReg(n, sz, r);
  };
}

function binaryFactory(op: Bin): HandlerFactory {
  return (row) => binaryHandler(op, row);
}

/** INC/DEC leave CF as it was: it stays out of the lazy mask. */
function incdec(delta: number): HandlerFactory {
  const op = delta > 0 ? LazyOp.ADD : LazyOp.SUB;
  return (row) =>
    unaryModifyWrite(row.operands[0], (c, a, size) => {
      const r = (a + delta) | 0;
      c.setLazy(op, a, 1, r, size, ARITH & ~CF);
      return r;
    });
}

export const handlers: Record<string, HandlerFactory> = {
  add: binaryFactory(Bin.ADD),
  or: binaryFactory(Bin.OR),
  adc: binaryFactory(Bin.ADC),
  sbb: binaryFactory(Bin.SBB),
  and: binaryFactory(Bin.AND),
  sub: binaryFactory(Bin.SUB),
  xor: binaryFactory(Bin.XOR),
  cmp: binaryFactory(Bin.CMP),
  test: binaryFactory(Bin.TEST),
  inc: incdec(1),
  dec: incdec(-1),
  neg: (row) => unaryModifyWrite(row.operands[0], (c, a, size) => sub(c, 0, a, size)),
  not: (row) => unaryModifyWrite(row.operands[0], (_c, a) => ~a),
};
