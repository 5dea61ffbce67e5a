/**
 * The mode key: everything a translation assumes about the CPU state besides the
 * code bytes (ARCHITECTURE.md "The JIT: Contexts and the dispatcher"). Compiled code runs only when the key computed
 * at dispatch equals the one it was translated under; instructions that can
 * change any part of it end the region.
 *
 *   bit 0     CS.D            bit 1      SS.B
 *   bits 2-3  CPL             bit 4      CR0.PE
 *   bit 5     CR0.PG          bit 6      EFLAGS.VM
 *   bits 7-8  IOPL            bit 9      CR0.WP
 *   bit 10    A20 enabled     bits 11-20 SegKind of ES SS DS FS GS, 2 bits each
 *
 * CS base and limit are not in the key: the code cache matches them separately.
 */
import type { Cpu } from "../src/cpu/cpu.js";
import { CR0_PE, CR0_PG, CR0_WP } from "../src/cpu/cpu.js";
import { IOPL, VM } from "../src/cpu/flags.js";
import * as L from "../src/cpu/layout.js";
import { Sreg } from "../src/cpu/layout.js";

/** How compiled code may access memory through a data segment register. */
export const enum SegKind {
  /** Base 0, limit 4 GiB, present writable expand-up data: the offset is the linear address. */
  FLAT = 0,
  /** Present writable expand-up data with a limit of at least 3: base and limit read at run time, checked inline. */
  DATA = 1,
  /** Anything else: every access goes through the helper (which raises what the interpreter raises). */
  OTHER = 2,
}

const SEG_SHIFT = [11, 0, 13, 15, 17, 19]; // by Sreg: ES, (CS unused), SS, DS, FS, GS

const CR0_I = L.CR_BASE >> 2;
const EFLAGS_I = L.EFLAGS >> 2;
const CPL_I = L.CPL >> 2;
const ATTR_I = L.SEG_ATTR >> 2;
const BASE_I = L.SEG_BASE >> 2;
const LIMIT_I = L.SEG_LIMIT >> 2;

function segKind(i: Int32Array, s: number): SegKind {
  const attr = i[ATTR_I + s];
  // Present, S = 1, data (not code), writable, expand-up.
  if ((attr & 0x9e) !== 0x92) return SegKind.OTHER;
  const limit = i[LIMIT_I + s];
  if (limit === -1 && i[BASE_I + s] === 0) return SegKind.FLAT;
  return limit >>> 0 >= 3 ? SegKind.DATA : SegKind.OTHER;
}

/** The mode key of the CPU's current state. */
export function modeKey(c: Cpu): number {
  const i = c.i32;
  const cr0 = i[CR0_I];
  const flags = i[EFLAGS_I];
  let k =
    ((i[ATTR_I + Sreg.CS] >>> 14) & 1) |
    (((i[ATTR_I + Sreg.SS] >>> 14) & 1) << 1) |
    ((i[CPL_I] & 3) << 2) |
    ((cr0 & CR0_PE) << 4) |
    (cr0 & CR0_PG ? 1 << 5 : 0) |
    (flags & VM ? 1 << 6 : 0) |
    (((flags & IOPL) >>> 12) << 7) |
    (cr0 & CR0_WP ? 1 << 9 : 0) |
    (c.a20Mask === -1 ? 1 << 10 : 0);
  // Unrolled: the engine computes this at every entry into compiled code.
  return (
    k |
    (segKind(i, Sreg.ES) << 11) |
    (segKind(i, Sreg.SS) << 13) |
    (segKind(i, Sreg.DS) << 15) |
    (segKind(i, Sreg.FS) << 17) |
    (segKind(i, Sreg.GS) << 19)
  );
}

/** The fields of a mode key, as the translator reads them. */
export class Mode {
  readonly cs32: boolean;
  readonly ss32: boolean;
  readonly cpl: number;
  readonly pe: boolean;
  readonly pg: boolean;
  readonly vm: boolean;
  readonly iopl: number;
  readonly wp: boolean;
  readonly a20: boolean;

  constructor(readonly key: number) {
    this.cs32 = (key & 1) !== 0;
    this.ss32 = (key & 2) !== 0;
    this.cpl = (key >>> 2) & 3;
    this.pe = (key & 0x10) !== 0;
    this.pg = (key & 0x20) !== 0;
    this.vm = (key & 0x40) !== 0;
    this.iopl = (key >>> 7) & 3;
    this.wp = (key & 0x200) !== 0;
    this.a20 = (key & 0x400) !== 0;
  }

  segKind(s: number): SegKind {
    if (s === Sreg.CS) return SegKind.OTHER;
    return ((this.key >>> SEG_SHIFT[s]) & 3) as SegKind;
  }

  /** Accesses are user-mode for paging (CPL 3; compiled code never makes implicit system accesses). */
  get user(): boolean {
    return this.cpl === 3;
  }
}
