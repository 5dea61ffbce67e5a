/** ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NEG NOT (src/interp/alu.ts). */
import { ARITH, CF, LazyOp } from "../../src/cpu/flags.js";
import type { Insn } from "../../src/decode/insn.js";
import { Loc, locOf, sizeOf } from "../../src/interp/operands.js";
import type { OpRow } from "../../src/isa/row.js";
import type { I32, Local } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";
import type { Emitter, EmitterFactory } from "./emitter.js";
import { destReg, modifyE, reader, readE, regBit } from "./operands.js";

/** dst op src: sets the flag record and returns the result to store (interp alu.ts `binary`). */
type Binary = (x: Ctx, a: Local<"i32">, b: Local<"i32">, size: number) => I32;

function logic(x: Ctx, r: I32, size: number): I32 {
  const m = x.wasm;
  const t = x.hold(r);
  x.setFlags(LazyOp.LOGIC, m.c(0), m.c(0), m.get(t), size, ARITH, 0);
  return m.get(t);
}

function arith(op: LazyOp, withCarry: boolean): Binary {
  return (x, a, b, size) => {
    const m = x.wasm;
    const cin = withCarry ? x.hold(x.flagBit(CF)) : undefined;
    let r = op === LazyOp.ADD ? m.add(m.get(a), m.get(b)) : m.sub(m.get(a), m.get(b));
    if (cin) r = op === LazyOp.ADD ? m.add(r, m.get(cin)) : m.sub(r, m.get(cin));
    const t = x.hold(r);
    x.setFlags(op, m.get(a), m.get(b), m.get(t), size, ARITH, 0, withCarry);
    return m.get(t);
  };
}

const BINARY: Record<string, Binary> = {
  add: arith(LazyOp.ADD, false),
  adc: arith(LazyOp.ADD, true),
  sub: arith(LazyOp.SUB, false),
  sbb: arith(LazyOp.SUB, true),
  cmp: arith(LazyOp.SUB, false),
  or: (x, a, b, s) => logic(x, x.wasm.or(x.wasm.get(a), x.wasm.get(b)), s),
  and: (x, a, b, s) => logic(x, x.wasm.and(x.wasm.get(a), x.wasm.get(b)), s),
  xor: (x, a, b, s) => logic(x, x.wasm.xor(x.wasm.get(a), x.wasm.get(b)), s),
  test: (x, a, b, s) => logic(x, x.wasm.and(x.wasm.get(a), x.wasm.get(b)), s),
};

function binaryFactory(name: string): EmitterFactory {
  const f = BINARY[name];
  const stores = name !== "cmp" && name !== "test";
  return (row: OpRow): Emitter => {
    const [dstCode, srcCode] = row.operands;
    const size = sizeOf(dstCode);
    const src = reader(srcCode);
    const loc = locOf(dstCode);
    return {
      writes: (i) => (stores && (loc !== Loc.E || i.mod === 3) ? regBit(destReg(loc, i), size(i)) : 0),
      emit(x, i) {
        const sz = size(i);
        if (loc === Loc.E && i.mod !== 3) {
          if (stores) {
            modifyE(x, i, sz, (a) => f(x, a, x.hold(src(x, i, sz)), sz));
            return;
          }
          const a = x.hold(readE(x, i, sz));
          f(x, a, x.hold(src(x, i, sz)), sz);
          return;
        }
        const n = destReg(loc, i);
        const b = x.hold(src(x, i, sz));
        const a = x.hold(x.reg(n, sz));
        const r = f(x, a, b, sz);
        if (stores) x.setReg(n, sz, r);
      },
    };
  };
}

/** r/m = g(r/m), the shape of INC DEC NEG NOT. */
function unary(g: (x: Ctx, a: Local<"i32">, size: number) => I32): EmitterFactory {
  return (row) => {
    const size = sizeOf(row.operands[0]);
    const loc = locOf(row.operands[0]);
    return {
      writes: (i: Insn) => (loc !== Loc.E || i.mod === 3 ? regBit(destReg(loc, i), size(i)) : 0),
      emit(x, i) {
        const sz = size(i);
        if (loc === Loc.E) {
          modifyE(x, i, sz, (a) => g(x, a, sz));
          return;
        }
        const a = x.hold(x.reg(i.reg, sz));
        x.setReg(i.reg, sz, g(x, a, sz));
      },
    };
  };
}

/** INC/DEC leave CF alone: it is materialised first when a later reader needs it. */
function incdec(delta: number): EmitterFactory {
  const op = delta > 0 ? LazyOp.ADD : LazyOp.SUB;
  return unary((x, a, size) => {
    const m = x.wasm;
    const t = x.hold(m.add(m.get(a), m.c(delta)));
    x.setFlags(op, m.get(a), m.c(1), m.get(t), size, ARITH & ~CF, x.flagsLiveAfter);
    return m.get(t);
  });
}

export const emitters: Record<string, EmitterFactory> = {
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
  neg: unary((x, a, size) => {
    const m = x.wasm;
    const t = x.hold(m.sub(m.c(0), m.get(a)));
    x.setFlags(LazyOp.SUB, m.c(0), m.get(a), m.get(t), size, ARITH, 0);
    return m.get(t);
  }),
  not: unary((x, a) => x.wasm.xor(x.wasm.get(a), x.wasm.c(-1))),
};
