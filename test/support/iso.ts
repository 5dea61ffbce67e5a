/**
 * A small ISO 9660 image writer with an El Torito boot catalog, for the CD-ROM
 * tests: one primary volume descriptor, the El Torito boot record, the
 * terminator, both path tables, a root directory holding the given files, the
 * boot catalog (a validation entry and a no-emulation initial entry) and the
 * boot image. Every file starts on its own 2048-byte sector; `layout` tells
 * where each landed.
 */

export const ISO_SECTOR = 2048;

export interface IsoFile {
  /** An ISO 9660 level 1 name such as "PAYLOAD.TXT". */
  name: string;
  data: Uint8Array;
}

export interface IsoOptions {
  volumeId?: string;
  /** The no-emulation boot image: loaded at 0000:7C00, `loadSectors` 512-byte sectors of it. */
  bootImage?: Uint8Array;
  loadSectors?: number;
  files?: IsoFile[];
}

export interface IsoImage {
  bytes: Uint8Array;
  /** First sector of each file, by name; "BOOT.CAT" and "BOOT.IMG" when bootable. */
  layout: Map<string, number>;
}

function both16(b: Uint8Array, at: number, v: number): void {
  const d = new DataView(b.buffer, b.byteOffset);
  d.setUint16(at, v, true);
  d.setUint16(at + 2, v, false);
}
function both32(b: Uint8Array, at: number, v: number): void {
  const d = new DataView(b.buffer, b.byteOffset);
  d.setUint32(at, v, true);
  d.setUint32(at + 4, v, false);
}
function text(b: Uint8Array, at: number, len: number, s: string): void {
  const t = s.padEnd(len, " ");
  for (let k = 0; k < len; k++) b[at + k] = t.charCodeAt(k);
}
function sectorsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / ISO_SECTOR));
}

/** A directory record (ECMA-119 9.1), recording date 2026-01-01. */
function dirRecord(name: Uint8Array, extent: number, size: number, directory: boolean): Uint8Array {
  const len = 33 + name.length + (name.length % 2 === 0 ? 1 : 0);
  const r = new Uint8Array(len);
  r[0] = len;
  both32(r, 2, extent);
  both32(r, 10, size);
  r.set([126, 1, 1, 0, 0, 0, 0], 18);
  r[25] = directory ? 0x02 : 0x00;
  both16(r, 28, 1);
  r[32] = name.length;
  r.set(name, 33);
  return r;
}

