/** PUSH POP LEAVE (src/interp/stack.ts): the stack access first, then ESP. */
import { Reg, Sreg } from "../../src/cpu/layout.js";
import type { EmitterFactory } from "./emitter.js";
import { readMem } from "./memory.js";
import { pop as popValue, push as pushValue, readE, setSp } from "./operands.js";

const ESP_BIT = 1 << Reg.ESP;

const push: EmitterFactory = (row) => {
  const code = row.operands[0];
  return {
    stack: true,
    writes: () => ESP_BIT,
    emit(x, i) {
      const sz = i.o32 ? 32 : 16;
      // PUSH ESP pushes the value before the push; immediates are sign-extended already.
      const v = code === "Zv" ? x.reg(i.reg, sz) : code === "Ev" ? readE(x, i, sz) : x.m.c(i.imm);
      pushValue(x, x.m.get(x.hold(v)), sz);
    },
  };
};

/** POP r/m with a memory destination computes its address with ESP already popped: the helper keeps it. */
const pop: EmitterFactory = (row) => {
  const toReg = row.operands[0] === "Zv";
  const dst = (i: { reg: number; rm: number }) => (toReg ? i.reg : i.rm);
  return {
    stack: true,
    accepts: (i) => toReg || i.mod === 3,
    writes: (i) => ESP_BIT | (1 << dst(i)),
    emit(x, i) {
      const sz = i.o32 ? 32 : 16;
      const v = popValue(x, sz);
      x.setReg(dst(i), sz, x.m.get(v));
    },
  };
};

const leave: EmitterFactory = () => ({
  stack: true,
  writes: () => ESP_BIT | (1 << Reg.EBP),
  emit(x, i) {
    const m = x.m;
    const sz = i.o32 ? 32 : 16;
    const top = x.hold(x.mode.ss32 ? x.reg(Reg.EBP, 32) : x.reg(Reg.EBP, 16));
    const v = readMem(x, Sreg.SS, m.get(top), sz);
    const next = m.add(m.get(top), m.c(sz >> 3));
    setSp(x, x.mode.ss32 ? next : m.and(next, m.c(0xffff)));
    x.setReg(Reg.EBP, sz, m.get(v));
  },
});

export const emitters: Record<string, EmitterFactory> = { push, pop, leave };
