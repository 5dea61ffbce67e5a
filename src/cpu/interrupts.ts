/**
 * Delivery of exceptions and interrupts (SDM Vol. 3 ch. 6, §20.1.4, §20.3):
 * real-mode IVT, protected-mode IDT with interrupt, trap and task gates, stack
 * switch through the TSS (from V86 mode too), double fault and shutdown, and the
 * debug traps the interpreter takes between instructions.
 */
import type { Cpu } from "./cpu.js";
import { FAULT, Vector } from "./exceptions.js";
import { AC, IF, NT, RF, TF, VM } from "./flags.js";
import { DR_BASE, HALTED, IDTR_BASE, IDTR_LIMIT, INTERRUPT_SHADOW, Reg, Sreg } from "./layout.js";
import {
  checkSegment,
  commitCodeAndStack,
  Descriptor,
  isConformingCode,
  markAccessed,
  SegCheck,
  setNullSegment,
  setSegment,
  StackFrame,
} from "./segmentation.js";
import { readTssStack, taskGate, TaskSource, tssStack } from "./tasks.js";

export const enum InterruptKind {
  /** A fault raised by an instruction: EXT set in nested error codes, RF set in the EFLAGS image. */
  EXCEPTION = 0,
  /** INT n / INT3 / INTO: subject to IDT gate DPL checks, EIP after the instruction, EXT clear. */
  SOFTWARE = 1,
  /** An external interrupt from the PIC. */
  EXTERNAL = 2,
  /** A debug exception (single step, breakpoint) or INT1: no gate DPL check, RF image as it is. */
  DEBUG = 3,
}

const HALTED_I = HALTED >> 2;
const SHADOW_I = INTERRUPT_SHADOW >> 2;
const DR_I = DR_BASE >> 2;

/** DR6 bits. */
export const DR6_BS = 0x4000;
export const DR6_BD = 0x2000;

/**
 * Real-address mode: push FLAGS, CS, IP and load CS:IP from the interrupt vector
 * table at IDTR.base (SDM Vol. 3 §20.1.4).
 */
export function deliverReal(c: Cpu, vector: number): void {
  const base = c.i32[IDTR_BASE >> 2];
  const limit = c.i32[IDTR_LIMIT >> 2] >>> 0;
  if (vector * 4 + 3 > limit) c.raiseGP(vector * 8 + 2);
  const ip = c.readLin16((base + vector * 4) | 0);
  const cs = c.readLin16((base + vector * 4 + 2) | 0);
  const flags = c.getEflags();
  const sp = c.spOffset(0);
  const fSp = (sp - 2) & 0xffff;
  const csSp = (sp - 4) & 0xffff;
  const ipSp = (sp - 6) & 0xffff;
  c.write16(Sreg.SS, fSp, flags);
  c.write16(Sreg.SS, csSp, c.segSel(Sreg.CS));
  c.write16(Sreg.SS, ipSp, c.eip);
  c.sp = ipSp;
  c.setFlags(IF | TF | AC | RF, false);
  c.loadSegmentReal(Sreg.CS, cs);
  c.eip = ip;
}

/**
 * Scratch for one delivery (ARCHITECTURE.md "Module-level scratch"): a fault during delivery is
 * thrown out of it before deliverException delivers the double fault, which fills them afresh.
 */
const gate = new Descriptor();
const codeSeg = new Descriptor();
const stackSeg = new Descriptor();
const frame = new StackFrame();

/** Read IDT entry `vector` into `gate` (raw dwords and attributes). */
function readGate(c: Cpu, vector: number, code: number): void {
  const i = c.i32;
  if (vector * 8 + 7 > i[IDTR_LIMIT >> 2] >>> 0) c.raiseGP(code);
  const la = (i[IDTR_BASE >> 2] + vector * 8) | 0;
  const prev = c.systemAccess;
  c.systemAccess = true;
  try {
    gate.lo = c.readLin32(la);
    gate.hi = c.readLin32((la + 4) | 0);
  } finally {
    c.systemAccess = prev;
  }
  gate.attr = (gate.hi >>> 8) & 0xff;
  gate.sel = vector * 8;
}

