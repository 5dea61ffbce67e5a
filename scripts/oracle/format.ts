/**
 * The native oracle's fixture format, shared by the generator (generate.ts) and
 * the replay test (test/oracle.test.ts).
 *
 * A fixture file is gzip of: "JIT386OR", u32 JSON header length, the JSON
 * header (OracleHeader), then the cases of every form in header order.
 * Little-endian; one case is
 *   input:  u8 len, code[len], u8 mode, u32 seed, i32 regs[8], u32 eflags,
 *           u8 patch count, patches (u32 address, u8 n, bytes[n])
 *   result: u8 vector (0xFF: no exception), u32 eip, u32 eflags,
 *           u8 changed-register mask, i32 value per set bit,
 *           u16 write count, writes (u32 address, u8 n, bytes[n])
 * The two memory windows start as the xorshift32 stream of `seed` (fillWindows)
 * with the patches applied on top; the result's writes are the bytes of the
 * windows that differ afterwards.
 */
import { gunzipSync, gzipSync } from "node:zlib";

/** Where cases run, natively and in the replay: keep in step with harness.c. */
export const ORACLE_LAYOUT = {
  codeBase: 0x00300000,
  codeSize: 0x10000,
  /** The instruction under test starts here; the rest of the code area is INT3. */
  codeAt: 0x00308000,
  /**
   * Each window (data at dataBase, stack at stackBase) holds the bytes cases may touch;
   * it straddles a page boundary, 256 bytes in, and lies in an area of two pages that
   * must otherwise stay zero.
   */
  dataBase: 0x00200f00,
  stackBase: 0x00280f00,
  window: 512,
  dataArea: 0x00200000,
  stackArea: 0x00280000,
  areaSize: 0x2000,
  /** The LDT data segment DS and ES hold in MODE_LOWSEG cases (16-bit addressing). */
  ldtBase: 0x00200f00,
  ldtLimit: 0xffff,
  /** Present, DPL 3, read/write data, accessed; B = 1. */
  ldtAttr: 0x40f3,
} as const;

/** DS and ES hold the LDT data segment based at dataBase, so 16-bit offsets reach the data window. */
export const MODE_LOWSEG = 1;

export const NO_EXCEPTION = 0xff;

export interface Patch {
  addr: number;
  bytes: Uint8Array;
}

export interface OracleInput {
  code: Uint8Array;
  mode: number;
  seed: number;
  /** EAX ECX EDX EBX ESP EBP ESI EDI. */
  regs: Int32Array;
  eflags: number;
  patches: Patch[];
}

export interface OracleResult {
  /** Exception vector raised by the instruction, or NO_EXCEPTION. */
  vector: number;
  /** Where execution went: the next instruction, a branch target, or the instruction itself on a fault. */
  eip: number;
  /** RF is cleared: the native value carries it only as an artefact of exception delivery. */
  eflags: number;
  regs: Int32Array;
  writes: Patch[];
}

export interface OracleCase {
  input: OracleInput;
  result: OracleResult;
}

export interface OracleSelectors {
  cs: number;
  ss: number;
  ds: number;
  es: number;
  fs: number;
  gs: number;
  ldt: number;
}

export interface OracleHeader {
  format: 1;
  /** Family of the forms in the file (src/interp/<family>.ts). */
  family: string;
  /** The host CPU that produced the results. */
  cpu: string;
  layout: typeof ORACLE_LAYOUT;
  selectors: OracleSelectors;
  forms: { name: string; cases: number }[];
}

export interface OracleForm {
  name: string;
  cases: OracleCase[];
}

export interface OracleFile {
  header: OracleHeader;
  forms: OracleForm[];
}

const MAGIC = "JIT386OR";

/** The windows' initial contents: xorshift32 bytes of `seed`, data window first, then the patches. */
export function fillWindows(input: OracleInput, data: Uint8Array, stack: Uint8Array): void {
  let x = input.seed >>> 0 || 1;
  const fill = (w: Uint8Array) => {
    for (let k = 0; k < w.length; k += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      w[k] = x;
      w[k + 1] = x >>> 8;
      w[k + 2] = x >>> 16;
      w[k + 3] = x >>> 24;
    }
  };
  fill(data);
  fill(stack);
  for (const p of input.patches) {
    const [w, off] = windowOf(p.addr, p.bytes.length, data, stack);
    w.set(p.bytes, off);
  }
}

