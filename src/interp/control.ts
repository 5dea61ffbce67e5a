/**
 * Control transfer within CS: near JMP/CALL/RET, LOOP/LOOPE/LOOPNE/JCXZ, and
 * INT n/INT3/INTO/INT1 (delivered by src/cpu/interrupts.ts), HLT, BOUND. Far
 * JMP/CALL/RET and IRET are in fartransfer.ts.
 *
 * Every check that can fault comes first; registers, EIP and ESP change only
 * after it. Faults keep EIP at the instruction (the interpreter restores it).
 */
import type { Cpu } from "../cpu/cpu.js";
import { Vector } from "../cpu/exceptions.js";
import { IOPL } from "../cpu/flags.js";
import { HALTED, Reg, Sreg } from "../cpu/layout.js";
import { deliverInterrupt, InterruptKind } from "../cpu/interrupts.js";
import { eaOffset, type Handler, readE, signExtend } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

/** Jump within CS: the target is masked to the operand size and checked against the CS limit. */
function branchTo(c: Cpu, target: number, o32: boolean): void {
  const eip = o32 ? target | 0 : target & 0xffff;
  if (eip >>> 0 > c.segLimit(Sreg.CS) >>> 0) c.raiseGP(0);
  c.eip = eip;
}

// ---- near transfers ----------------------------------------------------------

function isRelative(row: { operands: readonly string[] }): boolean {
  return row.operands[0][0] === "J";
}

const jmp: HandlerFactory = (row) =>
  isRelative(row)
    ? (c, i) => branchTo(c, c.eip + i.imm, i.o32)
    : (c, i) => branchTo(c, readE(c, i, i.o32 ? 32 : 16), i.o32);

function nearCall(c: Cpu, target: number, o32: boolean): void {
  const eip = o32 ? target | 0 : target & 0xffff;
  if (eip >>> 0 > c.segLimit(Sreg.CS) >>> 0) c.raiseGP(0);
  c.push(c.eip, o32 ? 32 : 16);
  c.eip = eip;
}

const call: HandlerFactory = (row) =>
  isRelative(row)
    ? (c, i) => nearCall(c, c.eip + i.imm, i.o32)
    : (c, i) => nearCall(c, readE(c, i, i.o32 ? 32 : 16), i.o32);

/** RET and RET imm16 (the decoder leaves imm 0 without an immediate). */
const ret: HandlerFactory = () => (c, i) => {
  const size = i.o32 ? 32 : 16;
  branchTo(c, c.peek(0, size), i.o32);
  c.sp = c.spOffset((size >> 3) + i.imm);
};

/** LOOP (0), LOOPE (1), LOOPNE (2): the count is CX or ECX by address size. */
function loop(kind: number): HandlerFactory {
  return () => (c, i) => {
    const count = i.a32 ? (c.reg32(Reg.ECX) - 1) | 0 : (c.reg16(Reg.ECX) - 1) & 0xffff;
    const taken = count !== 0 && (kind === 0 || c.getZF() === (kind === 1));
    if (taken) branchTo(c, c.eip + i.imm, i.o32);
    if (i.a32) c.setReg32(Reg.ECX, count);
    else c.setReg16(Reg.ECX, count);
  };
}

const jcxz: HandlerFactory = () => (c, i) => {
  if ((i.a32 ? c.reg32(Reg.ECX) : c.reg16(Reg.ECX)) === 0) branchTo(c, c.eip + i.imm, i.o32);
};

// ---- interrupts ----------------------------------------------------------------

/** INT n: IOPL-sensitive in V86 mode (no VME). */
const intN: HandlerFactory = () => (c, i) => {
  if (c.v86 && (c.eflagsRaw & IOPL) !== IOPL) c.raiseGP(0);
  deliverInterrupt(c, i.imm & 0xff, InterruptKind.SOFTWARE, 0, false);
};

// ---- the rest ------------------------------------------------------------------

const hlt: Handler = (c) => {
  c.i32[HALTED >> 2] = 1;
};

/** BOUND Gv,Ma: #BR when the signed index lies outside [lower, upper]. */
const bound: Handler = (c, i) => {
  const size = i.o32 ? 32 : 16;
  const off = eaOffset(c, i);
  const lower = signExtend(c.read(i.seg, off, size), size);
  const upper = signExtend(c.read(i.seg, (off + (size >> 3)) | 0, size), size);
  const index = signExtend(c.reg(i.reg, size), size);
  if (index < lower || index > upper) c.raise(Vector.BR);
};

export const handlers: Record<string, HandlerFactory> = {
  jmp,
  call,
  ret,
  int: intN,
  int3: () => (c) => deliverInterrupt(c, Vector.BP, InterruptKind.SOFTWARE, 0, false),
  into: () => (c) => {
    if (c.getOF()) deliverInterrupt(c, Vector.OF, InterruptKind.SOFTWARE, 0, false);
  },
  int1: () => (c) => deliverInterrupt(c, Vector.DB, InterruptKind.DEBUG, 0, false),
  loop: loop(0),
  loope: loop(1),
  loopne: loop(2),
  jcxz,
  hlt: () => hlt,
  bound: () => bound,
};
