/**
 * Operand access shared by every instruction family: effective addresses, ModRM
 * register/memory operands, and operand-code helpers that turn the opcode table's
 * SDM notation (Eb, Gv, Iz, ...) into accessors once, when handlers are built.
 */
import type { Cpu } from "../cpu/cpu.js";
import type { Insn } from "../decode/insn.js";

export type Handler = (c: Cpu, i: Insn) => void;

/** Offset part of the memory operand (wrapped to the address size). */
export function eaOffset(c: Cpu, i: Insn): number {
  const r = c.i32;
  let off = i.disp;
  if (i.base >= 0) off += r[i.base];
  if (i.index >= 0) off += r[i.index] << i.scale;
  return i.a32 ? off | 0 : off & 0xffff;
}

/** Value of the ModRM r/m operand. */
export function readE(c: Cpu, i: Insn, size: number): number {
  return i.mod === 3 ? c.reg(i.rm, size) : c.read(i.seg, eaOffset(c, i), size);
}

export function writeE(c: Cpu, i: Insn, size: number, v: number): void {
  if (i.mod === 3) c.setReg(i.rm, size, v);
  else c.write(i.seg, eaOffset(c, i), size, v);
}

/**
 * Linear address of a memory r/m operand about to be read and then written:
 * segment checks for writing, and the write's translation probed, so the later
 * write cannot fault after the instruction has changed anything.
 */
export function rmwLinear(c: Cpu, i: Insn, size: number): number {
  const la = c.linear(i.seg, eaOffset(c, i), size >> 3, true);
  c.probeWrite(la, size >> 3);
  return la;
}

const BYTE_CODES = new Set(["AL", "CL", "Zb", "Eb", "Gb", "Ib", "Xb", "Yb", "Ob", "Mb"]);

/** The operand code names an 8-bit operand. */
export function isByte(code: string): boolean {
  return BYTE_CODES.has(code);
}

/** Operand size in bits of an operand code (last letter b/w/d/v/z, or a fixed register). */
export function sizeOf(code: string): (i: Insn) => number {
  if (BYTE_CODES.has(code)) return () => 8;
  switch (code) {
    case "AX": case "DX": case "Ew": case "Gw": case "Iw": case "Sw": case "Mw":
      return () => 16;
    case "Ed": case "Gd": case "Zd": case "Rd": case "Md":
      return () => 32;
  }
  if (code === "Ibs") return (i) => (i.o32 ? 32 : 16);
  return (i) => (i.o32 ? 32 : 16);
}

export function mask(size: number): number {
  return size === 32 ? -1 : (1 << size) - 1;
}

/** Sign-extend the low `size` bits of v to int32. */
export function signExtend(v: number, size: number): number {
  return size === 32 ? v | 0 : size === 16 ? (v << 16) >> 16 : (v << 24) >> 24;
}

/** Where an operand code lives. */
export const enum Loc {
  /** ModRM r/m (register or memory). */
  E,
  /** ModRM reg. */
  G,
  /** Register 0 (AL/AX/EAX). */
  A,
  /** Register from the opcode's low bits (Insn.reg). */
  Z,
  /** Immediate (Insn.imm). */
  I,
  /** Second immediate (Insn.imm2). */
  I2,
  /** CL. */
  CL,
  /** The constant 1 (shift count). */
  ONE,
}

export function locOf(code: string, second = false): Loc {
  if (code[0] === "E" || code[0] === "M" || code === "Rv/Mw" || code === "Ob" || code === "Ov") return Loc.E;
  if (code[0] === "G") return Loc.G;
  if (code === "AL" || code === "AX" || code === "eAX") return Loc.A;
  if (code[0] === "Z") return Loc.Z;
  if (code === "CL") return Loc.CL;
  if (code === "1") return Loc.ONE;
  if (code[0] === "I") return second ? Loc.I2 : Loc.I;
  throw new Error(`operand '${code}' has no generic accessor`);
}

/** A reader for a source operand, specialised once per table row. */
export function reader(code: string, second = false): (c: Cpu, i: Insn, size: number) => number {
  switch (locOf(code, second)) {
    case Loc.E:
      return readE;
    case Loc.G:
      return (c, i, size) => c.reg(i.reg, size);
    case Loc.A:
      return (c, _i, size) => c.reg(0, size);
    case Loc.Z:
      return (c, i, size) => c.reg(i.reg, size);
    case Loc.I:
      return (_c, i, size) => i.imm & mask(size);
    case Loc.I2:
      return (_c, i, size) => i.imm2 & mask(size);
    case Loc.CL:
      return (c) => c.reg8(1);
    case Loc.ONE:
      return () => 1;
  }
}

/** Register number for a register-located destination. */
export function regOf(loc: Loc): (i: Insn) => number {
  if (loc === Loc.E) return (i) => i.rm;
  if (loc === Loc.A) return () => 0;
  return (i) => i.reg;
}

/**
 * Build a handler for "dst = f(dst, src)" on any destination form. `f` returns the
 * value to store, or undefined for compare-like instructions that store nothing.
 * Memory destinations are read and written at one checked linear address.
 */
export function readModifyWrite(
  dstCode: string,
  srcCode: string,
  f: (c: Cpu, a: number, b: number, size: number) => number | undefined,
  stores: boolean,
): Handler {
  const size = sizeOf(dstCode);
  const src = reader(srcCode);
  const loc = locOf(dstCode);
  const reg = regOf(loc);
  if (loc === Loc.E) {
    return (c, i) => {
      const sz = size(i);
      if (i.mod === 3) {
        const b = src(c, i, sz);
        const r = f(c, c.reg(i.rm, sz), b, sz);
        if (r !== undefined) c.setReg(i.rm, sz, r);
        return;
      }
      const la = stores ? rmwLinear(c, i, sz) : c.linear(i.seg, eaOffset(c, i), sz >> 3, false);
      const a = c.readLin(la, sz);
      const b = src(c, i, sz);
      const r = f(c, a, b, sz);
      if (r !== undefined) c.writeLin(la, sz, r);
    };
  }
  return (c, i) => {
    const sz = size(i);
    const n = reg(i);
    const b = src(c, i, sz);
    const r = f(c, c.reg(n, sz), b, sz);
    if (r !== undefined) c.setReg(n, sz, r);
  };
}

/** Build a handler for "dst = f(dst)" (NOT, NEG, INC, DEC, shifts by a fixed count). */
export function unaryModifyWrite(dstCode: string, f: (c: Cpu, a: number, size: number, i: Insn) => number | undefined): Handler {
  const size = sizeOf(dstCode);
  const loc = locOf(dstCode);
  const reg = regOf(loc);
  if (loc === Loc.E) {
    return (c, i) => {
      const sz = size(i);
      if (i.mod === 3) {
        const r = f(c, c.reg(i.rm, sz), sz, i);
        if (r !== undefined) c.setReg(i.rm, sz, r);
        return;
      }
      const la = rmwLinear(c, i, sz);
      const r = f(c, c.readLin(la, sz), sz, i);
      if (r !== undefined) c.writeLin(la, sz, r);
    };
  }
  return (c, i) => {
    const sz = size(i);
    const n = reg(i);
    const r = f(c, c.reg(n, sz), sz, i);
    if (r !== undefined) c.setReg(n, sz, r);
  };
}
