/**
 * The x87 constants and transcendental instructions: FSIN FCOS FSINCOS FPTAN
 * FPATAN F2XM1 FYL2X FYL2XP1.
 *
 * Precision model. Operands are the exact 80-bit values. FSIN, FCOS, FSINCOS
 * and FPTAN reduce their argument by π/2 exactly, with the 66-bit π the x87
 * itself uses (so sin(π) and the like come out as on the hardware). The
 * special-operand tables of the SDM are followed exactly, and results that are
 * exact (zeros, infinities, log2 of a power of two, 2^±1 - 1) are exact. Other
 * values come from the host's double-precision functions with first-order
 * corrections for the operand bits a double drops, carried as a double-double
 * and rounded once to the register format: they agree with the x87 to about one
 * double ulp, not to the last of the 64 bits. Every such result raises PE.
 */
import * as F from "./float80.js";
import { Cls } from "./float80.js";

// ---- constants ----------------------------------------------------------------

/**
 * Constants as the J-bit exponent and 96 bits of significand; the last bit is a
 * sticky 1 for the irrational ones, so rounding them by RC gives what the x87
 * loads (and matches its 66-bit internal values in every rounding mode).
 */
const CONSTANTS: readonly (readonly [number, number, number, number])[] = [
  [0, 0x80000000, 0, 0], // 1
  [1, 0xd49a784b, 0xcd1b8afe, 0x492bf6ff], // log2(10)
  [0, 0xb8aa3b29, 0x5c17f0bb, 0xbe87fed1], // log2(e)
  [1, 0xc90fdaa2, 0x2168c234, 0xc4c6628b], // π
  [-2, 0x9a209a84, 0xfbcff798, 0x8f8959ad], // log10(2)
  [-1, 0xb17217f7, 0xd1cf79ab, 0xc9e3b399], // ln(2)
];

/** Index of each constant in CONSTANTS (FLD1 .. FLDLN2 encoding order). */
export const enum Const {
  ONE,
  L2T,
  L2E,
  PI,
  LG2,
  LN2,
}

/** Load constant k into F.res, rounded by RC, scaled by 2^scale, with the given sign. */
export function loadConstant(k: Const, sign = 0, scale = 0): void {
  const c = CONSTANTS[k];
  F.packRounded(sign, c[0] + scale, c[1], c[2], c[3]);
}

const THREE_PI_4: readonly [number, number, number, number] = [1, 0x96cbe3f9, 0x990e91a7, 0x9394c9e9];

// ---- double and double-double helpers -----------------------------------------

const LN2_H = 0.6931471805599453;
const LN2_L = 2.3190468138462996e-17;
const LOG2E_H = 1.4426950408889634;
const LOG2E_L = 2.0355273740931033e-17;
/** √2 as a significand (hi word): above it, log2 works on m/2. */
const SQRT2_HI = 0xb504f334;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** 2^n exactly, for -1022 <= n <= 1023. */
function pow2(n: number): number {
  u32[0] = 0;
  u32[1] = (n + 1023) << 20;
  return f64[0];
}

// Double-double results: value = ddH + ddL, |ddL| <= ulp(ddH) / 2.
let ddH = 0;
let ddL = 0;

function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  ddL = a - (s - bb) + (b - bb);
  ddH = s;
}

const SPLITTER = 134217729; // 2^27 + 1

/** Exact product a × b as ddH + ddL (Dekker). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  ddL = ah * bh - p + ah * bl + al * bh + al * bl;
  ddH = p;
}

/** (h + l) × (ch + cl) to double-double accuracy. */
function ddMul(h: number, l: number, ch: number, cl: number): void {
  twoProd(h, ch);
  const lo = ddL + h * cl + l * ch;
  twoSum(ddH, lo);
}

const A = new F.F80();
const u = new F.Unpacked();
const v = new F.Unpacked();

/** Round the double-double h + l to the register format (PE set: the value stands for an inexact one). */
function packDD(h: number, l: number): void {
  F.fromDouble(h);
  A.se = F.res.se;
  A.hi = F.res.hi;
  A.lo = F.res.lo;
  F.fromDouble(l);
  F.addP(A.se, A.hi, A.lo, F.res.se, F.res.hi, F.res.lo, false, 64);
  F.env.flags |= F.PE;
}

