/**
 * x87 double extended-precision arithmetic on exact 80-bit values, computed in
 * integer steps on 32-bit significand halves: IEEE 754 rounding to 24, 53 or 64
 * bits in the four rounding modes, masked responses, denormals and tininess as
 * the x87 detects them (before rounding for register results, after rounding for
 * stores to single and double format). Add, subtract, multiply, divide, square
 * root, remainders, round-to-integer, scaling and the conversions give the bits a
 * real x87 gives.
 *
 * A value travels as three numbers: `se` (sign in bit 15, biased exponent in
 * bits 0..14), `hi` and `lo` (significand bits 63..32 and 31..0, unsigned 32-bit;
 * bit 63 is the explicit integer bit J). Operations write their result to `res`
 * and OR the exceptions they raise into `env.flags`, plus C1 when the result was
 * rounded up in magnitude; the caller applies the masks.
 */

/** Exception flags, in status-word bit positions. */
export const IE = 0x01;
export const DE = 0x02;
export const ZE = 0x04;
export const OE = 0x08;
export const UE = 0x10;
export const PE = 0x20;
/** Stack fault (with IE). */
export const SF = 0x40;
/** C1 in status-word position: set when the result was rounded up in magnitude. */
export const C1 = 0x200;

/** Rounding control, CW bits 10..11. */
export const RC_NEAREST = 0;
export const RC_DOWN = 1;
export const RC_UP = 2;
export const RC_ZERO = 3;

/** Rounding state of the instruction in progress and the flags it raised. */
export class FpEnv {
  /** RC field. */
  rc = RC_NEAREST;
  /** Significand bits of arithmetic results (CW.PC: 24, 53, 64). */
  pc = 64;
  /** CW exception mask bits (1 = masked). */
  masks = 0x3f;
  /** Exception flags raised, and C1. */
  flags = 0;
}

export const env = new FpEnv();

/** An 80-bit register image. */
export class F80 {
  se = 0;
  hi = 0;
  lo = 0;
}

/** Result of the last operation. */
export const res = new F80();

export const EXP_MAX = 0x7fff;
const BIAS = 16383;
/** Exponent adjustment of an unmasked overflow or underflow result (SDM Vol. 1 §8.5.4). */
const WRAP = 24576;

/** The default NaN ("real indefinite"). */
export const INDEF_SE = 0xffff;
export const INDEF_HI = 0xc0000000;

/** Operand classes. */
export const enum Cls {
  ZERO,
  FINITE,
  INF,
  QNAN,
  SNAN,
  /** Unnormal, pseudo-NaN, pseudo-infinity: invalid operands since the 387. */
  UNSUPPORTED,
}

/** Destination formats of rounding: register, double, single. */
export const enum Fmt {
  REG,
  F64,
  F32,
}
const FMT_BIAS = [BIAS, 1023, 127];
const FMT_INF = [EXP_MAX, 0x7ff, 0xff];

const TWO32 = 4294967296;

// Unpacked operand: sign, exponent of the J bit, normalised significand.
let uSign = 0;
let uExp = 0;
let uHi = 0;
let uLo = 0;
let uDenormal = false;

/** An operand taken apart: class, sign, exponent of the J bit, normalised significand. */
export class Unpacked {
  cls = Cls.ZERO;
  sign = 0;
  exp = 0;
  hi = 0;
  lo = 0;
  denormal = false;
}

/** Take a register image apart into `u` (denormals normalised); returns its class. */
export function unpackTo(u: Unpacked, se: number, hi: number, lo: number): Cls {
  const cls = unpack(se, hi, lo);
  u.cls = cls;
  u.sign = uSign;
  u.exp = uExp;
  u.hi = uHi;
  u.lo = uLo;
  u.denormal = uDenormal;
  return cls;
}

/** Classify a register image. */
export function classify(se: number, hi: number, lo: number): Cls {
  const e = se & EXP_MAX;
  if (e === EXP_MAX) {
    if (!(hi & 0x80000000)) return Cls.UNSUPPORTED;
    if ((hi & 0x7fffffff) === 0 && lo === 0) return Cls.INF;
    return hi & 0x40000000 ? Cls.QNAN : Cls.SNAN;
  }
  if (e === 0) return hi === 0 && lo === 0 ? Cls.ZERO : Cls.FINITE;
  return hi & 0x80000000 ? Cls.FINITE : Cls.UNSUPPORTED;
}

/** Unpack into the u* variables; denormals (and pseudo-denormals) are normalised. */
function unpack(se: number, hi: number, lo: number): Cls {
  const cls = classify(se, hi, lo);
  uSign = se >>> 15;
  uDenormal = false;
  if (cls !== Cls.FINITE) return cls;
  const e = se & EXP_MAX;
  if (e !== 0) {
    uExp = e - BIAS;
    uHi = hi;
    uLo = lo;
    return cls;
  }
  uDenormal = true;
  normalizeSig(hi, lo);
  uExp = 1 - BIAS - nShift;
  uHi = nHi;
  uLo = nLo;
  return cls;
}

let nHi = 0;
let nLo = 0;
let nShift = 0;

/** Shift a non-zero 64-bit significand left until bit 63 is set. */
function normalizeSig(hi: number, lo: number): void {
  let s = 0;
  if (hi === 0) {
    hi = lo;
    lo = 0;
    s = 32;
  }
  const z = Math.clz32(hi);
  if (z) {
    hi = ((hi << z) | (lo >>> (32 - z))) >>> 0;
    lo = (lo << z) >>> 0;
  }
  nHi = hi >>> 0;
  nLo = lo >>> 0;
  nShift = s + z;
}

export function setRes(se: number, hi: number, lo: number): void {
  res.se = se;
  res.hi = hi >>> 0;
  res.lo = lo >>> 0;
}

