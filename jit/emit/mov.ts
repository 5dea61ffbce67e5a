/** MOV XCHG LEA CBW/CWDE CWD/CDQ MOVZX MOVSX (src/interp/mov.ts). */
import { Reg } from "../../src/cpu/layout.js";
import { Loc, locOf, sizeOf } from "../../src/interp/operands.js";
import type { EmitterFactory } from "./emitter.js";
import { destReg, ea, readE, reader, regBit, writeE } from "./operands.js";
import { sx } from "./context.js";

const mov: EmitterFactory = (row) => {
  const [dst, src] = row.operands;
  const size = sizeOf(dst);
  const read = reader(src);
  const loc = locOf(dst);
  return {
    writes: (i) => (loc !== Loc.E || i.mod === 3 ? regBit(destReg(loc, i), size(i)) : 0),
    emit(x, i) {
      const sz = size(i);
      if (loc === Loc.E) writeE(x, i, sz, read(x, i, sz));
      else x.setReg(destReg(loc, i), sz, read(x, i, sz));
    },
  };
};

/** Register forms only: a memory XCHG is locked and read-modify-write; the helper keeps it. */
const xchg: EmitterFactory = (row) => {
  const size = sizeOf(row.operands[0]);
  const opcodeReg = locOf(row.operands[0]) === Loc.Z;
  const pair = (i: { reg: number; rm: number }) => (opcodeReg ? [i.reg, Reg.EAX] : [i.reg, i.rm]);
  return {
    accepts: (i) => opcodeReg || i.mod === 3,
    writes: (i) => pair(i).reduce((b, n) => b | regBit(n, size(i)), 0),
    emit(x, i) {
      const sz = size(i);
      const [p, q] = pair(i);
      const a = x.hold(x.reg(p, sz));
      const b = x.hold(x.reg(q, sz));
      x.setReg(p, sz, x.m.get(b));
      x.setReg(q, sz, x.m.get(a));
    },
  };
};

const lea: EmitterFactory = () => ({
  writes: (i) => 1 << i.reg,
  emit: (x, i) => x.setReg(i.reg, i.o32 ? 32 : 16, ea(x, i)),
});

const cbw: EmitterFactory = () => ({
  writes: () => 1 << Reg.EAX,
  emit(x, i) {
    const m = x.m;
    if (i.o32) x.setReg(Reg.EAX, 32, m.ext16s(x.reg(Reg.EAX, 16)));
    else x.setReg(Reg.EAX, 16, m.ext8s(x.reg(Reg.EAX, 8)));
  },
});

const cwd: EmitterFactory = () => ({
  writes: () => 1 << Reg.EDX,
  emit(x, i) {
    const m = x.m;
    if (i.o32) x.setReg(Reg.EDX, 32, m.shrS(x.reg(Reg.EAX, 32), m.c(31)));
    else x.setReg(Reg.EDX, 16, m.shrS(m.shl(x.reg(Reg.EAX, 16), m.c(16)), m.c(31)));
  },
});

function extend(signed: boolean): EmitterFactory {
  return (row) => {
    const srcSize = sizeOf(row.operands[1]);
    return {
      writes: (i) => 1 << i.reg,
      emit(x, i) {
        const ss = srcSize(i);
        const v = readE(x, i, ss);
        x.setReg(i.reg, i.o32 ? 32 : 16, signed ? sx(x.m, v, ss) : v);
      },
    };
  };
}

export const emitters: Record<string, EmitterFactory> = {
  mov,
  xchg,
  lea,
  cbw,
  cwd,
  movzx: extend(false),
  movsx: extend(true),
};
