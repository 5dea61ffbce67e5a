/**
 * The code cache: per physical entry address, the slots of the contexts it was
 * reached in (hotness count, translation state, the compiled entry point); the
 * dispatcher's table of region functions and its dispatch hash; and the write
 * tracking of translated code.
 *
 * A context is what a translation assumed besides the bytes: the mode key, CS
 * base and CS limit, interned to a small id the dispatcher compares. A
 * translated region's instruction bytes are marked per chunk in the CPU's code
 * map and its frames get PAGE_TRANSLATED, so compiled stores leave the fast path
 * only near code and the CPU's physical write path reports writes there; a
 * write that overlaps translated instruction bytes drops the regions holding
 * them before it lands.
 *
 * The cache is bounded (ARCHITECTURE.md "The JIT: Bounds"): at most `tableSize` regions
 * and `maxInstructions` translated guest instructions; when a new module does
 * not fit, the oldest modules are evicted whole, FIFO.
 */
import type { Cpu } from "../src/cpu/cpu.js";
import { CodeOwner } from "../src/cpu/codemap.js";
import { PAGE_FLAGS_BASE, PAGE_TRANSLATED } from "../src/cpu/layout.js";
import { ENTRY_SHIFT } from "../jit/dispatcher.js";
import { DISPATCH_ENTRIES, DISPATCH_HASH, dispatchHash } from "../jit/layout.js";
import type { Region } from "../jit/region.js";
import type { JitStats } from "./jitstats.js";

export const enum SlotState {
  COLD,
  QUEUED,
  COMPILED,
  /** Translation was tried and gave nothing: interpreted from now on. */
  NEVER,
}

/** A compiled region and the entry index to pass it. */
export interface EntryPoint {
  readonly region: TrackedRegion;
  readonly index: number;
}

export class Slot {
  count = 0;
  state = SlotState.COLD;
  entry: EntryPoint | null = null;
  constructor(
    readonly pa: number,
    readonly context: number,
    readonly mode: number,
    readonly eip: number,
    readonly csBase: number,
    readonly csLimit: number,
  ) {}
}

/** A region from translation until it is dropped. */
export class TrackedRegion {
  valid = true;
  /** Dispatches that ran only this region, and those that retired fewer than SHORT_RUN instructions in it. */
  soloRuns = 0;
  shortRuns = 0;
  /** Index in the dispatcher's table once installed, else -1. */
  tableIndex = -1;
  /** Which tier's code its table entry holds; whether a tier-2 rebuild was asked for. */
  tier = 1;
  tierUpAsked = false;
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

/** The regions of one Wasm module: the unit of eviction. */
export class ModuleRecord {
  constructor(readonly regions: TrackedRegion[]) {}
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

export interface CacheLimits {
  /** Region functions the dispatcher's table holds. */
  tableSize: number;
  /** Guest instructions translated and installed at once. */
  maxInstructions: number;
}

const HASH_I = DISPATCH_HASH >> 2;
const RECENT_SLOTS = 4096;

export class CodeCache {
  private readonly sites = new Map<number, Slot[]>();
  /** The slots found last, direct-mapped: block starts repeat, and a Map lookup costs more. */
  private readonly recent = new Array<Slot | undefined>(RECENT_SLOTS).fill(undefined);
  private readonly frames = new Map<number, FrameCode>();
  private readonly contexts = new Map<number, Map<number, Map<number, number>>>();
  private contextCount = 0;
  private lastKey = { mode: -1, csBase: 0, csLimit: 0, id: -1 };
  private previousKey = { mode: -1, csBase: 0, csLimit: 0, id: -1 };
  private readonly chunkShift: number;
  private readonly chunksPerFrame: number;
  /** Installed region per table index. */
  private readonly installed: (TrackedRegion | null)[];
  private readonly free: number[] = [];
  private readonly modules: ModuleRecord[] = [];
  private instructions = 0;

  constructor(
    private readonly cpu: Cpu,
    private readonly stats: JitStats,
    private readonly table: WebAssembly.Table,
    readonly limits: CacheLimits,
  ) {
    this.chunkShift = cpu.codeWrites.map.chunkShift;
    this.chunksPerFrame = 0x1000 >> this.chunkShift;
    this.installed = new Array<TrackedRegion | null>(limits.tableSize).fill(null);
    for (let k = limits.tableSize - 1; k >= 0; k--) this.free.push(k);
    this.clearHash();
  }

