/**
 * Jcc SETcc CMOVcc (src/interp/cond.ts). The condition is evaluated from the
 * block's last flag producer when it is known, so CMP/TEST + Jcc become one Wasm
 * comparison of the operands.
 */
import type { EmitterFactory } from "./emitter.js";
import { readE, regBit, writeE } from "./operands.js";

const jcc: EmitterFactory = (row) => {
  const cc = row.op & 0x0f;
  return { writes: () => 0, condition: (x) => x.cond(cc) };
};

const setcc: EmitterFactory = (row) => {
  const cc = row.op & 0x0f;
  return {
    writes: (i) => (i.mod === 3 ? regBit(i.rm, 8) : 0),
    emit: (x, i) => writeE(x, i, 8, x.cond(cc)),
  };
};

/** The source is read whatever the condition, so a bad memory operand faults either way. */
const cmovcc: EmitterFactory = (row) => {
  const cc = row.op & 0x0f;
  return {
    writes: (i) => 1 << i.reg,
    emit(x, i) {
      const m = x.wasm;
      const sz = i.o32 ? 32 : 16;
      const v = x.hold(readE(x, i, sz));
      const c = x.hold(x.cond(cc));
      x.setReg(i.reg, sz, m.select(m.get(c), m.get(v), x.reg(i.reg, sz)));
    },
  };
};

export const emitters: Record<string, EmitterFactory> = { jcc, setcc, cmovcc };
