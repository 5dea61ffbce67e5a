/**
 * x87 state in the one memory, and what every x87 instruction shares: the
 * register stack (TOP, tags, exact 80-bit images), folding raised exceptions
 * into the status word, the CR0.EM/TS/MP checks, the pending-error check of
 * waiting instructions, FNINIT, and the tag word FNSTENV reports.
 *
 * Offsets are in layout.ts (FPU_CW .. FPU_REGS). FTW keeps, per physical
 * register, 11 for empty and 00 otherwise; the exact tag (valid, zero, special)
 * is derived from the contents whenever the environment is stored, as the
 * hardware derives it.
 *
 * Unmasked exceptions set ES and B. With CR0.NE = 1 the next waiting x87
 * instruction raises #MF; with NE = 0 the error asserts FERR# instead
 * (FPU_FERR, which a PC platform routes to IRQ 13) as the faulting instruction
 * completes, and later instructions run on as if IGNNE# were asserted.
 */
import { CR0_EM, CR0_MP, CR0_NE, CR0_TS, type Cpu } from "../cpu.js";
import { Vector } from "../exceptions.js";
import * as F from "./float80.js";
import { FPU_CW, FPU_FCS, FPU_FDP, FPU_FDS, FPU_FERR, FPU_FIP, FPU_FOP, FPU_REGS, FPU_SW, FPU_TW } from "../layout.js";

/** Status word bits beyond the exception flags (float80.ts has IE..PE, SF, C1). */
export const SW_ES = 0x80;
export const SW_C0 = 0x100;
export const SW_C1 = 0x200;
export const SW_C2 = 0x400;
export const SW_C3 = 0x4000;
export const SW_B = 0x8000;
const SW_TOP = 0x3800;
export const SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;
/** Exception flags, SF, ES and B: what FNCLEX clears. */
const SW_EXC = 0x80ff;

/** Control-word bits that hold state: masks, PC, RC, X; bit 6 always reads as 1. */
const CW_WRITABLE = 0x1f3f;
const CW_ONE = 0x0040;
const CW_INIT = 0x037f;

const CW_I = FPU_CW >> 1;
const SW_I = FPU_SW >> 1;
const TW_I = FPU_TW >> 1;
const FERR_I = FPU_FERR >> 2;

/** PC field → significand bits (01 is reserved and behaves as 64 bits). */
const PC_BITS = [24, 64, 53, 64];

export function getCw(c: Cpu): number {
  return c.u16[CW_I];
}
export function setCw(c: Cpu, v: number): void {
  c.u16[CW_I] = (v & CW_WRITABLE) | CW_ONE;
}
export function getSw(c: Cpu): number {
  return c.u16[SW_I];
}
export function setSw(c: Cpu, v: number): void {
  c.u16[SW_I] = v;
}
export function getTw(c: Cpu): number {
  return c.u16[TW_I];
}

export function top(c: Cpu): number {
  return (c.u16[SW_I] >> 11) & 7;
}
export function setTop(c: Cpu, t: number): void {
  c.u16[SW_I] = (c.u16[SW_I] & ~SW_TOP) | ((t & 7) << 11);
}

/** Physical register number of ST(i). */
export function phys(c: Cpu, i: number): number {
  return ((c.u16[SW_I] >> 11) + i) & 7;
}
function physEmpty(c: Cpu, p: number): boolean {
  return ((c.u16[TW_I] >> (p << 1)) & 3) === 3;
}
export function stEmpty(c: Cpu, i: number): boolean {
  return physEmpty(c, phys(c, i));
}
function setPhysTag(c: Cpu, p: number, empty: boolean): void {
  const m = 3 << (p << 1);
  c.u16[TW_I] = empty ? c.u16[TW_I] | m : c.u16[TW_I] & ~m;
}
export function freePhys(c: Cpu, p: number): void {
  setPhysTag(c, p, true);
}

/** Byte offset of physical register p in the memory. */
export function regOffset(p: number): number {
  return FPU_REGS + (p << 4);
}