// The unpacked operand as a double-double at 2^shift of its value: xh has the
// top 53 significand bits, xl the other 11.
let xh = 0;
let xl = 0;

/** Needs -1022 <= w.exp + shift - 63 so that both parts stay exact. */
function splitScaled(w: F.Unpacked, shift: number): void {
  const s = pow2(w.exp + shift - 63);
  xh = (w.hi * 4294967296 + ((w.lo & 0xfffff800) >>> 0)) * s;
  xl = (w.lo & 0x7ff) * s;
  if (w.sign) {
    xh = -xh;
    xl = -xl;
  }
}

// ---- FSIN FCOS FSINCOS FPTAN ----------------------------------------------------

/** Results of trig(): sine, cosine or tangent as asked. */
export const sinOut = new F.F80();
export const cosOut = new F.F80();
export const tanOut = new F.F80();

export const TRIG_SIN = 1;
export const TRIG_COS = 2;
export const TRIG_TAN = 4;

/** 66-bit π as the x87 holds it, π·2^64 truncated: 3_243F6A88_85A308D3. */
const P66_2 = 3;
const P66_1 = 0x243f6a88;
const P66_0 = 0x85a308d3;

// Reduced argument: quadrant (k mod 4) and r = rh + rl.
let quadrant = 0;
let rh = 0;
let rl = 0;

/**
 * x = sig·2^(e-63), 0 <= e <= 62: k = round(x / (π66/2)), r = x - k·π66/2 exactly,
 * from the integer division of N = sig·2^(e+2) by P66 (π66/2 = P66·2^-65).
 */
function reduce(w: F.Unpacked): void {
  const bits = 64 + w.exp + 2;
  let r2 = 0, r1 = 0, r0 = 0;
  let q = 0;
  for (let n = bits - 1; n >= 0; n--) {
    // Bit n of N is significand bit n - (e + 2).
    const j = n - (w.exp + 2);
    const bit = j < 0 ? 0 : j >= 32 ? (w.hi >>> (j - 32)) & 1 : (w.lo >>> j) & 1;
    r2 = ((r2 << 1) | (r1 >>> 31)) >>> 0;
    r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
    r0 = ((r0 << 1) | bit) >>> 0;
    let qb = 0;
    if (r2 > P66_2 || (r2 === P66_2 && (r1 > P66_1 || (r1 === P66_1 && r0 >= P66_0)))) {
      let d0 = r0 - P66_0, d1 = r1 - P66_1, d2 = r2 - P66_2;
      if (d0 < 0) { d0 += 4294967296; d1--; }
      if (d1 < 0) { d1 += 4294967296; d2--; }
      r0 = d0; r1 = d1; r2 = d2;
      qb = 1;
    }
    q = ((q << 1) | qb) & 3;
  }
  // Round k to nearest: P66 is odd, so 2R = P66 cannot happen.
  const twice2 = r2 * 2 + (r1 >>> 31);
  const twice1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
  const twice0 = (r0 << 1) >>> 0;
  let neg = false;
  if (twice2 > P66_2 || (twice2 === P66_2 && (twice1 > P66_1 || (twice1 === P66_1 && twice0 > P66_0)))) {
    let d0 = P66_0 - r0, d1 = P66_1 - r1, d2 = P66_2 - r2;
    if (d0 < 0) { d0 += 4294967296; d1--; }
    if (d1 < 0) { d1 += 4294967296; d2--; }
    r0 = d0; r1 = d1; r2 = d2;
    q = (q + 1) & 3;
    neg = true;
  }
  quadrant = q;
  const scale = pow2(-65);
  twoSum((r2 * 4294967296 + r1) * 4294967296, r0);
  rh = ddH * scale;
  rl = ddL * scale;
  if (w.sign !== (neg ? 1 : 0)) {
    rh = -rh;
    rl = -rl;
  }
}

