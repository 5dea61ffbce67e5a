/**
 * x87 double extended-precision arithmetic on exact 80-bit values, computed in
 * integer steps on 32-bit significand words: IEEE 754 rounding to 24, 53 or 64
 * bits in the four rounding modes, masked and unmasked responses, denormals,
 * and tininess detected after rounding, as the x87 does. Add, subtract,
 * multiply, divide, square root, remainders, round-to-integer, scaling and the
 * conversions give the bits a real x87 gives.
 *
 * A value is an F80: a Uint32Array of [sign/exponent word, significand bits
 * 63..32, bits 31..0], bit 63 being the explicit integer bit J. Operations take
 * F80 operands, write `res`, and OR the exceptions they raise into `env.flags`,
 * plus C1 when the result was rounded up in magnitude; the caller applies the
 * masks. Intermediate words live in typed arrays, never in boxed numbers, so
 * arithmetic allocates nothing.
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

/** Rounding control, CW bits 10..11 (3: toward zero). */
const RC_NEAREST = 0;
const RC_DOWN = 1;
const RC_UP = 2;

/** Rounding state of the instruction in progress and the flags it raised. */
class FpEnv {
  /** RC field. */
  rc = RC_NEAREST;
  /** Significand bits of arithmetic results (CW.PC: 24, 53, 64). */
  pc = 64;
  /** CW exception mask bits (1 = masked). */
  masks = 0x3f;
  /** Exception flags raised, and C1. */
  flags = 0;
}

/** The current instruction's rounding and exceptions: `begin` (src/cpu/x87/fpu.ts) loads it from the CPU's FCW (ARCHITECTURE.md "Module-level scratch"). */
export const env = new FpEnv();

/** An 80-bit register image: [sign/exponent, significand high word, low word]. */
export type F80 = Uint32Array;
export const SE = 0;
export const HI = 1;
export const LO = 2;

export function f80(se = 0, hi = 0, lo = 0): F80 {
  const x = new Uint32Array(3);
  x[SE] = se;
  x[HI] = hi;
  x[LO] = lo;
  return x;
}

/** Result of the last operation. */
export const res = f80();

const EXP_MAX = 0x7fff;
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
const enum Fmt {
  REG,
  F64,
  F32,
}
const FMT_BIAS = [BIAS, 1023, 127];
const FMT_INF = [EXP_MAX, 0x7ff, 0xff];

const TWO32 = 4294967296;

/** Word registers of the unit (indexes into W). */
const enum R {
  /** Significand of the last unpacked operand. */
  UH, UL,
  /** Significand of the first operand, kept while the second is unpacked. */
  AH, AL,
  /** Shift-right-jam input and output. */
  SH, SL, SX,
  /** normalizeSig input and output. */
  NH, NL,
  /** roundPack input: significand and the bits below it. */
  KH, KL, KX,
  /** 128-bit product, least significant word first. */
  P0, P1, P2, P3,
  /** Quotient and the bits below it. */
  QH, QL, QX,
  /** Integer magnitude of roundToInt. */
  IH, IL,
}
/** Working words of one operation, and the last unpacked operand below (ARCHITECTURE.md "Module-level scratch"). */
const W = new Uint32Array(24);

// The last unpacked operand's sign, J-bit exponent and whether it was a denormal.
let uSign = 0;
let uExp = 0;
let uDenormal = false;
let nShift = 0;

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
export function unpackTo(u: Unpacked, x: F80): Cls {
  const cls = unpack(x);
  u.cls = cls;
  u.sign = uSign;
  u.exp = uExp;
  u.hi = W[R.UH];
  u.lo = W[R.UL];
  u.denormal = uDenormal;
  return cls;
}

/** Classify a register image. */
export function classify(x: F80): Cls {
  const e = x[SE] & EXP_MAX;
  const hi = x[HI];
  if (e === EXP_MAX) {
    if (!(hi & 0x80000000)) return Cls.UNSUPPORTED;
    if ((hi & 0x7fffffff) === 0 && x[LO] === 0) return Cls.INF;
    return hi & 0x40000000 ? Cls.QNAN : Cls.SNAN;
  }
  if (e === 0) return hi === 0 && x[LO] === 0 ? Cls.ZERO : Cls.FINITE;
  return hi & 0x80000000 ? Cls.FINITE : Cls.UNSUPPORTED;
}

/** Unpack into uSign/uExp/uDenormal and W[UH..UL]; denormals (and pseudo-denormals) are normalised. */
function unpack(x: F80): Cls {
  const cls = classify(x);
  uSign = x[SE] >>> 15;
  uDenormal = false;
  if (cls !== Cls.FINITE) return cls;
  const e = x[SE] & EXP_MAX;
  if (e !== 0) {
    uExp = e - BIAS;
    W[R.UH] = x[HI];
    W[R.UL] = x[LO];
    return cls;
  }
  uDenormal = true;
  W[R.NH] = x[HI];
  W[R.NL] = x[LO];
  normalizeSig();
  uExp = 1 - BIAS - nShift;
  W[R.UH] = W[R.NH];
  W[R.UL] = W[R.NL];
  return cls;
}

/** Shift the non-zero 64-bit W[NH..NL] left until bit 63 is set; the count goes to nShift. */
function normalizeSig(): void {
  let hi = W[R.NH];
  let lo = W[R.NL];
  let s = 0;
  if (hi === 0) {
    hi = lo;
    lo = 0;
    s = 32;
  }
  const z = Math.clz32(hi);
  if (z) {
    hi = (hi << z) | (lo >>> (32 - z));
    lo = lo << z;
  }
  W[R.NH] = hi;
  W[R.NL] = lo;
  nShift = s + z;
}