function loadPhys(c: Cpu, p: number, out: F.F80): void {
  const o = FPU_REGS + (p << 4);
  out[F.LO] = c.i32[o >> 2];
  out[F.HI] = c.i32[(o >> 2) + 1];
  out[F.SE] = c.u16[(o + 8) >> 1];
}
export function loadSt(c: Cpu, i: number, out: F.F80): void {
  loadPhys(c, phys(c, i), out);
}

/** Write a register image to physical register p and tag it in use. */
function storePhys(c: Cpu, p: number, x: F.F80): void {
  const o = FPU_REGS + (p << 4);
  c.i32[o >> 2] = x[F.LO];
  c.i32[(o >> 2) + 1] = x[F.HI];
  c.u16[(o + 8) >> 1] = x[F.SE];
  setPhysTag(c, p, false);
}
export function storeSt(c: Cpu, i: number, x: F.F80): void {
  storePhys(c, phys(c, i), x);
}
/** ST(i) = F.res. */
export function storeStRes(c: Cpu, i: number): void {
  storePhys(c, phys(c, i), F.res);
}

/** Push a value (the caller has checked for overflow). */
export function push(c: Cpu, x: F.F80): void {
  const t = (top(c) - 1) & 7;
  setTop(c, t);
  storePhys(c, t, x);
}
export function pop(c: Cpu): void {
  const t = top(c);
  setPhysTag(c, t, true);
  setTop(c, t + 1);
}

/** Start an instruction's arithmetic: rounding state from FCW, no flags raised yet. */
export function begin(c: Cpu): void {
  const cw = c.u16[CW_I];
  const env = F.env;
  env.flags = 0;
  env.rc = (cw >> 10) & 3;
  env.pc = PC_BITS[(cw >> 8) & 3];
  env.masks = cw & 0x3f;
}

/** Raised exceptions among `which` that are unmasked (they suppress the result). */
export function unmasked(which: number): number {
  return F.env.flags & ~F.env.masks & which;
}

/** Exceptions whose unmasked occurrence leaves the destination and the stack alone. */
export const PRE_EXC = F.IE | F.ZE | F.DE;
/** Memory stores also write nothing on an unmasked overflow or underflow. */
export const STORE_EXC = PRE_EXC | F.OE | F.UE;

/**
 * Fold F.env.flags into FSW: exception flags accumulate, C1 takes the flags'
 * value, and an unmasked one sets ES and B (and FERR# when CR0.NE = 0).
 */
export function updateStatus(c: Cpu): void {
  const f = F.env.flags;
  let sw = (c.u16[SW_I] & ~SW_C1) | (f & (0x7f | SW_C1));
  if (f & ~c.u16[CW_I] & 0x3f) {
    sw |= SW_ES | SW_B;
    if (!(c.cr0 & CR0_NE)) c.i32[FERR_I] = 1;
  }
  c.u16[SW_I] = sw;
}

/** Stack underflow: IE and SF, C1 = 0, and the default NaN as the masked result. */
export function stackUnderflow(): void {
  F.invalid();
  F.env.flags = F.IE | F.SF;
}

/** Stack overflow: IE and SF with C1 = 1, and the default NaN as the masked result. */
export function stackOverflow(): void {
  F.invalid();
  F.env.flags = F.IE | F.SF | F.C1;
}

/**
 * ES and B from the flags and masks, after FLDCW, FLDENV, FRSTOR or FNSTENV
 * changed either: the error is pending exactly while an unmasked flag is set
 * (FERR# follows it when CR0.NE = 0).
 */
export function recomputeEs(c: Cpu): void {
  let sw = c.u16[SW_I] & ~(SW_ES | SW_B);
  const pending = (sw & ~c.u16[CW_I] & 0x3f) !== 0;
  if (pending) sw |= SW_ES | SW_B;
  c.i32[FERR_I] = pending && !(c.cr0 & CR0_NE) ? 1 : 0;
  c.u16[SW_I] = sw;
}

/** CR0.EM or CR0.TS: #NM for every x87 instruction but WAIT. */
export function checkAvailable(c: Cpu): void {
  if (c.cr0 & (CR0_EM | CR0_TS)) c.raise(Vector.NM);
}