/** Masked invalid operation: IE and the default NaN. */
export function invalid(): void {
  env.flags = (env.flags & ~DE) | IE;
  setRes(INDEF_SE, INDEF_HI, 0);
}

export function setZero(sign: number): void {
  setRes(sign << 15, 0, 0);
}

export function setInf(sign: number): void {
  setRes((sign << 15) | EXP_MAX, 0x80000000, 0);
}

/** One NaN operand: a signaling one raises IE and is quieted. */
export function nan1(se: number, hi: number, lo: number, cls: Cls): void {
  if (cls === Cls.UNSUPPORTED) return invalid();
  if (cls === Cls.SNAN) env.flags = (env.flags & ~DE) | IE;
  setRes(se, hi | 0x40000000, lo);
}

/**
 * Two operands, at least one a NaN or unsupported (SDM Vol. 1 Table 4-7): a
 * quiet NaN wins over a signaling one, between two of a kind the larger
 * significand (then the smaller sign/exponent word, i.e. the positive one).
 */
export function nan2(aSe: number, aHi: number, aLo: number, aCls: Cls, bSe: number, bHi: number, bLo: number, bCls: Cls): void {
  if (aCls === Cls.UNSUPPORTED || bCls === Cls.UNSUPPORTED) return invalid();
  if (aCls === Cls.SNAN || bCls === Cls.SNAN) env.flags = (env.flags & ~DE) | IE;
  const aNaN = aCls === Cls.QNAN || aCls === Cls.SNAN;
  const bNaN = bCls === Cls.QNAN || bCls === Cls.SNAN;
  let pickA: boolean;
  if (aNaN && bNaN) {
    if (aCls !== bCls) pickA = aCls === Cls.QNAN;
    else {
      const ah = aHi | 0x40000000;
      const bh = bHi | 0x40000000;
      if (ah !== bh) pickA = ah >>> 0 > bh >>> 0;
      else if (aLo !== bLo) pickA = aLo > bLo;
      else pickA = aSe <= bSe;
    }
  } else pickA = aNaN;
  if (pickA) setRes(aSe, aHi | 0x40000000, aLo);
  else setRes(bSe, bHi | 0x40000000, bLo);
}

/** NaN or unsupported: the operand decides the result through nan1/nan2. */
export const isNaNOrBad = (cls: Cls) => cls >= Cls.QNAN;

// ---- rounding ---------------------------------------------------------------

// Scratch for the 96-bit shift: significand hi:lo and the bits below it.
let sHi = 0;
let sLo = 0;
let sExt = 0;

/** Shift hi:lo:ext right by n, ORing every bit shifted out into bit 0 of ext. */
function shiftRightJam(hi: number, lo: number, ext: number, n: number): void {
  let sticky = 0;
  if (n >= 96) {
    sticky = hi | lo | ext;
    hi = lo = ext = 0;
  } else {
    while (n >= 32) {
      sticky |= ext;
      ext = lo;
      lo = hi;
      hi = 0;
      n -= 32;
    }
    if (n > 0) {
      sticky |= ext << (32 - n);
      ext = (ext >>> n) | (lo << (32 - n));
      lo = (lo >>> n) | (hi << (32 - n));
      hi = hi >>> n;
    }
  }
  sHi = hi >>> 0;
  sLo = lo >>> 0;
  sExt = (ext | (sticky !== 0 ? 1 : 0)) >>> 0;
}

/** Whether rounding (hi:lo:ext) at bit k (0..63 discarded bits) increments, in mode rc. */
function roundsUp(sign: number, hi: number, lo: number, ext: number, k: number, rc: number): boolean {
  let half: boolean;
  let below: boolean;
  let lsb: number;
  if (k === 0) {
    half = (ext & 0x80000000) !== 0;
    below = (ext & 0x7fffffff) !== 0;
    lsb = lo & 1;
  } else if (k < 32) {
    const h = 1 << (k - 1);
    half = (lo & h) !== 0;
    below = (lo & (h - 1)) !== 0 || ext !== 0;
    lsb = (lo >>> k) & 1;
  } else {
    const h = 1 << (k - 33);
    half = (hi & h) !== 0;
    below = (hi & (h - 1)) !== 0 || lo !== 0 || ext !== 0;
    lsb = (hi >>> (k - 32)) & 1;
  }
  switch (rc) {
    case RC_NEAREST:
      return half && (below || lsb !== 0);
    case RC_DOWN:
      return sign !== 0 && (half || below);
    case RC_UP:
      return sign === 0 && (half || below);
  }
  return false;
}

/** Whether significand bits k..63 are all set (rounding up there carries out of bit 63). */
function allOnesAbove(hi: number, lo: number, k: number): boolean {
  if (k >= 32) return hi >>> (k - 32) === 0xffffffff >>> (k - 32);
  return hi === 0xffffffff && lo >>> k === 0xffffffff >>> k;
}

function inexactAt(hi: number, lo: number, ext: number, k: number): boolean {
  if (ext !== 0) return true;
  if (k === 0) return false;
  if (k < 32) return (lo & ((1 << k) - 1)) !== 0;
  return lo !== 0 || (hi & ((1 << (k - 32)) - 1)) !== 0;
}

/**
 * Round (-1)^sign × hi:lo:ext, normalised (bit 63 set, weight 2^e), to `p`
 * significant bits of format `fmt` and pack it into `res` (exponent biased for
 * that format; for F64/F32 the significand keeps its J-bit alignment). Raises
 * PE, UE, OE and C1 as the x87 does, with masked or unmasked responses.
 */
