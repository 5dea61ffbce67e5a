/**
 * CLC STC CMC CLD STD SAHF LAHF SALC (src/interp/flagops.ts); CLI STI PUSHF
 * POPF run through the helper.
 */
import { AF, ARITH, CF, DF, FIXED_ONE, OF, PF, SF, ZF } from "../../src/cpu/flags.js";
import { EFLAGS, LAZY_MASK, Reg } from "../../src/cpu/layout.js";
import type { I32 } from "../wasm/module.js";
import type { Ctx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { materialize, storeFlags } from "./flags.js";

const AH = 4;
const AH_FLAGS = SF | ZF | AF | PF | CF;
const EAX_BIT = 1 << Reg.EAX;

function carry(value: (x: Ctx) => I32): EmitterFactory {
  return () => ({ writes: () => 0, emit: (x) => storeFlags(x, CF, value(x)) });
}

/**
 * DF is no arithmetic flag, so the translator keeps the record in locals only
 * for regions whose inline code uses arithmetic flags, and writes it back only
 * when inline code produces them: the stored word is changed in the local when
 * it lives there, and in memory when the exits will not write the local back.
 */
function direction(on: boolean): EmitterFactory {
  return () => ({
    writes: () => 0,
    emit(x) {
      const m = x.m;
      const set = (v: I32) => (on ? m.or(v, m.c(DF)) : m.and(v, m.c(~DF)));
      if (x.usesFlags) x.setEflags(set(x.eflags()));
      if (!x.regionFlags) x.emit(m.storeAt(EFLAGS, set(m.loadAt(EFLAGS))));
    },
  });
}

export const emitters: Record<string, EmitterFactory> = {
  clc: carry((x) => x.m.c(0)),
  stc: carry((x) => x.m.c(CF)),
  cmc: carry((x) => x.m.xor(x.flagBit(CF), x.m.c(1))),
  cld: direction(false),
  std: direction(true),
  /** Cpu.setEflagsMasked: every arithmetic flag leaves the record; OF is the one AH does not replace. */
  sahf: () => ({
    writes: () => 0,
    emit(x) {
      const m = x.m;
      materialize(x, OF);
      x.dropFlags(ARITH & ~OF);
      const ah = x.hold(x.reg(AH, 8));
      x.setEflags(m.and(m.or(m.or(m.and(x.eflags(), m.c(~AH_FLAGS)), m.and(m.get(ah), m.c(AH_FLAGS))), m.c(FIXED_ONE)), m.c(~0x8028)));
    },
  }),
  /**
   * Cpu.getEflags materialises every arithmetic flag. LAHF produces none, so
   * in a region where nothing else does the exits do not write the record
   * back: the materialised words go to memory here.
   */
  lahf: () => ({
    writes: () => EAX_BIT,
    emit(x) {
      const m = x.m;
      materialize(x, ARITH);
      if (!x.regionFlags) x.emit(m.storeAt(LAZY_MASK, m.get(x.flagLocals[0])), m.storeAt(EFLAGS, x.eflags()));
      x.setReg(AH, 8, m.or(m.and(x.eflags(), m.c(AH_FLAGS)), m.c(FIXED_ONE)));
    },
  }),
  salc: () => ({
    writes: () => EAX_BIT,
    emit: (x) => x.setReg(Reg.EAX, 8, x.m.sub(x.m.c(0), x.flagBit(CF))),
  }),
};
