/**
 * Which chunks of guest RAM hold instruction bytes that an engine decoded or
 * translated (layout.ts CODE_MAP). Each owner (the interpreter's decode cache,
 * the JIT's code cache) marks and clears its own chunks; the shared bitmap holds
 * their union, which the code-write filter (codewrites.ts `nearCode`) and
 * compiled stores test to tell a write that may change code from a write to
 * data that merely shares a page with code. Owned by Cpu.codeWrites.
 */
import { CODE_MAP, codeChunkShift } from "./layout.js";

export const enum CodeOwner {
  DECODED = 1,
  TRANSLATED = 2,
}

export class CodeMap {
  readonly chunkShift: number;
  private readonly chunksPerFrame: number;
  /** Per frame with marks: the owner bits of each chunk. */
  private readonly frames = new Map<number, Uint8Array>();

  constructor(
    private readonly u8: Uint8Array,
    ramBytes: number,
  ) {
    this.chunkShift = codeChunkShift(ramBytes);
    this.chunksPerFrame = 0x1000 >> this.chunkShift;
  }

  /** Mark (or clear) `owner`'s code in chunk `k` of `frame`. */
  set(owner: CodeOwner, frame: number, k: number, on: boolean): void {
    let owners = this.frames.get(frame);
    if (!owners) {
      if (!on) return;
      this.frames.set(frame, (owners = new Uint8Array(this.chunksPerFrame)));
    }
    owners[k] = on ? owners[k] | owner : owners[k] & ~owner;
    this.setBit(frame, k, owners[k] !== 0);
  }

  /** Mark `owner`'s code in the chunks of bytes [start, end) of `frame`. */
  mark(owner: CodeOwner, frame: number, start: number, end: number): void {
    for (let k = start >> this.chunkShift; k <= (end - 1) >> this.chunkShift; k++) this.set(owner, frame, k, true);
  }

  /** Clear every mark of `owner` in `frame`. */
  clearFrame(owner: CodeOwner, frame: number): void {
    const owners = this.frames.get(frame);
    if (!owners) return;
    let any = false;
    for (let k = 0; k < owners.length; k++) {
      if (owners[k] & owner) {
        owners[k] &= ~owner;
        this.setBit(frame, k, owners[k] !== 0);
      }
      if (owners[k] !== 0) any = true;
    }
    if (!any) this.frames.delete(frame);
  }

  /** Whether `owner` marked a chunk holding any byte of the physical range [pa, pa + size). */
  marks(owner: CodeOwner, pa: number, size: number): boolean {
    const sh = this.chunkShift;
    const last = (pa + size - 1) >>> sh;
    const perFrame = 12 - sh;
    for (let c = pa >>> sh; c <= last; c++) {
      const owners = this.frames.get(c >>> perFrame);
      if (owners !== undefined && owners[c & (this.chunksPerFrame - 1)] & owner) return true;
    }
    return false;
  }

  private setBit(frame: number, k: number, on: boolean): void {
    const bit = (frame << (12 - this.chunkShift)) + k;
    const at = CODE_MAP + (bit >>> 3);
    this.u8[at] = on ? this.u8[at] | (1 << (bit & 7)) : this.u8[at] & ~(1 << (bit & 7));
  }
}
