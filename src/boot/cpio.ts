/**
 * A writer for the "newc" cpio format the Linux kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Entries carry no
 * timestamps or owners, so the same inputs always give the same archive.
 */

export interface CpioEntry {
  /** Path without a leading slash ("bin/busybox"). */
  name: string;
  /** Full st_mode: file type bits and permissions (0o100755, 0o040755, 0o020600). */
  mode: number;
  data?: Uint8Array;
  /** Device number for character and block special files. */
  rdevMajor?: number;
  rdevMinor?: number;
}

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;

const enc = new TextEncoder();

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

export function writeCpio(entries: CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
  };
  const all = [...entries, { name: "TRAILER!!!", mode: 0 }];
  all.forEach((e, k) => {
    const name = enc.encode(e.name + "\0");
    const data = e.data ?? new Uint8Array(0);
    const isTrailer = k === all.length - 1;
    const fields = [
      isTrailer ? 0 : k + 1, // inode
      e.mode,
      0, // uid
      0, // gid
      (e.mode & 0o170000) === S_IFDIR ? 2 : 1, // nlink
      0, // mtime
      data.length,
      0, // dev major
      0, // dev minor
      e.rdevMajor ?? 0,
      e.rdevMinor ?? 0,
      name.length,
      0, // check
    ];
    const header = enc.encode("070701" + fields.map(hex8).join(""));
    push(header);
    push(name);
    push(new Uint8Array(pad4(header.length + name.length)));
    push(data);
    push(new Uint8Array(pad4(data.length)));
  });
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Parse a newc archive back into entries (for tests and inspection). */
export function readCpio(buf: Uint8Array): CpioEntry[] {
  const dec = new TextDecoder();
  const out: CpioEntry[] = [];
  let o = 0;
  for (;;) {
    if (o + 110 > buf.length) throw new Error("truncated cpio archive");
    const magic = dec.decode(buf.subarray(o, o + 6));
    if (magic !== "070701") throw new Error(`bad cpio magic at ${o}`);
    const f = (k: number) => parseInt(dec.decode(buf.subarray(o + 6 + k * 8, o + 14 + k * 8)), 16);
    const mode = f(1);
    const fileSize = f(6);
    const nameSize = f(11);
    const nameStart = o + 110;
    const name = dec.decode(buf.subarray(nameStart, nameStart + nameSize - 1));
    const dataStart = nameStart + nameSize + pad4(110 + nameSize);
    if (name === "TRAILER!!!") return out;
    out.push({ name, mode, data: buf.slice(dataStart, dataStart + fileSize), rdevMajor: f(9), rdevMinor: f(10) });
    o = dataStart + fileSize + pad4(fileSize);
  }
}
