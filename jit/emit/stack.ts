/**
 * PUSH POP PUSHA POPA ENTER LEAVE (src/interp/stack.ts): the stack accesses
 * first, then the registers. A store off the fast path leaves the region before
 * the instruction with earlier stores of it done; the interpreter then makes
 * them again, with the same values, since none depends on memory.
 */
import { Reg, Sreg } from "../../src/cpu/layout.js";
import type { I32, Local } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { readMem, rmwMem, writeMem } from "./memory.js";
import { pop as popValue, push as pushValue, readE, setSp, spOffset } from "./operands.js";

const ESP_BIT = 1 << Reg.ESP;
const EBP_BIT = 1 << Reg.EBP;
const ALL = 0xff;

/** A stack offset wrapped to the stack-pointer size. */
function wrapSp(x: Ctx, off: I32): I32 {
  return x.mode.ss32 ? off : x.wasm.and(off, x.wasm.c(0xffff));
}

const push: EmitterFactory = (row) => {
  const code = row.operands[0];
  return {
    mayFault: true,
    writes: () => ESP_BIT,
    emit(x, i) {
      const sz = i.o32 ? 32 : 16;
      // PUSH ESP pushes the value before the push; immediates are sign-extended already.
      const v = code === "Zv" ? x.reg(i.reg, sz) : code === "Ev" ? readE(x, i, sz) : x.wasm.c(i.imm);
      pushValue(x, x.wasm.get(x.hold(v)), sz);
    },
  };
};

/** POP r/m with a memory destination computes its address with ESP already popped: the helper keeps it. */
const pop: EmitterFactory = (row) => {
  const toReg = row.operands[0] === "Zv";
  const dst = (i: { reg: number; rm: number }) => (toReg ? i.reg : i.rm);
  return {
    mayFault: true,
    accepts: (i) => toReg || i.mod === 3,
    writes: (i) => ESP_BIT | (1 << dst(i)),
    emit(x, i) {
      const sz = i.o32 ? 32 : 16;
      const v = popValue(x, sz);
      x.setReg(dst(i), sz, x.wasm.get(v));
    },
  };
};

const leave: EmitterFactory = () => ({
  mayFault: true,
  writes: () => ESP_BIT | (1 << Reg.EBP),
  emit(x, i) {
    const m = x.wasm;
    const sz = i.o32 ? 32 : 16;
    const top = x.hold(x.mode.ss32 ? x.reg(Reg.EBP, 32) : x.reg(Reg.EBP, 16));
    const v = readMem(x, Sreg.SS, m.get(top), sz);
    const next = m.add(m.get(top), m.c(sz >> 3));
    setSp(x, x.mode.ss32 ? next : m.and(next, m.c(0xffff)));
    x.setReg(Reg.EBP, sz, m.get(v));
  },
});

const pusha: EmitterFactory = () => ({
  mayFault: true,
  reads: () => ALL,
  writes: () => ESP_BIT,
  emit(x, i) {
    const sz = i.o32 ? 32 : 16;
    const n = sz >> 3;
    for (let r = Reg.EAX; r <= Reg.EDI; r++) writeMem(x, Sreg.SS, spOffset(x, -(r + 1) * n), sz, x.reg(r, sz));
    setSp(x, spOffset(x, -8 * n));
  },
});

/** Slot k holds register 7 - k (EDI first); the saved SP/ESP is discarded. */
const popa: EmitterFactory = () => ({
  mayFault: true,
  writes: () => ALL,
  emit(x, i) {
    const sz = i.o32 ? 32 : 16;
    const n = sz >> 3;
    const slots: Local<"i32">[] = [];
    for (let k = 0; k < 8; k++) slots.push(readMem(x, Sreg.SS, spOffset(x, k * n), sz));
    for (let k = 0; k < 8; k++) if (k !== 7 - Reg.ESP) x.setReg(7 - k, sz, x.wasm.get(slots[k]));
    setSp(x, spOffset(x, 8 * n));
  },
});

/**
 * ENTER Iw,Ib with nesting level 0 or 1; deeper levels copy frame pointers
 * from memory, which a re-run after an exit could read back changed: the
 * helper keeps those. The operand size sets the width of each push and of the
 * frame pointer written (BP keeps EBP's high word); the new top of stack must
 * be writable though nothing is written there (a read-modify-write of its
 * own value checks that).
 */
const enter: EmitterFactory = () => ({
  accepts: (i) => (i.imm2 & 31) <= 1,
  mayFault: true,
  writes: () => ESP_BIT | EBP_BIT,
  emit(x, i) {
    const m = x.wasm;
    const sz = i.o32 ? 32 : 16;
    const n = sz >> 3;
    const off = x.hold(spOffset(x, -n));
    writeMem(x, Sreg.SS, m.get(off), sz, x.reg(Reg.EBP, sz));
    const frame = x.hold(i.o32 && !x.mode.ss32 ? m.or(m.and(x.reg(Reg.ESP, 32), m.c(~0xffff)), m.get(off)) : m.get(off));
    let last = off;
    if ((i.imm2 & 31) === 1) {
      last = x.hold(wrapSp(x, m.sub(m.get(off), m.c(n))));
      writeMem(x, Sreg.SS, m.get(last), sz, m.get(frame));
    }
    const top = x.hold(wrapSp(x, m.sub(m.get(last), m.c(i.imm & 0xffff))));
    rmwMem(x, Sreg.SS, m.get(top), sz, (v) => m.get(v));
    setSp(x, m.get(top));
    x.setReg(Reg.EBP, sz, m.get(frame));
  },
});

export const emitters: Record<string, EmitterFactory> = { push, pop, pusha, popa, enter, leave };
