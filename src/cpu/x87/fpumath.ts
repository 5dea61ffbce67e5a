/**
 * The x87 constants and transcendental instructions: FSIN FCOS FSINCOS FPTAN
 * FPATAN F2XM1 FYL2X FYL2XP1.
 *
 * Precision model. Operands are the exact 80-bit values. FSIN, FCOS, FSINCOS
 * and FPTAN reduce their argument by π/2 exactly with the 66-bit π the x87
 * itself uses (so sin(π) and its kin come out as on the hardware). The
 * functions are then evaluated in double-double arithmetic (about 104 bits) and
 * rounded once to the register format, so a result is the correctly rounded
 * value except within about 2^-100 of a rounding boundary; the x87 guarantees
 * less than one 64-bit ulp, so the two agree on nearly every bit, and exactly on
 * values a double can represent. Special operands follow the SDM tables.
 * Results of the computed paths raise PE, as they stand for irrational values.
 * Outside an instruction's defined domain (F2XM1 beyond ±1) the operand is left
 * as the reference hardware leaves it.
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
  F.packConstant(sign, c[0] + scale, c[1], c[2], c[3]);
}

const THREE_PI_4: readonly [number, number, number, number] = [1, 0x96cbe3f9, 0x990e91a7, 0x9394c9e9];

// ---- double-double arithmetic ---------------------------------------------------

// Every operation leaves its result as dd[H] + dd[L] with |dd[L]| <= ulp(dd[H]) / 2. This and the
// other scratch below live within one x87 instruction (ARCHITECTURE.md "Module-level scratch").
const dd = new Float64Array(2);
const H = 0;
const L = 1;

function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  dd[L] = a - (s - bb) + (b - bb);
  dd[H] = s;
}

function fastTwoSum(a: number, b: number): void {
  const s = a + b;
  dd[L] = b - (s - a);
  dd[H] = s;
}

const SPLITTER = 134217729; // 2^27 + 1

/** Exact product a × b (Dekker). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  dd[L] = ah * bh - p + ah * bl + al * bh + al * bl;
  dd[H] = p;
}

function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const s = dd[H];
  let e = dd[L];
  twoSum(al, bl);
  const f = dd[L];
  e += dd[H];
  fastTwoSum(s, e);
  fastTwoSum(dd[H], dd[L] + f);
}

function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  fastTwoSum(dd[H], dd[L] + ah * bl + al * bh);
}

function ddDiv(ah: number, al: number, bh: number, bl: number): void {
  const q1 = ah / bh;
  ddMul(q1, 0, bh, bl);
  ddAdd(ah, al, -dd[H], -dd[L]);
  const rh = dd[H], rl = dd[L];
  const q2 = rh / bh;
  ddMul(q2, 0, bh, bl);
  ddAdd(rh, rl, -dd[H], -dd[L]);
  const q3 = dd[H] / bh;
  fastTwoSum(q1, q2);
  ddAdd(dd[H], dd[L], q3, 0);
}

function ddSqrt(ah: number, al: number): void {
  const s = Math.sqrt(ah);
  twoProd(s, s);
  fastTwoSum(s, (ah - dd[H] - dd[L] + al) / (2 * s));
}

/** Series coefficients as double-doubles, [h0, l0, h1, l1, ...]. */
function coefficients(n: number, term: (k: number) => number): Float64Array {
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    const d = term(k);
    ddDiv(d < 0 ? -1 : 1, 0, Math.abs(d), 0);
    out[2 * k] = dd[H];
    out[2 * k + 1] = dd[L];
  }
  return out;
}

/** 1/(2k+1)! with alternating sign, and 1/(2k)! likewise (sin and cos Taylor series). */
const SIN_C = inverseFactorials(1, 16);
const COS_C = inverseFactorials(0, 16);
/** 1/(2k+1) (atanh), (-1)^k/(2k+1) (atan), 1/(k+1)! (expm1). */
const ATANH_C = coefficients(24, (k) => 2 * k + 1);
const ATAN_C = coefficients(16, (k) => (k & 1 ? -1 : 1) * (2 * k + 1));
const EXPM1_C = inverseFactorials(-1, 16);

