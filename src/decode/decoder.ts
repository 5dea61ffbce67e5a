/**
 * Instruction decoder driven by the opcode table. Fills an Insn in place; never
 * allocates. Undefined encodings decode to ROW_UD, over-long ones to ROW_TOO_LONG;
 * the only way decoding fails is a fault raised by the byte source itself.
 */
import { Sreg } from "../cpu/layout.js";
import { OPCODES, ROW_TOO_LONG, ROW_UD } from "../isa/opcodes.js";
import { OpClass } from "../isa/row.js";
import { Insn } from "./insn.js";

/** Where instruction bytes come from; `offset` is relative to the instruction's first byte. */
export interface CodeBytes {
  byte(offset: number): number;
}

export const MAX_INSN_LENGTH = 15;

/**
 * Row lookup: index ((map*256 + op) * 2 + isReg) * 64 + reg*8 + rm → row id.
 * Opcodes without ModRM fill all 128 slots of their entry with the same row.
 */
const LOOKUP = new Int16Array(2 * 256 * 128).fill(ROW_UD);
/** Per (map*256 + op): 1 if the encoding carries a ModRM byte. */
const HAS_MODRM = new Uint8Array(512);
/** Per (map*256 + op): 1 for MOV to/from CRn/DRn, where ModRM.mod is ignored and r/m is always a register (SDM). */
const MOD_IGNORED = new Uint8Array(512);

for (const row of OPCODES) {
  if (row.map < 0) continue;
  const key = row.map * 256 + row.op;
  if (row.hasModrm) HAS_MODRM[key] = 1;
  if (row.operands.some((o) => o === "Cd" || o === "Dd")) MOD_IGNORED[key] = 1;
  for (let isReg = 0; isReg < 2; isReg++) {
    if (row.mod === "mem" && isReg) continue;
    if (row.mod === "reg" && !isReg) continue;
    for (let reg = 0; reg < 8; reg++) {
      if (row.reg >= 0 && row.reg !== reg) continue;
      for (let rm = 0; rm < 8; rm++) {
        if (row.rm >= 0 && row.rm !== rm) continue;
        const slot = (key * 2 + isReg) * 64 + reg * 8 + rm;
        // Specific rows (fixed rm) take precedence over "any rm" rows of the same group.
        if (LOOKUP[slot] !== ROW_UD && row.rm < 0) continue;
        LOOKUP[slot] = row.id;
      }
    }
  }
}

/** Immediate kinds, precomputed per row from its operand list. */
const enum Imm {
  None = 0,
  B = 1, // 1 byte, zero-extended
  BS = 2, // 1 byte, sign-extended
  W = 3, // 2 bytes
  Z = 4, // 2 or 4 bytes by operand size
  JB = 5, // rel8
  JZ = 6, // rel16/32
  AP = 7, // offset (2/4 by operand size) + selector
  O = 8, // moffs (2/4 by address size) as a memory operand
}

const IMM1 = new Uint8Array(OPCODES.length);
const IMM2 = new Uint8Array(OPCODES.length);
/** Rows whose register comes from the opcode's low bits. */
const OPREG = new Uint8Array(OPCODES.length);
for (const row of OPCODES) {
  const kinds: Imm[] = [];
  for (const o of row.operands) {
    if (o === "Ib") kinds.push(Imm.B);
    else if (o === "Ibs") kinds.push(Imm.BS);
    else if (o === "Iw") kinds.push(Imm.W);
    else if (o === "Iz" || o === "Iv") kinds.push(Imm.Z);
    else if (o === "Jb") kinds.push(Imm.JB);
    else if (o === "Jz") kinds.push(Imm.JZ);
    else if (o === "Ap") kinds.push(Imm.AP);
    else if (o === "Ob" || o === "Ov") kinds.push(Imm.O);
    if (o === "Zb" || o === "Zv" || o === "Zd") OPREG[row.id] = 1;
  }
  IMM1[row.id] = kinds[0] ?? Imm.None;
  IMM2[row.id] = kinds[1] ?? Imm.None;
}

const TOO_LONG = { tooLong: true };

/** Reads bytes of one instruction, enforcing the 15-byte limit. */
class Cursor {
  src: CodeBytes = { byte: () => 0 };
  pos = 0;
  u8(): number {
    if (this.pos >= MAX_INSN_LENGTH) throw TOO_LONG;
    return this.src.byte(this.pos++) & 0xff;
  }
  s8(): number {
    return (this.u8() << 24) >> 24;
  }
  u16(): number {
    const lo = this.u8();
    return lo | (this.u8() << 8);
  }
  s16(): number {
    return (this.u16() << 16) >> 16;
  }
  i32(): number {
    const a = this.u16();
    return a | (this.u16() << 16);
  }
}

/** The bytes being decoded: reset by every decode, read only inside it (ARCHITECTURE.md "Module-level scratch"). */
const cur = new Cursor();

const BX = 3;
const BP = 5;
const SI = 6;
const DI = 7;
/** Base/index registers of the 16-bit ModRM forms, by rm. */
const BASE16 = [BX, BX, BP, BP, -1, -1, BP, BX];
const INDEX16 = [SI, DI, SI, DI, SI, DI, -1, -1];