export function roundPack(sign: number, e: number, hi: number, lo: number, ext: number, p: number, fmt: Fmt): void {
  const rc = env.rc;
  const masks = env.masks;
  const k = 64 - p;
  let be = e + FMT_BIAS[fmt];
  let tiny = false;
  if (be <= 0) {
    // Tininess after rounding: not tiny when rounding with unbounded exponent reaches 2^emin.
    tiny = be < 0 || !(allOnesAbove(hi, lo, k) && roundsUp(sign, hi, lo, ext, k, rc));
    if (tiny && !(masks & UE)) {
      env.flags |= UE;
      if (fmt !== Fmt.REG) return;
      be += WRAP;
      tiny = false;
    } else {
      shiftRightJam(hi, lo, ext, 1 - be);
      hi = sHi;
      lo = sLo;
      ext = sExt;
      be = 0;
    }
  }
  const inexact = inexactAt(hi, lo, ext, k);
  let up = false;
  if (inexact && roundsUp(sign, hi, lo, ext, k, rc)) {
    up = true;
    if (k < 32) {
      lo += 2 ** k;
      if (lo >= TWO32) {
        lo -= TWO32;
        hi += 1;
      }
    } else hi += 2 ** (k - 32);
    if (hi >= TWO32) {
      hi = 0x80000000;
      lo = 0;
      be++;
    } else if (be === 0 && hi >= 0x80000000) be = 1;
  }
  if (k < 32) lo = (lo & ~((2 ** k) - 1)) >>> 0;
  else {
    lo = 0;
    hi = (hi & ~((2 ** (k - 32)) - 1)) >>> 0;
  }
  if (be >= FMT_INF[fmt]) {
    if (!(masks & OE)) {
      env.flags |= OE | (inexact ? PE : 0) | (up ? C1 : 0);
      if (fmt !== Fmt.REG) return;
      setRes((sign << 15) | (be - WRAP), hi, lo);
      return;
    }
    env.flags |= OE | PE;
    const toInf = rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign !== 0);
    if (toInf) {
      env.flags |= C1;
      setRes((sign << 15) | FMT_INF[fmt], 0x80000000, 0);
    } else {
      env.flags &= ~C1;
      const mh = p >= 32 ? 0xffffffff : (0xffffffff << (32 - p)) >>> 0;
      const ml = p <= 32 ? 0 : p >= 64 ? 0xffffffff : (0xffffffff << (64 - p)) >>> 0;
      setRes((sign << 15) | (FMT_INF[fmt] - 1), mh, ml);
    }
    return;
  }
  if (inexact) {
    env.flags |= PE | (tiny ? UE : 0);
    if (up) env.flags |= C1;
  }
  if (hi === 0 && lo === 0) be = 0;
  setRes((sign << 15) | be, hi, lo);
}

/** Pack a finite non-zero value that is exact in 64 bits (no rounding at the register's full width). */
function packExact(sign: number, e: number, hi: number, lo: number): void {
  roundPack(sign, e, hi, lo, 0, 64, Fmt.REG);
}

/** Normalise a 96-bit significand (not all zero) and round it to register format. */
function normRoundPack(sign: number, e: number, hi: number, lo: number, ext: number, p: number): void {
  if (hi === 0) {
    if (lo === 0) {
      hi = ext;
      lo = 0;
      ext = 0;
      e -= 64;
    } else {
      hi = lo;
      lo = ext;
      ext = 0;
      e -= 32;
    }
  }
  const z = Math.clz32(hi);
  if (z) {
    hi = (hi << z) | (lo >>> (32 - z));
    lo = (lo << z) | (ext >>> (32 - z));
    ext = ext << z;
    e -= z;
  }
  roundPack(sign, e, hi >>> 0, lo >>> 0, ext >>> 0, p, Fmt.REG);
}

// ---- add, subtract ----------------------------------------------------------

/** a + b (sub: a - b), rounded to the precision control. */
export function add(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, sub: boolean): void {
  addP(aSe, aHi, aLo, bSe, bHi, bLo, sub, env.pc);
}

/** a + b (sub: a - b), rounded to p bits. */
export function addP(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, sub: boolean, p: number): void {
  const aCls = unpack(aSe, aHi, aLo);
  const aSign = uSign;
  const aExp = uExp;
  const ah = uHi;
  const al = uLo;
  const aDen = uDenormal;
  const bCls = unpack(bSe, bHi, bLo);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(aSe, aHi, aLo, aCls, bSe, bHi, bLo, bCls);
  const bSign = uSign ^ (sub ? 1 : 0);
  if (aDen || uDenormal) env.flags |= DE;
  if (aCls === Cls.INF || bCls === Cls.INF) {
    if (aCls === Cls.INF && bCls === Cls.INF && aSign !== bSign) return invalid();
    return setInf(aCls === Cls.INF ? aSign : bSign);
  }
  if (bCls === Cls.ZERO) {
    if (aCls === Cls.ZERO) return setZero(aSign === bSign ? aSign : env.rc === RC_DOWN ? 1 : 0);
    return roundPack(aSign, aExp, ah, al, 0, p, Fmt.REG);
  }
  if (aCls === Cls.ZERO) return roundPack(bSign, uExp, uHi, uLo, 0, p, Fmt.REG);
  addFinite(aSign, aExp, ah, al, bSign, uExp, uHi, uLo, p);
}