function setResWords(se: number, from: R): void {
  res[SE] = se;
  res[HI] = W[from];
  res[LO] = W[from + 1];
}

/** Masked invalid operation: IE and the default NaN. */
export function invalid(): void {
  env.flags = (env.flags & ~DE) | IE;
  res[SE] = INDEF_SE;
  res[HI] = INDEF_HI;
  res[LO] = 0;
}

export function setZero(sign: number): void {
  res[SE] = sign << 15;
  res[HI] = 0;
  res[LO] = 0;
}

export function setInf(sign: number): void {
  res[SE] = (sign << 15) | EXP_MAX;
  res[HI] = 0x80000000;
  res[LO] = 0;
}

export function copyTo(to: F80, from: F80): void {
  to[SE] = from[SE];
  to[HI] = from[HI];
  to[LO] = from[LO];
}

/** One NaN operand: a signaling one raises IE and is quieted. */
export function nan1(x: F80, cls: Cls): void {
  if (cls === Cls.UNSUPPORTED) return invalid();
  if (cls === Cls.SNAN) env.flags = (env.flags & ~DE) | IE;
  res[SE] = x[SE];
  res[HI] = x[HI] | 0x40000000;
  res[LO] = x[LO];
}

/**
 * Two operands, at least one a NaN or unsupported (SDM Vol. 1 Table 4-7): a
 * quiet NaN wins over a signaling one, between two of a kind the larger
 * significand (then the smaller sign/exponent word, i.e. the positive one).
 */
export function nan2(a: F80, aCls: Cls, b: F80, bCls: Cls): void {
  if (aCls === Cls.UNSUPPORTED || bCls === Cls.UNSUPPORTED) return invalid();
  if (aCls === Cls.SNAN || bCls === Cls.SNAN) env.flags = (env.flags & ~DE) | IE;
  const aNaN = aCls === Cls.QNAN || aCls === Cls.SNAN;
  const bNaN = bCls === Cls.QNAN || bCls === Cls.SNAN;
  let pickA: boolean;
  if (aNaN && bNaN) {
    if (aCls !== bCls) pickA = aCls === Cls.QNAN;
    else {
      const ah = (a[HI] | 0x40000000) >>> 0;
      const bh = (b[HI] | 0x40000000) >>> 0;
      if (ah !== bh) pickA = ah > bh;
      else if (a[LO] !== b[LO]) pickA = a[LO] > b[LO];
      else pickA = a[SE] <= b[SE];
    }
  } else pickA = aNaN;
  nan1(pickA ? a : b, Cls.QNAN);
}

/** NaN or unsupported: the operand decides the result through nan1/nan2. */
export const isNaNOrBad = (cls: Cls) => cls >= Cls.QNAN;

/**
 * A denormal operand raises DE. Unmasked, it is a pre-computation exception:
 * the operation stops there (true), with no result and no other flag.
 */
export function denormalStops(): boolean {
  env.flags |= DE;
  return (env.masks & DE) === 0;
}

// ---- rounding ---------------------------------------------------------------

/** Shift W[SH..SX] right by n, ORing every bit shifted out into bit 0 of SX. */
function shiftRightJam(n: number): void {
  let hi = W[R.SH];
  let lo = W[R.SL];
  let ext = W[R.SX];
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
  W[R.SH] = hi;
  W[R.SL] = lo;
  W[R.SX] = ext | (sticky !== 0 ? 1 : 0);
}

