/**
 * The one owner of "this write touched code" (ARCHITECTURE.md, "Code writes").
 *
 * It owns the code map (which chunks of RAM hold decoded or translated
 * instructions) and the filter that tells a write that may change something
 * decoded from a write to data: `nearCode`, with `CODE_ONLY` and `codeChunk`
 * its parts for the paths that cannot call it (the bulk string path counts
 * elements up to the first code chunk; compiled stores test the same bits in
 * Wasm, jit/library.ts `codeOk`). Writes the filter lets through go to the
 * subscribers in the fixed order of CodeWriteStage, before they land.
 */
import { CodeMap } from "./codemap.js";
import { CODE_MAP, PAGE_BUS_WRITE, PAGE_DECODED, PAGE_FLAGS_BASE, PAGE_TRANSLATED } from "./layout.js";

/**
 * Who hears about code writes, in the order they hear it: the descriptor shadow
 * first (a descriptor table may share a page with code), then the decode cache,
 * then the JIT's code cache (which may end the running region, so it goes after
 * the interpreter's bookkeeping), then a debugger's write watchpoints
 * (PAGE_WATCHED frames), then a test harness watching writes.
 */
export const enum CodeWriteStage {
  DESCRIPTORS = 0,
  DECODED = 1,
  TRANSLATED = 2,
  DEBUGGER = 3,
  WATCH = 4,
}
const STAGES = 5;

export type CodeWriteListener = (pa: number, size: number) => void;

/**
 * Page-flag bits for which only writes to a marked chunk matter: a frame whose
 * flags hold nothing else can take data writes beside its code. Any other bit
 * (descriptor shadow, debugger or test watch, bus write) sends every write to the slow path.
 */
export const CODE_ONLY = PAGE_DECODED | PAGE_TRANSLATED;

/** Whether the code map marks chunk `chunk` (physical address >>> chunk shift). */
export function codeChunk(u8: Uint8Array, chunk: number): boolean {
  return ((u8[CODE_MAP + (chunk >>> 3)] >> (chunk & 7)) & 1) !== 0;
}

/**
 * The filter: whether a write of [pa, pa + size), on frames whose page flags
 * OR to `flags` (PAGE_BUS_WRITE left out), must be told to the subscribers.
 */
export function nearCode(u8: Uint8Array, flags: number, pa: number, size: number, chunkShift: number): boolean {
  if (flags === 0) return false;
  if (flags & ~CODE_ONLY) return true;
  const last = (pa + size - 1) >>> chunkShift;
  for (let c = pa >>> chunkShift; c <= last; c++) if (codeChunk(u8, c)) return true;
  return false;
}

export class CodeWrites {
  readonly map: CodeMap;
  private readonly listeners: (CodeWriteListener | undefined)[] = new Array<CodeWriteListener | undefined>(STAGES).fill(undefined);

  constructor(
    private readonly u8: Uint8Array,
    ramBytes: number,
  ) {
    this.map = new CodeMap(u8, ramBytes);
  }

  /** Make `listener` the subscriber at `stage` (replacing any before it); undefined removes it. */
  subscribe(stage: CodeWriteStage, listener: CodeWriteListener | undefined): void {
    this.listeners[stage] = listener;
  }

  /** The subscriber at `stage`, if any. */
  listener(stage: CodeWriteStage): CodeWriteListener | undefined {
    return this.listeners[stage];
  }

  /**
   * Before the CPU writes `size` bytes at `pa` (within two frames): tell the
   * subscribers when the filter says so. False when a frame written sends its
   * writes to the bus (PAGE_BUS_WRITE): the caller then writes byte by byte.
   */
  beforeWrite(pa: number, size: number): boolean {
    const u8 = this.u8;
    const f = u8[PAGE_FLAGS_BASE + (pa >>> 12)] | u8[PAGE_FLAGS_BASE + (((pa + size - 1) >>> 12) & 0xfffff)];
    if (f === 0) return true;
    if (f & PAGE_BUS_WRITE) return false;
    if (nearCode(u8, f, pa, size, this.map.chunkShift)) this.notify(pa, size);
    return true;
  }

  /**
   * Physical memory changed behind the CPU's back (DMA, the chipset remapping
   * shadow RAM, the host): tell the subscribers, frame by frame, what the filter
   * lets through of [pa, pa + size).
   */
  changed(pa: number, size: number): void {
    const u8 = this.u8;
    for (let at = pa - (pa & 0xfff); at < pa + size; at += 0x1000) {
      const from = Math.max(at, pa);
      const n = Math.min(at + 0x1000, pa + size) - from;
      const f = u8[PAGE_FLAGS_BASE + (at >>> 12)] & ~PAGE_BUS_WRITE;
      if (nearCode(u8, f, from, n, this.map.chunkShift)) this.notify(from, n);
    }
  }

  /** Tell every subscriber, in stage order. */
  private notify(pa: number, size: number): void {
    const l = this.listeners;
    for (let s = 0; s < STAGES; s++) l[s]?.(pa, size);
  }
}