  /** The context id of (mode key, CS base, CS limit). */
  context(mode: number, csBase: number, csLimit: number): number {
    // The last two contexts answer most lookups: code that switches rings goes back and forth.
    const last = this.lastKey;
    if (last.mode === mode && last.csBase === csBase && last.csLimit === csLimit) return last.id;
    const before = this.previousKey;
    if (before.mode === mode && before.csBase === csBase && before.csLimit === csLimit) {
      this.previousKey = last;
      this.lastKey = before;
      return before.id;
    }
    this.previousKey = last;
    let byBase = this.contexts.get(mode);
    if (!byBase) this.contexts.set(mode, (byBase = new Map()));
    let byLimit = byBase.get(csBase);
    if (!byLimit) byBase.set(csBase, (byLimit = new Map()));
    let id = byLimit.get(csLimit);
    if (id === undefined) byLimit.set(csLimit, (id = this.contextCount++));
    this.lastKey = { mode, csBase, csLimit, id };
    return id;
  }

  /** The slot for entry (pa, context, eip), created on first use. */
  slot(pa: number, context: number, mode: number, eip: number, csBase: number, csLimit: number): Slot {
    const h = (pa ^ (pa >>> 12) ^ (context << 5)) & (RECENT_SLOTS - 1);
    const seen = this.recent[h];
    if (seen !== undefined && seen.pa === pa && seen.context === context && seen.eip === eip) return seen;
    const s = this.lookup(pa, context, mode, eip, csBase, csLimit);
    this.recent[h] = s;
    return s;
  }

  private lookup(pa: number, context: number, mode: number, eip: number, csBase: number, csLimit: number): Slot {
    const key = pa | 0;
    let list = this.sites.get(key);
    if (!list) this.sites.set(key, (list = []));
    for (let k = 0; k < list.length; k++) {
      const s = list[k];
      if (s.context === context && s.eip === eip) return s;
    }
    const s = new Slot(pa, context, mode, eip, csBase, csLimit);
    list.push(s);
    return s;
  }

  /** The installed region at a table index. */
  regionAt(tableIndex: number): TrackedRegion | null {
    return this.installed[tableIndex] ?? null;
  }

  // ---- the dispatch hash -------------------------------------------------

  /**
   * Linear code addresses compiled code must not run at (a debugger's
   * breakpoints nearby, runtime/gdb/target.ts): their slots stay out of the
   * dispatch hash, so the dispatcher never enters or chains into them.
   */
  hold: ((la: number) => boolean) | null = null;

  /** Set `hold`; entries published before it no longer count. */
  setHold(hold: ((la: number) => boolean) | null): void {
    this.hold = hold;
    this.clearHash();
  }

  /** Put a compiled slot where the dispatcher looks (replacing whatever shared its hash slot). */
  publish(s: Slot): void {
    const e = s.entry;
    if (!e || e.region.tableIndex < 0) return;
    if (this.hold !== null && this.hold((s.csBase + s.eip) | 0)) return;
    const at = HASH_I + 4 * dispatchHash(s.eip, s.context);
    const i = this.cpu.i32;
    i[at] = s.eip;
    i[at + 1] = s.context;
    i[at + 2] = s.pa;
    i[at + 3] = e.region.tableIndex | (e.index << ENTRY_SHIFT);
  }

  private unpublish(s: Slot, tableIndex: number): void {
    const at = HASH_I + 4 * dispatchHash(s.eip, s.context);
    const i = this.cpu.i32;
    if (i[at] === s.eip && i[at + 1] === s.context && (i[at + 3] & ((1 << ENTRY_SHIFT) - 1)) === tableIndex) i[at + 1] = -1;
  }

  private clearHash(): void {
    const i = this.cpu.i32;
    for (let k = 0; k < DISPATCH_ENTRIES * 4; k += 4) i[HASH_I + k + 1] = -1;
  }

  // ---- installation and eviction --------------------------------------------

