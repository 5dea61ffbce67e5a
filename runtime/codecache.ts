/**
 * The code cache: per physical entry address, the slots of the modes it was
 * reached in (hotness count, translation state, the compiled entry point), and
 * the write tracking of translated code. A translated region's instruction bytes
 * are marked per chunk in the JIT's chunk map and its frames get PAGE_JIT, so
 * compiled stores leave the fast path only near translated code and the CPU's
 * physical write path reports writes there; a write that overlaps translated
 * instruction bytes drops the regions holding them before it lands.
 */
import type { Cpu } from "../src/cpu/cpu.js";
import { PAGE_FLAGS_BASE } from "../src/cpu/layout.js";
import { CHUNK_MAP, chunkShiftFor, PAGE_JIT } from "../jit/layout.js";
import type { Region } from "../jit/region.js";
import type { JitStats } from "./jitstats.js";

export const enum SlotState {
  COLD,
  QUEUED,
  COMPILED,
  /** Translation was tried and gave nothing: interpreted from now on. */
  NEVER,
}

/** A compiled function and the entry index to pass it. */
export interface EntryPoint {
  readonly fn: (entry: number) => number;
  readonly index: number;
  readonly region: TrackedRegion;
}

export class Slot {
  count = 0;
  state = SlotState.COLD;
  entry: EntryPoint | null = null;
  constructor(
    readonly pa: number,
    readonly mode: number,
    readonly eip: number,
    readonly csBase: number,
    readonly csLimit: number,
  ) {}
}

/** A region from translation until it is dropped. */
export class TrackedRegion {
  valid = true;
  installed = false;
  /** Slots whose entry points into this region. */
  readonly slots: Slot[] = [];
  constructor(
    readonly region: Region,
    /** The slot that asked for the translation. */
    readonly origin: Slot,
  ) {}
  get frame(): number {
    return this.region.pa >>> 12;
  }
}

/** Translated code in one physical frame. */
class FrameCode {
  readonly regions = new Set<TrackedRegion>();
  /** Regions per chunk of the frame. */
  readonly refs: Uint16Array;
  constructor(chunks: number) {
    this.refs = new Uint16Array(chunks);
  }
}

export class CodeCache {
  private readonly sites = new Map<number, Slot[]>();
  private readonly frames = new Map<number, FrameCode>();
  readonly chunkShift: number;
  private readonly chunksPerFrame: number;

  constructor(
    private readonly cpu: Cpu,
    private readonly stats: JitStats,
  ) {
    this.chunkShift = chunkShiftFor(cpu.ramBytes);
    this.chunksPerFrame = 0x1000 >> this.chunkShift;
  }

  /** The slot for entry (pa, mode, eip, CS base, CS limit), created on first use. */
  slot(pa: number, mode: number, eip: number, csBase: number, csLimit: number): Slot {
    const key = pa | 0;
    let list = this.sites.get(key);
    if (!list) this.sites.set(key, (list = []));
    for (let k = 0; k < list.length; k++) {
      const s = list[k];
      if (s.mode === mode && s.eip === eip && s.csBase === csBase && s.csLimit === csLimit) return s;
    }
    const s = new Slot(pa, mode, eip, csBase, csLimit);
    list.push(s);
    return s;
  }

  // ---- write tracking ------------------------------------------------------

  /** Mark the region's instruction bytes as translated code, from translation on. */
  track(t: TrackedRegion): void {
    const frame = t.frame;
    let fc = this.frames.get(frame);
    if (!fc) {
      this.frames.set(frame, (fc = new FrameCode(this.chunksPerFrame)));
      this.cpu.u8[PAGE_FLAGS_BASE + frame] |= PAGE_JIT;
    }
    fc.regions.add(t);
    for (const k of this.chunksOf(t.region)) if (fc.refs[k]++ === 0) this.setChunk(frame, k, true);
  }

  private chunksOf(r: Region): Set<number> {
    const out = new Set<number>();
    for (const [start, end] of r.ranges) for (let k = start >> this.chunkShift; k <= (end - 1) >> this.chunkShift; k++) out.add(k);
    return out;
  }

  private setChunk(frame: number, k: number, on: boolean): void {
    const bit = (frame << (12 - this.chunkShift)) + k;
    const at = CHUNK_MAP + (bit >>> 3);
    const u8 = this.cpu.u8;
    u8[at] = on ? u8[at] | (1 << (bit & 7)) : u8[at] & ~(1 << (bit & 7));
  }

  /** Drop a region: no dispatch reaches it again and its bytes stop being tracked for it. */
  drop(t: TrackedRegion): void {
    if (!t.valid) return;
    t.valid = false;
    for (const s of t.slots) {
      if (s.entry?.region === t) {
        s.entry = null;
        s.state = SlotState.COLD;
        s.count = 0;
      }
    }
    if (!t.installed && t.origin.state === SlotState.QUEUED) t.origin.state = SlotState.COLD;
    const frame = t.frame;
    const fc = this.frames.get(frame);
    if (!fc) return;
    fc.regions.delete(t);
    for (const k of this.chunksOf(t.region)) if (--fc.refs[k] === 0) this.setChunk(frame, k, false);
    if (fc.regions.size === 0) {
      this.frames.delete(frame);
      this.cpu.u8[PAGE_FLAGS_BASE + frame] &= ~PAGE_JIT;
    }
  }

  /**
   * A write of `size` bytes at physical `pa` is about to land: drop every region
   * with translated instruction bytes there. Returns how many were dropped.
   */
  written(pa: number, size: number): number {
    const start = pa >>> 0;
    const end = start + size;
    let dropped = 0;
    let tracked = false;
    for (let frame = start >>> 12; frame <= (end - 1) >>> 12; frame++) {
      const fc = this.frames.get(frame);
      if (!fc) continue;
      tracked = true;
      const lo = Math.max(start, frame * 0x1000) - frame * 0x1000;
      const hi = Math.min(end, frame * 0x1000 + 0x1000) - frame * 0x1000;
      for (const t of [...fc.regions]) {
        if (!t.region.ranges.some(([a, b]) => a < hi && lo < b)) continue;
        if (t.installed) this.stats.invalidations.codeWrite++;
        else this.stats.invalidations.pendingCodeWrite++;
        this.drop(t);
        dropped++;
      }
    }
    if (tracked && dropped === 0) this.stats.codePageDataWrites++;
    return dropped;
  }

  /** Every live region (for diagnostics). */
  *regions(): Generator<TrackedRegion> {
    for (const fc of this.frames.values()) yield* fc.regions;
  }

  /** Drop every region and forget all hotness (RAM was replaced behind the CPU's back, e.g. a reboot's reload). */
  clear(): void {
    for (const t of [...this.regions()]) {
      this.stats.invalidations.reset++;
      this.drop(t);
    }
    this.sites.clear();
  }
}
