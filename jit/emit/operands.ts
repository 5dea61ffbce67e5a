/**
 * Operand access for inline emitters, mirroring src/interp/operands.ts: the
 * effective address from the register locals, ModRM r/m operands in registers
 * or memory, and readers for the table's operand codes.
 */
import type { Insn } from "../../src/decode/insn.js";
import { Loc, locOf, mask } from "../../src/interp/operands.js";
import { Sreg } from "../../src/cpu/layout.js";
import type { I32, Local } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";
import { readMem, rmwMem, writeMem } from "./memory.js";

/** Offset of the memory operand, wrapped to the address size (eaOffset). */
export function ea(x: Ctx, i: Insn): I32 {
  const m = x.wasm;
  let off: I32 | undefined;
  if (i.base >= 0) off = m.get(x.regLocals[i.base]);
  if (i.index >= 0) {
    const idx = i.scale ? m.shl(m.get(x.regLocals[i.index]), m.c(i.scale)) : m.get(x.regLocals[i.index]);
    off = off === undefined ? idx : m.add(off, idx);
  }
  if (off === undefined) return m.c(i.a32 ? i.disp : i.disp & 0xffff);
  if (i.disp !== 0) off = m.add(off, m.c(i.disp));
  return i.a32 ? off : m.and(off, m.c(0xffff));
}

/** Value of the ModRM r/m operand. */
export function readE(x: Ctx, i: Insn, size: number): I32 {
  if (i.mod === 3) return x.reg(i.rm, size);
  return x.wasm.get(readMem(x, i.seg, ea(x, i), size));
}

export function writeE(x: Ctx, i: Insn, size: number, v: I32): void {
  if (i.mod === 3) x.setReg(i.rm, size, v);
  else writeMem(x, i.seg, ea(x, i), size, v);
}

/**
 * dst = f(dst) on the r/m operand; a memory destination is checked for writing
 * before it is read (rmwLinear).
 */
export function modifyE(x: Ctx, i: Insn, size: number, f: (old: Local<"i32">) => I32 | null): void {
  if (i.mod === 3) {
    const old = x.hold(x.reg(i.rm, size));
    const r = f(old);
    if (r !== null) x.setReg(i.rm, size, r);
    return;
  }
  rmwMem(x, i.seg, ea(x, i), size, (old) => f(old) ?? x.wasm.get(old));
}

/** A reader for a source operand code, as interp's `reader`. */
export function reader(code: string): (x: Ctx, i: Insn, size: number) => I32 {
  switch (locOf(code)) {
    case Loc.E:
      return readE;
    case Loc.G:
    case Loc.Z:
      return (x, i, size) => x.reg(i.reg, size);
    case Loc.A:
      return (x, _i, size) => x.reg(0, size);
    case Loc.I:
      return (x, i, size) => x.wasm.c(i.imm & mask(size));
    case Loc.I2:
      return (x, i, size) => x.wasm.c(i.imm2 & mask(size));
    case Loc.CL:
      return (x) => x.reg(1, 8);
    case Loc.ONE:
      return (x) => x.wasm.c(1);
  }
}

/** Register written by a register-located destination operand. */
export function destReg(loc: Loc, i: Insn): number {
  return loc === Loc.E ? i.rm : loc === Loc.A ? 0 : i.reg;
}

/** Bit mask of the full register a sized register write touches (AH..BH live in EAX..EBX). */
export function regBit(n: number, size: number): number {
  return 1 << (size === 8 ? n & 3 : n);
}

/** Stack offset `delta` bytes from the top, wrapped to the stack size (Cpu.spOffset). */
export function spOffset(x: Ctx, delta: number): I32 {
  const m = x.wasm;
  const esp = m.get(x.regLocals[4]);
  if (x.mode.ss32) return delta === 0 ? esp : m.add(esp, m.c(delta));
  return m.and(delta === 0 ? esp : m.add(esp, m.c(delta)), m.c(0xffff));
}

export function setSp(x: Ctx, v: I32): void {
  x.setReg(4, x.mode.ss32 ? 32 : 16, v);
}

/** PUSH: the store first, then the stack pointer (Cpu.push). */
export function push(x: Ctx, v: I32, size: number): void {
  const off = x.hold(spOffset(x, -(size >> 3)));
  writeMem(x, Sreg.SS, x.wasm.get(off), size, v);
  setSp(x, x.wasm.get(off));
}

/** POP: the read first, then the stack pointer (Cpu.pop). Returns the local holding the value. */
export function pop(x: Ctx, size: number): Local<"i32"> {
  const v = readMem(x, Sreg.SS, spOffset(x, 0), size);
  setSp(x, spOffset(x, size >> 3));
  return v;
}