  /** Make room for a module of `regions` regions holding `instructions` guest instructions. */
  reserve(regions: number, instructions: number): void {
    while (this.modules.length > 0 && (this.free.length < regions || this.instructions + instructions > this.limits.maxInstructions)) {
      const oldest = this.modules.shift() as ModuleRecord;
      for (const t of oldest.regions) {
        if (!t.valid) continue;
        this.stats.invalidations.evicted++;
        this.drop(t);
      }
      this.stats.evictedModules++;
    }
  }

  /** Install a module's region functions (`fns[k]` for `regions[k]`); regions dropped meanwhile are skipped. */
  install(regions: TrackedRegion[], fns: (WebAssembly.ExportValue | null)[]): void {
    const kept: TrackedRegion[] = [];
    regions.forEach((t, k) => {
      const fn = fns[k];
      if (!t.valid || fn === null || this.free.length === 0) {
        if (t.valid) this.drop(t);
        return;
      }
      const index = this.free.pop() as number;
      this.table.set(index, fn);
      this.installed[index] = t;
      t.tableIndex = index;
      this.instructions += t.region.instructions;
      kept.push(t);
    });
    if (kept.length > 0) this.modules.push(new ModuleRecord(kept));
  }

  /** Put `fn` (the region rebuilt, same behaviour) in the table in place of its code: takes effect at the next dispatch. */
  swap(t: TrackedRegion, fn: WebAssembly.ExportValue): void {
    this.table.set(t.tableIndex, fn);
  }

  // ---- write tracking ------------------------------------------------------

  /** Mark the region's instruction bytes as translated code, from translation on. */
  track(t: TrackedRegion): void {
    const frame = t.frame;
    let fc = this.frames.get(frame);
    if (!fc) {
      this.frames.set(frame, (fc = new FrameCode(this.chunksPerFrame)));
      this.cpu.u8[PAGE_FLAGS_BASE + frame] |= PAGE_TRANSLATED;
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
    this.cpu.codeWrites.map.set(CodeOwner.TRANSLATED, frame, k, on);
  }

  /**
   * Drop a region that is not worth running compiled and keep its entries
   * interpreted from now on (until the cache is cleared).
   */
  demote(t: TrackedRegion): void {
    const slots = t.slots.filter((s) => s.entry?.region === t);
    this.stats.invalidations.demoted++;
    this.drop(t);
    for (const s of slots) s.state = SlotState.NEVER;
  }

  /** Drop a region: no dispatch reaches it again, its table slot is freed and its bytes stop being tracked for it. */
  drop(t: TrackedRegion): void {
    if (!t.valid) return;
    t.valid = false;
    for (const s of t.slots) {
      if (s.entry?.region === t) {
        if (t.tableIndex >= 0) this.unpublish(s, t.tableIndex);
        s.entry = null;
        s.state = SlotState.COLD;
        s.count = 0;
      }
    }
    if (t.tableIndex >= 0) {
      this.table.set(t.tableIndex, null);
      this.installed[t.tableIndex] = null;
      this.free.push(t.tableIndex);
      this.instructions -= t.region.instructions;
      t.tableIndex = -1;
    } else if (t.origin.state === SlotState.QUEUED) {
      t.origin.state = SlotState.COLD;
    }
    const frame = t.frame;
    const fc = this.frames.get(frame);
    if (!fc) return;
    fc.regions.delete(t);
    for (const k of this.chunksOf(t.region)) if (--fc.refs[k] === 0) this.setChunk(frame, k, false);
    if (fc.regions.size === 0) {
      this.frames.delete(frame);
      this.cpu.u8[PAGE_FLAGS_BASE + frame] &= ~PAGE_TRANSLATED;
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
        if (t.tableIndex >= 0) this.stats.invalidations.codeWrite++;
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

  /** Guest instructions in installed regions. */
  get installedInstructions(): number {
    return this.instructions;
  }

  /** Drop every region and forget all hotness (RAM was replaced behind the CPU's back, e.g. a reboot's reload). */
  clear(): void {
    for (const t of [...this.regions()]) {
      this.stats.invalidations.reset++;
      this.drop(t);
    }
    this.modules.length = 0;
    this.sites.clear();
    this.recent.fill(undefined);
    this.clearHash();
  }
}