/** Sum of two finite non-zero normalised values, rounded to p bits. */
function addFinite(aSign: number, aExp: number, ah: number, al: number, bSign: number, bExp: number, bh: number, bl: number, p: number): void {
  // Order by magnitude: A is the larger.
  if (bExp > aExp || (bExp === aExp && (bh > ah || (bh === ah && bl > al)))) {
    let t = aSign; aSign = bSign; bSign = t;
    t = aExp; aExp = bExp; bExp = t;
    t = ah; ah = bh; bh = t;
    t = al; al = bl; bl = t;
  }
  shiftRightJam(bh, bl, 0, aExp - bExp);
  bh = sHi;
  bl = sLo;
  const bx = sExt;
  if (aSign === bSign) {
    let lo = al + bl;
    let hi = ah + bh;
    if (lo >= TWO32) {
      lo -= TWO32;
      hi++;
    }
    let ext = bx;
    let e = aExp;
    if (hi >= TWO32) {
      hi -= TWO32;
      ext = (ext >>> 1) | ((lo & 1) << 31) | (ext & 1);
      lo = (lo >>> 1) | ((hi & 1) << 31);
      hi = (hi >>> 1) | 0x80000000;
      e++;
    }
    return roundPack(aSign, e, hi >>> 0, lo >>> 0, ext >>> 0, p, Fmt.REG);
  }
  let ext = -bx;
  let borrow = bx !== 0 ? 1 : 0;
  let lo = al - bl - borrow;
  borrow = lo < 0 ? 1 : 0;
  if (borrow) lo += TWO32;
  const hi = ah - bh - borrow;
  if (hi === 0 && lo === 0 && ext === 0) return setZero(env.rc === RC_DOWN ? 1 : 0);
  normRoundPack(aSign, aExp, hi, lo, ext >>> 0, p);
}

// ---- multiply ---------------------------------------------------------------

// 128-bit product, most significant word first.
let p3 = 0;
let p2 = 0;
let p1 = 0;
let p0 = 0;

/** 64 × 64 → 128-bit unsigned product in 16-bit columns (each sum stays exact in a double). */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, a2 = ah & 0xffff, a3 = ah >>> 16;
  const b0 = bl & 0xffff, b1 = bl >>> 16, b2 = bh & 0xffff, b3 = bh >>> 16;
  let t = a0 * b0;
  const d0 = t % 65536;
  t = (t - d0) / 65536 + a0 * b1 + a1 * b0;
  const d1 = t % 65536;
  t = (t - d1) / 65536 + a0 * b2 + a1 * b1 + a2 * b0;
  const d2 = t % 65536;
  t = (t - d2) / 65536 + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const d3 = t % 65536;
  t = (t - d3) / 65536 + a1 * b3 + a2 * b2 + a3 * b1;
  const d4 = t % 65536;
  t = (t - d4) / 65536 + a2 * b3 + a3 * b2;
  const d5 = t % 65536;
  t = (t - d5) / 65536 + a3 * b3;
  const d6 = t % 65536;
  const d7 = (t - d6) / 65536;
  p0 = (d0 | (d1 << 16)) >>> 0;
  p1 = (d2 | (d3 << 16)) >>> 0;
  p2 = (d4 | (d5 << 16)) >>> 0;
  p3 = (d6 | (d7 << 16)) >>> 0;
}

/** a × b, rounded to the precision control. */
export function mul(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): void {
  mulP(aSe, aHi, aLo, bSe, bHi, bLo, env.pc);
}

/** a × b rounded to p bits. */
export function mulP(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, p: number): void {
  const aCls = unpack(aSe, aHi, aLo);
  const aExp = uExp;
  const ah = uHi;
  const al = uLo;
  const aDen = uDenormal;
  const bCls = unpack(bSe, bHi, bLo);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(aSe, aHi, aLo, aCls, bSe, bHi, bLo, bCls);
  const sign = (aSe ^ bSe) >>> 15 & 1;
  if (aDen || uDenormal) env.flags |= DE;
  if (aCls === Cls.INF || bCls === Cls.INF) {
    if (aCls === Cls.ZERO || bCls === Cls.ZERO) return invalid();
    return setInf(sign);
  }
  if (aCls === Cls.ZERO || bCls === Cls.ZERO) return setZero(sign);
  mul64(ah, al, uHi, uLo);
  let e = aExp + uExp;
  let hi = p3, lo = p2, ext = p1 | (p0 !== 0 ? 1 : 0);
  if (hi & 0x80000000) e++;
  else {
    hi = (hi << 1) | (lo >>> 31);
    lo = (lo << 1) | (p1 >>> 31);
    ext = (p1 << 1) | (p0 !== 0 ? 1 : 0);
  }
  roundPack(sign, e, hi >>> 0, lo >>> 0, ext >>> 0, p, Fmt.REG);
}

// ---- divide -----------------------------------------------------------------

/** a / b, rounded to the precision control. */
export function div(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): void {
  divP(aSe, aHi, aLo, bSe, bHi, bLo, env.pc);
}

/** a / b rounded to p bits. */
export function divP(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, p: number): void {
  const aCls = unpack(aSe, aHi, aLo);
  const aExp = uExp;
  const ah = uHi;
  const al = uLo;
  const aDen = uDenormal;
  const bCls = unpack(bSe, bHi, bLo);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(aSe, aHi, aLo, aCls, bSe, bHi, bLo, bCls);
  const sign = (aSe ^ bSe) >>> 15 & 1;
  if (aDen || uDenormal) env.flags |= DE;
  if (aCls === Cls.INF) return bCls === Cls.INF ? invalid() : setInf(sign);
  if (bCls === Cls.INF) return setZero(sign);
  if (bCls === Cls.ZERO) {
    if (aCls === Cls.ZERO) return invalid();
    env.flags = (env.flags & ~DE) | ZE;
    return setInf(sign);
  }
  if (aCls === Cls.ZERO) return setZero(sign);
  divSig(ah, al, uHi, uLo);
  const e = aExp - uExp - (qShift ? 1 : 0);
  roundPack(sign, e, qHi, qLo, qExt, p, Fmt.REG);
}

let qHi = 0;
let qLo = 0;
let qExt = 0;
let qShift = false;

/**
 * Quotient of two normalised 64-bit significands: 64 bits in qHi:qLo with bit 63
 * set, the next bit in bit 31 of qExt and a sticky remainder bit in bit 0.
 * qShift tells whether the dividend was doubled to get there (a < b).
 */