function windowOf(addr: number, n: number, data: Uint8Array, stack: Uint8Array): [Uint8Array, number] {
  for (const [w, base] of [[data, ORACLE_LAYOUT.dataBase], [stack, ORACLE_LAYOUT.stackBase]] as const) {
    const off = addr - base;
    if (off >= 0 && off + n <= w.length) return [w, off];
  }
  throw new RangeError(`patch at 0x${addr.toString(16)} (+${n}) is outside the windows`);
}

class Writer {
  private buf = Buffer.alloc(1 << 16);
  private pos = 0;
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.pos++];
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }
}

function writePatches(w: Writer, list: Patch[], wide: boolean): void {
  if (wide) w.u16(list.length);
  else w.u8(list.length);
  for (const p of list) {
    w.u32(p.addr);
    w.u8(p.bytes.length);
    w.bytes(p.bytes);
  }
}

function readPatches(r: Reader, wide: boolean): Patch[] {
  const n = wide ? r.u16() : r.u8();
  const out: Patch[] = [];
  for (let k = 0; k < n; k++) {
    const addr = r.u32();
    out.push({ addr, bytes: r.bytes(r.u8()) });
  }
  return out;
}

export function encodeOracleFile(header: Omit<OracleHeader, "forms">, forms: OracleForm[]): Buffer {
  const full: OracleHeader = { ...header, forms: forms.map((f) => ({ name: f.name, cases: f.cases.length })) };
  const w = new Writer();
  const json = Buffer.from(JSON.stringify(full));
  w.bytes(Buffer.from(MAGIC, "latin1"));
  w.u32(json.length);
  w.bytes(json);
  for (const f of forms) {
    for (const { input, result } of f.cases) {
      if (input.patches.length > 255 || input.code.length > 15) throw new RangeError(`case of ${f.name} does not fit the format`);
      w.u8(input.code.length);
      w.bytes(input.code);
      w.u8(input.mode);
      w.u32(input.seed);
      for (const v of input.regs) w.u32(v);
      w.u32(input.eflags);
      writePatches(w, input.patches, false);
      w.u8(result.vector);
      w.u32(result.eip);
      w.u32(result.eflags);
      let m = 0;
      for (let k = 0; k < 8; k++) if (result.regs[k] !== input.regs[k]) m |= 1 << k;
      w.u8(m);
      for (let k = 0; k < 8; k++) if (m & (1 << k)) w.u32(result.regs[k]);
      writePatches(w, result.writes, true);
    }
  }
  return gzipSync(w.done(), { level: 9 });
}

export function decodeOracleFile(gz: Buffer): OracleFile {
  const buf = gunzipSync(gz);
  if (buf.toString("latin1", 0, 8) !== MAGIC) throw new Error("not an oracle fixture");
  const r = new Reader(buf);
  r.pos = 8;
  const len = r.u32();
  const header = JSON.parse(buf.toString("utf8", r.pos, r.pos + len)) as OracleHeader;
  r.pos += len;
  if (header.format !== 1) throw new Error(`oracle fixture format ${header.format} is not supported`);
  const forms: OracleForm[] = header.forms.map(({ name, cases: count }) => {
    const cases: OracleCase[] = [];
    for (let k = 0; k < count; k++) {
      const code = r.bytes(r.u8());
      const mode = r.u8();
      const seed = r.u32();
      const regs = new Int32Array(8);
      for (let j = 0; j < 8; j++) regs[j] = r.i32();
      const eflags = r.u32();
      const patches = readPatches(r, false);
      const vector = r.u8();
      const eip = r.u32();
      const outFlags = r.u32();
      const m = r.u8();
      const outRegs = regs.slice();
      for (let j = 0; j < 8; j++) if (m & (1 << j)) outRegs[j] = r.i32();
      const writes = readPatches(r, true);
      cases.push({
        input: { code, mode, seed, regs, eflags, patches },
        result: { vector, eip, eflags: outFlags, regs: outRegs, writes },
      });
    }
    return { name, cases };
  });
  if (r.pos !== buf.length) throw new Error("oracle fixture has trailing bytes");
  return { header, forms };
}