/** (-1)^k / (2k + first)! for k < n; first = -1 gives 1/(k+1)! without signs. */
function inverseFactorials(first: number, n: number): Float64Array {
  const out = new Float64Array(2 * n);
  let h = 1, l = 0;
  let m = 0;
  for (let k = 0; k < n; k++) {
    const target = first < 0 ? k + 1 : 2 * k + first;
    while (m < target) {
      m++;
      ddDiv(h, l, m, 0);
      h = dd[H];
      l = dd[L];
    }
    const neg = first >= 0 && k & 1;
    out[2 * k] = neg ? -h : h;
    out[2 * k + 1] = neg ? -l : l;
  }
  return out;
}

/** Σ c[k]·z^k by Horner, z = zh + zl. */
function horner(c: Float64Array, zh: number, zl: number): void {
  let n = c.length - 2;
  let h = c[n], l = c[n + 1];
  for (n -= 2; n >= 0; n -= 2) {
    ddMul(h, l, zh, zl);
    ddAdd(dd[H], dd[L], c[n], c[n + 1]);
    h = dd[H];
    l = dd[L];
  }
}

const PI_H = 3.141592653589793;
const PI_L = 1.2246467991473532e-16;
const LN2_H = 0.6931471805599453;
const LN2_L = 2.3190468138462996e-17;
const LOG2E_H = 1.4426950408889634;
const LOG2E_L = 2.0355273740931033e-17;
/** √2 as a significand's high word: above it, log2 works on m/2. */
const SQRT2_HI = 0xb504f334;
/** Stands for every bit beyond the double-double: only its sign matters when rounding. */
const HAIR = 2 ** -200;

const u = new F.Unpacked();
const v = new F.Unpacked();

// Double-double scratch: an operand split by split() (XH + XL), the reduced trig argument (RH + RL).
const sp = new Float64Array(4);
const XH = 0;
const XL = 1;
const RH = 2;
const RL = 3;

/** w·2^shift as sp[XH] + sp[XL], exactly; needs -1000 <= w.exp + shift <= 1000. */
function split(w: F.Unpacked, shift: number): void {
  const s = 2 ** (w.exp + shift - 63);
  const neg = w.sign ? -1 : 1;
  sp[XH] = neg * (w.hi * 4294967296 + ((w.lo & 0xfffff800) >>> 0)) * s;
  sp[XL] = neg * (w.lo & 0x7ff) * s;
}

/** Round dd[H] + dd[L], times 2^scale, into F.res; the value stands for an inexact one. */
function packInexact(scale: number): void {
  F.packDoubles(dd[H], dd[L], scale);
  F.env.flags |= F.PE;
}

function negateDD(): void {
  dd[H] = -dd[H];
  dd[L] = -dd[L];
}

// ---- FSIN FCOS FSINCOS FPTAN ----------------------------------------------------

/** Results of trig(): sine, cosine or tangent as asked. */
export const sinOut = F.f80();
export const cosOut = F.f80();
export const tanOut = F.f80();

export const TRIG_SIN = 1;
export const TRIG_COS = 2;
export const TRIG_TAN = 4;

/** π66·2^64, the x87's 66-bit π truncated: 3_243F6A88_85A308D3. */
const P66_2 = 3;
const P66_1 = 0x243f6a88;
const P66_0 = 0x85a308d3;

/** k mod 4 of the last reduction x = k·π66/2 + r. */
let quadrant = 0;

/**
 * Exact reduction of x = sig·2^(e-63), 0 <= e <= 62: k = round(x / (π66/2)) and
 * r into sp[RH..RL], from the integer division of N = sig·2^(e+2) by π66·2^64
 * (π66/2 = that·2^-65).
 */