function divSig(ah: number, al: number, bh: number, bl: number): void {
  let rc = 0, rh = ah, rl = al;
  qShift = ah < bh || (ah === bh && al < bl);
  if (qShift) {
    rc = ah >>> 31;
    rh = ((ah << 1) | (al >>> 31)) >>> 0;
    rl = (al << 1) >>> 0;
  }
  let qh = 0, ql = 0, round = 0;
  for (let n = 0; n < 65; n++) {
    let bit = 0;
    if (rc !== 0 || rh > bh || (rh === bh && rl >= bl)) {
      let l = rl - bl;
      let h = rh - bh;
      if (l < 0) {
        l += TWO32;
        h--;
      }
      if (h < 0) h += TWO32;
      rh = h;
      rl = l;
      rc = 0;
      bit = 1;
    }
    if (n < 64) {
      qh = ((qh << 1) | (ql >>> 31)) >>> 0;
      ql = ((ql << 1) | bit) >>> 0;
    } else round = bit;
    rc = rh >>> 31;
    rh = ((rh << 1) | (rl >>> 31)) >>> 0;
    rl = (rl << 1) >>> 0;
  }
  qHi = qh;
  qLo = ql;
  qExt = ((round << 31) | (rc | rh | rl ? 1 : 0)) >>> 0;
}

// ---- square root ------------------------------------------------------------

/** √a, rounded to the precision control. */
export function sqrt(aSe: number, aHi: number, aLo: number): void {
  const cls = unpack(aSe, aHi, aLo);
  if (isNaNOrBad(cls)) return nan1(aSe, aHi, aLo, cls);
  if (cls === Cls.ZERO) return setZero(uSign);
  if (uSign) return invalid();
  if (cls === Cls.INF) return setInf(0);
  if (uDenormal) env.flags |= DE;
  const e = uExp;
  const hi = uHi, lo = uLo;
  // Radicand X = sig << (65 + (e & 1)), 130 bits; q = floor(√X) has 65 bits.
  const shift = 65 + (e & 1);
  let r2 = 0, r1 = 0, r0 = 0;
  let q2 = 0, q1 = 0, q0 = 0;
  for (let i = 64; i >= 0; i--) {
    // Next two radicand bits: X bits 2i+1, 2i = sig bits 2i+1-shift, 2i-shift.
    const j = 2 * i - shift;
    let pair = 0;
    if (j + 1 >= 0 && j + 1 < 64) pair = sigBit(hi, lo, j + 1) << 1;
    if (j >= 0 && j < 64) pair |= sigBit(hi, lo, j);
    // r = (r << 2) | pair
    r2 = ((r2 << 2) | (r1 >>> 30)) >>> 0;
    r1 = ((r1 << 2) | (r0 >>> 30)) >>> 0;
    r0 = ((r0 << 2) | pair) >>> 0;
    // t = (q << 2) | 1
    const t2 = ((q2 << 2) | (q1 >>> 30)) >>> 0;
    const t1 = ((q1 << 2) | (q0 >>> 30)) >>> 0;
    const t0 = ((q0 << 2) | 1) >>> 0;
    q2 = ((q2 << 1) | (q1 >>> 31)) >>> 0;
    q1 = ((q1 << 1) | (q0 >>> 31)) >>> 0;
    q0 = (q0 << 1) >>> 0;
    if (r2 > t2 || (r2 === t2 && (r1 > t1 || (r1 === t1 && r0 >= t0)))) {
      let d0 = r0 - t0, d1 = r1 - t1, d2 = r2 - t2;
      if (d0 < 0) { d0 += TWO32; d1--; }
      if (d1 < 0) { d1 += TWO32; d2--; }
      r0 = d0; r1 = d1; r2 = d2;
      q0 = (q0 | 1) >>> 0;
    }
  }
  // q (65 bits) = q2:q1:q0 with q2 = 1: significand q >> 1, round bit q & 1.
  const sh = ((q2 << 31) | (q1 >>> 1)) >>> 0;
  const sl = ((q1 << 31) | (q0 >>> 1)) >>> 0;
  const ext = (((q0 & 1) << 31) | (r2 | r1 | r0 ? 1 : 0)) >>> 0;
  roundPack(0, e >> 1, sh, sl, ext, env.pc, Fmt.REG);
}

function sigBit(hi: number, lo: number, j: number): number {
  return j >= 32 ? (hi >>> (j - 32)) & 1 : (lo >>> j) & 1;
}

// ---- compare ----------------------------------------------------------------

/** Comparison results, in the order C3:C2:C0 encodes them (SDM FCOM). */
export const enum Rel {
  GT = 0,
  LT = 1,
  EQ = 2,
  UNORDERED = 3,
}

/** Compare a with b. Any NaN raises IE unless `quiet` (then only signaling ones). */
export function compare(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, quiet: boolean): Rel {
  const aCls = unpack(aSe, aHi, aLo);
  const aSign = uSign, aExp = uExp, ah = uHi, al = uLo, aDen = uDenormal;
  const bCls = unpack(bSe, bHi, bLo);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) {
    if (!quiet || aCls === Cls.SNAN || bCls === Cls.SNAN || aCls === Cls.UNSUPPORTED || bCls === Cls.UNSUPPORTED) {
      env.flags = (env.flags & ~DE) | IE;
    }
    return Rel.UNORDERED;
  }
  if (aDen || uDenormal) env.flags |= DE;
  const bSign = uSign;
  if (aCls === Cls.ZERO && bCls === Cls.ZERO) return Rel.EQ;
  if (aCls === Cls.ZERO) return bSign ? Rel.GT : Rel.LT;
  if (bCls === Cls.ZERO) return aSign ? Rel.LT : Rel.GT;
  if (aSign !== bSign) return aSign ? Rel.LT : Rel.GT;
  let mag: number;
  if (aCls === Cls.INF || bCls === Cls.INF) mag = aCls === bCls ? 0 : aCls === Cls.INF ? 1 : -1;
  else if (aExp !== uExp) mag = aExp > uExp ? 1 : -1;
  else if (ah !== uHi) mag = ah > uHi ? 1 : -1;
  else if (al !== uLo) mag = al > uLo ? 1 : -1;
  else mag = 0;
  if (mag === 0) return Rel.EQ;
  return (mag > 0) !== (aSign !== 0) ? Rel.GT : Rel.LT;
}

