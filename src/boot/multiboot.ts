/**
 * Multiboot (version 1) loader: finds the header, loads an ELF or an
 * address-field image, builds the boot information (memory map, command line,
 * modules) and leaves the CPU as the specification requires: 32-bit protected
 * mode, flat segments, paging off, interrupts off, EAX = 0x2BADB002, EBX = info.
 * Modules go after the image; the boot information block (structure, memory
 * map, strings, module table) goes where nothing loaded lies: at INFO_ADDR when
 * that is free, else in the first gap of conventional memory, else after the
 * modules.
 */
import type { Cpu } from "../cpu/cpu.js";
import { RAM_BASE } from "../cpu/layout.js";
import { isElf, parseElf32 } from "./elf.js";
import { BootError } from "./errors.js";
import { enterFlatProtectedMode } from "./flat.js";
import { pcMemoryMap } from "./memmap.js";

export const MULTIBOOT_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;

const FLAG_PAGE_ALIGN = 1 << 0;
const FLAG_MEMORY_INFO = 1 << 1;
const FLAG_VIDEO_MODE = 1 << 2;
const FLAG_ADDRESS_FIELDS = 1 << 16;
/** Required-feature bits this loader honours; any other bit in 0..15 must be refused. */
const SUPPORTED_REQUIRED = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;

/** Where the loader puts the boot information when nothing is loaded there: conventional memory, below the EBDA. */
const INFO_ADDR = 0x9000;
/** Conventional memory the boot information may use: above the real-mode IVT and BDA, below the EBDA. */
const LOW_START = 0x1000;
const LOW_END = 0x9fc00;
/** The fixed part of the information structure, rounded up; the memory map follows. */
const INFO_FIXED = 0x80;

export interface MultibootHeader {
  offset: number;
  flags: number;
}

export interface BootModule {
  data: Uint8Array;
  cmdline: string;
}

export interface MultibootOptions {
  cmdline?: string;
  modules?: BootModule[];
}

export interface MultibootResult {
  entry: number;
  /** First free physical address after the image and modules. */
  end: number;
  /** Where the boot information block is (EBX) and its size. */
  info: number;
  infoBytes: number;
}

/** [start, end) of physical memory the loader has filled. */
type Range = [number, number];

/** The multiboot header, if the image has a valid one in its first 8 KiB. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const end = Math.min(8192, image.length) - 12;
  for (let off = 0; off <= end; off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_MAGIC) continue;
    const flags = dv.getUint32(off + 4, true);
    const checksum = dv.getUint32(off + 8, true);
    if (((MULTIBOOT_MAGIC + flags + checksum) | 0) !== 0) continue;
    return { offset: off, flags };
  }
  return undefined;
}

function copyIn(cpu: Cpu, pa: number, data: Uint8Array, what: string): void {
  checkFits(cpu, pa, data.length, what);
  cpu.u8.set(data, RAM_BASE + pa);
}

function zeroFill(cpu: Cpu, pa: number, n: number, what: string): void {
  checkFits(cpu, pa, n, what);
  cpu.u8.fill(0, RAM_BASE + pa, RAM_BASE + pa + n);
}

function checkFits(cpu: Cpu, pa: number, n: number, what: string): void {
  if (pa < 0x1000 || pa + n > cpu.ramBytes) {
    const mib = cpu.ramBytes / (1 << 20);
    throw new BootError(`${what} at 0x${pa.toString(16)}..0x${(pa + n).toString(16)} does not fit in guest RAM (${mib} MiB)`);
  }
}

/** Where an address-field image (flag 16) loads: file bytes [fileStart, fileStart + length) at loadAddr. */
export interface AddressFields {
  headerAddr: number;
  loadAddr: number;
  fileStart: number;
  length: number;
  bssEnd: number;
  entry: number;
}

export function hasAddressFields(hdr: MultibootHeader): boolean {
  return (hdr.flags & FLAG_ADDRESS_FIELDS) !== 0;
}

