/**
 * MUL, IMUL (one, two and three operands), DIV, IDIV.
 *
 * 32-bit products and dividends are 64 bits wide; they are handled as 16-bit
 * limbs in doubles, which stay exact (no BigInt on this path). #DE is raised for
 * a zero divisor and for a quotient that does not fit its destination, before
 * anything is written.
 */
import type { Cpu } from "../cpu/cpu.js";
import { Vector } from "../cpu/exceptions.js";
import { AF, CF, OF, PF, SF, ZF } from "../cpu/flags.js";
import { EFLAGS } from "../cpu/layout.js";
import type { OpRow } from "../isa/row.js";
import { type Handler, readE, signExtend, sizeOf } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

const EFLAGS_I = EFLAGS >> 2;
const SZAP = SF | ZF | AF | PF;

/** High half of the last 32x32 product, read by the caller at once (ARCHITECTURE.md "Module-level scratch"). */
let productHigh = 0;

/** Unsigned 32x32 → 64 product; returns the low half, the high half goes to productHigh. */
function mulU32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  productHigh = (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
  return Math.imul(a, b);
}

/** Signed 32x32 → 64 product: the unsigned one, corrected for negative factors. */
function mulS32(a: number, b: number): number {
  const lo = mulU32(a, b);
  productHigh = (productHigh - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
  return lo;
}

/**
 * Flags after a multiplication: CF = OF = `overflow`. SF, ZF, AF and PF are
 * undefined; the reference CPU leaves them unchanged.
 */
function mulFlags(c: Cpu, overflow: boolean): void {
  c.materialize(CF | OF);
  const i = c.i32;
  i[EFLAGS_I] = overflow ? i[EFLAGS_I] | CF | OF : i[EFLAGS_I] & ~(CF | OF);
}

/**
 * Every flag is undefined after DIV and IDIV. The reference CPU keeps CF and OF,
 * clears SF, ZF and PF and sets AF, whatever the operands.
 */
function divFlags(c: Cpu): void {
  c.materialize(SZAP);
  const i = c.i32;
  i[EFLAGS_I] = (i[EFLAGS_I] & ~(SF | ZF | PF)) | AF;
}

function mul(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  return (c, i) => {
    const sz = size(i);
    const b = readE(c, i, sz);
    if (sz === 8) {
      const p = c.reg8(0) * b;
      c.setReg16(0, p);
      mulFlags(c, p > 0xff);
    } else if (sz === 16) {
      const p = c.reg16(0) * b;
      c.setReg16(0, p);
      c.setReg16(2, p >>> 16);
      mulFlags(c, p > 0xffff);
    } else {
      const lo = mulU32(c.reg32(0), b);
      c.setReg32(0, lo);
      c.setReg32(2, productHigh);
      mulFlags(c, productHigh !== 0);
    }
  };
}

function imul1(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  return (c, i) => {
    const sz = size(i);
    const b = signExtend(readE(c, i, sz), sz);
    if (sz === 8) {
      const p = signExtend(c.reg8(0), 8) * b;
      c.setReg16(0, p);
      mulFlags(c, p !== signExtend(p, 8));
    } else if (sz === 16) {
      const p = signExtend(c.reg16(0), 16) * b;
      c.setReg16(0, p);
      c.setReg16(2, p >> 16);
      mulFlags(c, p !== signExtend(p, 16));
    } else {
      const lo = mulS32(c.reg32(0), b);
      c.setReg32(0, lo);
      c.setReg32(2, productHigh);
      mulFlags(c, productHigh !== lo >> 31);
    }
  };
}

/**
 * Truncating signed multiply for IMUL Gv,Ev and Gv,Ev,imm. The double product of
 * two int32 values can be inexact, but only when it is far outside the int32
 * range, so the overflow test on it is exact.
 */
function imulTrunc(c: Cpu, a: number, b: number, size: number): number {
  const p = a * b;
  if (size === 16) {
    mulFlags(c, p !== signExtend(p, 16));
    return p & 0xffff;
  }
  const lo = Math.imul(a, b);
  mulFlags(c, p !== lo);
  return lo;
}

function imul2(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  return (c, i) => {
    const sz = size(i);
    const b = signExtend(readE(c, i, sz), sz);
    c.setReg(i.reg, sz, imulTrunc(c, signExtend(c.reg(i.reg, sz), sz), b, sz));
  };
}

function imul3(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  return (c, i) => {
    const sz = size(i);
    const a = signExtend(readE(c, i, sz), sz);
    c.setReg(i.reg, sz, imulTrunc(c, a, signExtend(i.imm, sz), sz));
  };
}

/** Quotient and remainder of the last 64/32 division, read by the caller at once (as productHigh). */
let quotient = 0;
let remainder = 0;

/**
 * Unsigned (hi:lo) / d with hi < d (so the quotient fits 32 bits), as two steps
 * of 16-bit long division whose partial dividends stay below 2^48.
 */
function divU64(hi: number, lo: number, d: number): void {
  const x1 = hi * 0x10000 + (lo >>> 16);
  const q1 = Math.floor(x1 / d);
  const x0 = (x1 - q1 * d) * 0x10000 + (lo & 0xffff);
  const q0 = Math.floor(x0 / d);
  quotient = (q1 * 0x10000 + q0) | 0;
  remainder = (x0 - q0 * d) | 0;
}

function div(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  return (c, i) => {
    const sz = size(i);
    const d = readE(c, i, sz) >>> 0;
    if (d === 0) c.raise(Vector.DE);
    if (sz === 8) {
      const n = c.reg16(0);
      const q = Math.floor(n / d);
      if (q > 0xff) c.raise(Vector.DE);
      c.setReg16(0, ((n - q * d) << 8) | q);
      divFlags(c);
    } else if (sz === 16) {
      const n = ((c.reg16(2) << 16) | c.reg16(0)) >>> 0;
      const q = Math.floor(n / d);
      if (q > 0xffff) c.raise(Vector.DE);
      c.setReg16(0, q);
      c.setReg16(2, n - q * d);
      divFlags(c);
    } else {
      const hi = c.reg32(2) >>> 0;
      if (hi >= d) c.raise(Vector.DE);
      divU64(hi, c.reg32(0), d);
      c.setReg32(0, quotient);
      c.setReg32(2, remainder);
      divFlags(c);
    }
  };
}

function idiv(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  return (c, i) => {
    const sz = size(i);
    const d = signExtend(readE(c, i, sz), sz);
    if (d === 0) c.raise(Vector.DE);
    if (sz === 8) {
      const n = signExtend(c.reg16(0), 16);
      const q = Math.trunc(n / d);
      if (q > 0x7f || q < -0x80) c.raise(Vector.DE);
      c.setReg16(0, (((n - q * d) & 0xff) << 8) | (q & 0xff));
      divFlags(c);
    } else if (sz === 16) {
      const n = (c.reg16(2) << 16) | c.reg16(0);
      const q = Math.trunc(n / d);
      if (q > 0x7fff || q < -0x8000) c.raise(Vector.DE);
      c.setReg16(0, q);
      c.setReg16(2, n - q * d);
      divFlags(c);
    } else {
      let hi = c.reg32(2);
      let lo = c.reg32(0);
      const negN = hi < 0;
      if (negN) {
        lo = -lo | 0;
        hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
      }
      const ad = Math.abs(d);
      if (hi >>> 0 >= ad) c.raise(Vector.DE);
      divU64(hi >>> 0, lo, ad);
      const uq = quotient >>> 0;
      const negQ = negN !== d < 0;
      if (negQ ? uq > 0x80000000 : uq > 0x7fffffff) c.raise(Vector.DE);
      c.setReg32(0, negQ ? -uq | 0 : uq | 0);
      c.setReg32(2, negN ? -remainder | 0 : remainder);
      divFlags(c);
    }
  };
}

export const handlers: Record<string, HandlerFactory> = {
  mul,
  imul: imul1,
  imul2,
  imul3,
  div,
  idiv,
};
