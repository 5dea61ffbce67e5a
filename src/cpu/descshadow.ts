/**
 * The decoded descriptor shadow: GDT and LDT entries once read are kept decoded
 * at SHADOW_BASE with the physical addresses they came from. A lookup translates
 * the entry's linear address as the CPU would (so paging and #PF behave as
 * without the shadow) and uses the decoded copy only when it was read from the
 * same physical bytes. Frames holding shadowed entries carry PAGE_FLAG_DESCRIPTOR
 * in the page-flag bytes, so every write there reaches `written` (the first
 * code-write subscriber, codewrites.ts), which drops exactly the entries whose
 * bytes it touches.
 */
import type { Cpu } from "./cpu.js";
import * as L from "./layout.js";
import type { Descriptor } from "./segmentation.js";

/** Page-flag bit: the frame holds descriptors the shadow has decoded. */
export const PAGE_FLAG_DESCRIPTOR = 4;

/** int32 generation of the GDT shadow; entries of another generation are stale. */
export const SHADOW_GDT_GEN = L.SHADOW_BASE;
/** int32 generation of the LDT shadow. */
export const SHADOW_LDT_GEN = L.SHADOW_BASE + 4;
/** Entries: 8192 for the GDT, then 8192 for the LDT, SHADOW_ENTRY_BYTES each. */
export const SHADOW_ENTRIES = L.SHADOW_BASE + 0x100;
/**
 * One entry, int32 words: 0 generation (0 = empty), 1 physical address of the
 * descriptor's first byte, 2 of its last byte, 3 low dword, 4 high dword,
 * 5 base, 6 limit (granularity applied), 7 attributes (descriptor bits 40..55 >> 8).
 */
export const SHADOW_ENTRY_BYTES = 32;
const ENTRY_WORDS = SHADOW_ENTRY_BYTES >> 2;
const TABLE_ENTRIES = 8192;

const GEN_I = [SHADOW_GDT_GEN >> 2, SHADOW_LDT_GEN >> 2];
const ENTRIES_I = SHADOW_ENTRIES >> 2;


export function decodeBase(lo: number, hi: number): number {
  return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
}
export function decodeLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return hi & 0x800000 ? (raw << 12) | 0xfff : raw;
}
export function decodeAttr(hi: number): number {
  return (hi >>> 8) & 0xf0ff;
}

export interface ShadowStats {
  hits: number;
  misses: number;
  invalidations: number;
}

/** JS-side bookkeeping of one CPU's shadow (Cpu.descriptorShadow); the decoded entries live in the one memory. */
export class DescriptorShadow {
  readonly stats: ShadowStats = { hits: 0, misses: 0, invalidations: 0 };
  /** Physical frame → ids of the entries with bytes in it. */
  private readonly frames = new Map<number, number[]>();
  /** 1 while an entry is listed in `frames`. */
  private readonly linked = new Uint8Array(2 * TABLE_ENTRIES);

  constructor(private readonly c: Cpu) {
    const i = c.i32;
    // Generation 0 marks empty entries; bumping also retires whatever the memory held.
    i[GEN_I[0]] = (i[GEN_I[0]] + 1) | 1;
    i[GEN_I[1]] = (i[GEN_I[1]] + 1) | 1;
  }

  /** A write of `size` bytes at physical `pa` is about to land (the CodeWriteStage.DESCRIPTORS subscriber). */
  written(pa: number, size: number): void {
    const flags = this.c.u8;
    const f0 = pa >>> 12;
    const f1 = ((pa + size - 1) >>> 12) & 0xfffff;
    if (flags[L.PAGE_FLAGS_BASE + f0] & PAGE_FLAG_DESCRIPTOR) this.writtenIn(f0, pa >>> 0, size);
    if (f1 !== f0 && flags[L.PAGE_FLAGS_BASE + f1] & PAGE_FLAG_DESCRIPTOR) this.writtenIn(f1, pa >>> 0, size);
  }

  /** Forget every GDT entry (LGDT). */
  resetGdt(): void {
    const i = this.c.i32;
    i[GEN_I[0]] = (i[GEN_I[0]] + 1) | 1;
  }
  /** Forget every LDT entry (LLDT, task switch). */
  resetLdt(): void {
    const i = this.c.i32;
    i[GEN_I[1]] = (i[GEN_I[1]] + 1) | 1;
  }

