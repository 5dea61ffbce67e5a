/**
 * Reader for MOO test files (MOO_FORMAT v1.1), the chunked binary format of the
 * SingleStepTests CPU suites. Files are gzip-compressed; chunks this reader does
 * not know (CYCL, GMET, QUEU, EA32, ...) are skipped by their length, as the
 * format requires of a conforming parser.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

/** REGS/RMSK bit order. */
export const REG16_NAMES = ["ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags"] as const;
/** RG32/RM32 bit order. */
export const REG32_NAMES = [
  "cr0", "cr3", "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp",
  "cs", "ds", "es", "fs", "gs", "ss", "eip", "eflags", "dr6", "dr7",
] as const;

export type Reg16Name = (typeof REG16_NAMES)[number];
export type Reg32Name = (typeof REG32_NAMES)[number];

/** A register chunk: the presence bitmask as stored, and the values it announces. */
export interface RegSet<N extends string> {
  mask: number;
  values: Partial<Record<N, number>>;
}

export interface RamEntry {
  address: number;
  value: number;
}

export interface MooState {
  regs16?: RegSet<Reg16Name>;
  regs32?: RegSet<Reg32Name>;
  /** Undefined-bit masks for this test only (a set bit means the bit is defined). */
  rmsk16?: RegSet<Reg16Name>;
  rmsk32?: RegSet<Reg32Name>;
  ram: RamEntry[];
}

export interface MooException {
  vector: number;
  /** Physical address of the FLAGS word pushed by the exception or interrupt. */
  flagAddress: number;
}

export interface MooTest {
  index: number;
  /** Disassembly of the instruction under test. */
  name: string;
  /** Instruction bytes, the terminating HLT included. */
  bytes: Uint8Array;
  initial: MooState;
  final: MooState;
  exception?: MooException;
  /** SHA-1 of the test chunk, lower-case hex: the test's identity for the revocation list. */
  hash: string;
}

export interface MooMeta {
  cpuType: number;
  /** Raw opcode of the file's tests, 0xFFFFFFFF when several. */
  opcode: number;
  mnemonic: string;
  /** 0 for real mode. */
  cpuMode: number;
}

export interface MooFile {
  majorVersion: number;
  minorVersion: number;
  /** Four-character CPU id, e.g. "C286", "386E". */
  cpu: string;
  meta?: MooMeta;
  /** File-wide undefined-bit masks, applied to every test. */
  rmsk16?: RegSet<Reg16Name>;
  rmsk32?: RegSet<Reg32Name>;
  tests: MooTest[];
}

export class MooFormatError extends Error {}

interface Chunk {
  type: string;
  /** Payload start and end (exclusive) in the buffer. */
  start: number;
  end: number;
}

function* chunks(buf: Buffer, start: number, end: number): Generator<Chunk> {
  let p = start;
  while (p < end) {
    if (p + 8 > end) throw new MooFormatError(`truncated chunk header at ${p}`);
    const type = buf.toString("latin1", p, p + 4);
    const len = buf.readUInt32LE(p + 4);
    const s = p + 8;
    if (s + len > end) throw new MooFormatError(`chunk '${type}' at ${p} overruns its parent (${len} bytes)`);
    yield { type, start: s, end: s + len };
    p = s + len;
  }
}

function readRegSet<N extends string>(buf: Buffer, c: Chunk, names: readonly N[], width: 2 | 4): RegSet<N> {
  const mask = width === 2 ? buf.readUInt16LE(c.start) : buf.readUInt32LE(c.start);
  const values: Partial<Record<N, number>> = {};
  let p = c.start + width;
  for (let bit = 0; bit < names.length; bit++) {
    if (!((mask >>> bit) & 1)) continue;
    if (p + width > c.end) throw new MooFormatError(`register chunk at ${c.start} shorter than its mask says`);
    values[names[bit]] = width === 2 ? buf.readUInt16LE(p) : buf.readUInt32LE(p);
    p += width;
  }
  return { mask, values };
}