// sin, cos, tan of the reduced argument as double-doubles.
function sinR(): void {
  if (Math.abs(rh) < 2 ** -20) twoSum(rh, rl - (rh * rh * rh) / 6);
  else twoSum(Math.sin(rh), Math.cos(rh) * rl);
}
function cosR(): void {
  if (Math.abs(rh) < 2 ** -20) twoSum(1, -(rh * rh) / 2 - rh * rl);
  else twoSum(Math.cos(rh), -Math.sin(rh) * rl);
}
function tanR(): void {
  if (Math.abs(rh) < 2 ** -20) twoSum(rh, rl + (rh * rh * rh) / 3);
  else {
    const t = Math.tan(rh);
    twoSum(t, (1 + t * t) * rl);
  }
}
/** -cot(r) = tan(r ± π/2). */
function negCotR(): void {
  if (Math.abs(rh) < 2 ** -20) {
    const c = 1 / rh;
    twoSum(-c, rh / 3 + rl * c * c);
    return;
  }
  const c = 1 / Math.tan(rh);
  twoSum(-c, (1 + c * c) * rl);
}

function save(out: F.F80): void {
  out.se = F.res.se;
  out.hi = F.res.hi;
  out.lo = F.res.lo;
}

function setAll(want: number, se: number, hi: number, lo: number): void {
  if (want & TRIG_SIN) F.setRes(se, hi, lo), save(sinOut);
  if (want & TRIG_COS) F.setRes(se, hi, lo), save(cosOut);
  if (want & TRIG_TAN) F.setRes(se, hi, lo), save(tanOut);
}

/**
 * The functions in `want` (TRIG_* bits) of x into sinOut/cosOut/tanOut. Returns
 * false, leaving everything alone, when |x| >= 2^63 (the caller sets C2).
 */
export function trig(se: number, hi: number, lo: number, want: number): boolean {
  const cls = F.unpackTo(u, se, hi, lo);
  if (F.isNaNOrBad(cls)) {
    F.nan1(se, hi, lo, cls);
    setAll(want, F.res.se, F.res.hi, F.res.lo);
    return true;
  }
  if (cls === Cls.INF) {
    F.invalid();
    setAll(want, F.res.se, F.res.hi, F.res.lo);
    return true;
  }
  if (cls === Cls.ZERO) {
    setAll(want & (TRIG_SIN | TRIG_TAN), se, 0, 0);
    if (want & TRIG_COS) F.setRes(0x3fff, 0x80000000, 0), save(cosOut);
    return true;
  }
  if (u.exp >= 63) return false;
  if (u.denormal) F.env.flags |= F.DE;
  if (u.exp < -40) {
    // Beyond the register's precision: sin x = x - x^3/6, tan x = x + x^3/3, cos x = 1 - x^2/2.
    if (want & TRIG_SIN) F.packNear(se, hi, lo, -1), save(sinOut);
    if (want & TRIG_TAN) F.packNear(se, hi, lo, 1), save(tanOut);
    if (want & TRIG_COS) F.packNear(0x3fff, 0x80000000, 0, -1), save(cosOut);
    return true;
  }
  if (u.exp < -1) {
    quadrant = 0;
    splitScaled(u, 0);
    rh = xh;
    rl = xl;
  } else reduce(u);
  const q = quadrant;
  if (want & TRIG_SIN) {
    if (q & 1) cosR();
    else sinR();
    packDD(q & 2 ? -ddH : ddH, q & 2 ? -ddL : ddL);
    save(sinOut);
  }
  if (want & TRIG_COS) {
    if (q & 1) sinR();
    else cosR();
    const neg = q === 1 || q === 2;
    packDD(neg ? -ddH : ddH, neg ? -ddL : ddL);
    save(cosOut);
  }
  if (want & TRIG_TAN) {
    if (q & 1) negCotR();
    else tanR();
    packDD(ddH, ddL);
    save(tanOut);
  }
  return true;
}

// ---- FPATAN -------------------------------------------------------------------