  /**
   * Fill `d` for the entry `index` of table `table` (0 GDT, 1 LDT) at linear `la`,
   * from the shadow when it holds the bytes at the same physical addresses.
   */
  read(table: number, index: number, la: number, d: Descriptor): void {
    const c = this.c;
    const prev = c.systemAccess;
    c.systemAccess = true;
    let pa0: number;
    let pa7: number;
    try {
      pa0 = c.translate(la, false);
      pa7 = (la & 0xfff) > 0xff8 ? c.translate((la + 7) | 0, false) : (pa0 + 7) | 0;
    } finally {
      c.systemAccess = prev;
    }
    const id = table * TABLE_ENTRIES + index;
    const e = ENTRIES_I + id * ENTRY_WORDS;
    const i = c.i32;
    d.la = la;
    d.pa0 = pa0;
    d.pa7 = pa7;
    d.entry = id;
    if (i[e] === i[GEN_I[table]] && i[e + 1] === pa0 && i[e + 2] === pa7) {
      this.stats.hits++;
      d.lo = i[e + 3];
      d.hi = i[e + 4];
      d.base = i[e + 5];
      d.limit = i[e + 6];
      d.attr = i[e + 7];
      return;
    }
    this.stats.misses++;
    let lo: number;
    let hi: number;
    if (pa7 === ((pa0 + 7) | 0)) {
      lo = c.readPhys32(pa0);
      hi = c.readPhys32(pa0 + 4);
    } else {
      lo = 0;
      hi = 0;
      const first = 0x1000 - (pa0 & 0xfff);
      for (let k = 0; k < 8; k++) {
        const b = c.readPhys8(k < first ? pa0 + k : (pa7 & ~0xfff) + k - first);
        if (k < 4) lo |= b << (8 * k);
        else hi |= b << (8 * (k - 4));
      }
    }
    d.lo = lo;
    d.hi = hi;
    d.base = decodeBase(lo, hi);
    d.limit = decodeLimit(lo, hi);
    d.attr = decodeAttr(hi);
    this.store(d);
  }

  /** Record `d` (read or just updated by the CPU itself) as its entry's current contents. */
  store(d: Descriptor): void {
    const i = this.c.i32;
    const id = d.entry;
    const table = id >= TABLE_ENTRIES ? 1 : 0;
    const e = ENTRIES_I + id * ENTRY_WORDS;
    if (this.linked[id]) this.unlink(id);
    i[e] = i[GEN_I[table]];
    i[e + 1] = d.pa0;
    i[e + 2] = d.pa7;
    i[e + 3] = d.lo;
    i[e + 4] = d.hi;
    i[e + 5] = d.base;
    i[e + 6] = d.limit;
    i[e + 7] = d.attr;
    this.link(id, d.pa0 >>> 12);
    if (d.pa7 >>> 12 !== d.pa0 >>> 12) this.link(id, d.pa7 >>> 12);
    this.linked[id] = 1;
  }

  /** Forget entry `id` without counting an invalidation: the CPU is about to rewrite it itself. */
  forget(id: number): void {
    if (this.linked[id]) this.unlink(id);
    this.c.i32[ENTRIES_I + id * ENTRY_WORDS] = 0;
  }

  /** Drop every entry (after the host changed guest memory behind the CPU's back). */
  invalidateAll(): void {
    const ids: number[] = [];
    for (const list of this.frames.values()) ids.push(...list);
    for (const id of ids) if (this.linked[id]) this.drop(id);
  }

  private link(id: number, frame: number): void {
    let list = this.frames.get(frame);
    if (!list) {
      list = [];
      this.frames.set(frame, list);
      this.c.u8[L.PAGE_FLAGS_BASE + frame] |= PAGE_FLAG_DESCRIPTOR;
    }
    list.push(id);
  }

  private unlinkFrame(id: number, frame: number): void {
    const list = this.frames.get(frame);
    if (!list) return;
    const k = list.indexOf(id);
    if (k >= 0) list.splice(k, 1);
    if (list.length === 0) {
      this.frames.delete(frame);
      this.c.u8[L.PAGE_FLAGS_BASE + frame] &= ~PAGE_FLAG_DESCRIPTOR;
    }
  }

  private unlink(id: number): void {
    const i = this.c.i32;
    const e = ENTRIES_I + id * ENTRY_WORDS;
    const f0 = i[e + 1] >>> 12;
    const f7 = i[e + 2] >>> 12;
    this.unlinkFrame(id, f0);
    if (f7 !== f0) this.unlinkFrame(id, f7);
    this.linked[id] = 0;
  }

  private drop(id: number): void {
    this.unlink(id);
    this.c.i32[ENTRIES_I + id * ENTRY_WORDS] = 0;
    this.stats.invalidations++;
  }

  /** A write of `size` bytes at physical `pa` is about to land in `frame`. */
  private writtenIn(frame: number, pa: number, size: number): void {
    const list = this.frames.get(frame);
    if (!list) return;
    const i = this.c.i32;
    const wEnd = pa + size - 1;
    for (let k = list.length - 1; k >= 0; k--) {
      const id = list[k];
      const e = ENTRIES_I + id * ENTRY_WORDS;
      const p0 = i[e + 1] >>> 0;
      const p7 = i[e + 2] >>> 0;
      const hit =
        p7 === p0 + 7
          ? pa <= p7 && wEnd >= p0
          : (pa <= (p0 | 0xfff) >>> 0 && wEnd >= p0) || (pa <= p7 && wEnd >= (p7 & ~0xfff) >>> 0);
      if (hit) this.drop(id);
    }
  }
}
