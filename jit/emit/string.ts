/**
 * MOVS STOS LODS SCAS CMPS (src/interp/string.ts): one element, its accesses
 * first, then the index registers by DF and the address size (a 16-bit index
 * wraps and keeps the register's high word). REP MOVS and REP STOS with a small
 * count loop inline, one element per iteration; a larger count, or an element
 * off the fast path part-way, goes to the interpreter's handler for the rest
 * (it copies whole runs at once), and the region returns after it. The other
 * REP forms, INS and OUTS run through the helper.
 */
import { ARITH, DF, LazyOp } from "../../src/cpu/flags.js";
import { RegionStatus } from "../layout.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import type { Insn } from "../../src/decode/insn.js";
import { sizeOf } from "../../src/interp/operands.js";
import type { OpRow } from "../../src/isa/row.js";
import type { I32, Local } from "../wasm/encoder.js";
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
  x.setReg(r, i.a32 ? 32 : 16, x.wasm.add(index(x, r, i), delta()));
}

function compare(x: Ctx, a: Local<"i32">, b: Local<"i32">, size: number): void {
  const m = x.wasm;
  x.setFlags(LazyOp.SUB, m.get(a), m.get(b), m.sub(m.get(a), m.get(b)), size, ARITH, 0);
}

const ELEMENTS: Record<string, [Element, number, number]> = {
  movs: [
    (x, i, sz, delta) => {
      const v = readMem(x, i.seg, index(x, Reg.ESI, i), sz);
      writeMem(x, Sreg.ES, index(x, Reg.EDI, i), sz, x.wasm.get(v));
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
      x.setReg(Reg.EAX, sz, x.wasm.get(v));
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

/** One emitter per row: the REP form by `repeated`, the plain one by `single`. */
function repeatedOrSingle(name: string): EmitterFactory {
  const plain = single(name);
  const rep = repeated(name);
  return (row) => {
    const a = plain(row);
    const b = rep(row);
    return {
      mayFault: true,
      reads: (i) => (i.rep !== 0 ? (b.reads?.(i) ?? 0) : (a.reads?.(i) ?? 0)),
      writes: (i, mode) => (i.rep !== 0 ? b.writes(i, mode) : a.writes(i, mode)),
      emit: (x, i) => (i.rep !== 0 ? b.emit?.(x, i) : a.emit?.(x, i)),
    };
  };
}

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
        const m = x.wasm;
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

/** Above this count a REP goes to the handler, whose runs beat an element loop. */
const INLINE_COUNT = 32;
const ECX = 1 << Reg.ECX;

/**
 * REP MOVS / REP STOS. The instruction retires once per iteration: n counts
 * each iteration done, less the one the block counted, and past the target
 * (an overshoot the interpreter makes too) the region returns after it.
 */
function repeated(name: string): EmitterFactory {
  const [element, reads, writes] = ELEMENTS[name];
  return (row: OpRow): Emitter => {
    const operand = row.operands.find((o) => o[0] === "X" || o[0] === "Y");
    if (!operand) throw new Error(`string row ${row.mnemonic} has no X/Y operand`);
    const size = sizeOf(operand);
    return {
      accepts: (i) => i.rep !== 0,
      mayFault: true,
      reads: () => reads | ECX,
      writes: () => writes | ECX,
      emit(x, i) {
        const m = x.wasm;
        const sz = size(i);
        const n = sz >> 3;
        const csize = i.a32 ? 32 : 16;
        // Every sync on the way (the handler's entries) must store what the loop changes.
        x.dirtyRegs |= writes | ECX;
        const k = x.hold(m.c(0));
        const rest = () => m.block(null, [m.set(x.retiredAtBlockEnd, m.add(m.get(x.retiredAtBlockEnd), m.get(k))), x.repeatRest(i)]);
        const d = x.hold(m.select(m.and(x.eflags(), m.c(DF)), m.c(-n), m.c(n)));
        const loop = x.capture(() => {
          x.emit(m.br("rep.done", m.eqz(x.reg(Reg.ECX, csize))));
          x.withSlowPath(rest, () => element(x, i, sz, () => m.get(d)));
          x.setReg(Reg.ECX, csize, m.sub(x.reg(Reg.ECX, csize), m.c(1)));
          x.emit(m.set(k, m.add(m.get(k), m.c(1))), m.br("rep.next"));
        });
        x.emit(
          m.if(m.gtU(x.reg(Reg.ECX, csize), m.c(INLINE_COUNT)), rest()),
          m.block("rep.done", [m.loop("rep.next", loop)]),
          m.if(m.get(k), m.set(x.retiredAtBlockEnd, m.add(m.get(x.retiredAtBlockEnd), m.sub(m.get(k), m.c(1))))),
          m.if(m.gtU(m.get(x.retiredAtBlockEnd), m.get(x.entryBudget)), x.exit(m.c(x.nextEip), x.retiredAfter(), RegionStatus.RETURN)),
        );
      },
    };
  };
}

export const emitters: Record<string, EmitterFactory> = {
  movs: repeatedOrSingle("movs"),
  stos: repeatedOrSingle("stos"),
  lods: single("lods"),
  scas: single("scas"),
  cmps: single("cmps"),
};
