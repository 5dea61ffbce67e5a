/**
 * MOVS STOS LODS SCAS CMPS without REP (src/interp/string.ts): one element,
 * its accesses first, then the index registers by DF and the address size (a
 * 16-bit index wraps and keeps the register's high word). REP forms, INS and
 * OUTS run through the helper.
 */
import { ARITH, DF, LazyOp } from "../../src/cpu/flags.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import type { Insn } from "../../src/decode/insn.js";
import { sizeOf } from "../../src/interp/operands.js";
import type { OpRow } from "../../src/isa/row.js";
import type { I32, Local } from "../wasm/module.js";
import type { Ctx } from "./context.js";
import type { Emitter, EmitterFactory } from "./emitter.js";
import { readMem, writeMem } from "./memory.js";

const ESI = 1 << Reg.ESI;
const EDI = 1 << Reg.EDI;
const EAX = 1 << Reg.EAX;

/** What one element does: its accesses, then the registers it advances (ESI/EDI) by `delta`. */
type Element = (x: Ctx, i: Insn, size: number, delta: () => I32) => void;

function index(x: Ctx, r: number, i: Insn): I32 {
  return x.reg(r, i.a32 ? 32 : 16);
}

function advance(x: Ctx, r: number, i: Insn, delta: () => I32): void {
  x.setReg(r, i.a32 ? 32 : 16, x.m.add(index(x, r, i), delta()));
}

function compare(x: Ctx, a: Local<"i32">, b: Local<"i32">, size: number): void {
  const m = x.m;
  x.setFlags(LazyOp.SUB, m.get(a), m.get(b), m.sub(m.get(a), m.get(b)), size, ARITH, 0);
}

const ELEMENTS: Record<string, [Element, number, number]> = {
  movs: [
    (x, i, sz, delta) => {
      const v = readMem(x, i.seg, index(x, Reg.ESI, i), sz);
      writeMem(x, Sreg.ES, index(x, Reg.EDI, i), sz, x.m.get(v));
      advance(x, Reg.ESI, i, delta);
      advance(x, Reg.EDI, i, delta);
    },
    0,
    ESI | EDI,
  ],
  stos: [
    (x, i, sz, delta) => {
      writeMem(x, Sreg.ES, index(x, Reg.EDI, i), sz, x.reg(Reg.EAX, sz));
      advance(x, Reg.EDI, i, delta);
    },
    EAX,
    EDI,
  ],
  lods: [
    (x, i, sz, delta) => {
      const v = readMem(x, i.seg, index(x, Reg.ESI, i), sz);
      x.setReg(Reg.EAX, sz, x.m.get(v));
      advance(x, Reg.ESI, i, delta);
    },
    0,
    ESI | EAX,
  ],
  scas: [
    (x, i, sz, delta) => {
      const b = readMem(x, Sreg.ES, index(x, Reg.EDI, i), sz);
      compare(x, x.hold(x.reg(Reg.EAX, sz)), b, sz);
      advance(x, Reg.EDI, i, delta);
    },
    EAX,
    EDI,
  ],
  cmps: [
    (x, i, sz, delta) => {
      const a = readMem(x, i.seg, index(x, Reg.ESI, i), sz);
      const b = readMem(x, Sreg.ES, index(x, Reg.EDI, i), sz);
      compare(x, a, b, sz);
      advance(x, Reg.ESI, i, delta);
      advance(x, Reg.EDI, i, delta);
    },
    0,
    ESI | EDI,
  ],
};

function single(name: string): EmitterFactory {
  const [element, reads, writes] = ELEMENTS[name];
  return (row: OpRow): Emitter => {
    const operand = row.operands.find((o) => o[0] === "X" || o[0] === "Y");
    if (!operand) throw new Error(`string row ${row.mnemonic} has no X/Y operand`);
    const size = sizeOf(operand);
    return {
      accepts: (i) => i.rep === 0,
      mayFault: true,
      reads: () => reads,
      writes: () => writes,
      emit(x, i) {
        const m = x.m;
        const sz = size(i);
        const n = sz >> 3;
        let d: Local<"i32"> | undefined;
        // DF read once, after the accesses: emitters touch memory before anything changes.
        const delta = () => m.get((d ??= x.hold(m.select(m.and(x.eflags(), m.c(DF)), m.c(-n), m.c(n)))));
        element(x, i, sz, delta);
      },
    };
  };
}

export const emitters: Record<string, EmitterFactory> = {
  movs: single("movs"),
  stos: single("stos"),
  lods: single("lods"),
  scas: single("scas"),
  cmps: single("cmps"),
};