// ---- integers ---------------------------------------------------------------

/** Exact conversion of a signed 32-bit integer. */
export function fromInt32(v: number): void {
  if (v === 0) return setZero(0);
  const sign = v < 0 ? 1 : 0;
  const m = sign ? -v : v;
  const z = Math.clz32(m);
  setRes((sign << 15) | (BIAS + 31 - z), (m << z) >>> 0, 0);
}

/** Exact conversion of a signed 64-bit integer given as two's-complement halves. */
export function fromInt64(lo: number, hi: number): void {
  lo >>>= 0;
  hi >>>= 0;
  const sign = hi >>> 31;
  if (sign) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  fromMag64(sign, hi, lo);
}

function fromMag64(sign: number, hi: number, lo: number): void {
  if (hi === 0 && lo === 0) return setZero(sign);
  normalizeSig(hi, lo);
  setRes((sign << 15) | (BIAS + 63 - nShift), nHi, nLo);
}

// Integer part of the last roundToInt: magnitude halves.
let iHi = 0;
let iLo = 0;

/**
 * Round a finite value (unpacked in the u* variables) to an integer magnitude in
 * iHi:iLo by `rc`, raising PE and C1. Returns false when it needs more than 64 bits.
 */
function roundToInt(rc: number): boolean {
  const e = uExp;
  if (e >= 64) return false;
  if (e === 63) {
    iHi = uHi;
    iLo = uLo;
    return true;
  }
  shiftRightJam(uHi, uLo, 0, 63 - e);
  let hi = sHi, lo = sLo;
  const ext = sExt;
  if (ext !== 0) {
    env.flags |= PE;
    if (roundsUp(uSign, hi, lo, ext, 0, rc)) {
      env.flags |= C1;
      lo++;
      if (lo >= TWO32) {
        lo = 0;
        hi++;
        if (hi >= TWO32) return false;
      }
    }
  }
  iHi = hi >>> 0;
  iLo = lo >>> 0;
  return true;
}

// Result of toInt: two's-complement halves.
export let intLo = 0;
export let intHi = 0;

/**
 * Convert to a signed integer of `bits` (16, 32, 64) by the rounding control:
 * NaN, infinity and out-of-range values raise IE and give the integer indefinite.
 */
export function toInt(se: number, hi: number, lo: number, bits: number, rc: number): void {
  const cls = unpack(se, hi, lo);
  intHi = 0;
  intLo = 0;
  if (cls === Cls.ZERO) return;
  let ok = cls === Cls.FINITE;
  if (ok) ok = roundToInt(rc);
  if (ok) {
    const neg = uSign !== 0;
    if (bits === 64) ok = iHi < 0x80000000 || (neg && iHi === 0x80000000 && iLo === 0);
    else {
      const lim = 2 ** (bits - 1);
      ok = iHi === 0 && (iLo < lim || (neg && iLo === lim));
    }
    if (ok) {
      if (neg) {
        intLo = (~iLo + 1) >>> 0;
        intHi = (~iHi + (intLo === 0 ? 1 : 0)) >>> 0;
      } else {
        intLo = iLo;
        intHi = iHi;
      }
      if (bits < 64) intHi = 0;
      if (bits === 16) intLo &= 0xffff;
      return;
    }
  }
  env.flags = (env.flags & ~(PE | C1)) | IE;
  if (bits === 64) intHi = 0x80000000;
  else intLo = bits === 32 ? 0x80000000 : 0x8000;
}

/** Round to an integer in register format by the rounding control (FRNDINT). */
export function roundInt(se: number, hi: number, lo: number): void {
  const cls = unpack(se, hi, lo);
  if (isNaNOrBad(cls)) return nan1(se, hi, lo, cls);
  if (cls !== Cls.FINITE) return setRes(se, hi, lo);
  if (uDenormal) env.flags |= DE;
  if (uExp >= 63) return setRes(se, hi, lo);
  roundToInt(env.rc);
  fromMag64(uSign, iHi, iLo);
}

/** BCD result digits of toBcd: bytes 0..9 of the m80 image. */
export const bcd = new Uint8Array(10);

/**
 * Convert to 18-digit packed BCD by the rounding control (FBSTP); values beyond
 * 18 digits, NaNs and infinities raise IE and give the BCD indefinite.
 */
export function toBcd(se: number, hi: number, lo: number): void {
  const cls = unpack(se, hi, lo);
  bcd.fill(0);
  bcd[9] = (se >>> 8) & 0x80;
  if (cls === Cls.ZERO) return;
  let ok = cls === Cls.FINITE;
  if (ok) {
    // 10^18 - 1 < 2^60: anything at or above 2^60 is out of range.
    ok = roundToInt(env.rc) && (iHi < 0x0de0b6b3 || (iHi === 0x0de0b6b3 && iLo < 0xa7640000));
  }
  if (!ok) {
    env.flags = (env.flags & ~(PE | C1)) | IE;
    bcd.fill(0);
    bcd[7] = 0xc0;
    bcd[8] = 0xff;
    bcd[9] = 0xff;
    return;
  }
  let h = iHi, l = iLo;
  for (let d = 0; d < 18; d++) {
    const rh = h % 10;
    h = (h - rh) / 10;
    const t = rh * TWO32 + l;
    const digit = t % 10;
    l = (t - digit) / 10;
    bcd[d >> 1] |= d & 1 ? digit << 4 : digit;
  }
}