/** Multiples of π/4 by RC: n = 1 (π/4), 2 (π/2), 3 (3π/4), 4 (π). */
function piMultiple(sign: number, n: number): void {
  if (n === 3) return F.packRounded(sign, THREE_PI_4[0], THREE_PI_4[1], THREE_PI_4[2], THREE_PI_4[3]);
  loadConstant(Const.PI, sign, n === 4 ? 0 : n === 2 ? -1 : -2);
}

/** atan2(y, x) as FPATAN computes it (y = ST1, x = ST0), into F.res. */
export function atan2(ySe: number, yHi: number, yLo: number, xSe: number, xHi: number, xLo: number): void {
  const yCls = F.unpackTo(u, ySe, yHi, yLo);
  const xCls = F.unpackTo(v, xSe, xHi, xLo);
  if (F.isNaNOrBad(yCls) || F.isNaNOrBad(xCls)) return F.nan2(ySe, yHi, yLo, yCls, xSe, xHi, xLo, xCls);
  if (u.denormal || v.denormal) F.env.flags |= F.DE;
  const s = u.sign;
  if (yCls === Cls.ZERO) return v.sign ? piMultiple(s, 4) : F.setZero(s);
  if (yCls === Cls.INF) return piMultiple(s, xCls === Cls.INF ? (v.sign ? 3 : 1) : 2);
  if (xCls === Cls.ZERO) return piMultiple(s, 2);
  if (xCls === Cls.INF) return v.sign ? piMultiple(s, 4) : F.setZero(s);
  const d = u.exp - v.exp;
  if (d > 70) return piMultiple(s, 2);
  if (d < -70) {
    if (v.sign) return piMultiple(s, 4);
    F.divP(ySe, yHi, yLo, xSe, xHi, xLo, 64);
    F.env.flags |= F.PE;
    return;
  }
  splitScaled(v, -v.exp);
  const xH = xh, xL = xl;
  splitScaled(u, -v.exp);
  const a = Math.atan2(xh, xH);
  packDD(a, (xH * xl - xh * xL) / (xH * xH + xh * xh));
}

// ---- F2XM1 --------------------------------------------------------------------

/** 2^x - 1 (F2XM1; defined for -1 <= x <= 1), into F.res. */
export function exp2m1(se: number, hi: number, lo: number): void {
  const cls = F.unpackTo(u, se, hi, lo);
  if (F.isNaNOrBad(cls)) return F.nan1(se, hi, lo, cls);
  if (cls === Cls.ZERO) return F.setRes(se, 0, 0);
  if (cls === Cls.INF) return u.sign ? F.setRes(0xbfff, 0x80000000, 0) : F.setInf(0);
  if (u.denormal) F.env.flags |= F.DE;
  if (u.exp === 0 && u.hi === 0x80000000 && u.lo === 0) {
    return u.sign ? F.setRes(0xbffe, 0x80000000, 0) : F.setRes(0x3fff, 0x80000000, 0);
  }
  if (u.exp < -60) {
    // 2^x - 1 = x·ln 2 (1 + x·ln 2 / 2 + ...): the product alone, rounded once.
    loadConstant(Const.LN2);
    F.mulP(se, hi, lo, F.res.se, F.res.hi, F.res.lo, 64);
    F.env.flags |= F.PE;
    return;
  }
  if (u.exp > 10) return u.sign ? F.setRes(0xbfff, 0x80000000, 0) : F.setInf(0);
  splitScaled(u, 0);
  const x0 = xh, x1 = xl;
  ddMul(x0, x1, LN2_H, LN2_L);
  const th = ddH, tl = ddL;
  const e1 = Math.expm1(th);
  packDD(e1, (1 + e1) * tl);
}

// ---- FYL2X FYL2XP1 --------------------------------------------------------------

/** y × L where L (a double-double in ddH/ddL) is a logarithm, into F.res. */
function scaleBy(ySe: number, yHi: number, yLo: number): void {
  const h = ddH, l = ddL;
  packDD(h, l);
  F.mulP(ySe, yHi, yLo, F.res.se, F.res.hi, F.res.lo, 64);
  F.env.flags |= F.PE;
}