function readState(buf: Buffer, c: Chunk): MooState {
  const s: MooState = { ram: [] };
  for (const sub of chunks(buf, c.start, c.end)) {
    switch (sub.type) {
      case "REGS": s.regs16 = readRegSet(buf, sub, REG16_NAMES, 2); break;
      case "RG32": s.regs32 = readRegSet(buf, sub, REG32_NAMES, 4); break;
      case "RMSK": s.rmsk16 = readRegSet(buf, sub, REG16_NAMES, 2); break;
      case "RM32": s.rmsk32 = readRegSet(buf, sub, REG32_NAMES, 4); break;
      case "RAM ": {
        const n = buf.readUInt32LE(sub.start);
        if (sub.start + 4 + n * 5 > sub.end) throw new MooFormatError(`RAM chunk at ${sub.start} shorter than its count`);
        for (let k = 0; k < n; k++) {
          const p = sub.start + 4 + k * 5;
          s.ram.push({ address: buf.readUInt32LE(p), value: buf[p + 4] });
        }
        break;
      }
    }
  }
  return s;
}

/** Length-prefixed payload of NAME and BYTS. */
function prefixed(buf: Buffer, c: Chunk): Buffer {
  const n = buf.readUInt32LE(c.start);
  if (c.start + 4 + n > c.end) throw new MooFormatError(`length field at ${c.start} overruns its chunk`);
  return buf.subarray(c.start + 4, c.start + 4 + n);
}

function readTest(buf: Buffer, c: Chunk): MooTest {
  const index = buf.readUInt32LE(c.start);
  let name = "";
  let bytes: Uint8Array | undefined;
  let initial: MooState | undefined;
  let final: MooState | undefined;
  let exception: MooException | undefined;
  let hash = "";
  for (const sub of chunks(buf, c.start + 4, c.end)) {
    switch (sub.type) {
      case "NAME": name = prefixed(buf, sub).toString("latin1"); break;
      case "BYTS": bytes = Uint8Array.from(prefixed(buf, sub)); break;
      case "INIT": initial = readState(buf, sub); break;
      case "FINA": final = readState(buf, sub); break;
      case "EXCP": exception = { vector: buf[sub.start], flagAddress: buf.readUInt32LE(sub.start + 1) }; break;
      case "HASH": hash = buf.toString("hex", sub.start, sub.start + 20); break;
    }
  }
  if (!bytes || !initial || !final) throw new MooFormatError(`test ${index} lacks BYTS, INIT or FINA`);
  return { index, name, bytes, initial, final, exception, hash };
}

/** Parse an uncompressed MOO image. */
export function parseMoo(buf: Buffer): MooFile {
  const file: MooFile = { majorVersion: 0, minorVersion: 0, cpu: "", tests: [] };
  let sawHeader = false;
  for (const c of chunks(buf, 0, buf.length)) {
    switch (c.type) {
      case "MOO ":
        sawHeader = true;
        file.majorVersion = buf[c.start];
        file.minorVersion = buf[c.start + 1];
        file.cpu = buf.toString("latin1", c.start + 8, c.start + 12);
        break;
      case "META":
        file.meta = {
          cpuType: buf[c.start + 2],
          opcode: buf.readUInt32LE(c.start + 3),
          mnemonic: buf.toString("latin1", c.start + 7, c.start + 15).trimEnd(),
          cpuMode: buf[c.start + 27],
        };
        break;
      case "RMSK": file.rmsk16 = readRegSet(buf, c, REG16_NAMES, 2); break;
      case "RM32": file.rmsk32 = readRegSet(buf, c, REG32_NAMES, 4); break;
      case "TEST": file.tests.push(readTest(buf, c)); break;
    }
  }
  if (!sawHeader) throw new MooFormatError("no 'MOO ' header chunk");
  return file;
}

/** Read and parse a gzip-compressed MOO file. */
export function readMooFile(path: string): MooFile {
  return parseMoo(gunzipSync(readFileSync(path)));
}