/** Exact conversion of an 18-digit packed BCD image (bytes 0..9), as FBLD. */
export function fromBcd(b: Uint8Array): void {
  let h = 0, l = 0;
  for (let d = 17; d >= 0; d--) {
    const byte = b[d >> 1];
    const digit = d & 1 ? byte >>> 4 : byte & 15;
    const t = l * 10 + digit;
    l = t % TWO32;
    h = h * 10 + (t - l) / TWO32;
  }
  fromMag64(b[9] >>> 7, h, l);
}

// ---- single and double formats ----------------------------------------------

/** Exact conversion of an IEEE double given as halves; a denormal raises DE, NaNs stay as they are. */
export function fromF64(lo: number, hi: number): void {
  const sign = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  const fh = hi & 0xfffff;
  lo >>>= 0;
  if (e === 0x7ff) return setRes((sign << 15) | EXP_MAX, (0x80000000 | (fh << 11) | (lo >>> 21)) >>> 0, lo << 11);
  if (e === 0) {
    if (fh === 0 && lo === 0) return setZero(sign);
    env.flags |= DE;
    normalizeSig(((fh << 11) | (lo >>> 21)) >>> 0, (lo << 11) >>> 0);
    return setRes((sign << 15) | (BIAS - 1022 - nShift), nHi, nLo);
  }
  setRes((sign << 15) | (e - 1023 + BIAS), (0x80000000 | (fh << 11) | (lo >>> 21)) >>> 0, lo << 11);
}

/** Exact conversion of an IEEE single; a denormal raises DE, NaNs stay as they are. */
export function fromF32(v: number): void {
  const sign = v >>> 31;
  const e = (v >>> 23) & 0xff;
  const f = v & 0x7fffff;
  if (e === 0xff) return setRes((sign << 15) | EXP_MAX, (0x80000000 | (f << 8)) >>> 0, 0);
  if (e === 0) {
    if (f === 0) return setZero(sign);
    env.flags |= DE;
    normalizeSig(f << 8, 0);
    return setRes((sign << 15) | (BIAS - 126 - nShift), nHi, nLo);
  }
  setRes((sign << 15) | (e - 127 + BIAS), (0x80000000 | (f << 8)) >>> 0, 0);
}

// Result of toF64 (halves) and toF32.
export let outLo = 0;
export let outHi = 0;

/**
 * Round to single (bits 32) or double (64) format by the rounding control, as a
 * store does: outHi:outLo (double) or outLo (single). A signaling NaN raises IE
 * and is stored quiet; unsupported operands store the default NaN.
 */
export function toFloat(se: number, hi: number, lo: number, bits: number): void {
  const cls = unpack(se, hi, lo);
  const f32 = bits === 32;
  const sign = uSign;
  switch (cls) {
    case Cls.ZERO:
      outHi = f32 ? 0 : sign << 31;
      outLo = f32 ? sign << 31 : 0;
      return;
    case Cls.INF:
      res.se = (sign << 15) | (f32 ? 0xff : 0x7ff);
      res.hi = 0x80000000;
      res.lo = 0;
      break;
    case Cls.QNAN:
    case Cls.SNAN:
    case Cls.UNSUPPORTED:
      nan1(se, hi, lo, cls);
      res.se = (res.se & 0x8000) | (f32 ? 0xff : 0x7ff);
      break;
    default:
      roundPack(sign, uExp, uHi, uLo, 0, f32 ? 24 : 53, f32 ? Fmt.F32 : Fmt.F64);
  }
  packFloat(f32);
}

function packFloat(f32: boolean): void {
  const sign = res.se >>> 15;
  const e = res.se & 0x7fff;
  const hi = res.hi & 0x7fffffff;
  if (f32) {
    outHi = 0;
    outLo = ((sign << 31) | (e << 23) | (hi >>> 8)) >>> 0;
  } else {
    outHi = ((sign << 31) | (e << 20) | (hi >>> 11)) >>> 0;
    outLo = ((hi << 21) | (res.lo >>> 11)) >>> 0;
  }
}

// ---- remainders, scaling, exponent extraction -------------------------------

/**
 * Outcome of the last remainder: whether it produced a number (else the NaN
 * paths left the condition codes alone), the low three quotient bits, and
 * whether the reduction was partial (C2).
 */
export let remDone = false;
export let remQuotient = 0;
export let remPartial = false;

/**
 * Partial remainder a rem b (FPREM: truncating quotient; FPREM1: IEEE, nearest).
 * An exponent difference of 64 or more reduces it by 32 + (difference mod 32)
 * bits only and sets remPartial (C2), as the real unit does.
 */