export function addressFields(image: Uint8Array, hdr: MultibootHeader): AddressFields {
  if (hdr.offset + 32 > image.length) throw new BootError("truncated multiboot image: address fields cut off");
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const headerAddr = dv.getUint32(hdr.offset + 12, true);
  const loadAddr = dv.getUint32(hdr.offset + 16, true);
  const loadEnd = dv.getUint32(hdr.offset + 20, true);
  const bssEnd = dv.getUint32(hdr.offset + 24, true);
  const entry = dv.getUint32(hdr.offset + 28, true);
  const fileStart = hdr.offset - (headerAddr - loadAddr);
  if (headerAddr < loadAddr || fileStart < 0) throw new BootError("malformed multiboot image: header_addr below load_addr");
  const length = loadEnd === 0 ? image.length - fileStart : loadEnd - loadAddr;
  if (length < 0 || fileStart + length > image.length) throw new BootError("truncated multiboot image: load_end_addr past the end of the file");
  return { headerAddr, loadAddr, fileStart, length, bssEnd, entry };
}

/** Bytes of the header: the address fields are there with flag 16 (or 2), the video fields with flag 2. */
export function headerLength(hdr: MultibootHeader): number {
  return hdr.flags & FLAG_VIDEO_MODE ? 48 : hdr.flags & FLAG_ADDRESS_FIELDS ? 32 : 12;
}

/** Load `image` and prepare the CPU to enter it. */
export function loadMultiboot(cpu: Cpu, image: Uint8Array, opts: MultibootOptions = {}): MultibootResult {
  const hdr = findMultibootHeader(image);
  if (!hdr) throw new BootError("not a multiboot image: no valid multiboot header in the first 8 KiB");
  const unsupported = hdr.flags & 0xffff & ~SUPPORTED_REQUIRED;
  if (unsupported) throw new BootError(`unsupported multiboot image: required feature flags 0x${unsupported.toString(16)}`);
  let entry: number;
  let end = 0;
  const taken: Range[] = [];
  if (hasAddressFields(hdr)) {
    const a = addressFields(image, hdr);
    copyIn(cpu, a.loadAddr, image.subarray(a.fileStart, a.fileStart + a.length), "image");
    end = a.loadAddr + a.length;
    if (a.bssEnd > end) {
      zeroFill(cpu, end, a.bssEnd - end, "bss");
      end = a.bssEnd;
    }
    entry = a.entry;
    taken.push([a.loadAddr, end]);
  } else {
    if (!isElf(image)) throw new BootError("multiboot image is neither ELF nor has address fields (flag 16)");
    const elf = parseElf32(image);
    for (const s of elf.segments) {
      copyIn(cpu, s.paddr, image.subarray(s.fileOffset, s.fileOffset + s.fileSize), "ELF segment");
      zeroFill(cpu, s.paddr + s.fileSize, s.memSize - s.fileSize, "ELF bss");
      end = Math.max(end, s.paddr + s.memSize);
      taken.push([s.paddr, s.paddr + s.memSize]);
    }
    entry = elf.entry;
  }
  end = loadModules(cpu, (end + 0xfff) & ~0xfff, opts.modules ?? [], taken);
  const infoBytes = bootInfoBytes(opts);
  const info = findFree(infoBytes, taken, end, cpu.ramBytes);
  writeBootInfo(cpu, info, infoBytes, opts, taken);
  cpu.setReg32(0, MULTIBOOT_BOOTLOADER_MAGIC);
  cpu.setReg32(3, info);
  enterFlatProtectedMode(cpu, 0x08, 0x10, entry);
  return { entry, end, info, infoBytes };
}

