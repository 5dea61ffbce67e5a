/**
 * Decoded instructions cached per physical page (ARCHITECTURE.md "The life of
 * one instruction in the interpreter", step 1): the interpreter decodes an instruction once and dispatches the cached Insn after.
 * A write that touches a byte of a decoded instruction drops that instruction
 * alone: code patching its own immediates or generating stubs next to running
 * code would otherwise pay for decoding the whole page again after every store.
 * The decoded bytes are marked in the CPU's code map, so writes to the page's
 * other chunks (data sharing the page with code) never reach here and stay on
 * compiled code's fast path; writes within a marked chunk look at the
 * instructions that may overlap them. Instructions that cross a page end are
 * not cached.
 *
 * The cache is bounded (ARCHITECTURE.md, "Life of an instruction"): a guest
 * running through memory that never gets hot (zeroed RAM decodes as two-byte
 * ADDs) would otherwise hold a decoded instruction for every byte it passed.
 * Past MAX_DECODED instruction slots the oldest decoded page is dropped whole;
 * what it held is decoded again if it runs again, so only speed depends on it.
 */
import { CodeOwner } from "../cpu/codemap.js";
import type { Cpu } from "../cpu/cpu.js";
import { PAGE_DECODED, PAGE_FLAGS_BASE } from "../cpu/layout.js";
import { Insn } from "../decode/insn.js";

export class DecodedPage {
  /** Cleared when the page's cache is dropped, for holders of a direct reference. */
  valid = true;
  /** Index into insns per page offset, -1 when not decoded. */
  readonly slot = new Int16Array(4096).fill(-1);
  /** CS.D each slot was decoded with (1 = 32-bit). */
  readonly code32 = new Uint8Array(4096);
  readonly insns: Insn[] = [];
  /** The decoded instruction per page offset (the fetch fast path's one load), undefined when not decoded. */
  readonly at: (Insn | undefined)[] = new Array<Insn | undefined>(4096).fill(undefined);
  /** Indexes into insns of dropped instructions, reused by the next store. */
  readonly free: number[] = [];
  /** Decoded instructions held; a page left with none is dropped, so a frame reused for data costs nothing. */
  live = 0;
}

/** The longest instruction: a write at offset o can only overlap instructions starting after o - 15. */
const MAX_INSN = 15;

/** Instruction slots held across all pages before the oldest page is dropped (each slot is one Insn, ~100 bytes). */
export const MAX_DECODED = 1 << 18;

export class DecodeCache {
  private readonly pages = new Map<number, DecodedPage>();
  private lastFrame = -1;
  private lastPage: DecodedPage | undefined;
  hits = 0;
  misses = 0;
  /** Decoded instructions dropped because a write touched their bytes. */
  invalidations = 0;
  /** Pages dropped to keep the cache within its bound. */
  evictions = 0;
  /** Instruction slots allocated across all pages (live or free for reuse). */
  private slots = 0;

  constructor(private readonly cpu: Cpu) {}

  /** The cached instruction at physical address `pa` decoded with `code32`, if any. */
  lookup(pa: number, code32: boolean): Insn | undefined {
    const frame = pa >>> 12;
    const page = frame === this.lastFrame ? this.lastPage : this.pages.get(frame);
    if (!page) return undefined;
    this.lastFrame = frame;
    this.lastPage = page;
    const off = pa & 0xfff;
    const k = page.slot[off];
    if (k < 0 || page.code32[off] !== (code32 ? 1 : 0)) return undefined;
    this.hits++;
    return page.insns[k];
  }

  /** The decoded page of physical frame `frame`, if it has one. */
  page(frame: number): DecodedPage | undefined {
    return this.pages.get(frame);
  }

