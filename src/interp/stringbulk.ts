/**
 * Many iterations of a REP string instruction at once, on the typed arrays.
 *
 * string.ts runs the first element of every run through the ordinary element step,
 * so segment rights, page walks (with their accessed/dirty updates), faults, MMIO
 * and code-write notification happen there exactly as the element loop has them.
 * A bulk run then takes the following elements for as long as the element loop
 * provably does nothing else: all in one page whose TLB entry already grants the
 * access (so each element would translate without a walk), within the segment
 * limit without the index wrapping, in RAM, and, for writes, outside any chunk of
 * code the CPU would tell the code-write subscribers about. Anything else returns 0 and the loop
 * takes one more element step.
 */
import { ATTR_P, CR0_WP, type Cpu } from "../cpu/cpu.js";
import { ARITH, LazyOp } from "../cpu/flags.js";
import { CODE_ONLY, codeChunk } from "../cpu/codewrites.js";
import { PAGE_FLAGS_BASE, RAM_BASE, Reg, Sreg, TLB_ENTRIES } from "../cpu/layout.js";
import type { Insn } from "../decode/insn.js";
import { NEED_SUPER_READ, NEED_SUPER_WRITE, NEED_SUPER_WRITE_WP, NEED_USER_READ, NEED_USER_WRITE } from "../cpu/paging.js";

/**
 * Up to `max` further iterations after the one just stepped; returns how many it
 * did, with ESI/EDI (and EAX or the flags) as the element loop leaves them. The
 * caller counts them in eCX and the instruction counter.
 */
export type Bulk = (c: Cpu, i: Insn, sz: number, delta: number, max: number) => number;

const TLB_I = TLB_ENTRIES >> 2;

/** Physical address of the next element, set by `span` and read by its caller at once (ARCHITECTURE.md "Module-level scratch"). */
let spanPa = 0;

/**
 * How many elements, up to `max`, from the index in register `r` a bulk run may
 * take through segment `s`; 0 when the next element already needs the element
 * step. Sets spanPa. `n` is the element size in bytes.
 */
function span(c: Cpu, s: number, r: number, a32: boolean, n: number, delta: number, write: boolean, max: number): number {
  // A debugger watching reads sees every element through Cpu.readLin.
  if (c.watchRead !== null) return 0;
  const attr = c.segAttr(s);
  const type = attr & 0x0e;
  // Rights as linear() checks them; expand-down limits are left to the element step.
  if (!(attr & ATTR_P) || (write ? (type & 0x0a) !== 0x02 : (type & 0x0a) === 0x08) || (type & 0x0c) === 0x04) return 0;
  const o = a32 ? c.i32[r] >>> 0 : c.u16[r << 1];
  const limit = c.segLimit(s) >>> 0;
  // The run stops before the index would wrap, so every element is at base + index.
  const top = a32 ? limit : Math.min(limit, 0xffff);
  if (o + n - 1 > top) return 0;
  const la = (c.segBase(s) + o) | 0;
  const inPage = la & 0xfff;
  let k: number;
  if (delta > 0) {
    k = Math.min(Math.floor((top - o + 1) / n), (0x1000 - inPage) / n) | 0;
  } else {
    if (inPage + n > 0x1000) return 0;
    k = Math.min(Math.floor(o / n), (inPage / n) | 0) + 1;
  }
  if (k > max) k = max;
  let pa: number;
  const cr0 = c.cr0;
  if (cr0 < 0) {
    const user = c.cpl === 3 && !c.systemAccess;
    const need = write ? (user ? NEED_USER_WRITE : cr0 & CR0_WP ? NEED_SUPER_WRITE_WP : NEED_SUPER_WRITE) : user ? NEED_USER_READ : NEED_SUPER_READ;
    const e = c.i32[TLB_I + (la >>> 12)];
    if ((e & need) !== need) return 0;
    pa = ((e & ~0xfff) | inPage) >>> 0;
  } else {
    pa = (la & c.a20Mask) >>> 0;
  }
  // RAM is whole frames, so the element's frame decides for the run.
  if (!c.isRam(pa - (pa & 0xfff), 0x1000)) return 0;
  spanPa = pa;
  return k;
}

