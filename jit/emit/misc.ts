/** NOP RDTSC (src/interp/misc.ts); the rest of the family runs through the helper. */
import { CR_BASE, IDLE_SLOTS, Reg, TSC_OFFSET } from "../../src/cpu/layout.js";
import type { EmitterFactory } from "./emitter.js";

const CR4_TSD = 0x04;
const TWO_32 = 2 ** 32;

/**
 * EDX:EAX = ICOUNT + idle slots + TSC offset at the instruction (msr.ts readTsc).
 * CR4.TSD at CPL > 0 (#GP) and a TSC outside [0, 2^53), where the f64 split
 * would not match the interpreter's, leave for the interpreter.
 */
const rdtsc: EmitterFactory = () => ({
  mayFault: true,
  writes: () => (1 << Reg.EAX) | (1 << Reg.EDX),
  emit(x) {
    const m = x.wasm;
    if (x.mode.cpl > 0) x.emit(m.if(m.and(m.loadAt(CR_BASE + 16), m.c(CR4_TSD)), x.exitBefore()));
    const t = x.holdF(m.addF(m.addF(x.icountAt(x.retiredBefore()), m.loadF64At(IDLE_SLOTS)), m.loadF64At(TSC_OFFSET)));
    x.emit(m.if(m.eqz(m.and(m.geF(m.getF(t), m.cF(0)), m.ltF(m.getF(t), m.cF(2 ** 53)))), x.exitBefore()));
    const hi = x.holdF(m.floorF(m.divF(m.getF(t), m.cF(TWO_32))));
    x.setReg(Reg.EAX, 32, m.truncU(m.subF(m.getF(t), m.mulF(m.getF(hi), m.cF(TWO_32)))));
    x.setReg(Reg.EDX, 32, m.truncU(m.getF(hi)));
  },
});

export const emitters: Record<string, EmitterFactory> = {
  nop: () => ({ writes: () => 0, emit: () => {} }),
  rdtsc,
};