export function buildIso(opts: IsoOptions): IsoImage {
  const files: IsoFile[] = [...(opts.files ?? [])];
  const layout = new Map<string, number>();
  // Sectors 0-15 system area, 16 PVD, 17 boot record (when bootable), then the terminator.
  let next = 16;
  const pvdAt = next++;
  const bootRecordAt = opts.bootImage ? next++ : -1;
  const terminatorAt = next++;
  const pathLAt = next++;
  const pathMAt = next++;
  const rootAt = next++;
  const catalogAt = opts.bootImage ? next++ : -1;
  const bootAt = opts.bootImage ? next : -1;
  if (opts.bootImage) next += sectorsFor(opts.bootImage.length);
  for (const f of files) {
    layout.set(f.name, next);
    next += sectorsFor(f.data.length);
  }
  if (opts.bootImage) {
    layout.set("BOOT.CAT", catalogAt);
    layout.set("BOOT.IMG", bootAt);
  }
  const total = next;
  const img = new Uint8Array(total * ISO_SECTOR);
  const sector = (n: number) => img.subarray(n * ISO_SECTOR, (n + 1) * ISO_SECTOR);

  // Root directory: ".", "..", the files.
  const enc = new TextEncoder();
  const records: Uint8Array[] = [dirRecord(Uint8Array.of(0), rootAt, ISO_SECTOR, true), dirRecord(Uint8Array.of(1), rootAt, ISO_SECTOR, true)];
  if (opts.bootImage) {
    records.push(dirRecord(enc.encode("BOOT.CAT;1"), catalogAt, ISO_SECTOR, false));
    records.push(dirRecord(enc.encode("BOOT.IMG;1"), bootAt, opts.bootImage.length, false));
  }
  for (const f of files) records.push(dirRecord(enc.encode(`${f.name};1`), layout.get(f.name)!, f.data.length, false));
  let at = 0;
  const root = sector(rootAt);
  for (const r of records) {
    if (at + r.length > ISO_SECTOR) throw new RangeError("too many files for a one-sector root directory");
    root.set(r, at);
    at += r.length;
  }

  // Path tables: the root alone, little-endian (L) and big-endian (M).
  const pathL = sector(pathLAt);
  pathL.set([1, 0], 0);
  new DataView(pathL.buffer, pathL.byteOffset).setUint32(2, rootAt, true);
  pathL.set([1, 0, 0, 0], 6);
  const pathM = sector(pathMAt);
  pathM.set([1, 0], 0);
  new DataView(pathM.buffer, pathM.byteOffset).setUint32(2, rootAt, false);
  pathM.set([0, 1, 0, 0], 6);

  // Primary volume descriptor.
  const pvd = sector(pvdAt);
  pvd[0] = 1;
  text(pvd, 1, 5, "CD001");
  pvd[6] = 1;
  text(pvd, 8, 32, "");
  text(pvd, 40, 32, opts.volumeId ?? "JIT386");
  both32(pvd, 80, total);
  both16(pvd, 120, 1);
  both16(pvd, 124, 1);
  both16(pvd, 128, ISO_SECTOR);
  both32(pvd, 132, 10);
  new DataView(pvd.buffer, pvd.byteOffset).setUint32(140, pathLAt, true);
  new DataView(pvd.buffer, pvd.byteOffset).setUint32(148, pathMAt, false);
  pvd.set(dirRecord(Uint8Array.of(0), rootAt, ISO_SECTOR, true), 156);
  for (const off of [190, 318, 446, 574, 702, 739, 776]) text(pvd, off, off < 702 ? 128 : 37, "");
  for (const off of [813, 830, 847, 864]) text(pvd, off, 16, "0".repeat(16));
  pvd[881] = 1;

  if (opts.bootImage) {
    // El Torito boot record volume descriptor.
    const br = sector(bootRecordAt);
    br[0] = 0;
    text(br, 1, 5, "CD001");
    br[6] = 1;
    br.set(enc.encode("EL TORITO SPECIFICATION"), 7);
    new DataView(br.buffer, br.byteOffset).setUint32(0x47, catalogAt, true);

    // Boot catalog: validation entry (its words sum to zero), then the no-emulation initial entry.
    const cat = sector(catalogAt);
    cat[0] = 1;
    cat[1] = 0; // 80x86
    text(cat, 4, 24, "JIT386");
    cat[0x1e] = 0x55;
    cat[0x1f] = 0xaa;
    const v = new DataView(cat.buffer, cat.byteOffset);
    let sum = 0;
    for (let k = 0; k < 32; k += 2) sum += v.getUint16(k, true);
    v.setUint16(0x1c, (0x10000 - (sum & 0xffff)) & 0xffff, true);
    cat[0x20] = 0x88; // bootable
    cat[0x21] = 0x00; // no emulation
    v.setUint16(0x22, 0, true); // load segment: the default 0x7C0
    v.setUint16(0x26, opts.loadSectors ?? sectorsFor(opts.bootImage.length) * 4, true);
    v.setUint32(0x28, bootAt, true);
    img.set(opts.bootImage, bootAt * ISO_SECTOR);
  }

  const term = sector(terminatorAt);
  term[0] = 255;
  text(term, 1, 5, "CD001");
  term[6] = 1;

  for (const f of files) img.set(f.data, layout.get(f.name)! * ISO_SECTOR);
  return { bytes: img, layout };
}