/**
 * How many of the `k` elements of `n` bytes from physical `pa` (the next one; the
 * others follow by `delta`) can be written without telling the code-write
 * subscribers: codewrites.ts `nearCode` per element, cut before the first code
 * chunk in the order of writing.
 */
function writable(c: Cpu, pa: number, k: number, n: number, delta: number): number {
  const u8 = c.u8;
  const f = u8[PAGE_FLAGS_BASE + (pa >>> 12)];
  if (f === 0) return k;
  if (f & ~CODE_ONLY) return 0;
  const sh = c.codeWrites.map.chunkShift;
  const chunk = 1 << sh;
  if (delta > 0) {
    const last = (pa + k * n - 1) >>> sh;
    for (let ch = pa >>> sh; ch <= last; ch++) {
      if (codeChunk(u8, ch)) return Math.max(0, Math.floor((ch * chunk - pa) / n));
    }
  } else {
    const first = (pa - (k - 1) * n) >>> sh;
    for (let ch = (pa + n - 1) >>> sh; ch >= first; ch--) {
      if (codeChunk(u8, ch)) {
        const end = (ch + 1) * chunk;
        return pa >= end ? Math.floor((pa - end) / n) + 1 : 0;
      }
    }
  }
  return k;
}

/** The element of `n` bytes at memory offset `at`, as Cpu.readPhys8/16/32 return it. */
function load(c: Cpu, at: number, n: number): number {
  const u8 = c.u8;
  if (n === 1) return u8[at];
  if (n === 2) return (at & 1) === 0 ? c.u16[at >>> 1] : u8[at] | (u8[at + 1] << 8);
  return (at & 3) === 0 ? c.i32[at >>> 2] : u8[at] | (u8[at + 1] << 8) | (u8[at + 2] << 16) | (u8[at + 3] << 24);
}

function advance(c: Cpu, r: number, a32: boolean, by: number): void {
  if (a32) c.i32[r] = (c.i32[r] + by) | 0;
  else c.u16[r << 1] = c.u16[r << 1] + by;
}

/** Offset in memory of the lowest byte of `k` elements whose next one is at `pa`. */
function lowest(pa: number, k: number, n: number, delta: number): number {
  return RAM_BASE + (delta > 0 ? pa : pa - (k - 1) * n);
}

/**
 * Copy `len` bytes from offset `s0` to `d0` as the element loop does. Where the
 * destination lies `ahead` bytes ahead of the source in the direction of the copy,
 * closer than `len`, each element reads bytes an earlier element wrote: the result
 * repeats the first `ahead` bytes (what memset-by-MOVSB relies on), not what
 * memmove gives. `ahead` is at least one element: closer, the reads would mix old
 * and new bytes within an element.
 */
function copy(u8: Uint8Array, s0: number, d0: number, len: number, ahead: number, forward: boolean): void {
  if (ahead <= 0 || ahead >= len) {
    u8.copyWithin(d0, s0, s0 + len);
  } else if (forward) {
    u8.copyWithin(d0, s0, d0);
    for (let done = ahead; done < len; ) {
      const m = Math.min(done, len - done);
      u8.copyWithin(d0 + done, d0, d0 + m);
      done += m;
    }
  } else {
    const dEnd = d0 + len;
    u8.copyWithin(dEnd - ahead, dEnd, s0 + len);
    for (let done = ahead; done < len; ) {
      const m = Math.min(done, len - done);
      u8.copyWithin(dEnd - done - m, dEnd - m, dEnd);
      done += m;
    }
  }
}

export const movsBulk: Bulk = (c, i, sz, delta, max) => {
  const a32 = i.a32;
  const n = sz >> 3;
  let k = span(c, i.seg, Reg.ESI, a32, n, delta, false, max);
  if (k === 0) return 0;
  const src = spanPa;
  k = span(c, Sreg.ES, Reg.EDI, a32, n, delta, true, k);
  if (k === 0) return 0;
  const dst = spanPa;
  k = writable(c, dst, k, n, delta);
  if (k === 0) return 0;
  const s0 = lowest(src, k, n, delta);
  const d0 = lowest(dst, k, n, delta);
  const ahead = delta > 0 ? d0 - s0 : s0 - d0;
  if (ahead > 0 && ahead < n) return 0;
  copy(c.u8, s0, d0, k * n, ahead, delta > 0);
  advance(c, Reg.ESI, a32, k * delta);
  advance(c, Reg.EDI, a32, k * delta);
  return k;
};

