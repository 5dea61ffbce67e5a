/**
 * Disk and CD images for the IDE devices: raw image files opened as block
 * backends. An image is read in place, sector by sector, and never written
 * unless the user asked for it (`--disk FILE,writable`); otherwise the guest's
 * writes go to an in-memory overlay (src/devices/block.ts).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { type BlockBackend, BlockIoError, OverlayBackend } from "../src/devices/block.js";
import { ImageError, UsageError } from "./errors.js";
import { ioReason } from "./files.js";
import { MAX_DRIVES, type StorageOptions } from "./pc.js";

export type MediumKind = "disk" | "cdrom";

const SECTOR: Record<MediumKind, number> = { disk: 512, cdrom: 2048 };
/** The largest medium a device can address: 48-bit LBA for ATA, 32-bit LBA for ATAPI READ(12). */
const MAX_SECTORS: Record<MediumKind, number> = { disk: 2 ** 48, cdrom: 2 ** 32 };

/** A raw image file. Host I/O errors become BlockIoError: the guest sees a medium error. */
export class FileBackend implements BlockBackend {
  constructor(
    private readonly fd: number,
    readonly sectorSize: number,
    readonly sectors: number,
    readonly writable: boolean,
  ) {}

  read(sector: number, out: Uint8Array): void {
    let done = 0;
    try {
      while (done < out.length) {
        const n = readSync(this.fd, out, done, out.length - done, sector * this.sectorSize + done);
        if (n === 0) throw new BlockIoError("image shorter than its size");
        done += n;
      }
    } catch (e) {
      throw e instanceof BlockIoError ? e : new BlockIoError(ioReason(e));
    }
  }

  write(sector: number, data: Uint8Array): void {
    if (!this.writable) throw new BlockIoError("read-only image");
    let done = 0;
    try {
      while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, sector * this.sectorSize + done);
    } catch (e) {
      throw new BlockIoError(ioReason(e));
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface OpenedMedium {
  backend: BlockBackend;
  /** The file's backend itself (for closing), under the overlay when there is one. */
  file: FileBackend;
}

/**
 * Open a raw image as a `kind` medium. Writable only on request, and never for a
 * CD; otherwise behind an overlay that keeps the guest's writes in memory.
 */
export function openMedium(path: string, kind: MediumKind, writable = false): OpenedMedium {
  const what = kind === "disk" ? "disk image" : "CD image";
  let fd: number;
  try {
    fd = openSync(path, writable ? "r+" : "r");
  } catch (e) {
    throw new ImageError(`cannot open ${what} '${path}': ${ioReason(e)}`);
  }
  const fail = (msg: string): never => {
    closeSync(fd);
    throw new ImageError(`${what} '${path}' ${msg}`);
  };
  const st = fstatSync(fd);
  if (!st.isFile()) fail("is not a regular file");
  const sector = SECTOR[kind];
  if (st.size === 0) fail("is empty");
  if (st.size % sector !== 0) fail(`is ${st.size} bytes, not a multiple of the ${sector}-byte sector`);
  const sectors = st.size / sector;
  if (sectors > MAX_SECTORS[kind]) fail(`is too large: ${sectors} sectors, at most ${MAX_SECTORS[kind]} can be addressed`);
  const file = new FileBackend(fd, sector, sectors, writable);
  return { backend: writable ? file : new OverlayBackend(file), file };
}

/** `FILE` or `FILE,writable`, as `--disk` takes it. */
export function parseDiskOption(value: string): { path: string; writable: boolean } {
  const m = /^(.*?)(?:,(writable))?$/.exec(value)!;
  const path = m[1];
  if (!path) throw new UsageError(`option '--disk' needs a file name (got '${value}')`);
  if (/,[a-z]+$/.test(path)) throw new UsageError(`option '--disk': unknown flag '${path.slice(path.lastIndexOf(",") + 1)}' (only 'writable')`);
  return { path, writable: m[2] === "writable" };
}

/** The IDE media of the command line: every `--disk` (FILE or FILE,writable) and the `--cdrom`. */
export function openStorage(disks: string[], cdrom: string | undefined): StorageOptions & { disks: BlockBackend[] } {
  const room = cdrom !== undefined ? MAX_DRIVES - 1 : MAX_DRIVES;
  if (disks.length > room) throw new UsageError(`at most ${room} disks fit on the two IDE channels${cdrom !== undefined ? " beside the CD-ROM" : ""} (got ${disks.length})`);
  return {
    disks: disks.map((v) => {
      const { path, writable } = parseDiskOption(v);
      return openMedium(path, "disk", writable).backend;
    }),
    cdrom: cdrom !== undefined ? openMedium(cdrom, "cdrom").backend : undefined,
  };
}