  /** Remember a copy of `insn`, decoded at `pa`; the caller checked it fits in the page. */
  store(pa: number, code32: boolean, insn: Insn): Insn {
    this.misses++;
    const frame = pa >>> 12;
    let page = this.pages.get(frame);
    if (!page) {
      while (this.slots >= MAX_DECODED && this.pages.size > 0) this.evictOldest();
      page = new DecodedPage();
      this.pages.set(frame, page);
      this.cpu.u8[PAGE_FLAGS_BASE + frame] |= PAGE_DECODED;
    }
    const off = pa & 0xfff;
    let k = page.slot[off];
    if (k < 0) {
      const reused = page.free.pop();
      if (reused !== undefined) k = reused;
      else {
        k = page.insns.length;
        page.insns.push(new Insn());
        this.slots++;
      }
      page.slot[off] = k;
      page.live++;
    }
    page.code32[off] = code32 ? 1 : 0;
    this.cpu.codeWrites.map.mark(CodeOwner.DECODED, frame, off, off + insn.len);
    const slot = page.insns[k];
    slot.copyFrom(insn);
    page.at[off] = slot;
    return slot;
  }

  /**
   * A guest write of `size` bytes at `pa`: drop the decoded instructions it
   * touches. A write that touches none, in a chunk the code map still marks (a
   * sequential overwrite past the instruction it already dropped, data beside
   * code), drops the chunk's instructions and unmarks it, so the writes after it
   * stay on compiled code's fast path instead of leaving it byte by byte.
   */
  written(pa: number, size: number): void {
    if (!this.cpu.codeWrites.map.marks(CodeOwner.DECODED, pa, size)) return;
    if (this.drop(pa, size) > 0) return;
    const sh = this.cpu.codeWrites.map.chunkShift;
    const first = pa >>> sh;
    const last = (pa + size - 1) >>> sh;
    for (let c = first; c <= last; c++) {
      const start = c << sh;
      const frame = start >>> 12;
      this.drop(start, 1 << sh);
      if (this.pages.has(frame)) this.cpu.codeWrites.map.set(CodeOwner.DECODED, frame, (start & 0xfff) >> sh, false);
    }
  }

  /** Drop the decoded instructions overlapping [pa, pa + size); how many were dropped. */
  private drop(pa: number, size: number): number {
    const end = pa + size;
    let dropped = 0;
    for (let frameStart = pa & ~0xfff; frameStart < end; frameStart += 0x1000) {
      const page = this.pages.get(frameStart >>> 12);
      if (!page) continue;
      const from = Math.max(pa, frameStart) - frameStart;
      const to = Math.min(end, frameStart + 0x1000) - frameStart;
      const slot = page.slot;
      for (let off = Math.max(0, from - MAX_INSN + 1); off < to; off++) {
        const k = slot[off];
        if (k >= 0 && off + page.insns[k].len > from) {
          slot[off] = -1;
          page.at[off] = undefined;
          page.free.push(k);
          page.live--;
          dropped++;
          this.invalidations++;
        }
      }
      if (page.live === 0) this.invalidateFrame(frameStart >>> 12);
    }
    return dropped;
  }

  /** Forget everything decoded from physical frame `frame`. */
  invalidateFrame(frame: number): void {
    const page = this.pages.get(frame);
    if (!page) return;
    page.valid = false;
    this.slots -= page.insns.length;
    this.pages.delete(frame);
    this.cpu.u8[PAGE_FLAGS_BASE + frame] &= ~PAGE_DECODED;
    this.cpu.codeWrites.map.clearFrame(CodeOwner.DECODED, frame);
    if (frame === this.lastFrame) {
      this.lastFrame = -1;
      this.lastPage = undefined;
    }
  }

  /** Instruction slots held, live or free for reuse; at most MAX_DECODED plus one page's worth. */
  get size(): number {
    return this.slots;
  }

  /** Drop the page decoded longest ago (Map order is insertion order). */
  private evictOldest(): void {
    const first = this.pages.keys().next();
    if (first.done) return;
    this.evictions++;
    this.invalidateFrame(first.value);
  }

  clear(): void {
    for (const frame of [...this.pages.keys()]) this.invalidateFrame(frame);
  }
}