function reduce(w: F.Unpacked): void {
  const bits = 64 + w.exp + 2;
  let r2 = 0, r1 = 0, r0 = 0;
  let q = 0;
  for (let n = bits - 1; n >= 0; n--) {
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
  // k to nearest: the divisor is odd, so there is no tie.
  const t2 = r2 * 2 + (r1 >>> 31);
  const t1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
  const t0 = (r0 << 1) >>> 0;
  let sign = w.sign;
  if (t2 > P66_2 || (t2 === P66_2 && (t1 > P66_1 || (t1 === P66_1 && t0 > P66_0)))) {
    let d0 = P66_0 - r0, d1 = P66_1 - r1, d2 = P66_2 - r2;
    if (d0 < 0) { d0 += 4294967296; d1--; }
    if (d1 < 0) { d1 += 4294967296; d2--; }
    r0 = d0; r1 = d1; r2 = d2;
    q = (q + 1) & 3;
    sign ^= 1;
  }
  // For negative x: x = -k·π/2 - r.
  if (w.sign) q = (4 - q) & 3;
  quadrant = q;
  twoSum((r2 * 4294967296 + r1) * 4294967296, r0);
  const f = sign ? -(2 ** -65) : 2 ** -65;
  sp[RH] = dd[H] * f;
  sp[RL] = dd[L] * f;
}

/** sin(r) for the reduced r. */
function sinR(): void {
  const rh = sp[RH], rl = sp[RL];
  ddMul(rh, rl, rh, rl);
  horner(SIN_C, dd[H], dd[L]);
  ddMul(dd[H], dd[L], rh, rl);
}
/** cos(r) for the reduced r. */
function cosR(): void {
  const rh = sp[RH], rl = sp[RL];
  ddMul(rh, rl, rh, rl);
  horner(COS_C, dd[H], dd[L]);
}

function setAll(want: number, x: F.F80): void {
  if (want & TRIG_SIN) F.copyTo(sinOut, x);
  if (want & TRIG_COS) F.copyTo(cosOut, x);
  if (want & TRIG_TAN) F.copyTo(tanOut, x);
}

const ONE = F.f80(0x3fff, 0x80000000, 0);

/**
 * The functions in `want` (TRIG_* bits) of x into sinOut/cosOut/tanOut. Returns
 * false, leaving everything alone, when |x| >= 2^63 (the caller sets C2).
 */
export function trig(x: F.F80, want: number): boolean {
  const cls = F.unpackTo(u, x);
  if (F.isNaNOrBad(cls)) {
    F.nan1(x, cls);
    setAll(want, F.res);
    return true;
  }
  if (cls === Cls.INF) {
    F.invalid();
    setAll(want, F.res);
    return true;
  }
  if (cls === Cls.ZERO) {
    setAll(want & (TRIG_SIN | TRIG_TAN), x);
    if (want & TRIG_COS) F.copyTo(cosOut, ONE);
    return true;
  }
  if (u.exp >= 63) return false;
  if (u.denormal && F.denormalStops()) return true;
  if (u.exp < -40) {
    // Beyond the register's precision: sin x = x - x^3/6, tan x = x + x^3/3, cos x = 1 - x^2/2.
    if (want & TRIG_SIN) {
      F.packNear(x, -1);
      F.copyTo(sinOut, F.res);
    }
    if (want & TRIG_TAN) {
      F.packNear(x, 1);
      F.copyTo(tanOut, F.res);
    }
    if (want & TRIG_COS) {
      F.packNear(ONE, -1);
      F.copyTo(cosOut, F.res);
    }
    return true;
  }
  if (u.exp < -1) {
    quadrant = 0;
    split(u, 0);
    sp[RH] = sp[XH];
    sp[RL] = sp[XL];
  } else reduce(u);
  const q = quadrant;
  let sh = 0, sl = 0, ch = 0, cl = 0;
  if (want & (TRIG_SIN | TRIG_TAN) || (want & TRIG_COS && q & 1)) {
    sinR();
    sh = dd[H];
    sl = dd[L];
  }
  if (want & (TRIG_COS | TRIG_TAN) || (want & TRIG_SIN && q & 1)) {
    cosR();
    ch = dd[H];
    cl = dd[L];
  }
  // sin(x) = ±sin r or ±cos r by quadrant; cos(x) likewise.
  if (want & TRIG_SIN) {
    dd[H] = q & 1 ? ch : sh;
    dd[L] = q & 1 ? cl : sl;
    if (q >= 2) negateDD();
    packInexact(0);
    F.copyTo(sinOut, F.res);
  }
  if (want & TRIG_COS) {
    dd[H] = q & 1 ? sh : ch;
    dd[L] = q & 1 ? sl : cl;
    if (q === 1 || q === 2) negateDD();
    packInexact(0);
    F.copyTo(cosOut, F.res);
  }
  if (want & TRIG_TAN) {
    if (q & 1) ddDiv(-ch, -cl, sh, sl);
    else ddDiv(sh, sl, ch, cl);
    packInexact(0);
    F.copyTo(tanOut, F.res);
  }
  return true;
}

// ---- FPATAN -------------------------------------------------------------------

/** Multiples of π/4 by RC: n = 1 (π/4), 2 (π/2), 3 (3π/4), 4 (π). */
function piMultiple(sign: number, n: number): void {
  if (n === 3) return F.packConstant(sign, THREE_PI_4[0], THREE_PI_4[1], THREE_PI_4[2], THREE_PI_4[3]);
  loadConstant(Const.PI, sign, n === 4 ? 0 : n === 2 ? -1 : -2);
}

/** atan(t) for 0 <= t <= 1 (t = th + tl) into dd: halve the angle to t < 1/16, then the series. */
function atanDD(th: number, tl: number): void {
  let doublings = 0;
  while (th > 0.0625) {
    // atan t = 2 atan(t / (1 + √(1 + t²)))
    ddMul(th, tl, th, tl);
    ddAdd(dd[H], dd[L], 1, 0);
    ddSqrt(dd[H], dd[L]);
    ddAdd(dd[H], dd[L], 1, 0);
    ddDiv(th, tl, dd[H], dd[L]);
    th = dd[H];
    tl = dd[L];
    doublings++;
  }
  ddMul(th, tl, th, tl);
  horner(ATAN_C, dd[H], dd[L]);
  ddMul(dd[H], dd[L], th, tl);
  const s = 2 ** doublings;
  dd[H] *= s;
  dd[L] *= s;
}

/** atan2(y, x) as FPATAN computes it (y = ST1, x = ST0), into F.res. */
export function atan2(y: F.F80, x: F.F80): void {
  const yCls = F.unpackTo(u, y);
  const xCls = F.unpackTo(v, x);
  if (F.isNaNOrBad(yCls) || F.isNaNOrBad(xCls)) return F.nan2(y, yCls, x, xCls);
  if ((u.denormal || v.denormal) && F.denormalStops()) return;
  const s = u.sign;
  if (yCls === Cls.ZERO) return v.sign ? piMultiple(s, 4) : F.setZero(s);
  if (yCls === Cls.INF) return piMultiple(s, xCls === Cls.INF ? (v.sign ? 3 : 1) : 2);
  if (xCls === Cls.ZERO) return piMultiple(s, 2);
  if (xCls === Cls.INF) return v.sign ? piMultiple(s, 4) : F.setZero(s);
  const d = u.exp - v.exp;
  let scale = 0;
  if (d < -80) {
    // |y/x| below 2^-79: atan t = t - t^3/3 lies just inside t.
    split(u, -u.exp);
    const yh = Math.abs(sp[XH]), yl = Math.abs(sp[XL]);
    split(v, -v.exp);
    ddDiv(yh, yl, Math.abs(sp[XH]), Math.abs(sp[XL]));
    if (!v.sign) {
      ddAdd(dd[H], dd[L], -HAIR, 0);
      scale = d;
    } else {
      const f = 2 ** Math.max(d, -1000);
      ddAdd(PI_H, PI_L, -dd[H] * f - HAIR, -dd[L] * f);
    }
  } else if (d > 80) {
    // |x/y| below 2^-79: π/2 ∓ a hair.
    ddAdd(PI_H / 2, PI_L / 2, v.sign ? HAIR : -HAIR, 0);
  } else {
    split(u, -v.exp);
    const yh = Math.abs(sp[XH]), yl = Math.abs(sp[XL]);
    split(v, -v.exp);
    const xh = Math.abs(sp[XH]), xl = Math.abs(sp[XL]);
    const yBigger = yh > xh || (yh === xh && yl > xl);
    if (yBigger) ddDiv(xh, xl, yh, yl);
    else ddDiv(yh, yl, xh, xl);
    atanDD(dd[H], dd[L]);
    if (yBigger) ddAdd(PI_H / 2, PI_L / 2, -dd[H], -dd[L]);
    if (v.sign) ddAdd(PI_H, PI_L, -dd[H], -dd[L]);
  }
  if (s) negateDD();
  packInexact(scale);
}

// ---- F2XM1 --------------------------------------------------------------------

/** e^t - 1 for |t| <= 0.7 into dd: halve t below 1/32, the series, then e' = e(e + 2) back up. */
function expm1DD(th: number, tl: number): void {
  let halvings = 0;
  while (Math.abs(th) > 0.03125) {
    th *= 0.5;
    tl *= 0.5;
    halvings++;
  }
  horner(EXPM1_C, th, tl);
  ddMul(dd[H], dd[L], th, tl);
  for (; halvings > 0; halvings--) {
    const eh = dd[H], el = dd[L];
    ddAdd(eh, el, 2, 0);
    ddMul(dd[H], dd[L], eh, el);
  }
}

/** 2^x - 1 (F2XM1; defined for -1 <= x <= 1), into F.res. */
export function exp2m1(x: F.F80): void {
  const cls = F.unpackTo(u, x);
  if (F.isNaNOrBad(cls)) return F.nan1(x, cls);
  if (cls === Cls.ZERO) return F.copyTo(F.res, x);
  if (cls === Cls.INF) {
    if (!u.sign) return F.setInf(0);
    F.copyTo(F.res, ONE);
    F.res[F.SE] |= 0x8000;
    return;
  }
  if (u.denormal && F.denormalStops()) return;
  if (u.exp > 0 || (u.exp === 0 && (u.hi !== 0x80000000 || u.lo !== 0))) {
    // Outside the domain the reference x87 leaves the operand as it is.
    F.copyTo(F.res, x);
    F.env.flags |= F.PE;
    return;
  }
  if (u.exp < -900) {
    // 2^x - 1 = x·ln 2 (1 + x·ln 2 / 2 + ...), the second factor 1 to far beyond 64 bits: the product, scaled.
    split(u, -u.exp);
    ddMul(sp[XH], sp[XL], LN2_H, LN2_L);
    return packInexact(u.exp);
  }
  split(u, 0);
  ddMul(sp[XH], sp[XL], LN2_H, LN2_L);
  expm1DD(dd[H], dd[L]);
  packInexact(0);
}

// ---- FYL2X FYL2XP1 --------------------------------------------------------------

/** 2·atanh(s)·log2(e) for |s| < 0.2 (s = sh + sl) into dd: log2((1 + s)/(1 - s)). */
function log2Ratio(sh: number, sl: number): void {
  ddMul(sh, sl, sh, sl);
  horner(ATANH_C, dd[H], dd[L]);
  ddMul(dd[H], dd[L], sh, sl);
  ddMul(dd[H], dd[L], 2 * LOG2E_H, 2 * LOG2E_L);
}

/** y (unpacked in u) × dd, times 2^lScale, into F.res. */
function timesY(lScale: number): void {
  const lh = dd[H], ll = dd[L];
  split(u, -u.exp);
  ddMul(sp[XH], sp[XL], lh, ll);
  packInexact(u.exp + lScale);
}

/** y·log2(x) (FYL2X: y = ST1, x = ST0), into F.res. */
export function ylog2x(y: F.F80, x: F.F80): void {
  const yCls = F.unpackTo(u, y);
  const xCls = F.unpackTo(v, x);
  if (F.isNaNOrBad(yCls) || F.isNaNOrBad(xCls)) return F.nan2(y, yCls, x, xCls);
  if ((u.denormal || v.denormal) && F.denormalStops()) return;
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
  // x = m·2^e with m in [√2/2, √2): log2 x = e + log2((1 + s)/(1 - s)), s = (m - 1)/(m + 1).
  let e = v.exp;
  if (v.hi >= SQRT2_HI) e++;
  split(v, -e);
  const mh = sp[XH], ml = sp[XL];
  ddAdd(mh, ml, -1, 0);
  const nh = dd[H], nl = dd[L];
  ddAdd(mh, ml, 1, 0);
  ddDiv(nh, nl, dd[H], dd[L]);
  if (dd[H] === 0) {
    // A power of two: y·e, rounded once.
    split(u, -u.exp);
    ddMul(sp[XH], sp[XL], e, 0);
    return F.packDoubles(dd[H], dd[L], u.exp);
  }
  log2Ratio(dd[H], dd[L]);
  ddAdd(dd[H], dd[L], e, 0);
  timesY(0);
}

const onePlusX = F.f80();

/** y·log2(x + 1) (FYL2XP1: y = ST1, x = ST0; defined for |x| < 1 - √2/2), into F.res. */
export function ylog2xp1(y: F.F80, x: F.F80): void {
  const yCls = F.unpackTo(u, y);
  const xCls = F.unpackTo(v, x);
  if (F.isNaNOrBad(yCls) || F.isNaNOrBad(xCls)) return F.nan2(y, yCls, x, xCls);
  if ((u.denormal || v.denormal) && F.denormalStops()) return;
  const ys = u.sign;
  const xs = v.sign;
  if (xCls === Cls.ZERO) return yCls === Cls.INF ? F.invalid() : F.setZero(ys ^ xs);
  if (xCls === Cls.INF) return xs || yCls === Cls.ZERO ? F.invalid() : F.setInf(ys);
  if (xs && v.exp >= 0) return F.invalid();
  if (yCls === Cls.ZERO) return F.setZero(ys ^ xs);
  if (yCls === Cls.INF) return F.setInf(ys ^ xs);
  if (v.exp < -900) {
    // log2(1 + x) = x·log2(e) (1 - x/2 + ...), the second factor 1 to far beyond 64 bits: the product, scaled.
    split(v, -v.exp);
    ddMul(sp[XH], sp[XL], LOG2E_H, LOG2E_L);
    return timesY(v.exp);
  }
  if (v.exp > 60) {
    // Far outside the domain: log2(1 + x) is log2(x) to every bit there is.
    return ylog2x(y, x);
  }
  split(v, 0);
  const x0 = sp[XH], x1 = sp[XL];
  // s = x / (2 + x): log2(1 + x) = log2((1 + s)/(1 - s)).
  ddAdd(x0, x1, 2, 0);
  ddDiv(x0, x1, dd[H], dd[L]);
  if (Math.abs(dd[H]) < 0.2) {
    log2Ratio(dd[H], dd[L]);
    return timesY(0);
  }
  // Beyond the domain's edge the series is slow: log2 of 1 + x itself (rounded once).
  ddAdd(x0, x1, 1, 0);
  F.packDoubles(dd[H], dd[L], 0);
  F.copyTo(onePlusX, F.res);
  ylog2x(y, onePlusX);
}