/**
 * Protected-mode and V86 delivery through the IDT. Everything that can fault
 * happens before any register changes, so a fault leaves the CPU as it was (the
 * new stack may have been written below its pointer).
 */
function deliverProtected(c: Cpu, vector: number, kind: InterruptKind, errorCode: number, hasError: boolean): void {
  const ext = kind === InterruptKind.SOFTWARE ? 0 : 1;
  const idtCode = vector * 8 + 2 + ext;
  readGate(c, vector, idtCode);
  const type = gate.attr & 0x1f;
  if (type !== 5 && type !== 6 && type !== 7 && type !== 0xe && type !== 0xf) c.raiseGP(idtCode);
  const cpl = c.cpl;
  if (kind === InterruptKind.SOFTWARE && gate.dpl < cpl) c.raiseGP(idtCode);
  if (!gate.present) c.raise(Vector.NP, idtCode);
  if (type === 5) {
    taskGate(c, gate, TaskSource.INT, ext, errorCode, hasError);
    return;
  }
  const size = type & 8 ? 32 : 16;
  const trap = (type & 1) !== 0;
  const sel = gate.gateSelector;
  const offset = gate.gateOffset;
  checkSegment(c, sel, SegCheck.CODE_GATE, cpl, ext, codeSeg);
  const v86 = c.v86;
  const dpl = codeSeg.dpl;
  const flags = c.getEflags() | (kind === InterruptKind.EXCEPTION ? RF : 0);
  if (!isConformingCode(codeSeg.attr) && dpl < cpl) {
    if (v86 && dpl !== 0) c.raiseGP((sel & 0xfffc) | ext);
    readTssStack(c, dpl, ext);
    const ssSel = tssStack.ss;
    const esp = tssStack.esp;
    checkSegment(c, ssSel, SegCheck.STACK_TSS, dpl, ext, stackSeg);
    if (offset >>> 0 > codeSeg.limit >>> 0) c.raiseGP(ext);
    frame.open(c, stackSeg.base, stackSeg.limit, stackSeg.attr, esp, Vector.SS, (ssSel & 0xfffc) | ext);
    const prev = c.systemAccess;
    c.systemAccess = true;
    try {
      if (v86) {
        frame.push(c.segSel(Sreg.GS), size);
        frame.push(c.segSel(Sreg.FS), size);
        frame.push(c.segSel(Sreg.DS), size);
        frame.push(c.segSel(Sreg.ES), size);
      }
      frame.push(c.segSel(Sreg.SS), size);
      frame.push(c.reg32(Reg.ESP), size);
      frame.push(flags, size);
      frame.push(c.segSel(Sreg.CS), size);
      frame.push(c.eip, size);
      if (hasError) frame.push(errorCode, size);
    } finally {
      c.systemAccess = prev;
    }
    commitCodeAndStack(c, (sel & 0xfffc) | dpl, codeSeg, offset, ssSel, stackSeg, frame.espFrom(esp));
    if (v86) {
      setNullSegment(c, Sreg.ES, 0);
      setNullSegment(c, Sreg.DS, 0);
      setNullSegment(c, Sreg.FS, 0);
      setNullSegment(c, Sreg.GS, 0);
    }
  } else if (isConformingCode(codeSeg.attr) || dpl === cpl) {
    if (v86) c.raiseGP((sel & 0xfffc) | ext);
    if (offset >>> 0 > codeSeg.limit >>> 0) c.raiseGP(ext);
    frame.openCurrent(c, Vector.SS, ext);
    frame.push(flags, size);
    frame.push(c.segSel(Sreg.CS), size);
    frame.push(c.eip, size);
    if (hasError) frame.push(errorCode, size);
    markAccessed(c, codeSeg);
    c.setReg32(Reg.ESP, frame.espFrom(c.reg32(Reg.ESP)));
    setSegment(c, Sreg.CS, (sel & 0xfffc) | cpl, codeSeg);
    c.eip = offset;
  } else {
    c.raiseGP((sel & 0xfffc) | ext);
  }
  c.setFlags(TF | NT | RF | VM | (trap ? 0 : IF), false);
}

/**
 * Deliver `vector` once. A fault while delivering propagates as FAULT and leaves
 * the registers unchanged; deliverException decides what follows it.
 */