/** Modules, page-aligned from `free` (past everything loaded); returns the first free address after them. */
function loadModules(cpu: Cpu, free: number, mods: BootModule[], taken: Range[]): number {
  mods.forEach((m, k) => {
    copyIn(cpu, free, m.data, `module ${k}`);
    taken.push([free, free + m.data.length]);
    free = (free + m.data.length + 0xfff) & ~0xfff;
  });
  return free;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bytes of the boot information block: structure, memory map, command line, module table and module strings. */
function bootInfoBytes(opts: MultibootOptions): number {
  const mods = opts.modules ?? [];
  let n = INFO_FIXED + pcMemoryMap(0).length * 24;
  if (opts.cmdline !== undefined) n += utf8(opts.cmdline).length + 1;
  n = (n + 15) & ~15;
  n += mods.length * 16;
  for (const m of mods) n += utf8(m.cmdline).length + 1;
  return n;
}

/**
 * A 16-byte-aligned address for `size` bytes clear of every range in `taken`:
 * INFO_ADDR if free, else the lowest fit in conventional memory, else the lowest
 * from `above` up to `ramEnd`.
 */
function findFree(size: number, taken: Range[], above: number, ramEnd: number): number {
  const clear = (at: number) => taken.every(([s, e]) => at + size <= s || at >= e);
  if (INFO_ADDR + size <= LOW_END && clear(INFO_ADDR)) return INFO_ADDR;
  // Candidates: the start of each area, and just past each taken range.
  for (const [lo, hi] of [[LOW_START, LOW_END], [above, ramEnd]]) {
    const starts = [lo, ...taken.map(([, e]) => (e + 15) & ~15)].filter((a) => a >= lo).sort((a, b) => a - b);
    for (const at of starts) if (at + size <= hi && clear(at)) return at;
  }
  throw new BootError(`no room for the ${size}-byte multiboot information beside the image and modules in guest RAM (${ramEnd / (1 << 20)} MiB)`);
}

/** The multiboot information structure, memory map, command line and module table, in `size` bytes at `base`. */
function writeBootInfo(cpu: Cpu, base: number, size: number, opts: MultibootOptions, taken: Range[]): void {
  const info = new DataView(cpu.memory.buffer, RAM_BASE + base, size);
  new Uint8Array(cpu.memory.buffer, RAM_BASE + base, size).fill(0);
  const ram = cpu.ramBytes;
  let cursor = INFO_FIXED;
  let flags = 0x1 | 0x40; // mem_lower/upper, mmap
  info.setUint32(4, 639, true);
  info.setUint32(8, Math.max(0, ram - 0x100000) >>> 10, true);
  const map = pcMemoryMap(ram);
  const mmapStart = cursor;
  for (const [start, len, type] of map) {
    info.setUint32(cursor, 20, true);
    info.setUint32(cursor + 4, start, true);
    info.setUint32(cursor + 8, 0, true);
    info.setUint32(cursor + 12, len, true);
    info.setUint32(cursor + 16, 0, true);
    info.setUint32(cursor + 20, type, true);
    cursor += 24;
  }
  info.setUint32(44, map.length * 24, true);
  info.setUint32(48, base + mmapStart, true);
  const putString = (s: string): number => {
    const bytes = utf8(s);
    const at = base + cursor;
    cpu.u8.set(bytes, RAM_BASE + at);
    cursor += bytes.length + 1;
    return at;
  };
  if (opts.cmdline !== undefined) {
    flags |= 0x4;
    info.setUint32(16, putString(opts.cmdline), true);
  }
  const mods = opts.modules ?? [];
  if (mods.length) {
    flags |= 0x8;
    cursor = (cursor + 15) & ~15;
    const table = cursor;
    cursor += mods.length * 16;
    info.setUint32(20, mods.length, true);
    info.setUint32(24, base + table, true);
    // The modules are the last ranges taken, in order.
    const placed = taken.slice(taken.length - mods.length);
    mods.forEach((m, k) => {
      info.setUint32(table + k * 16, placed[k][0], true);
      info.setUint32(table + k * 16 + 4, placed[k][1], true);
      info.setUint32(table + k * 16 + 8, putString(m.cmdline), true);
    });
  }
  info.setUint32(0, flags, true);
}
