/**
 * What storage devices read and write: a block backend addressed by sector.
 * Devices know nothing of files; the runtime opens images and hands them a
 * backend. An overlay keeps a guest's writes in memory, leaving the image as it
 * was ("Storage" in ARCHITECTURE.md).
 */
import type { StateTable } from "./state.js";

export interface BlockBackend {
  /** Bytes per sector: 512 for hard disks, 2048 for CD-ROMs. */
  readonly sectorSize: number;
  /** Capacity in sectors. */
  readonly sectors: number;
  /** Whether write() is allowed (a read-only backend is a write-protected medium). */
  readonly writable: boolean;
  /** Read `out.length / sectorSize` sectors from `sector` into `out`. Throws BlockIoError on a host I/O failure. */
  read(sector: number, out: Uint8Array): void;
  /** Write `data.length / sectorSize` sectors at `sector`. Throws BlockIoError on a host I/O failure. */
  write(sector: number, data: Uint8Array): void;
}

/** A host I/O failure under a backend: the device reports a medium error to the guest. */
export class BlockIoError extends Error {}

/** A backend over bytes in memory (tests, images built on the fly). */
export class MemoryBackend implements BlockBackend {
  readonly sectors: number;
  constructor(
    readonly data: Uint8Array,
    readonly sectorSize = 512,
    readonly writable = true,
  ) {
    if (data.length % sectorSize !== 0) throw new RangeError(`image size ${data.length} is not a multiple of ${sectorSize}`);
    this.sectors = data.length / sectorSize;
  }
  read(sector: number, out: Uint8Array): void {
    out.set(this.data.subarray(sector * this.sectorSize, sector * this.sectorSize + out.length));
  }
  write(sector: number, data: Uint8Array): void {
    if (!this.writable) throw new BlockIoError("read-only backend");
    this.data.set(data, sector * this.sectorSize);
  }
}

/**
 * Copy-on-write over a backend: written sectors live in `sectors` (sector number
 * → its bytes), everything else is read from the base, which is never written.
 * The map is the whole of the guest's changes, so saving it saves the disk.
 */
export class OverlayBackend implements BlockBackend {
  static readonly STATE: StateTable = { fields: ["written"], wiring: ["base", "writable", "sectorSize", "sectors"] };
  readonly written = new Map<number, Uint8Array>();
  readonly writable = true;
  readonly sectorSize: number;
  readonly sectors: number;

  constructor(private readonly base: BlockBackend) {
    this.sectorSize = base.sectorSize;
    this.sectors = base.sectors;
  }

  read(sector: number, out: Uint8Array): void {
    const n = this.sectorSize;
    const count = out.length / n;
    // Runs of untouched sectors go to the base in one read.
    let run = 0;
    for (let k = 0; k <= count; k++) {
      const own = k < count ? this.written.get(sector + k) : undefined;
      if (k < count && !own) continue;
      if (k > run) this.base.read(sector + run, out.subarray(run * n, k * n));
      if (own) out.set(own, k * n);
      run = k + 1;
    }
  }

  write(sector: number, data: Uint8Array): void {
    const n = this.sectorSize;
    for (let k = 0; k < data.length / n; k++) this.written.set(sector + k, data.slice(k * n, (k + 1) * n));
  }
}