/** Whether rounding W[KH..KX] at bit k (0..40 discarded bits) increments, in mode rc. */
function roundsUp(sign: number, k: number, rc: number): boolean {
  const hi = W[R.KH], lo = W[R.KL], ext = W[R.KX];
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

/** Whether W[KH..KX] has bits below bit k. */
function inexactAt(k: number): boolean {
  if (W[R.KX] !== 0) return true;
  if (k === 0) return false;
  if (k < 32) return (W[R.KL] & ((1 << k) - 1)) !== 0;
  return W[R.KL] !== 0 || (W[R.KH] & ((1 << (k - 32)) - 1)) !== 0;
}

/** Whether significand bits k..63 of W[KH..KL] are all set (rounding up there carries out of bit 63). */
function allOnesAbove(k: number): boolean {
  if (k >= 32) return W[R.KH] >>> (k - 32) === 0xffffffff >>> (k - 32);
  return W[R.KH] === 0xffffffff && W[R.KL] >>> k === 0xffffffff >>> k;
}

/**
 * Round (-1)^sign × W[KH..KX], normalised (bit 63 set, weight 2^e), to `p`
 * significant bits of format `fmt` and pack it into `res` (exponent biased for
 * that format; for F64/F32 the significand keeps its J-bit alignment). Raises
 * PE, UE, OE and C1 as the x87 does, with masked or unmasked responses.
 */
function roundPack(sign: number, e: number, p: number, fmt: Fmt): void {
  const rc = env.rc;
  const masks = env.masks;
  const k = 64 - p;
  let be = e + FMT_BIAS[fmt];
  let tiny = false;
  if (be <= 0) {
    // Tininess after rounding: not tiny when rounding with unbounded exponent reaches 2^emin.
    tiny = be < 0 || !(allOnesAbove(k) && roundsUp(sign, k, rc));
    // Unmasked, a register result is wrapped into range; one the wrap cannot reach gets the masked response.
    if (tiny && !(masks & UE) && (fmt !== Fmt.REG || be + WRAP > 0)) {
      env.flags |= UE;
      if (fmt !== Fmt.REG) return;
      be += WRAP;
      tiny = false;
    } else {
      W[R.SH] = W[R.KH];
      W[R.SL] = W[R.KL];
      W[R.SX] = W[R.KX];
      shiftRightJam(1 - be);
      W[R.KH] = W[R.SH];
      W[R.KL] = W[R.SL];
      W[R.KX] = W[R.SX];
      be = 0;
    }
  }
  const inexact = inexactAt(k);
  const up = inexact && roundsUp(sign, k, rc);
  let hi = W[R.KH];
  let lo = W[R.KL];
  if (up) {
    if (k < 32) {
      lo += 1 << k;
      if (lo >= TWO32) {
        lo -= TWO32;
        hi += 1;
      }
    } else hi += 1 << (k - 32);
    if (hi >= TWO32) {
      hi = 0x80000000;
      lo = 0;
      be++;
    } else if (be === 0 && hi >= 0x80000000) be = 1;
  }
  if (k < 32) lo &= ~((1 << k) - 1);
  else {
    lo = 0;
    hi &= ~((1 << (k - 32)) - 1);
  }
  if (be >= FMT_INF[fmt]) {
    if (!(masks & OE) && (fmt !== Fmt.REG || be - WRAP < FMT_INF[fmt])) {
      env.flags |= OE | (inexact ? PE : 0) | (up ? C1 : 0);
      if (fmt !== Fmt.REG) return;
      res[SE] = (sign << 15) | (be - WRAP);
      res[HI] = hi;
      res[LO] = lo;
      return;
    }
    env.flags |= OE | PE;
    const toInf = rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign !== 0);
    if (toInf) {
      env.flags |= C1;
      res[SE] = (sign << 15) | FMT_INF[fmt];
      res[HI] = 0x80000000;
      res[LO] = 0;
    } else {
      env.flags &= ~C1;
      res[SE] = (sign << 15) | (FMT_INF[fmt] - 1);
      res[HI] = p >= 32 ? 0xffffffff : 0xffffffff << (32 - p);
      res[LO] = p <= 32 ? 0 : p >= 64 ? 0xffffffff : 0xffffffff << (64 - p);
    }
    return;
  }
  if (inexact) {
    env.flags |= PE | (tiny ? UE : 0);
    if (up) env.flags |= C1;
  }
  if (hi === 0 && lo === 0) be = 0;
  res[SE] = (sign << 15) | be;
  res[HI] = hi;
  res[LO] = lo;
}

/** roundPack of the unpacked operand itself, at p bits. */
function roundUnpacked(p: number): void {
  W[R.KH] = W[R.UH];
  W[R.KL] = W[R.UL];
  W[R.KX] = 0;
  roundPack(uSign, uExp, p, Fmt.REG);
}

/** Normalise W[KH..KX] (not all zero) and round it to register format. */
function normRoundPack(sign: number, e: number, p: number): void {
  let hi = W[R.KH], lo = W[R.KL], ext = W[R.KX];
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
  W[R.KH] = hi;
  W[R.KL] = lo;
  W[R.KX] = ext;
  roundPack(sign, e, p, Fmt.REG);
}

// ---- add, subtract ----------------------------------------------------------

/** a + b (sub: a - b), rounded to the precision control. */
export function add(a: F80, b: F80, sub: boolean): void {
  const p = env.pc;
  const aCls = unpack(a);
  const aSign = uSign, aExp = uExp, aDen = uDenormal;
  W[R.AH] = W[R.UH];
  W[R.AL] = W[R.UL];
  const bCls = unpack(b);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(a, aCls, b, bCls);
  const bSign = uSign ^ (sub ? 1 : 0);
  if ((aDen || uDenormal) && denormalStops()) return;
  if (aCls === Cls.INF || bCls === Cls.INF) {
    if (aCls === Cls.INF && bCls === Cls.INF && aSign !== bSign) return invalid();
    return setInf(aCls === Cls.INF ? aSign : bSign);
  }
  if (bCls === Cls.ZERO) {
    if (aCls === Cls.ZERO) return setZero(aSign === bSign ? aSign : env.rc === RC_DOWN ? 1 : 0);
    W[R.KH] = W[R.AH];
    W[R.KL] = W[R.AL];
    W[R.KX] = 0;
    return roundPack(aSign, aExp, p, Fmt.REG);
  }
  if (aCls === Cls.ZERO) {
    uSign = bSign;
    return roundUnpacked(p);
  }
  addFinite(aSign, aExp, bSign, uExp, p);
}