export const stosBulk: Bulk = (c, i, sz, delta, max) => {
  const a32 = i.a32;
  const n = sz >> 3;
  let k = span(c, Sreg.ES, Reg.EDI, a32, n, delta, true, max);
  if (k === 0) return 0;
  const dst = spanPa;
  k = writable(c, dst, k, n, delta);
  if (k === 0) return 0;
  const d0 = lowest(dst, k, n, delta);
  const end = d0 + k * n;
  const v = c.reg(Reg.EAX, sz);
  if (n === 1) c.u8.fill(v, d0, end);
  else if (n === 2 && (d0 & 1) === 0) c.u16.fill(v, d0 >>> 1, end >>> 1);
  else if (n === 4 && (d0 & 3) === 0) c.i32.fill(v, d0 >>> 2, end >>> 2);
  else {
    // Unaligned: one element by bytes, then doubling copies of it.
    const u8 = c.u8;
    for (let b = 0; b < n; b++) u8[d0 + b] = v >> (8 * b);
    for (let done = n; done < k * n; ) {
      const m = Math.min(done, k * n - done);
      u8.copyWithin(d0 + done, d0, d0 + m);
      done += m;
    }
  }
  advance(c, Reg.EDI, a32, k * delta);
  return k;
};

/** Only the last element reaches EAX. */
export const lodsBulk: Bulk = (c, i, sz, delta, max) => {
  const a32 = i.a32;
  const n = sz >> 3;
  const k = span(c, i.seg, Reg.ESI, a32, n, delta, false, max);
  if (k === 0) return 0;
  c.setReg(Reg.EAX, sz, load(c, RAM_BASE + spanPa + (k - 1) * delta, n));
  advance(c, Reg.ESI, a32, k * delta);
  return k;
};

/**
 * Up to the first element that ends the loop (REPE: unequal, REPNE: equal),
 * which counts; the flags are those of the last compare, as its SUB leaves them.
 */
export const cmpsBulk: Bulk = (c, i, sz, delta, max) => {
  const a32 = i.a32;
  const n = sz >> 3;
  let k = span(c, i.seg, Reg.ESI, a32, n, delta, false, max);
  if (k === 0) return 0;
  const src = RAM_BASE + spanPa;
  k = span(c, Sreg.ES, Reg.EDI, a32, n, delta, false, k);
  if (k === 0) return 0;
  const dst = RAM_BASE + spanPa;
  const whileEqual = i.rep === 1;
  let a = 0;
  let b = 0;
  let m = 0;
  while (m < k) {
    a = load(c, src + m * delta, n);
    b = load(c, dst + m * delta, n);
    m++;
    if ((a === b) !== whileEqual) break;
  }
  c.setLazy(LazyOp.SUB, a, b, (a - b) | 0, sz, ARITH);
  advance(c, Reg.ESI, a32, m * delta);
  advance(c, Reg.EDI, a32, m * delta);
  return m;
};

/** As cmpsBulk, with eAX for the source. */
export const scasBulk: Bulk = (c, i, sz, delta, max) => {
  const a32 = i.a32;
  const n = sz >> 3;
  const k = span(c, Sreg.ES, Reg.EDI, a32, n, delta, false, max);
  if (k === 0) return 0;
  const dst = RAM_BASE + spanPa;
  const a = c.reg(Reg.EAX, sz);
  const whileEqual = i.rep === 1;
  let b = 0;
  let m = 0;
  while (m < k) {
    b = load(c, dst + m * delta, n);
    m++;
    if ((a === b) !== whileEqual) break;
  }
  c.setLazy(LazyOp.SUB, a, b, (a - b) | 0, sz, ARITH);
  advance(c, Reg.EDI, a32, m * delta);
  return m;
};
