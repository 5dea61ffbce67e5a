/**
 * ROL ROR RCL RCR SHL SHR SAR (by 1, CL or Ib) and SHLD SHRD.
 *
 * The count is masked to 5 bits; a masked count of 0 changes neither the
 * destination nor any flag. Shifts leave SF/ZF/PF lazy (from the result) and store
 * CF/OF/AF directly; rotates change only CF and OF. For the flags the SDM leaves
 * undefined (OF for counts above 1, AF, results of 16-bit SHLD/SHRD by more than
 * 16) the values are those the reference CPU produces.
 */
import type { Cpu } from "../cpu/cpu.js";
import { AF, CF, LazyOp, OF, PF, SF, ZF } from "../cpu/flags.js";
import { EFLAGS } from "../cpu/layout.js";
import type { Insn } from "../decode/insn.js";
import type { OpRow } from "../isa/row.js";
import { type Handler, mask, reader, rmwLinear, signExtend, sizeOf } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

const EFLAGS_I = EFLAGS >> 2;
const SZP = SF | ZF | PF;

/**
 * Result flags of a shift: SZP lazy from `r`, CF and OF as given (bits already in
 * place). AF is undefined; the reference CPU sets it for every non-zero count.
 */
function shiftFlags(c: Cpu, r: number, size: number, cfOf: number): void {
  c.setLazy(LazyOp.LOGIC, 0, 0, r, size, SZP);
  const i = c.i32;
  i[EFLAGS_I] = (i[EFLAGS_I] & ~(CF | OF)) | cfOf | AF;
}

/** Rotates write only CF and OF. */
function rotateFlags(c: Cpu, cf: number, of: number): void {
  c.materialize(CF | OF);
  const i = c.i32;
  i[EFLAGS_I] = (i[EFLAGS_I] & ~(CF | OF)) | cf | (of ? OF : 0);
}

/** dst = op(c, dst, count, size) for a masked, non-zero count. */
type ShiftOp = (c: Cpu, a: number, n: number, size: number) => number;

function shl(c: Cpu, a: number, n: number, size: number): number {
  const r = (a << n) & mask(size);
  const cf = n <= size ? (a >>> (size - n)) & 1 : 0;
  const of = ((r >>> (size - 1)) & 1) ^ cf;
  shiftFlags(c, r, size, cf | (of << 11));
  return r;
}

function shr(c: Cpu, a: number, n: number, size: number): number {
  const u = a & mask(size);
  const r = u >>> n;
  const cf = (u >>> (n - 1)) & 1;
  const of = n === 1 ? (u >>> (size - 1)) & 1 : 0;
  shiftFlags(c, r, size, cf | (of << 11));
  return r;
}

function sar(c: Cpu, a: number, n: number, size: number): number {
  const s = signExtend(a, size);
  const r = (s >> n) & mask(size);
  const cf = (s >> (n - 1)) & 1;
  shiftFlags(c, r, size, cf);
  return r;
}

function rol(c: Cpu, a: number, n: number, size: number): number {
  const m = n & (size - 1);
  const u = a & mask(size);
  const r = m === 0 ? u : ((u << m) | (u >>> (size - m))) & mask(size);
  const cf = r & 1;
  rotateFlags(c, cf, ((r >>> (size - 1)) & 1) ^ cf);
  return r;
}

function ror(c: Cpu, a: number, n: number, size: number): number {
  const m = n & (size - 1);
  const u = a & mask(size);
  const r = m === 0 ? u : ((u >>> m) | (u << (size - m))) & mask(size);
  const cf = (r >>> (size - 1)) & 1;
  rotateFlags(c, cf, cf ^ ((r >>> (size - 2)) & 1));
  return r;
}

/** Rotate through CF: a (size + 1)-bit rotation, modulo 9 / 17 / 33 (the count never reaches 33). */
function rcl(c: Cpu, a: number, n: number, size: number): number {
  const cin = c.getCF();
  let r: number;
  let cf: number;
  if (size === 32) {
    r = (a << n) | (cin << (n - 1)) | (n > 1 ? a >>> (33 - n) : 0);
    cf = (a >>> (32 - n)) & 1;
  } else {
    const m = n % (size + 1);
    const v = (cin << size) | a;
    const w = m === 0 ? v : ((v << m) | (v >>> (size + 1 - m))) & ((2 << size) - 1);
    r = w & mask(size);
    cf = w >>> size;
  }
  rotateFlags(c, cf, ((r >>> (size - 1)) & 1) ^ cf);
  return r;
}

