/** MOV XCHG LEA CBW/CWDE CWD/CDQ XLAT MOVZX MOVSX BSWAP. */
import { Reg } from "../cpu/layout.js";
import type { OpRow } from "../isa/row.js";
import { eaOffset, type Handler, isByte, Loc, locOf, mask, readE, rmwLinear, signExtend, sizeOf } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

/**
 * MOV in every form; moffs (Ob/Ov) is a memory r/m operand without base or index.
 * Size and operand locations are resolved per row, so the handler makes no call
 * but the register or memory access itself.
 */
function mov(row: OpRow): Handler {
  const [dst, src] = row.operands;
  const byte = isByte(dst);
  const srcLoc = locOf(src);
  const dstLoc = locOf(dst);
  if (dstLoc === Loc.E) {
    const fromA = srcLoc === Loc.A;
    const imm = srcLoc === Loc.I;
    return (c, i) => {
      const sz = byte ? 8 : i.o32 ? 32 : 16;
      const v = imm ? i.imm & mask(sz) : c.reg(fromA ? 0 : i.reg, sz);
      if (i.mod === 3) c.setReg(i.rm, sz, v);
      else c.write(i.seg, eaOffset(c, i), sz, v);
    };
  }
  const toA = dstLoc === Loc.A;
  if (srcLoc === Loc.E) {
    return (c, i) => {
      const sz = byte ? 8 : i.o32 ? 32 : 16;
      c.setReg(toA ? 0 : i.reg, sz, i.mod === 3 ? c.reg(i.rm, sz) : c.read(i.seg, eaOffset(c, i), sz));
    };
  }
  return (c, i) => {
    const sz = byte ? 8 : i.o32 ? 32 : 16;
    c.setReg(i.reg, sz, i.imm & mask(sz));
  };
}

function xchg(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  if (locOf(row.operands[0]) === Loc.Z) {
    return (c, i) => {
      const sz = size(i);
      const a = c.reg(i.reg, sz);
      c.setReg(i.reg, sz, c.reg(Reg.EAX, sz));
      c.setReg(Reg.EAX, sz, a);
    };
  }
  return (c, i) => {
    const sz = size(i);
    const g = c.reg(i.reg, sz);
    if (i.mod === 3) {
      c.setReg(i.reg, sz, c.reg(i.rm, sz));
      c.setReg(i.rm, sz, g);
      return;
    }
    const la = rmwLinear(c, i, sz);
    const m = c.readLin(la, sz);
    c.writeLin(la, sz, g);
    c.setReg(i.reg, sz, m);
  };
}

/** The offset wraps in the address size; setReg then truncates it to a 16-bit operand. */
const lea: HandlerFactory = () => (c, i) => c.setReg(i.reg, i.o32 ? 32 : 16, eaOffset(c, i));

const cbw: HandlerFactory = () => (c, i) => {
  if (i.o32) c.setReg32(Reg.EAX, (c.reg16(Reg.EAX) << 16) >> 16);
  else c.setReg16(Reg.EAX, (c.reg8(Reg.EAX) << 24) >> 24);
};

const cwd: HandlerFactory = () => (c, i) => {
  if (i.o32) c.setReg32(Reg.EDX, c.reg32(Reg.EAX) >> 31);
  else c.setReg16(Reg.EDX, (c.reg16(Reg.EAX) << 16) >> 31);
};

/** AL = [seg:eBX + AL], the sum wrapped to the address size. */
const xlat: HandlerFactory = () => (c, i) => {
  const al = c.reg8(Reg.EAX);
  const off = i.a32 ? (c.reg32(Reg.EBX) + al) | 0 : (c.reg16(Reg.EBX) + al) & 0xffff;
  c.setReg8(Reg.EAX, c.read8(i.seg, off));
};

function extend(signed: boolean): HandlerFactory {
  return (row) => {
    const srcSize = sizeOf(row.operands[1]);
    return (c, i) => {
      const ss = srcSize(i);
      const v = readE(c, i, ss);
      c.setReg(i.reg, i.o32 ? 32 : 16, signed ? signExtend(v, ss) : v);
    };
  };
}

/** The SDM leaves a 16-bit operand undefined; the native CPU clears the low word and keeps the high one. */
const bswap: HandlerFactory = () => (c, i) => {
  if (!i.o32) {
    c.setReg16(i.reg, 0);
    return;
  }
  const v = c.reg32(i.reg);
  c.setReg32(i.reg, (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24));
};

export const handlers: Record<string, HandlerFactory> = {
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
