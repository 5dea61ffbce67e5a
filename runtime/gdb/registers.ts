/**
 * The i386 register file as gdb numbers it (the org.gnu.gdb.i386.core feature,
 * tdesc.ts): eax ecx edx ebx esp ebp esi edi, eip, eflags, cs ss ds es fs gs,
 * st0-st7 (80 bits each), then the x87 control registers fctrl fstat ftag fiseg
 * fioff foseg fooff fop. Values travel little-endian.
 */
import { ATTR_P, type Cpu } from "../../src/cpu/cpu.js";
import * as L from "../../src/cpu/layout.js";
import { Sreg } from "../../src/cpu/layout.js";
import { peekTranslate } from "../../src/cpu/paging.js";
import { decodeAttr, decodeBase, decodeLimit } from "../../src/cpu/descshadow.js";
import { phys, regOffset } from "../../src/cpu/x87/fpu.js";

interface RegisterDef {
  readonly name: string;
  readonly bytes: number;
  /** Little-endian bytes of the register. */
  read(c: Cpu): Uint8Array;
  /** Set it from little-endian bytes; false when the value cannot be loaded. */
  write(c: Cpu, v: Uint8Array): boolean;
}

const le32 = (v: number): Uint8Array => Uint8Array.of(v, v >>> 8, v >>> 16, v >>> 24);
const val32 = (b: Uint8Array): number => b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);

const GPRS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
/** gdb's segment order, as Sreg numbers. */
const SEGMENTS: readonly [string, Sreg][] = [
  ["cs", Sreg.CS],
  ["ss", Sreg.SS],
  ["ds", Sreg.DS],
  ["es", Sreg.ES],
  ["fs", Sreg.FS],
  ["gs", Sreg.GS],
];

/**
 * Load a selector as a debugger sets it: as the CPU would in real and V86
 * mode; in protected mode from its descriptor without any check (QEMU does the
 * same), a null selector leaving an unusable segment. False when the
 * descriptor is outside its table or not in RAM.
 */
function loadSelector(c: Cpu, s: Sreg, sel: number): boolean {
  if (c.realAddressing) {
    c.loadSegmentReal(s, sel);
    return true;
  }
  if ((sel & ~3) === 0) {
    if (s === Sreg.CS || s === Sreg.SS) return false;
    c.setSegmentCache(s, sel, 0, 0, 0);
    return true;
  }
  const i = c.i32;
  const ldt = (sel & 4) !== 0;
  const base = i[(ldt ? L.LDTR_BASE : L.GDTR_BASE) >> 2];
  const limit = i[(ldt ? L.LDTR_LIMIT : L.GDTR_LIMIT) >> 2] >>> 0;
  const at = sel & ~7;
  if (at + 7 > limit) return false;
  const words: number[] = [];
  for (const off of [0, 4]) {
    const pa = peekTranslate(c, (base + at + off) | 0);
    if (pa < 0 || pa + 4 > c.ramBytes) return false;
    words.push(c.readPhys32(pa));
  }
  const [lo, hi] = words;
  const attr = decodeAttr(hi);
  if (!(attr & ATTR_P)) return false;
  c.setSegmentCache(s, sel, decodeBase(lo, hi), decodeLimit(lo, hi), attr);
  return true;
}

function x87Word(name: string, offset: number, bytes: 2 | 4, mask = bytes === 2 ? 0xffff : -1): RegisterDef {
  return {
    name,
    bytes: 4,
    read: (c) => le32((bytes === 2 ? c.u16[offset >> 1] : c.i32[offset >> 2]) & mask),
    write: (c, v) => {
      if (bytes === 2) c.u16[offset >> 1] = val32(v) & mask;
      else c.i32[offset >> 2] = val32(v);
      return true;
    },
  };
}

export const REGISTERS: readonly RegisterDef[] = [
  ...GPRS.map(
    (name, n): RegisterDef => ({
      name,
      bytes: 4,
      read: (c) => le32(c.i32[n]),
      write: (c, v) => {
        c.i32[n] = val32(v);
        return true;
      },
    }),
  ),
  {
    name: "eip",
    bytes: 4,
    read: (c) => le32(c.eip),
    write: (c, v) => {
      c.eip = val32(v);
      return true;
    },
  },
  {
    name: "eflags",
    bytes: 4,
    read: (c) => le32(c.getEflags()),
    write: (c, v) => {
      c.setEflagsMasked(val32(v), -1);
      return true;
    },
  },
  ...SEGMENTS.map(
    ([name, s]): RegisterDef => ({
      name,
      bytes: 4,
      read: (c) => le32(c.segSel(s)),
      write: (c, v) => {
        const sel = val32(v) & 0xffff;
        return sel === c.segSel(s) || loadSelector(c, s, sel);
      },
    }),
  ),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map(
    (k): RegisterDef => ({
      name: `st${k}`,
      bytes: 10,
      read: (c) => c.u8.slice(regOffset(phys(c, k)), regOffset(phys(c, k)) + 10),
      write: (c, v) => {
        c.u8.set(v, regOffset(phys(c, k)));
        return true;
      },
    }),
  ),
  x87Word("fctrl", L.FPU_CW, 2),
  x87Word("fstat", L.FPU_SW, 2),
  x87Word("ftag", L.FPU_TW, 2),
  x87Word("fiseg", L.FPU_FCS, 2),
  x87Word("fioff", L.FPU_FIP, 4),
  x87Word("foseg", L.FPU_FDS, 2),
  x87Word("fooff", L.FPU_FDP, 4),
  x87Word("fop", L.FPU_FOP, 2, 0x7ff),
];

/** All registers in gdb's order (the `g` packet's bytes). */
export function readAll(c: Cpu): Uint8Array {
  const parts = REGISTERS.map((r) => r.read(c));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Set registers from a `G` packet's bytes (a prefix sets the first ones); false when a value could not be loaded. */
export function writeAll(c: Cpu, bytes: Uint8Array): boolean {
  let at = 0;
  let ok = true;
  for (const r of REGISTERS) {
    if (at + r.bytes > bytes.length) break;
    ok = r.write(c, bytes.subarray(at, at + r.bytes)) && ok;
    at += r.bytes;
  }
  return ok;
}
