/**
 * CLC STC CMC CLD STD SAHF LAHF SALC (src/interp/flagops.ts); CLI STI PUSHF
 * POPF run through the helper.
 */
import { AF, ARITH, CF, DF, FIXED_ONE, OF, PF, SF, ZF } from "../../src/cpu/flags.js";
import { Reg } from "../../src/cpu/layout.js";
import type { I32 } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { materialize, storeFlags } from "./flags.js";

const AH = 4;
const AH_FLAGS = SF | ZF | AF | PF | CF;
const EAX_BIT = 1 << Reg.EAX;

function carry(value: (x: Ctx) => I32): EmitterFactory {
  return () => ({ writes: () => 0, emit: (x) => storeFlags(x, CF, value(x)) });
}

function direction(on: boolean): EmitterFactory {
  return () => ({
    writes: () => 0,
    emit(x) {
      const m = x.wasm;
      x.setEflags(on ? m.or(x.eflags(), m.c(DF)) : m.and(x.eflags(), m.c(~DF)));
    },
  });
}

export const emitters: Record<string, EmitterFactory> = {
  clc: carry((x) => x.wasm.c(0)),
  stc: carry((x) => x.wasm.c(CF)),
  cmc: carry((x) => x.wasm.xor(x.flagBit(CF), x.wasm.c(1))),
  cld: direction(false),
  std: direction(true),
  /** Cpu.setEflagsMasked: every arithmetic flag leaves the record; OF is the one AH does not replace. */
  sahf: () => ({
    writes: () => 0,
    emit(x) {
      const m = x.wasm;
      materialize(x, OF);
      x.dropFlags(ARITH & ~OF);
      const ah = x.hold(x.reg(AH, 8));
      x.setEflags(m.and(m.or(m.or(m.and(x.eflags(), m.c(~AH_FLAGS)), m.and(m.get(ah), m.c(AH_FLAGS))), m.c(FIXED_ONE)), m.c(~0x8028)));
    },
  }),
  /** Cpu.getEflags materialises every arithmetic flag. */
  lahf: () => ({
    writes: () => EAX_BIT,
    emit(x) {
      const m = x.wasm;
      materialize(x, ARITH);
      x.setReg(AH, 8, m.or(m.and(x.eflags(), m.c(AH_FLAGS)), m.c(FIXED_ONE)));
    },
  }),
  salc: () => ({
    writes: () => EAX_BIT,
    emit: (x) => x.setReg(Reg.EAX, 8, x.wasm.sub(x.wasm.c(0), x.flagBit(CF))),
  }),
};