/**
 * Decode the instruction whose bytes `src` provides. `code32` is CS.D (default
 * operand and address size). Fills `out` completely.
 */
export function decode(out: Insn, src: CodeBytes, code32: boolean): void {
  cur.src = src;
  cur.pos = 0;
  out.cs32 = code32;
  try {
    decodeInto(out, code32);
  } catch (e) {
    if (e !== TOO_LONG) throw e;
    out.row = ROW_TOO_LONG;
    out.len = MAX_INSN_LENGTH;
  }
}

function decodeInto(out: Insn, code32: boolean): void {
  let o32 = code32;
  let a32 = code32;
  let seg = -1;
  let rep = 0;
  let lock = false;
  let b: number;
  for (;;) {
    b = cur.u8();
    switch (b) {
      case 0x26: seg = Sreg.ES; continue;
      case 0x2e: seg = Sreg.CS; continue;
      case 0x36: seg = Sreg.SS; continue;
      case 0x3e: seg = Sreg.DS; continue;
      case 0x64: seg = Sreg.FS; continue;
      case 0x65: seg = Sreg.GS; continue;
      case 0x66: o32 = !code32; continue;
      case 0x67: a32 = !code32; continue;
      case 0xf0: lock = true; continue;
      case 0xf2: rep = 2; continue;
      case 0xf3: rep = 1; continue;
    }
    break;
  }
  let map = 0;
  if (b === 0x0f) {
    map = 1;
    b = cur.u8();
  }
  const key = map * 256 + b;
  out.op = b;
  out.map = map;
  out.o32 = o32;
  out.a32 = a32;
  out.segOverride = seg;
  out.rep = rep;
  out.lock = lock;
  out.base = -1;
  out.index = -1;
  out.scale = 0;
  out.disp = 0;
  out.imm = 0;
  out.imm2 = 0;
  out.seg = seg >= 0 ? seg : Sreg.DS;

  let row: number;
  if (HAS_MODRM[key]) {
    const modrm = cur.u8();
    const mod = MOD_IGNORED[key] ? 3 : modrm >> 6;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    out.mod = mod;
    out.reg = reg;
    out.rm = rm;
    row = LOOKUP[(key * 2 + (mod === 3 ? 1 : 0)) * 64 + reg * 8 + rm];
    if (mod !== 3) decodeMemory(out, a32, seg);
  } else {
    out.mod = 3;
    out.reg = b & 7;
    out.rm = 0;
    row = LOOKUP[key * 128];
  }
  out.row = row;
  if (row !== ROW_UD) {
    if (!OPREG[row] && !HAS_MODRM[key]) out.reg = 0;
    out.imm = readImmediate(IMM1[row], out, o32, a32, seg);
    if (IMM2[row] !== Imm.None) out.imm2 = readImmediate(IMM2[row], out, o32, a32, seg);
    if (lock) {
      const r = OPCODES[row];
      if (!(r.cls & OpClass.LOCKABLE) || out.mod === 3) out.row = ROW_UD;
    }
  }
  out.len = cur.pos;
}

function decodeMemory(out: Insn, a32: boolean, seg: number): void {
  const mod = out.mod;
  const rm = out.rm;
  let ss = false;
  if (!a32) {
    if (mod === 0 && rm === 6) {
      out.disp = cur.u16();
    } else {
      out.base = BASE16[rm];
      out.index = INDEX16[rm];
      ss = out.base === BP;
      out.disp = mod === 1 ? cur.s8() : mod === 2 ? cur.u16() : 0;
    }
  } else {
    if (rm === 4) {
      const sib = cur.u8();
      const scale = sib >> 6;
      const index = (sib >> 3) & 7;
      const base = sib & 7;
      out.scale = scale;
      out.index = index === 4 ? -1 : index;
      if (base === 5 && mod === 0) {
        out.disp = cur.i32();
      } else {
        out.base = base;
        ss = base === 4 || base === 5;
      }
    } else if (rm === 5 && mod === 0) {
      out.disp = cur.i32();
    } else {
      out.base = rm;
      ss = rm === 5;
    }
    if (mod === 1) out.disp = cur.s8();
    else if (mod === 2) out.disp = cur.i32();
  }
  out.seg = seg >= 0 ? seg : ss ? Sreg.SS : Sreg.DS;
}

function readImmediate(kind: number, out: Insn, o32: boolean, a32: boolean, seg: number): number {
  switch (kind) {
    case Imm.None:
      return 0;
    case Imm.B:
      return cur.u8();
    case Imm.BS:
    case Imm.JB:
      return cur.s8();
    case Imm.W:
      return cur.u16();
    case Imm.Z:
      return o32 ? cur.i32() : cur.u16();
    case Imm.JZ:
      return o32 ? cur.i32() : cur.s16();
    case Imm.AP: {
      const off = o32 ? cur.i32() : cur.u16();
      out.imm2 = cur.u16();
      return off;
    }
    case Imm.O:
      // moffs: a memory operand with no base or index.
      out.mod = 0;
      out.disp = a32 ? cur.i32() : cur.u16();
      out.seg = seg >= 0 ? seg : Sreg.DS;
      return 0;
  }
  return 0;
}