function rcr(c: Cpu, a: number, n: number, size: number): number {
  const cin = c.getCF();
  let r: number;
  let cf: number;
  if (size === 32) {
    r = (a >>> n) | (cin << (32 - n)) | (n > 1 ? a << (33 - n) : 0);
    cf = (a >>> (n - 1)) & 1;
  } else {
    const m = n % (size + 1);
    const v = (cin << size) | a;
    const w = m === 0 ? v : ((v >>> m) | (v << (size + 1 - m))) & ((2 << size) - 1);
    r = w & mask(size);
    cf = w >>> size;
  }
  rotateFlags(c, cf, ((r >>> (size - 1)) ^ (r >>> (size - 2))) & 1);
  return r;
}

/** A count source: 1, CL or the immediate byte. */
function countOf(code: string): (c: Cpu, i: Insn) => number {
  if (code === "1") return () => 1;
  const read = reader(code);
  return (c, i) => read(c, i, 8) & 0x1f;
}

function shiftFactory(op: ShiftOp): HandlerFactory {
  return (row: OpRow): Handler => {
    const size = sizeOf(row.operands[0]);
    const count = countOf(row.operands[1]);
    return (c, i) => {
      const sz = size(i);
      if (i.mod === 3) {
        const n = count(c, i);
        if (n !== 0) c.setReg(i.rm, sz, op(c, c.reg(i.rm, sz), n, sz));
        return;
      }
      const la = rmwLinear(c, i, sz);
      const a = c.readLin(la, sz);
      const n = count(c, i);
      if (n !== 0) c.writeLin(la, sz, op(c, a, n, sz));
    };
  };
}

/** Double-precision shifts: dst = op(c, dst, src, count, size). */
type DoubleOp = (c: Cpu, a: number, b: number, n: number, size: number) => number;

/**
 * OF follows the SHL rule for SHLD (MSB(result) XOR CF) and the ROR rule for
 * SHRD (the two top bits of the result), for every count. A 16-bit count of 16 or
 * more shifts the source alone in: the reference CPU returns the source rotated
 * by count - 16 with CF = 0 (the SDM calls result and flags undefined).
 */
function shld(c: Cpu, a: number, b: number, n: number, size: number): number {
  let r: number;
  let cf: number;
  let of: number;
  if (size === 32) {
    r = (a << n) | (b >>> (32 - n));
    cf = (a >>> (32 - n)) & 1;
    of = (r >>> 31) ^ cf;
  } else if (n < 16) {
    r = ((a << n) | (b >>> (16 - n))) & 0xffff;
    cf = (a >>> (16 - n)) & 1;
    of = (r >>> 15) ^ cf;
  } else if (n === 16) {
    r = b;
    cf = a & 1;
    of = cf;
  } else {
    const k = n - 16;
    r = ((b << k) | (b >>> (16 - k))) & 0xffff;
    cf = 0;
    of = 0;
  }
  shiftFlags(c, r, size, cf | (of << 11));
  return r;
}

function shrd(c: Cpu, a: number, b: number, n: number, size: number): number {
  let r: number;
  let cf: number;
  if (size === 32) {
    r = (a >>> n) | (b << (32 - n));
    cf = (a >>> (n - 1)) & 1;
  } else if (n <= 16) {
    r = (((b << 16) | a) >>> n) & 0xffff;
    cf = (a >>> (n - 1)) & 1;
  } else {
    const k = n - 16;
    r = ((b >>> k) | (b << (16 - k))) & 0xffff;
    cf = 0;
  }
  const of = ((r >>> (size - 1)) ^ (r >>> (size - 2))) & 1;
  shiftFlags(c, r, size, cf | (of << 11));
  return r;
}

function doubleFactory(op: DoubleOp): HandlerFactory {
  return (row: OpRow): Handler => {
    const size = sizeOf(row.operands[0]);
    const count = countOf(row.operands[2]);
    return (c, i) => {
      const sz = size(i);
      const b = c.reg(i.reg, sz);
      if (i.mod === 3) {
        const n = count(c, i);
        if (n !== 0) c.setReg(i.rm, sz, op(c, c.reg(i.rm, sz), b, n, sz));
        return;
      }
      const la = rmwLinear(c, i, sz);
      const a = c.readLin(la, sz);
      const n = count(c, i);
      if (n !== 0) c.writeLin(la, sz, op(c, a, b, n, sz));
    };
  };
}

export const handlers: Record<string, HandlerFactory> = {
  rol: shiftFactory(rol),
  ror: shiftFactory(ror),
  rcl: shiftFactory(rcl),
  rcr: shiftFactory(rcr),
  shl: shiftFactory(shl),
  shr: shiftFactory(shr),
  sar: shiftFactory(sar),
  shld: doubleFactory(shld),
  shrd: doubleFactory(shrd),
};
