/** EFLAGS bits (SDM Vol. 1 §3.4.3). */
export const CF = 0x0001;
export const PF = 0x0004;
export const AF = 0x0010;
export const ZF = 0x0040;
export const SF = 0x0080;
export const TF = 0x0100;
export const IF = 0x0200;
export const DF = 0x0400;
export const OF = 0x0800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const VM = 0x20000;
export const AC = 0x40000;
export const VIF = 0x80000;
export const VIP = 0x100000;
export const ID = 0x200000;

/** The six status flags that arithmetic computes. */
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** Bit 1 always reads as 1. */
export const FIXED_ONE = 0x0002;
/** Bits software may change on a Pentium Pro class CPU (no VME/PVI). */
export const WRITABLE = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | RF | VM | AC | ID;

/**
 * How the lazily-evaluated flags were produced. Flags named in LAZY_MASK are
 * derived on demand from (op, a, b, result, size); everything the lazy fields can
 * express is exact, so materialising them never loses information.
 */
export const enum LazyOp {
  /** result = a + b (+ carry-in, recoverable from a, b and result). */
  ADD = 1,
  /** result = a - b (- borrow-in). */
  SUB = 2,
  /** CF = OF = AF = 0, the rest from the result. */
  LOGIC = 3,
}

/** Flag letters used in the opcode table, in EFLAGS bit order. */
export const FLAG_LETTERS: Record<string, number> = {
  c: CF,
  p: PF,
  a: AF,
  z: ZF,
  s: SF,
  t: TF,
  i: IF,
  d: DF,
  o: OF,
  I: IOPL,
  n: NT,
  r: RF,
  v: VM,
  A: AC,
  D: ID,
};

export function parseFlagLetters(s: string): number {
  let m = 0;
  for (const ch of s) {
    const bit = FLAG_LETTERS[ch];
    if (bit === undefined) throw new Error(`unknown flag letter '${ch}' in '${s}'`);
    m |= bit;
  }
  return m;
}

/** PF for every low byte: 1 when the byte has an even number of set bits. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i;
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  PARITY[i] = (b & 1) ^ 1;
}