export function deliverInterrupt(c: Cpu, vector: number, kind: InterruptKind, errorCode: number, hasError: boolean): void {
  if (c.protectedMode) deliverProtected(c, vector, kind, errorCode, hasError);
  else deliverReal(c, vector);
  const i = c.i32;
  i[HALTED_I] = 0;
  i[SHADOW_I] = 0;
}

const enum FaultClass {
  BENIGN,
  CONTRIBUTORY,
  PAGE_FAULT,
}

function classOf(vector: number): FaultClass {
  if (vector === Vector.PF) return FaultClass.PAGE_FAULT;
  if (vector === Vector.DE || (vector >= Vector.TS && vector <= Vector.GP)) return FaultClass.CONTRIBUTORY;
  return FaultClass.BENIGN;
}

/**
 * Deliver an exception or external interrupt, handling faults raised while doing
 * so (SDM Vol. 3 Table 6-5): contributory on contributory, or contributory / page
 * fault on a page fault, become a double fault; anything else is delivered in
 * turn; a fault while delivering the double fault shuts the CPU down. Never throws.
 * Each call counts once in DELIVERED, whatever it ends in: an exception loop
 * retires nothing, and runs must still reach their limit (ARCHITECTURE.md
 * "Progress and the instruction limit").
 */
export function deliverException(
  c: Cpu,
  vector: number,
  errorCode: number,
  hasError: boolean,
  kind: InterruptKind = InterruptKind.EXCEPTION,
): void {
  c.delivered++;
  deliverWithinInstruction(c, vector, errorCode, hasError, kind);
}

/**
 * deliverException without the count, for a delivery that is part of an
 * instruction that retires (a fault after a task switch committed): the engines
 * check progress between instructions, so nothing inside one may move it.
 */
export function deliverWithinInstruction(
  c: Cpu,
  vector: number,
  errorCode: number,
  hasError: boolean,
  kind: InterruptKind = InterruptKind.EXCEPTION,
): void {
  let v = vector;
  let code = errorCode;
  let has = hasError;
  let k = kind;
  for (;;) {
    try {
      deliverInterrupt(c, v, k, code, has);
      return;
    } catch (e) {
      if (e !== FAULT) throw e;
      if (v === Vector.DF && k === InterruptKind.EXCEPTION) {
        c.shutdown = true;
        return;
      }
      const first = k === InterruptKind.EXCEPTION ? classOf(v) : FaultClass.BENIGN;
      const second = classOf(FAULT.vector);
      if (
        (first === FaultClass.CONTRIBUTORY && second === FaultClass.CONTRIBUTORY) ||
        (first === FaultClass.PAGE_FAULT && second !== FaultClass.BENIGN)
      ) {
        v = Vector.DF;
        code = 0;
        has = true;
      } else {
        v = FAULT.vector;
        code = FAULT.errorCode;
        has = FAULT.hasErrorCode;
      }
      k = InterruptKind.EXCEPTION;
    }
  }
}

// ---- debug exceptions --------------------------------------------------------

/**
 * Instruction breakpoints (DR7 L/G enables with R/W = 00, DR0..DR3 linear
 * addresses) at CS:EIP: a fault-class #DB before the instruction, with the
 * matching B bits in DR6. The caller skips this while EFLAGS.RF is set.
 */
export function checkInstructionBreakpoint(c: Cpu): boolean {
  const i = c.i32;
  const dr7 = i[DR_I + 7];
  if (!(dr7 & 0xff)) return false;
  const la = (c.segBase(Sreg.CS) + c.eip) | 0;
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if ((dr7 >>> (2 * n)) & 3 && ((dr7 >>> (16 + 4 * n)) & 3) === 0 && i[DR_I + n] === la) hits |= 1 << n;
  }
  if (!hits) return false;
  i[DR_I + 6] = (i[DR_I + 6] & ~0xf) | hits;
  deliverException(c, Vector.DB, 0, false, InterruptKind.DEBUG);
  return true;
}

/** The single-step trap after an instruction that began with TF set: #DB with DR6.BS. */
export function singleStepTrap(c: Cpu): void {
  c.i32[DR_I + 6] |= DR6_BS;
  deliverException(c, Vector.DB, 0, false, InterruptKind.DEBUG);
}