/** Sum of two finite non-zero normalised values (A in W[AH..AL], B in W[UH..UL]), rounded to p bits. */
function addFinite(aSign: number, aExp: number, bSign: number, bExp: number, p: number): void {
  let ah = W[R.AH], al = W[R.AL], bh = W[R.UH], bl = W[R.UL];
  // Order by magnitude: A is the larger.
  if (bExp > aExp || (bExp === aExp && (bh > ah || (bh === ah && bl > al)))) {
    let t = aSign; aSign = bSign; bSign = t;
    t = aExp; aExp = bExp; bExp = t;
    t = ah; ah = bh; bh = t;
    t = al; al = bl; bl = t;
  }
  W[R.SH] = bh;
  W[R.SL] = bl;
  W[R.SX] = 0;
  shiftRightJam(aExp - bExp);
  bh = W[R.SH];
  bl = W[R.SL];
  const bx = W[R.SX];
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
    W[R.KH] = hi;
    W[R.KL] = lo;
    W[R.KX] = ext;
    return roundPack(aSign, e, p, Fmt.REG);
  }
  let borrow = bx !== 0 ? 1 : 0;
  let lo = al - bl - borrow;
  borrow = lo < 0 ? 1 : 0;
  if (borrow) lo += TWO32;
  const hi = ah - bh - borrow;
  if (hi === 0 && lo === 0 && bx === 0) return setZero(env.rc === RC_DOWN ? 1 : 0);
  W[R.KH] = hi;
  W[R.KL] = lo;
  W[R.KX] = -bx;
  normRoundPack(aSign, aExp, p);
}

// ---- multiply ---------------------------------------------------------------

/** W[AH..AL] × W[UH..UL] → W[P3..P0], in 16-bit columns (each sum stays below 2^36, exact in a double). */
function mul64(): void {
  const al = W[R.AL], ah = W[R.AH], bl = W[R.UL], bh = W[R.UH];
  const a0 = al & 0xffff, a1 = al >>> 16, a2 = ah & 0xffff, a3 = ah >>> 16;
  const b0 = bl & 0xffff, b1 = bl >>> 16, b2 = bh & 0xffff, b3 = bh >>> 16;
  let t = a0 * b0;
  const d0 = (t >>> 0) & 0xffff;
  t = (t - d0) / 65536 + a0 * b1 + a1 * b0;
  const d1 = (t >>> 0) & 0xffff;
  t = (t - d1) / 65536 + a0 * b2 + a1 * b1 + a2 * b0;
  const d2 = (t >>> 0) & 0xffff;
  t = (t - d2) / 65536 + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const d3 = (t >>> 0) & 0xffff;
  t = (t - d3) / 65536 + a1 * b3 + a2 * b2 + a3 * b1;
  const d4 = (t >>> 0) & 0xffff;
  t = (t - d4) / 65536 + a2 * b3 + a3 * b2;
  const d5 = (t >>> 0) & 0xffff;
  t = (t - d5) / 65536 + a3 * b3;
  const d6 = (t >>> 0) & 0xffff;
  const d7 = (t - d6) / 65536;
  W[R.P0] = d0 | (d1 << 16);
  W[R.P1] = d2 | (d3 << 16);
  W[R.P2] = d4 | (d5 << 16);
  W[R.P3] = d6 | (d7 << 16);
}

/** a × b, rounded to the precision control. */
export function mul(a: F80, b: F80): void {
  const aCls = unpack(a);
  const aExp = uExp, aDen = uDenormal;
  W[R.AH] = W[R.UH];
  W[R.AL] = W[R.UL];
  const bCls = unpack(b);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(a, aCls, b, bCls);
  const sign = ((a[SE] ^ b[SE]) >>> 15) & 1;
  if ((aDen || uDenormal) && denormalStops()) return;
  if (aCls === Cls.INF || bCls === Cls.INF) {
    if (aCls === Cls.ZERO || bCls === Cls.ZERO) return invalid();
    return setInf(sign);
  }
  if (aCls === Cls.ZERO || bCls === Cls.ZERO) return setZero(sign);
  mul64();
  let e = aExp + uExp;
  const p1 = W[R.P1];
  const sticky = W[R.P0] !== 0 ? 1 : 0;
  if (W[R.P3] & 0x80000000) {
    e++;
    W[R.KH] = W[R.P3];
    W[R.KL] = W[R.P2];
    W[R.KX] = p1 | sticky;
  } else {
    W[R.KH] = (W[R.P3] << 1) | (W[R.P2] >>> 31);
    W[R.KL] = (W[R.P2] << 1) | (p1 >>> 31);
    W[R.KX] = (p1 << 1) | sticky;
  }
  roundPack(sign, e, env.pc, Fmt.REG);
}

// ---- divide -----------------------------------------------------------------

/** a / b, rounded to the precision control. */
export function div(a: F80, b: F80): void {
  const aCls = unpack(a);
  const aExp = uExp, aDen = uDenormal;
  W[R.AH] = W[R.UH];
  W[R.AL] = W[R.UL];
  const bCls = unpack(b);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(a, aCls, b, bCls);
  const sign = ((a[SE] ^ b[SE]) >>> 15) & 1;
  if ((aDen || uDenormal) && denormalStops()) return;
  if (aCls === Cls.INF) return bCls === Cls.INF ? invalid() : setInf(sign);
  if (bCls === Cls.INF) return setZero(sign);
  if (bCls === Cls.ZERO) {
    if (aCls === Cls.ZERO) return invalid();
    env.flags = (env.flags & ~DE) | ZE;
    return setInf(sign);
  }
  if (aCls === Cls.ZERO) return setZero(sign);
  const doubled = divSig();
  W[R.KH] = W[R.QH];
  W[R.KL] = W[R.QL];
  W[R.KX] = W[R.QX];
  roundPack(sign, aExp - uExp - (doubled ? 1 : 0), env.pc, Fmt.REG);
}

