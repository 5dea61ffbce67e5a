/** MOV XCHG LEA CBW/CWDE CWD/CDQ XLAT MOVZX MOVSX BSWAP (src/interp/mov.ts). */
import { Reg } from "../../src/cpu/layout.js";
import { Loc, locOf, sizeOf } from "../../src/interp/operands.js";
import { sx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { readMem, rmwMem } from "./memory.js";
import { destReg, ea, readE, reader, regBit, writeE } from "./operands.js";

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

/** A memory XCHG is a read-modify-write: the register changes once the store can no longer leave the fast path. */
const xchg: EmitterFactory = (row) => {
  const size = sizeOf(row.operands[0]);
  const opcodeReg = locOf(row.operands[0]) === Loc.Z;
  return {
    writes: (i) => regBit(i.reg, size(i)) | (opcodeReg ? 1 << Reg.EAX : i.mod === 3 ? regBit(i.rm, size(i)) : 0),
    emit(x, i) {
      const sz = size(i);
      if (!opcodeReg && i.mod !== 3) {
        rmwMem(x, i.seg, ea(x, i), sz, (old) => {
          const g = x.hold(x.reg(i.reg, sz));
          x.setReg(i.reg, sz, x.wasm.get(old));
          return x.wasm.get(g);
        });
        return;
      }
      const q = opcodeReg ? Reg.EAX : i.rm;
      const a = x.hold(x.reg(i.reg, sz));
      const b = x.hold(x.reg(q, sz));
      x.setReg(i.reg, sz, x.wasm.get(b));
      x.setReg(q, sz, x.wasm.get(a));
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
    const m = x.wasm;
    if (i.o32) x.setReg(Reg.EAX, 32, m.ext16s(x.reg(Reg.EAX, 16)));
    else x.setReg(Reg.EAX, 16, m.ext8s(x.reg(Reg.EAX, 8)));
  },
});

const cwd: EmitterFactory = () => ({
  writes: () => 1 << Reg.EDX,
  emit(x, i) {
    const m = x.wasm;
    if (i.o32) x.setReg(Reg.EDX, 32, m.shrS(x.reg(Reg.EAX, 32), m.c(31)));
    else x.setReg(Reg.EDX, 16, m.shrS(m.shl(x.reg(Reg.EAX, 16), m.c(16)), m.c(31)));
  },
});

/** AL = [seg:eBX + AL]. Its access is no ModRM operand, which the translator's may-fault test looks at. */
const xlat: EmitterFactory = () => ({
  mayFault: true,
  reads: () => (1 << Reg.EAX) | (1 << Reg.EBX),
  writes: () => 1 << Reg.EAX,
  emit(x, i) {
    const m = x.wasm;
    const sum = m.add(x.reg(Reg.EBX, i.a32 ? 32 : 16), x.reg(Reg.EAX, 8));
    const v = readMem(x, i.seg, i.a32 ? sum : m.and(sum, m.c(0xffff)), 8);
    x.setReg(Reg.EAX, 8, m.get(v));
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
        x.setReg(i.reg, i.o32 ? 32 : 16, signed ? sx(x.wasm, v, ss) : v);
      },
    };
  };
}

/** The SDM leaves a 16-bit operand undefined; the native CPU clears the low word and keeps the high one. */
const bswap: EmitterFactory = () => ({
  writes: (i) => 1 << i.reg,
  emit(x, i) {
    const m = x.wasm;
    if (!i.o32) {
      x.setReg(i.reg, 16, m.c(0));
      return;
    }
    const v = x.hold(x.reg(i.reg, 32));
    x.setReg(i.reg, 32, m.or(m.and(m.rotl(m.get(v), m.c(8)), m.c(0x00ff00ff)), m.and(m.rotr(m.get(v), m.c(8)), m.c(0xff00ff00))));
  },
});

export const emitters: Record<string, EmitterFactory> = {
  mov,
  xchg,
  lea,
  cbw,
  cwd,
  xlat,
  movzx: extend(false),
  movsx: extend(true),
  bswap,
};