/** y·log2(x) (FYL2X: y = ST1, x = ST0), into F.res. */
export function ylog2x(ySe: number, yHi: number, yLo: number, xSe: number, xHi: number, xLo: number): void {
  const yCls = F.unpackTo(u, ySe, yHi, yLo);
  const xCls = F.unpackTo(v, xSe, xHi, xLo);
  if (F.isNaNOrBad(yCls) || F.isNaNOrBad(xCls)) return F.nan2(ySe, yHi, yLo, yCls, xSe, xHi, xLo, xCls);
  if (u.denormal || v.denormal) F.env.flags |= F.DE;
  const ys = u.sign;
  if (v.sign && xCls !== Cls.ZERO) return F.invalid();
  if (xCls === Cls.ZERO) {
    if (yCls === Cls.ZERO) return F.invalid();
    if (yCls === Cls.FINITE) F.env.flags = (F.env.flags & ~F.DE) | F.ZE;
    return F.setInf(ys ^ 1);
  }
  if (xCls === Cls.INF) return yCls === Cls.ZERO ? F.invalid() : F.setInf(ys);
  const one = v.exp === 0 && v.hi === 0x80000000 && v.lo === 0;
  if (one) return yCls === Cls.INF ? F.invalid() : F.setZero(ys);
  const below1 = v.exp < 0 ? 1 : 0;
  if (yCls === Cls.ZERO) return F.setZero(ys ^ below1);
  if (yCls === Cls.INF) return F.setInf(ys ^ below1);
  log2Of(v);
  scaleBy(ySe, yHi, yLo);
}

/** log2 of a positive finite value into ddH/ddL: E + log1p(m - 1)·log2(e), m in [√2/2, √2). */
function log2Of(w: F.Unpacked): void {
  let e = w.exp;
  let shift = -e;
  if (w.hi >= SQRT2_HI) {
    e++;
    shift--;
  }
  splitScaled(w, shift);
  // xh is in [0.7, 1.42): xh - 1 is exact.
  const dh = xh - 1;
  ddMul(Math.log1p(dh), xl / (1 + dh), LOG2E_H, LOG2E_L);
  const l = ddL;
  twoSum(e, ddH);
  twoSum(ddH, ddL + l);
}

/** y·log2(x + 1) (FYL2XP1: y = ST1, x = ST0), into F.res. */
export function ylog2xp1(ySe: number, yHi: number, yLo: number, xSe: number, xHi: number, xLo: number): void {
  const yCls = F.unpackTo(u, ySe, yHi, yLo);
  const xCls = F.unpackTo(v, xSe, xHi, xLo);
  if (F.isNaNOrBad(yCls) || F.isNaNOrBad(xCls)) return F.nan2(ySe, yHi, yLo, yCls, xSe, xHi, xLo, xCls);
  if (u.denormal || v.denormal) F.env.flags |= F.DE;
  const ys = u.sign;
  const xs = v.sign;
  if (xCls === Cls.ZERO) return yCls === Cls.INF ? F.invalid() : F.setZero(ys ^ xs);
  if (xCls === Cls.INF) {
    if (xs || yCls === Cls.ZERO) return F.invalid();
    return F.setInf(ys);
  }
  if (xs && v.exp >= 0) return F.invalid();
  if (yCls === Cls.ZERO) return F.setZero(ys ^ xs);
  if (yCls === Cls.INF) return F.setInf(ys ^ xs);
  if (v.exp > 60) {
    // Far outside the defined range: log2(1 + x) is log2(x) to every bit.
    log2Of(v);
    return scaleBy(ySe, yHi, yLo);
  }
  if (v.exp < -60) {
    // log2(1 + x) = x·log2(e) (1 - x/2 + ...).
    loadConstant(Const.L2E);
    F.mulP(xSe, xHi, xLo, F.res.se, F.res.hi, F.res.lo, 64);
    F.mulP(ySe, yHi, yLo, F.res.se, F.res.hi, F.res.lo, 64);
    F.env.flags |= F.PE;
    return;
  }
  splitScaled(v, 0);
  const l1 = Math.log1p(xh);
  ddMul(l1, xl / (1 + xh), LOG2E_H, LOG2E_L);
  scaleBy(ySe, yHi, yLo);
}