/**
 * Quotient of the normalised significands W[AH..AL] / W[UH..UL]: 64 bits in
 * W[QH..QL] with bit 63 set, the next bit in bit 31 of W[QX] and a sticky
 * remainder bit in bit 0. Returns whether the dividend was doubled (a < b).
 */
function divSig(): boolean {
  const ah = W[R.AH], al = W[R.AL], bh = W[R.UH], bl = W[R.UL];
  let rc = 0, rh = ah, rl = al;
  const doubled = ah < bh || (ah === bh && al < bl);
  if (doubled) {
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
  W[R.QH] = qh;
  W[R.QL] = ql;
  W[R.QX] = (round << 31) | (rc | rh | rl ? 1 : 0);
  return doubled;
}

// ---- square root ------------------------------------------------------------

/** √a, rounded to the precision control. */
export function sqrt(a: F80): void {
  const cls = unpack(a);
  if (isNaNOrBad(cls)) return nan1(a, cls);
  if (cls === Cls.ZERO) return setZero(uSign);
  if (uSign) return invalid();
  if (cls === Cls.INF) return setInf(0);
  if (uDenormal && denormalStops()) return;
  const e = uExp;
  const hi = W[R.UH], lo = W[R.UL];
  // Radicand X = sig << (65 + (e & 1)), 130 bits; q = floor(√X) has 65 bits.
  const shift = 65 + (e & 1);
  let r2 = 0, r1 = 0, r0 = 0;
  let q2 = 0, q1 = 0, q0 = 0;
  for (let i = 64; i >= 0; i--) {
    // Next two radicand bits: X bits 2i+1, 2i = significand bits 2i+1-shift, 2i-shift.
    const j = 2 * i - shift;
    let pair = 0;
    if (j + 1 >= 0 && j + 1 < 64) pair = (j + 1 >= 32 ? (hi >>> (j - 31)) & 1 : (lo >>> (j + 1)) & 1) << 1;
    if (j >= 0 && j < 64) pair |= j >= 32 ? (hi >>> (j - 32)) & 1 : (lo >>> j) & 1;
    r2 = ((r2 << 2) | (r1 >>> 30)) >>> 0;
    r1 = ((r1 << 2) | (r0 >>> 30)) >>> 0;
    r0 = ((r0 << 2) | pair) >>> 0;
    // Trial t = (q << 2) | 1.
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
  // q (65 bits, q2 = 1): significand q >> 1, round bit q & 1, sticky from the remainder.
  W[R.KH] = (q2 << 31) | (q1 >>> 1);
  W[R.KL] = (q1 << 31) | (q0 >>> 1);
  W[R.KX] = ((q0 & 1) << 31) | (r2 | r1 | r0 ? 1 : 0);
  roundPack(0, e >> 1, env.pc, Fmt.REG);
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
export function compare(a: F80, b: F80, quiet: boolean): Rel {
  const aCls = unpack(a);
  const aSign = uSign, aExp = uExp, aDen = uDenormal;
  const ah = W[R.UH], al = W[R.UL];
  const bCls = unpack(b);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) {
    if (!quiet || aCls === Cls.SNAN || bCls === Cls.SNAN || aCls === Cls.UNSUPPORTED || bCls === Cls.UNSUPPORTED) {
      env.flags = (env.flags & ~DE) | IE;
    }
    return Rel.UNORDERED;
  }
  // A denormal operand does not stop a compare: the condition codes are set either way.
  if (aDen || uDenormal) env.flags |= DE;
  const bSign = uSign;
  if (aCls === Cls.ZERO && bCls === Cls.ZERO) return Rel.EQ;
  if (aCls === Cls.ZERO) return bSign ? Rel.GT : Rel.LT;
  if (bCls === Cls.ZERO) return aSign ? Rel.LT : Rel.GT;
  if (aSign !== bSign) return aSign ? Rel.LT : Rel.GT;
  const bh = W[R.UH], bl = W[R.UL];
  let mag: number;
  if (aCls === Cls.INF || bCls === Cls.INF) mag = aCls === bCls ? 0 : aCls === Cls.INF ? 1 : -1;
  else if (aExp !== uExp) mag = aExp > uExp ? 1 : -1;
  else if (ah !== bh) mag = ah > bh ? 1 : -1;
  else if (al !== bl) mag = al > bl ? 1 : -1;
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
  res[SE] = (sign << 15) | (BIAS + 31 - z);
  res[HI] = m << z;
  res[LO] = 0;
}

/** Exact conversion of a signed 64-bit integer given as two's-complement halves. */
export function fromInt64(lo: number, hi: number): void {
  const sign = hi >>> 31;
  if (sign) {
    lo = ~lo + 1;
    hi = ~hi + ((lo | 0) === 0 ? 1 : 0);
  }
  W[R.NH] = hi;
  W[R.NL] = lo;
  fromMag64(sign);
}

/** Register image of the magnitude in W[NH..NL] with the given sign. */
function fromMag64(sign: number): void {
  if (W[R.NH] === 0 && W[R.NL] === 0) return setZero(sign);
  normalizeSig();
  setResWords((sign << 15) | (BIAS + 63 - nShift), R.NH);
}

/**
 * Round the unpacked finite value to an integer magnitude in W[IH..IL] by `rc`,
 * raising PE and C1. Returns false when it needs more than 64 bits.
 */
function roundToInt(rc: number): boolean {
  const e = uExp;
  if (e >= 64) return false;
  if (e === 63) {
    W[R.IH] = W[R.UH];
    W[R.IL] = W[R.UL];
    return true;
  }
  W[R.SH] = W[R.UH];
  W[R.SL] = W[R.UL];
  W[R.SX] = 0;
  shiftRightJam(63 - e);
  let hi = W[R.SH], lo = W[R.SL];
  const ext = W[R.SX];
  if (ext !== 0) {
    env.flags |= PE;
    W[R.KH] = hi;
    W[R.KL] = lo;
    W[R.KX] = ext;
    if (roundsUp(uSign, 0, rc)) {
      env.flags |= C1;
      lo++;
      if (lo >= TWO32) {
        lo = 0;
        hi++;
        if (hi >= TWO32) return false;
      }
    }
  }
  W[R.IH] = hi;
  W[R.IL] = lo;
  return true;
}

/** Result of toInt (two's-complement halves) and toFloat (double: both, single: lo), read by the caller at once (ARCHITECTURE.md "Module-level scratch"). */
export const out = new Uint32Array(2);
export const OUT_LO = 0;
export const OUT_HI = 1;

/**
 * Convert to a signed integer of `bits` (16, 32, 64) by `rc` into `out`: NaN,
 * infinity and out-of-range values raise IE and give the integer indefinite.
 */
export function toInt(a: F80, bits: number, rc: number): void {
  const cls = unpack(a);
  out[OUT_LO] = 0;
  out[OUT_HI] = 0;
  if (cls === Cls.ZERO) return;
  let ok = cls === Cls.FINITE && roundToInt(rc);
  if (ok) {
    const neg = uSign !== 0;
    const ih = W[R.IH], il = W[R.IL];
    if (bits === 64) ok = ih < 0x80000000 || (neg && ih === 0x80000000 && il === 0);
    else {
      const lim = bits === 32 ? 0x80000000 : 0x8000;
      ok = ih === 0 && (il < lim || (neg && il === lim));
    }
    if (ok) {
      if (neg) {
        out[OUT_LO] = ~il + 1;
        out[OUT_HI] = ~ih + (out[OUT_LO] === 0 ? 1 : 0);
      } else {
        out[OUT_LO] = il;
        out[OUT_HI] = ih;
      }
      if (bits < 64) out[OUT_HI] = 0;
      if (bits === 16) out[OUT_LO] &= 0xffff;
      return;
    }
  }
  env.flags = (env.flags & ~(PE | C1)) | IE;
  if (bits === 64) out[OUT_HI] = 0x80000000;
  else out[OUT_LO] = bits === 32 ? 0x80000000 : 0x8000;
}

/** Round to an integer in register format by the rounding control (FRNDINT). */
export function roundInt(a: F80): void {
  const cls = unpack(a);
  if (isNaNOrBad(cls)) return nan1(a, cls);
  if (cls !== Cls.FINITE) return copyTo(res, a);
  if (uDenormal && denormalStops()) return;
  if (uExp >= 63) return copyTo(res, a);
  roundToInt(env.rc);
  W[R.NH] = W[R.IH];
  W[R.NL] = W[R.IL];
  fromMag64(uSign);
}

/** BCD result digits of toBcd: bytes 0..9 of the m80 image, read by the caller at once (as `out`). */
export const bcd = new Uint8Array(10);

/**
 * Convert to 18-digit packed BCD by the rounding control (FBSTP); values beyond
 * 18 digits, NaNs and infinities raise IE and give the BCD indefinite.
 */
export function toBcd(a: F80): void {
  const cls = unpack(a);
  bcd.fill(0);
  bcd[9] = (a[SE] >>> 8) & 0x80;
  if (cls === Cls.ZERO) return;
  // Below 10^18 = 0x0DE0B6B3_A7640000.
  const ok =
    cls === Cls.FINITE &&
    roundToInt(env.rc) &&
    (W[R.IH] < 0x0de0b6b3 || (W[R.IH] === 0x0de0b6b3 && W[R.IL] < 0xa7640000));
  if (!ok) {
    env.flags = (env.flags & ~(PE | C1)) | IE;
    bcd.fill(0);
    bcd[7] = 0xc0;
    bcd[8] = 0xff;
    bcd[9] = 0xff;
    return;
  }
  let h = W[R.IH], l = W[R.IL];
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
  W[R.NH] = h;
  W[R.NL] = l;
  fromMag64(b[9] >>> 7);
}

// ---- single and double formats ----------------------------------------------

/** Exact conversion of an IEEE double given as halves; a denormal raises DE, NaNs stay as they are. */
export function fromF64(lo: number, hi: number): void {
  const sign = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  const fh = hi & 0xfffff;
  const sigHi = (fh << 11) | (lo >>> 21);
  if (e === 0) {
    if (fh === 0 && lo === 0) return setZero(sign);
    env.flags |= DE;
    W[R.NH] = sigHi;
    W[R.NL] = lo << 11;
    normalizeSig();
    return setResWords((sign << 15) | (BIAS - 1022 - nShift), R.NH);
  }
  res[SE] = (sign << 15) | (e === 0x7ff ? EXP_MAX : e - 1023 + BIAS);
  res[HI] = 0x80000000 | sigHi;
  res[LO] = lo << 11;
}

/** Exact conversion of an IEEE single; a denormal raises DE, NaNs stay as they are. */
export function fromF32(v: number): void {
  const sign = v >>> 31;
  const e = (v >>> 23) & 0xff;
  const f = v & 0x7fffff;
  if (e === 0) {
    if (f === 0) return setZero(sign);
    env.flags |= DE;
    W[R.NH] = f << 8;
    W[R.NL] = 0;
    normalizeSig();
    return setResWords((sign << 15) | (BIAS - 126 - nShift), R.NH);
  }
  res[SE] = (sign << 15) | (e === 0xff ? EXP_MAX : e - 127 + BIAS);
  res[HI] = 0x80000000 | (f << 8);
  res[LO] = 0;
}

/**
 * Round to single (bits 32) or double (64) format by the rounding control, as a
 * store does, into `out`. A signaling NaN raises IE and is stored quiet;
 * unsupported operands store the default NaN.
 */
export function toFloat(a: F80, bits: number): void {
  const cls = unpack(a);
  const f32 = bits === 32;
  const sign = uSign;
  switch (cls) {
    case Cls.ZERO:
      out[OUT_HI] = f32 ? 0 : sign << 31;
      out[OUT_LO] = f32 ? sign << 31 : 0;
      return;
    case Cls.INF:
      res[SE] = (sign << 15) | (f32 ? 0xff : 0x7ff);
      res[HI] = 0x80000000;
      res[LO] = 0;
      break;
    case Cls.QNAN:
    case Cls.SNAN:
    case Cls.UNSUPPORTED:
      nan1(a, cls);
      res[SE] = (res[SE] & 0x8000) | (f32 ? 0xff : 0x7ff);
      break;
    default:
      W[R.KH] = W[R.UH];
      W[R.KL] = W[R.UL];
      W[R.KX] = 0;
      roundPack(sign, uExp, f32 ? 24 : 53, f32 ? Fmt.F32 : Fmt.F64);
  }
  const s = res[SE] >>> 15;
  const e = res[SE] & 0x7fff;
  const hi = res[HI] & 0x7fffffff;
  if (f32) {
    out[OUT_HI] = 0;
    out[OUT_LO] = (s << 31) | (e << 23) | (hi >>> 8);
  } else {
    out[OUT_HI] = (s << 31) | (e << 20) | (hi >>> 11);
    out[OUT_LO] = (hi << 21) | (res[LO] >>> 11);
  }
}

// ---- remainders, scaling, exponent extraction -------------------------------

/**
 * Outcome of the last remainder: whether it produced a number (else the NaN
 * paths left the condition codes alone), the low three quotient bits, and
 * whether the reduction was partial (C2).
 */
export const remainder = { done: false, quotient: 0, partial: false };

/**
 * Partial remainder a rem b (FPREM: truncating quotient; FPREM1: IEEE, nearest).
 * An exponent difference of 64 or more reduces it by 32 + (difference mod 32)
 * bits only and sets `partial` (C2), as the reference unit does.
 */
export function rem(a: F80, b: F80, nearest: boolean): void {
  const info = remainder;
  info.quotient = 0;
  info.partial = false;
  info.done = false;
  const aCls = unpack(a);
  const aSign = uSign, aExp = uExp, aDen = uDenormal;
  const ah = W[R.UH], al = W[R.UL];
  const bCls = unpack(b);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(a, aCls, b, bCls);
  if ((aDen || uDenormal) && denormalStops()) return;
  if (aCls === Cls.INF || bCls === Cls.ZERO) return invalid();
  info.done = true;
  if (aCls === Cls.ZERO) return copyTo(res, a);
  if (bCls === Cls.INF || aExp - uExp < -1 || (aExp - uExp === -1 && !nearest)) {
    // |a| < |b| (or < |b|/2 to nearest): a itself, in canonical form.
    W[R.KH] = ah;
    W[R.KL] = al;
    W[R.KX] = 0;
    return roundPack(aSign, aExp, 64, Fmt.REG);
  }
  const bExp = uExp, bh = W[R.UH], bl = W[R.UL];
  let d = aExp - bExp;
  if (d === -1) {
    // |a| in [|b|/2, |b|): quotient 1 when |a| > |b|/2, and a - b = -(2·sig b - sig a) at a's scale.
    if (!(ah > bh || (ah === bh && al > bl))) {
      W[R.KH] = ah;
      W[R.KL] = al;
      W[R.KX] = 0;
      return roundPack(aSign, aExp, 64, Fmt.REG);
    }
    let l = bl * 2 - al;
    let h = bh * 2 - ah;
    if (l >= TWO32) { l -= TWO32; h++; }
    if (l < 0) { l += TWO32; h--; }
    info.quotient = 1;
    return normPackExact(aSign ^ 1, aExp, h, l);
  }
  let scaleExp = bExp;
  if (d >= 64) {
    const n = 32 + (d % 32);
    scaleExp = bExp + d - n;
    d = n;
    info.partial = true;
    nearest = false;
  }
  let rc = 0, rh = ah, rl = al;
  let q = 0;
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
    // Round the quotient to nearest, ties to even: compare 2r with b.
    const r2h = rh * 2 + (rl >>> 31);
    const r2l = (rl << 1) >>> 0;
    const cmp = r2h > bh || (r2h === bh && r2l > bl) ? 1 : r2h === bh && r2l === bl ? 0 : -1;
    if (cmp > 0 || (cmp === 0 && q & 1)) {
      let l = bl - rl;
      let h = bh - rh;
      if (l < 0) { l += TWO32; h--; }
      rh = h;
      rl = l;
      q = (q + 1) & 7;
      sign ^= 1;
    }
  }
  info.quotient = info.partial ? 0 : q;
  if ((rh | rl) === 0) return setZero(aSign);
  normPackExact(sign, scaleExp, rh, rl);
}

/** Normalise a non-zero 64-bit magnitude whose bit 63 has weight 2^e, and pack it (exact unless denormal). */
function normPackExact(sign: number, e: number, hi: number, lo: number): void {
  W[R.NH] = hi;
  W[R.NL] = lo;
  normalizeSig();
  W[R.KH] = W[R.NH];
  W[R.KL] = W[R.NL];
  W[R.KX] = 0;
  roundPack(sign, e - nShift, 64, Fmt.REG);
}

/** a × 2^trunc(b) (FSCALE). */
export function scale(a: F80, b: F80): void {
  const aCls = unpack(a);
  const aSign = uSign, aExp = uExp, aDen = uDenormal;
  W[R.AH] = W[R.UH];
  W[R.AL] = W[R.UL];
  const bCls = unpack(b);
  if (isNaNOrBad(aCls) || isNaNOrBad(bCls)) return nan2(a, aCls, b, bCls);
  if (bCls === Cls.INF) {
    if (uSign) {
      if (aCls === Cls.INF) return invalid();
      if (aDen && denormalStops()) return;
      return setZero(aSign);
    }
    if (aCls === Cls.ZERO) return invalid();
    if (aDen && denormalStops()) return;
    return setInf(aSign);
  }
  if ((aDen || uDenormal) && denormalStops()) return;
  if (aCls !== Cls.FINITE) return copyTo(res, a);
  let n = 0;
  if (bCls === Cls.FINITE) {
    // Beyond ±2^20 every finite operand overflows or underflows the same way.
    n = uExp >= 20 ? 1 << 20 : uExp < 0 ? 0 : W[R.UH] >>> (31 - uExp);
    if (uSign) n = -n;
  }
  W[R.KH] = W[R.AH];
  W[R.KL] = W[R.AL];
  W[R.KX] = 0;
  roundPack(aSign, aExp + n, 64, Fmt.REG);
}

/** Exponent (exact, as a value) of the last extract; its significand goes to res. */
export const extractExp = f80();

/** Split a into exponent and significand (FXTRACT): extractExp and res. */
export function extract(a: F80): void {
  const cls = unpack(a);
  if (isNaNOrBad(cls)) {
    nan1(a, cls);
    copyTo(extractExp, res);
    return;
  }
  if (cls === Cls.ZERO) {
    env.flags |= ZE;
    extractExp[SE] = 0xffff;
    extractExp[HI] = 0x80000000;
    extractExp[LO] = 0;
    return setZero(uSign);
  }
  if (cls === Cls.INF) {
    extractExp[SE] = EXP_MAX;
    extractExp[HI] = 0x80000000;
    extractExp[LO] = 0;
    return setInf(uSign);
  }
  if (uDenormal && denormalStops()) return;
  const sign = uSign;
  fromInt32(uExp);
  copyTo(extractExp, res);
  setResWords((sign << 15) | BIAS, R.UH);
}

// ---- helpers for the transcendental functions ---------------------------------

/** Round a constant given as [J-bit exponent, 96 significand bits] to the register format by RC. */
export function packConstant(sign: number, e: number, hi: number, lo: number, ext: number): void {
  W[R.KH] = hi;
  W[R.KL] = lo;
  W[R.KX] = ext;
  roundPack(sign, e, 64, Fmt.REG);
}

/**
 * Round a value a hair away from the finite non-zero x: just above it in
 * magnitude (dir > 0) or just below (dir < 0), closer than any bit the format
 * holds. For functions that equal x to far beyond 64 bits near 0.
 */
export function packNear(x: F80, dir: number): void {
  unpack(x);
  if (dir > 0) {
    W[R.KH] = W[R.UH];
    W[R.KL] = W[R.UL];
    W[R.KX] = 1;
    return roundPack(uSign, uExp, 64, Fmt.REG);
  }
  let l = W[R.UL] - 1;
  let h = W[R.UH];
  if (l < 0) {
    l += TWO32;
    h--;
  }
  W[R.KH] = h;
  W[R.KL] = l;
  W[R.KX] = 0xffffffff;
  normRoundPack(uSign, uExp, 64);
}

const f64Scratch = new Float64Array(1);
const u32Scratch = new Uint32Array(f64Scratch.buffer);

/** Unpack a non-zero finite double (its exact register image) into uSign/uExp/W[UH..UL]. */
function unpackDouble(d: number): void {
  f64Scratch[0] = d;
  const flags = env.flags;
  fromF64(u32Scratch[0], u32Scratch[1]);
  env.flags = flags;
  unpack(res);
}

/**
 * Round (h + l)·2^scale to the register format at full width, h and l finite
 * doubles: the sum is formed exactly, with the exponent unbounded, and rounded
 * once (the transcendental functions deliver double-double results this way).
 */
export function packDoubles(h: number, l: number, scale: number): void {
  if (h === 0) {
    if (l === 0) return setZero(Object.is(h, -0) ? 1 : 0);
    h = l;
    l = 0;
  }
  unpackDouble(h);
  const hSign = uSign, hExp = uExp + scale;
  if (l === 0) {
    uSign = hSign;
    uExp = hExp;
    return roundUnpacked(64);
  }
  W[R.AH] = W[R.UH];
  W[R.AL] = W[R.UL];
  unpackDouble(l);
  addFinite(hSign, hExp, uSign, uExp + scale, 64);
}