/** A waiting instruction: #NM, then a pending unmasked exception raises #MF (CR0.NE = 1). */
export function checkWaiting(c: Cpu): void {
  const cr0 = c.cr0;
  if (cr0 & (CR0_EM | CR0_TS)) c.raise(Vector.NM);
  if (c.u16[SW_I] & SW_ES && cr0 & CR0_NE) c.raise(Vector.MF);
}

/** WAIT/FWAIT: #NM only with CR0.TS and CR0.MP both set, then the pending-error check. */
export function checkWait(c: Cpu): void {
  const cr0 = c.cr0;
  if ((cr0 & (CR0_TS | CR0_MP)) === (CR0_TS | CR0_MP)) c.raise(Vector.NM);
  if (c.u16[SW_I] & SW_ES && cr0 & CR0_NE) c.raise(Vector.MF);
}

/** Whether FERR# is asserted (an x87 error awaits IRQ 13 while CR0.NE = 0). */
export function ferr(c: Cpu): boolean {
  return c.i32[FERR_I] !== 0;
}

/** FNINIT: default control word, empty stack, no flags, pointers cleared; registers keep their bits. */
export function init(c: Cpu): void {
  c.u16[CW_I] = CW_INIT;
  c.u16[SW_I] = 0;
  c.u16[TW_I] = 0xffff;
  c.i32[FPU_FIP >> 2] = 0;
  c.u16[FPU_FCS >> 1] = 0;
  c.u16[FPU_FOP >> 1] = 0;
  c.i32[FPU_FDP >> 2] = 0;
  c.i32[FPU_FDS >> 2] = 0;
  c.i32[FERR_I] = 0;
}

/** FNCLEX: exception flags, SF, ES, B cleared (and FERR# with them). */
export function clearExceptions(c: Cpu): void {
  c.u16[SW_I] &= ~SW_EXC;
  c.i32[FERR_I] = 0;
}

/** Record the last non-control instruction: CS:EIP of its first byte and its opcode. */
export function setInstructionPointer(c: Cpu, sel: number, off: number, fop: number): void {
  c.i32[FPU_FIP >> 2] = off;
  c.u16[FPU_FCS >> 1] = sel;
  c.u16[FPU_FOP >> 1] = fop & 0x7ff;
}
/** Record the memory operand of the last non-control instruction. */
export function setDataPointer(c: Cpu, sel: number, off: number): void {
  c.i32[FPU_FDP >> 2] = off;
  c.i32[FPU_FDS >> 2] = sel & 0xffff;
}
export function fip(c: Cpu): number {
  return c.i32[FPU_FIP >> 2];
}
export function fcs(c: Cpu): number {
  return c.u16[FPU_FCS >> 1];
}
export function fop(c: Cpu): number {
  return c.u16[FPU_FOP >> 1];
}
export function fdp(c: Cpu): number {
  return c.i32[FPU_FDP >> 2];
}
export function fds(c: Cpu): number {
  return c.i32[FPU_FDS >> 2] & 0xffff;
}

/** Tag of a physical register's contents: 00 valid, 01 zero, 10 special (NaN, infinity, denormal, unsupported). */
function contentTag(c: Cpu, p: number): number {
  const o = FPU_REGS + (p << 4);
  const lo = c.i32[o >> 2];
  const hi = c.i32[(o >> 2) + 1];
  const e = c.u16[(o + 8) >> 1] & 0x7fff;
  if (e === 0) return hi === 0 && lo === 0 ? 1 : 2;
  if (e === 0x7fff || !(hi & 0x80000000)) return 2;
  return 0;
}

/** The architectural tag word: 11 for empty registers, the content tag for the others. */
export function fullTagWord(c: Cpu): number {
  let tw = 0;
  for (let p = 0; p < 8; p++) tw |= (physEmpty(c, p) ? 3 : contentTag(c, p)) << (p << 1);
  return tw;
}

/** Load a tag word: only "empty or not" is kept; contents decide the rest. */
export function loadTagWord(c: Cpu, tw: number): void {
  let t = 0;
  for (let p = 0; p < 8; p++) if (((tw >> (p << 1)) & 3) === 3) t |= 3 << (p << 1);
  c.u16[TW_I] = t;
}
