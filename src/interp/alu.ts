/** ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NEG NOT. */
import type { Cpu } from "../cpu/cpu.js";
import { ARITH, CF, LazyOp } from "../cpu/flags.js";
import { readModifyWrite, unaryModifyWrite } from "./operands.js";
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

const binary: Record<string, (c: Cpu, a: number, b: number, size: number) => number | undefined> = {
  add,
  adc,
  sub,
  sbb,
  or: (c, a, b, s) => logic(c, a | b, s),
  and: (c, a, b, s) => logic(c, a & b, s),
  xor: (c, a, b, s) => logic(c, a ^ b, s),
  cmp: (c, a, b, s) => void sub(c, a, b, s),
  test: (c, a, b, s) => void logic(c, a & b, s),
};

function binaryFactory(name: string): HandlerFactory {
  const f = binary[name];
  const stores = name !== "cmp" && name !== "test";
  return (row) => readModifyWrite(row.operands[0], row.operands[1], f, stores);
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
  add: binaryFactory("add"),
  or: binaryFactory("or"),
  adc: binaryFactory("adc"),
  sbb: binaryFactory("sbb"),
  and: binaryFactory("and"),
  sub: binaryFactory("sub"),
  xor: binaryFactory("xor"),
  cmp: binaryFactory("cmp"),
  test: binaryFactory("test"),
  inc: incdec(1),
  dec: incdec(-1),
  neg: (row) => unaryModifyWrite(row.operands[0], (c, a, size) => sub(c, 0, a, size)),
  not: (row) => unaryModifyWrite(row.operands[0], (_c, a) => ~a),
};
