/**
 * The x87 environment and state images of FNSTENV/FLDENV (14 or 28 bytes) and
 * FNSAVE/FRSTOR (94 or 108: the environment, then ST(0)..ST(7) as 10-byte
 * values), in the real-address and protected-mode layouts of SDM Vol. 1
 * §8.1.10 (Figures 8-9 to 8-12). The operand size picks 16 or 32 bits; V86 mode
 * uses the real-address layout. Fields a layout leaves reserved are written as
 * ones, as the hardware writes them.
 *
 * In the real-address layouts the pointers are 20- or 32-bit linear addresses:
 * they are formed from the recorded selector and offset (selector·16 + offset),
 * and loading one keeps the address as the offset with a zero selector.
 */
import type { Cpu } from "../cpu.js";
import * as S from "./fpu.js";

export const ENV_SIZE_16 = 14;
export const ENV_SIZE_32 = 28;
export const REGS_SIZE = 80;

/** Write the environment into `b` at 0; returns its size. */
export function writeEnv(c: Cpu, b: DataView, o32: boolean, realFormat: boolean): number {
  const cw = S.getCw(c);
  const sw = S.getSw(c);
  const tw = S.fullTagWord(c);
  const fop = S.fop(c);
  let ip = S.fip(c);
  let dp = S.fdp(c);
  if (realFormat) {
    ip = (ip + (S.fcs(c) << 4)) | 0;
    dp = (dp + (S.fds(c) << 4)) | 0;
  }
  if (o32) {
    b.setUint32(0, (0xffff0000 | cw) >>> 0, true);
    b.setUint32(4, (0xffff0000 | sw) >>> 0, true);
    b.setUint32(8, (0xffff0000 | tw) >>> 0, true);
    if (realFormat) {
      b.setUint32(12, (0xffff0000 | (ip & 0xffff)) >>> 0, true);
      b.setUint32(16, (((ip >>> 16) << 12) | fop) >>> 0, true);
      b.setUint32(20, (0xffff0000 | (dp & 0xffff)) >>> 0, true);
      b.setUint32(24, ((dp >>> 16) << 12) >>> 0, true);
    } else {
      b.setUint32(12, ip >>> 0, true);
      b.setUint32(16, (S.fcs(c) | (fop << 16)) >>> 0, true);
      b.setUint32(20, dp >>> 0, true);
      b.setUint32(24, (0xffff0000 | S.fds(c)) >>> 0, true);
    }
    return ENV_SIZE_32;
  }
  b.setUint16(0, cw, true);
  b.setUint16(2, sw, true);
  b.setUint16(4, tw, true);
  b.setUint16(6, ip & 0xffff, true);
  if (realFormat) {
    b.setUint16(8, (((ip >>> 16) & 0xf) << 12) | fop, true);
    b.setUint16(10, dp & 0xffff, true);
    b.setUint16(12, ((dp >>> 16) & 0xf) << 12, true);
  } else {
    b.setUint16(8, S.fcs(c), true);
    b.setUint16(10, dp & 0xffff, true);
    b.setUint16(12, S.fds(c), true);
  }
  return ENV_SIZE_16;
}

/** Load the environment from `b` at 0; returns its size. */
export function readEnv(c: Cpu, b: DataView, o32: boolean, realFormat: boolean): number {
  let cw: number, sw: number, tw: number, ip: number, cs: number, fop: number, dp: number, ds: number;
  if (o32) {
    cw = b.getUint16(0, true);
    sw = b.getUint16(4, true);
    tw = b.getUint16(8, true);
    if (realFormat) {
      const w = b.getUint32(16, true);
      ip = (b.getUint16(12, true) | ((w >>> 12) << 16)) | 0;
      fop = w & 0x7ff;
      dp = (b.getUint16(20, true) | ((b.getUint32(24, true) >>> 12) << 16)) | 0;
      cs = ds = 0;
    } else {
      ip = b.getInt32(12, true);
      cs = b.getUint16(16, true);
      fop = b.getUint16(18, true) & 0x7ff;
      dp = b.getInt32(20, true);
      ds = b.getUint16(24, true);
    }
  } else {
    cw = b.getUint16(0, true);
    sw = b.getUint16(2, true);
    tw = b.getUint16(4, true);
    ip = b.getUint16(6, true);
    dp = b.getUint16(10, true);
    if (realFormat) {
      const w = b.getUint16(8, true);
      ip |= (w >>> 12) << 16;
      fop = w & 0x7ff;
      dp |= (b.getUint16(12, true) >>> 12) << 16;
      cs = ds = 0;
    } else {
      cs = b.getUint16(8, true);
      ds = b.getUint16(12, true);
      fop = S.fop(c);
    }
  }
  S.setCw(c, cw);
  S.setSw(c, sw);
  S.loadTagWord(c, tw);
  S.setInstructionPointer(c, cs, ip, fop);
  S.setDataPointer(c, ds, dp);
  S.recomputeEs(c);
  return o32 ? ENV_SIZE_32 : ENV_SIZE_16;
}

/** ST(0)..ST(7) as 10-byte values into `b` at `at`. */
export function writeRegs(c: Cpu, b: DataView, at: number): void {
  const r = c.u16;
  for (let i = 0; i < 8; i++) {
    const o = S.regOffset(S.phys(c, i)) >> 1;
    for (let k = 0; k < 5; k++) b.setUint16(at + i * 10 + 2 * k, r[o + k], true);
  }
}

/** ST(0)..ST(7) from 10-byte values in `b` at `at` (tags come from the environment). */
export function readRegs(c: Cpu, b: DataView, at: number): void {
  const r = c.u16;
  for (let i = 0; i < 8; i++) {
    const o = S.regOffset(S.phys(c, i)) >> 1;
    for (let k = 0; k < 5; k++) r[o + k] = b.getUint16(at + i * 10 + 2 * k, true);
  }
}