export function rem(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, nearest: boolean): void {
  remQuotient = 0;
  remPartial = false;
  remDone = false;
  const aCls = unpack(aSe, aHi, aLo);
  const aSign = uSign, aExp = uExp, ah = uHi, al = uLo, aDen = uDenormal;
  const bCls = unpack(bSe, bHi, bLo);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(aSe, aHi, aLo, aCls, bSe, bHi, bLo, bCls);
  if (aDen || uDenormal) env.flags |= DE;
  if (aCls === Cls.INF || bCls === Cls.ZERO) return invalid();
  remDone = true;
  if (aCls === Cls.ZERO) return setRes(aSe, aHi, aLo);
  if (bCls === Cls.INF) return packExact(aSign, aExp, ah, al);
  const bExp = uExp, bh = uHi, bl = uLo;
  let d = aExp - bExp;
  if (d < -1 || (d === -1 && !nearest)) return packExact(aSign, aExp, ah, al);
  let scaleExp = bExp;
  let partial = false;
  if (d >= 64) {
    const n = 32 + (d % 32);
    scaleExp = bExp + d - n;
    d = n;
    partial = true;
    nearest = false;
  }
  let rc = 0, rh = ah, rl = al;
  let q = 0;
  if (d === -1) {
    // |a| in [b/2, b): quotient 0 or 1 (to nearest), remainder scaled like a.
    const gt = ah > bh || (ah === bh && al > bl);
    if (!gt) return packExact(aSign, aExp, ah, al);
    // a - b = -(2·sigB - sigA) at a's scale.
    let l = bl * 2 - al;
    let h = bh * 2 - ah;
    if (l >= TWO32) { l -= TWO32; h++; }
    if (l < 0) { l += TWO32; h--; }
    remQuotient = 1;
    return normPackExact(aSign ^ 1, aExp, h, l);
  }
  for (let n = 0; n <= d; n++) {
    let bit = 0;
    if (rc !== 0 || rh > bh || (rh === bh && rl >= bl)) {
      let l = rl - bl;
      let h = rh - bh;
      if (l < 0) { l += TWO32; h--; }
      if (h < 0) h += TWO32;
      rh = h;
      rl = l;
      rc = 0;
      bit = 1;
    }
    q = ((q << 1) | bit) & 7;
    if (n < d) {
      rc = rh >>> 31;
      rh = ((rh << 1) | (rl >>> 31)) >>> 0;
      rl = (rl << 1) >>> 0;
    }
  }
  let sign = aSign;
  if (nearest && (rh | rl) !== 0) {
    // Round the quotient to nearest: compare 2r with b.
    const r2h = rh * 2 + (rl >>> 31);
    const r2l = (rl << 1) >>> 0;
    const cmp = r2h > bh || (r2h === bh && r2l > bl) ? 1 : r2h === bh && r2l === bl ? 0 : -1;
    if (cmp > 0 || (cmp === 0 && (q & 1))) {
      let l = bl - rl;
      let h = bh - rh;
      if (l < 0) { l += TWO32; h--; }
      rh = h;
      rl = l;
      q = (q + 1) & 7;
      sign ^= 1;
    }
  }
  remPartial = partial;
  remQuotient = partial ? 0 : q;
  if ((rh | rl) === 0) return setZero(aSign);
  normPackExact(sign, scaleExp, rh, rl);
}

/** Normalise a non-zero 64-bit magnitude whose bit 63 has weight 2^e, and pack it exactly. */
function normPackExact(sign: number, e: number, hi: number, lo: number): void {
  normalizeSig(hi >>> 0, lo >>> 0);
  packExact(sign, e - nShift, nHi, nLo);
}

/** a × 2^trunc(b) (FSCALE). */
export function scale(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): void {
  const aCls = unpack(aSe, aHi, aLo);
  const aSign = uSign, aExp = uExp, ah = uHi, al = uLo, aDen = uDenormal;
  const bCls = unpack(bSe, bHi, bLo);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(aSe, aHi, aLo, aCls, bSe, bHi, bLo, bCls);
  if (bCls === Cls.INF) {
    if (uSign) {
      if (aCls === Cls.INF) return invalid();
      if (aDen) env.flags |= DE;
      return setZero(aSign);
    }
    if (aCls === Cls.ZERO) return invalid();
    if (aDen) env.flags |= DE;
    return setInf(aSign);
  }
  if (aDen || uDenormal) env.flags |= DE;
  if (aCls !== Cls.FINITE) return setRes(aSe, aHi, aLo);
  let n = 0;
  if (bCls === Cls.FINITE) {
    // Beyond ±2^20 every finite operand overflows or underflows the same way.
    n = uExp >= 20 ? 1 << 20 : uExp < 0 ? 0 : Math.floor(uHi / 2 ** (31 - uExp));
    if (uSign) n = -n;
  }
  roundPack(aSign, aExp + n, ah, al, 0, 64, Fmt.REG);
}

/** Exponent (exact, as a value) and significand of the last extract. */
export const extractExp = new F80();

/** Split a into exponent and significand (FXTRACT): extractExp and res. */
export function extract(se: number, hi: number, lo: number): void {
  const cls = unpack(se, hi, lo);
  if (isNaNOrBad(cls)) {
    nan1(se, hi, lo, cls);
    extractExp.se = res.se;
    extractExp.hi = res.hi;
    extractExp.lo = res.lo;
    return;
  }
  if (cls === Cls.ZERO) {
    env.flags |= ZE;
    extractExp.se = 0xffff;
    extractExp.hi = 0x80000000;
    extractExp.lo = 0;
    return setZero(uSign);
  }
  if (cls === Cls.INF) {
    extractExp.se = EXP_MAX;
    extractExp.hi = 0x80000000;
    extractExp.lo = 0;
    return setInf(uSign);
  }
  if (uDenormal) env.flags |= DE;
  fromInt32(uExp);
  extractExp.se = res.se;
  extractExp.hi = res.hi;
  extractExp.lo = res.lo;
  setRes((uSign << 15) | BIAS, uHi, uLo);
}

/** Round a normalised 96-bit significand (J bit weight 2^e) to the register format at full width. */
export function packRounded(sign: number, e: number, hi: number, lo: number, ext: number): void {
  roundPack(sign, e, hi, lo, ext, 64, Fmt.REG);
}

/**
 * Round a value a hair away from the finite non-zero x = se:hi:lo: just above
 * it in magnitude (dir > 0) or just below (dir < 0), closer than any bit the
 * format holds. For functions that equal x to far beyond 64 bits near 0.
 */
export function packNear(se: number, hi: number, lo: number, dir: number): void {
  unpack(se, hi, lo);
  if (dir > 0) return roundPack(uSign, uExp, uHi, uLo, 1, 64, Fmt.REG);
  let l = uLo - 1;
  let h = uHi;
  if (l < 0) {
    l += TWO32;
    h--;
  }
  normRoundPack(uSign, uExp, h, l, 0xffffffff, 64);
}

const f64Scratch = new Float64Array(1);
const u32Scratch = new Uint32Array(f64Scratch.buffer);

/** Exact register image of a double (no flags). */
export function fromDouble(d: number): void {
  f64Scratch[0] = d;
  const flags = env.flags;
  fromF64(u32Scratch[0], u32Scratch[1]);
  env.flags = flags;
}
