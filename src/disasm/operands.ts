/**
 * Structured operands of a decoded instruction, derived from the opcode row's
 * operand codes and the Insn fields. The text formatter renders these; tests
 * compare them to decide whether two encodings mean the same instruction.
 */
import { Sreg } from "../cpu/layout.js";
import type { Insn } from "../decode/insn.js";
import type { OpRow } from "../isa/row.js";

export type Bits = 16 | 32;

/** A memory operand. `size` is the keyword ("" when objdump shows none, as for LEA; moffs hide theirs). */
export interface MemOperand {
  kind: "mem";
  size: string;
  /** Effective segment (Sreg number). */
  seg: number;
  /** Print the segment even without an override (string operands, XLAT, absolute addresses). */
  showSeg: boolean;
  a32: boolean;
  base: number;
  index: number;
  scale: number;
  /** Displacement, sign-extended from its encoded width. */
  disp: number;
  /** Encoding details objdump's spelling depends on. */
  mod: number;
  sib: boolean;
  /** moffs (A0-A3): an address without brackets and without a size keyword. */
  moffs: boolean;
}

export type Operand =
  | { kind: "reg"; name: string }
  | { kind: "imm"; value: number; size: number }
  | { kind: "one" }
  | { kind: "target"; address: number }
  | { kind: "far"; selector: number; offset: number }
  | MemOperand;

const REG8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"];
const REG16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
const REG32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
export const SREG = ["es", "cs", "ss", "ds", "fs", "gs"];

export function regName(n: number, size: number): string {
  return (size === 8 ? REG8 : size === 16 ? REG16 : REG32)[n];
}

/** Operand size in bits for a size letter; 0 for "no size". */
function sizeOfLetter(letter: string, o32: boolean): number {
  switch (letter) {
    case "b": return 8;
    case "w": return 16;
    case "d": return 32;
    case "q": return 64;
    case "t": return 80;
    case "v": case "z": return o32 ? 32 : 16;
    case "p": return o32 ? 48 : 32;
    case "a": return o32 ? 64 : 32;
  }
  return 0;
}

const SIZE_KEYWORD: Record<number, string> = {
  8: "BYTE PTR", 16: "WORD PTR", 32: "DWORD PTR", 48: "FWORD PTR", 64: "QWORD PTR", 80: "TBYTE PTR",
};

/** Fixed register operand codes of the table. */
const FIXED: Record<string, (i: Insn) => string> = {
  AL: () => "al",
  CL: () => "cl",
  AX: () => "ax",
  DX: () => "dx",
  eAX: (i) => (i.o32 ? "eax" : "ax"),
  ST: () => "st",
  STi: (i) => `st(${i.rm})`,
  ES: () => "es", CS: () => "cs", SS: () => "ss", DS: () => "ds", FS: () => "fs", GS: () => "gs",
};

function modrmMem(i: Insn, size: string): MemOperand {
  return {
    kind: "mem", size, seg: i.seg, showSeg: false, a32: i.a32, base: i.base, index: i.index, scale: i.scale,
    disp: i.a32 ? i.disp | 0 : (i.disp << 16) >> 16, mod: i.mod, sib: i.a32 && i.rm === 4, moffs: false,
  };
}

/** Implicit string operand: DS:(E)SI (segment overridable) or ES:(E)DI. */
function stringMem(i: Insn, source: boolean, size: number): MemOperand {
  return {
    kind: "mem", size: SIZE_KEYWORD[size], seg: source ? (i.segOverride >= 0 ? i.segOverride : Sreg.DS) : Sreg.ES,
    showSeg: true, a32: i.a32, base: source ? 6 : 7, index: -1, scale: 0, disp: 0, mod: 0, sib: false, moffs: false,
  };
}

/** XLAT's implicit table operand, [(E)BX+AL], shown the way objdump does: BYTE PTR ds:[ebx]. */
export function xlatOperand(i: Insn): MemOperand {
  return {
    kind: "mem", size: SIZE_KEYWORD[8], seg: i.segOverride >= 0 ? i.segOverride : Sreg.DS, showSeg: true,
    a32: i.a32, base: 3, index: -1, scale: 0, disp: 0, mod: 0, sib: false, moffs: false,
  };
}

function branchTarget(i: Insn, address: number, bits: Bits): number {
  const next = address + i.len + i.imm;
  if (i.o32) return next >>> 0;
  // 16-bit operand size wraps IP; native 16-bit code keeps the address bits above 64K as objdump does.
  return ((bits === 16 ? address & ~0xffff : 0) | (next & 0xffff)) >>> 0;
}

function immediate(value: number, size: number): Operand {
  return { kind: "imm", value: size === 32 ? value >>> 0 : value & ((1 << size) - 1), size };
}

/** The operand list of a decoded instruction at `address`. */
export function operandsOf(row: OpRow, i: Insn, address: number, bits: Bits): Operand[] {
  const out: Operand[] = [];
  let immSlot = 0;
  const nextImm = (): number => (immSlot++ === 0 ? i.imm : i.imm2);
  for (const code of row.operands) {
    const fixed = FIXED[code];
    if (fixed) {
      out.push({ kind: "reg", name: fixed(i) });
      continue;
    }
    const k = code[0];
    const letter = code.slice(1);
    const size = sizeOfLetter(letter, i.o32);
    switch (k) {
      case "E":
        out.push(i.mod === 3 ? { kind: "reg", name: regName(i.rm, size) } : modrmMem(i, SIZE_KEYWORD[size]));
        break;
      case "G":
        out.push({ kind: "reg", name: regName(i.reg, size) });
        break;
      case "Z":
        out.push({ kind: "reg", name: regName(i.reg, size) });
        break;
      case "R":
        // "Rv/Mw": a register of the operand size, or a word in memory.
        if (code === "Rv/Mw") out.push(i.mod === 3 ? { kind: "reg", name: regName(i.rm, i.o32 ? 32 : 16) } : modrmMem(i, "WORD PTR"));
        else out.push({ kind: "reg", name: regName(i.rm, size) });
        break;
      case "M":
        // Bare M (LEA, FLDENV...) and Ms (descriptor-table pseudo-descriptor) carry no size keyword.
        out.push(modrmMem(i, letter === "" || letter === "s" ? "" : SIZE_KEYWORD[size]));
        break;
      case "S":
        out.push({ kind: "reg", name: SREG[i.reg] });
        break;
      case "C":
        out.push({ kind: "reg", name: `cr${i.reg}` });
        break;
      case "D":
        out.push({ kind: "reg", name: `dr${i.reg}` });
        break;
      case "O":
        out.push({ ...modrmMem(i, SIZE_KEYWORD[size]), base: -1, index: -1, sib: false, showSeg: true, moffs: true });
        break;
      case "X":
        out.push(stringMem(i, true, size));
        break;
      case "Y":
        out.push(stringMem(i, false, size));
        break;
      case "I":
        // Ibs is sign-extended to the operand size, the way the instruction uses it.
        out.push(letter === "bs" ? immediate(nextImm(), i.o32 ? 32 : 16) : immediate(nextImm(), size));
        break;
      case "J":
        out.push({ kind: "target", address: branchTarget(i, address, bits) });
        break;
      case "A":
        out.push({ kind: "far", selector: i.imm2 & 0xffff, offset: i.o32 ? i.imm >>> 0 : i.imm & 0xffff });
        break;
      case "1":
        out.push({ kind: "one" });
        break;
      default:
        throw new Error(`disasm: unknown operand code '${code}'`);
    }
  }
  return out;
}
