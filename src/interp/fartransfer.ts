/**
 * Far transfers: far JMP/CALL (call gates, task gates, TSS), far RET and IRET
 * (same and outer level, to and from V86, nested task return). Real mode,
 * 16/32-bit protected mode and V86 (SDM Vol. 2 instruction pages, Vol. 3 §5.8,
 * §7.3, §20.2).
 *
 * Every check that can fault comes first, then the stack writes, then one
 * commit: commitCodeAndStack (src/cpu/segmentation.ts) for a change of
 * privilege level, as interrupt delivery does. Faults keep EIP at the
 * instruction (the interpreter restores it).
 */
import type { Cpu } from "../cpu/cpu.js";
import { Vector } from "../cpu/exceptions.js";
import { IF, IOPL, NT, VM, WRITABLE } from "../cpu/flags.js";
import { NMI_BLOCKED, Reg, Sreg } from "../cpu/layout.js";
import {
  checkFetched,
  checkSegment,
  commitCodeAndStack,
  Descriptor,
  dplOf,
  fetchDescriptor,
  isCode,
  isConformingCode,
  isData,
  markAccessed,
  SegCheck,
  setNullSegment,
  setSegment,
  StackFrame,
  SysType,
} from "../cpu/segmentation.js";
import { readTssStack, switchTask, taskGate, TaskSource, taskReturn, tssStack } from "../cpu/tasks.js";
import type { Insn } from "../decode/insn.js";
import { eaOffset } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

const NMI_BLOCKED_I = NMI_BLOCKED >> 2;
/**
 * Scratch for one far transfer at a time (ARCHITECTURE.md "Module-level scratch"): filled and read inside one
 * handler call; a task gate's switch uses src/cpu/tasks.ts's own.
 */
const farDesc = new Descriptor();
const codeSeg = new Descriptor();
const stackSeg = new Descriptor();
const frame = new StackFrame();
/** Call-gate parameters copied from the caller's stack (at most 31). */
const params = new Int32Array(32);

/** Offset and selector of a far pointer operand (Ap immediate or Mp in memory). */
const far = { offset: 0, sel: 0 };

function readFarPointer(c: Cpu, i: Insn, o32: boolean, fromMemory: boolean): void {
  if (!fromMemory) {
    far.offset = i.imm;
    far.sel = i.imm2 & 0xffff;
    return;
  }
  const off = eaOffset(c, i);
  const size = o32 ? 32 : 16;
  far.offset = c.read(i.seg, off, size);
  far.sel = c.read(i.seg, (off + (size >> 3)) | 0, 16);
}

/** Push CS:EIP for a far CALL on the current stack; returns the new ESP (not yet stored). */
function pushReturn(c: Cpu, size: number): number {
  frame.openCurrent(c, Vector.SS, 0);
  frame.push(c.segSel(Sreg.CS), size);
  frame.push(c.eip, size);
  return frame.espFrom(c.reg32(Reg.ESP));
}

/** A far JMP/CALL that stays at the current privilege level, CS.RPL becoming `rpl`. */
function sameLevel(c: Cpu, sel: number, cs: Descriptor, offset: number, size: number, isCall: boolean, rpl: number): void {
  const eip = size === 32 ? offset | 0 : offset & 0xffff;
  if (eip >>> 0 > cs.limit >>> 0) c.raiseGP(0);
  const esp = isCall ? pushReturn(c, size) : 0;
  markAccessed(c, cs);
  if (isCall) c.setReg32(Reg.ESP, esp);
  setSegment(c, Sreg.CS, (sel & 0xfffc) | rpl, cs);
  c.eip = eip;
}

/** JMP or CALL through call gate `g` (already checked for privilege and presence). */
function callGate(c: Cpu, g: Descriptor, isCall: boolean, cpl: number): void {
  const size = g.type === SysType.CALL_GATE32 ? 32 : 16;
  const target = g.gateSelector;
  const offset = g.gateOffset;
  checkSegment(c, target, isCall ? SegCheck.CODE_GATE : SegCheck.CODE_GATE_JMP, cpl, 0, codeSeg);
  if (!isCall || isConformingCode(codeSeg.attr) || codeSeg.dpl === cpl) {
    sameLevel(c, target, codeSeg, offset, size, isCall, cpl);
    return;
  }
  // CALL to a more privileged non-conforming segment: switch to the TSS stack of its DPL.
  const newCpl = codeSeg.dpl;
  readTssStack(c, newCpl, 0);
  const ssSel = tssStack.ss;
  const esp = tssStack.esp;
  checkSegment(c, ssSel, SegCheck.STACK_TSS, newCpl, 0, stackSeg);
  const count = g.gateParams;
  const bytes = size >> 3;
  for (let k = 0; k < count; k++) params[k] = c.peek(k * bytes, size);
  if (offset >>> 0 > codeSeg.limit >>> 0) c.raiseGP(0);
  frame.open(c, stackSeg.base, stackSeg.limit, stackSeg.attr, esp, Vector.SS, ssSel & 0xfffc);
  const prev = c.systemAccess;
  c.systemAccess = true;
  try {
    frame.push(c.segSel(Sreg.SS), size);
    frame.push(c.reg32(Reg.ESP), size);
    for (let k = count - 1; k >= 0; k--) frame.push(params[k], size);
    frame.push(c.segSel(Sreg.CS), size);
    frame.push(c.eip, size);
  } finally {
    c.systemAccess = prev;
  }
  commitCodeAndStack(c, (target & 0xfffc) | newCpl, codeSeg, offset, ssSel, stackSeg, frame.espFrom(esp));
}

/** Far JMP (isCall false) or CALL to sel:offset. */
export function farTransfer(c: Cpu, sel: number, offset: number, o32: boolean, isCall: boolean): void {
  const size = o32 ? 32 : 16;
  if (c.realAddressing) {
    const eip = o32 ? offset | 0 : offset & 0xffff;
    if (eip >>> 0 > (c.v86 ? 0xffff : c.segLimit(Sreg.CS) >>> 0)) c.raiseGP(0);
    if (isCall) c.setReg32(Reg.ESP, pushReturn(c, size));
    c.loadSegmentReal(Sreg.CS, sel);
    c.eip = eip;
    return;
  }
  if ((sel & 0xfffc) === 0) c.raiseGP(0);
  const d = farDesc;
  if (!fetchDescriptor(c, sel, d)) c.raiseGP(sel & 0xfffc);
  const cpl = c.cpl;
  if (!d.system) {
    checkFetched(c, SegCheck.CODE_FAR, cpl, 0, d);
    sameLevel(c, sel, d, offset, size, isCall, cpl);
    return;
  }
  const dpl = d.dpl;
  const rpl = sel & 3;
  switch (d.type) {
    case SysType.CALL_GATE16:
    case SysType.CALL_GATE32:
    case SysType.TASK_GATE:
      if (dpl < cpl || dpl < rpl) c.raiseGP(sel & 0xfffc);
      if (!d.present) c.raise(Vector.NP, sel & 0xfffc);
      if (d.type === SysType.TASK_GATE) taskGate(c, d, isCall ? TaskSource.CALL : TaskSource.JMP, 0, 0, false);
      else callGate(c, d, isCall, cpl);
      return;
    case SysType.TSS16_AVAILABLE:
    case SysType.TSS16_BUSY:
    case SysType.TSS32_AVAILABLE:
    case SysType.TSS32_BUSY:
      if (dpl < cpl || dpl < rpl) c.raiseGP(sel & 0xfffc);
      switchTask(c, d, isCall ? TaskSource.CALL : TaskSource.JMP, 0, 0, false);
      return;
    default:
      c.raiseGP(sel & 0xfffc);
  }
}

function farFactory(isCall: boolean): HandlerFactory {
  return (row) => {
    const fromMemory = row.operands[0] === "Mp";
    return (c, i) => {
      readFarPointer(c, i, i.o32, fromMemory);
      farTransfer(c, far.sel, far.offset, i.o32, isCall);
    };
  };
}

/**
 * After a return to outer level `cpl`: DS ES FS GS holding data or non-conforming
 * code segments more privileged than `cpl` become null.
 */
function nullInvalidSegments(c: Cpu, cpl: number): void {
  for (let s = 0; s < 6; s++) {
    if (s === Sreg.CS || s === Sreg.SS) continue;
    const attr = c.segAttr(s);
    if ((isData(attr) || (isCode(attr) && !isConformingCode(attr))) && dplOf(attr) < cpl) setNullSegment(c, s, 0);
  }
}

/** RETF [imm16]. */
export function farReturn(c: Cpu, o32: boolean, imm: number): void {
  const size = o32 ? 32 : 16;
  const bytes = size >> 3;
  const eip = c.peek(0, size);
  const sel = c.peek(bytes, 16);
  if (c.realAddressing) {
    if (eip >>> 0 > (c.v86 ? 0xffff : c.segLimit(Sreg.CS) >>> 0)) c.raiseGP(0);
    c.loadSegmentReal(Sreg.CS, sel);
    c.eip = eip;
    c.sp = c.spOffset(2 * bytes + imm);
    return;
  }
  const cpl = c.cpl;
  checkSegment(c, sel, SegCheck.CODE_RETURN, cpl, 0, codeSeg);
  const rpl = sel & 3;
  if (rpl === cpl) {
    if (eip >>> 0 > codeSeg.limit >>> 0) c.raiseGP(0);
    markAccessed(c, codeSeg);
    setSegment(c, Sreg.CS, sel, codeSeg);
    c.eip = eip;
    c.sp = c.spOffset(2 * bytes + imm);
    return;
  }
  const esp = c.peek(2 * bytes + imm, size);
  const ssSel = c.peek(3 * bytes + imm, 16);
  checkSegment(c, ssSel, SegCheck.STACK, rpl, 0, stackSeg);
  if (eip >>> 0 > codeSeg.limit >>> 0) c.raiseGP(0);
  commitCodeAndStack(c, sel, codeSeg, eip, ssSel, stackSeg, esp);
  c.sp = c.spOffset(imm);
  nullInvalidSegments(c, rpl);
}

/** IRET / IRETD. */
export function iret(c: Cpu, o32: boolean): void {
  const size = o32 ? 32 : 16;
  const bytes = size >> 3;
  if (!c.protectedMode) {
    const eip = c.peek(0, size);
    const sel = c.peek(bytes, 16);
    const flags = c.peek(2 * bytes, size);
    if (eip >>> 0 > c.segLimit(Sreg.CS) >>> 0) c.raiseGP(0);
    c.loadSegmentReal(Sreg.CS, sel);
    c.eip = eip;
    c.setEflagsMasked(flags, o32 ? WRITABLE & ~VM : WRITABLE & 0xffff);
    c.sp = c.spOffset(3 * bytes);
    return;
  }
  if (c.v86) {
    if ((c.eflagsRaw & IOPL) !== IOPL) c.raiseGP(0);
    const eip = c.peek(0, size);
    const sel = c.peek(bytes, 16);
    const flags = c.peek(2 * bytes, size);
    if (eip >>> 0 > 0xffff) c.raiseGP(0);
    c.loadSegmentReal(Sreg.CS, sel);
    c.eip = eip;
    c.setEflagsMasked(flags, (o32 ? WRITABLE : WRITABLE & 0xffff) & ~(VM | IOPL));
    c.sp = c.spOffset(3 * bytes);
    return;
  }
  if (c.eflagsRaw & NT) {
    taskReturn(c);
    return;
  }
  const eip = c.peek(0, size);
  const sel = c.peek(bytes, 16);
  const flags = c.peek(2 * bytes, size);
  const cpl = c.cpl;
  if (o32 && flags & VM && cpl === 0) {
    returnToV86(c, eip, sel, flags);
    return;
  }
  checkSegment(c, sel, SegCheck.CODE_RETURN, cpl, 0, codeSeg);
  let mask = (o32 ? WRITABLE : WRITABLE & 0xffff) & ~(VM | IOPL | IF);
  if (cpl <= (c.eflagsRaw & IOPL) >>> 12) mask |= IF;
  if (cpl === 0) mask |= IOPL;
  const rpl = sel & 3;
  if (rpl === cpl) {
    if (eip >>> 0 > codeSeg.limit >>> 0) c.raiseGP(0);
    markAccessed(c, codeSeg);
    setSegment(c, Sreg.CS, sel, codeSeg);
    c.eip = eip;
    c.setEflagsMasked(flags, mask);
    c.sp = c.spOffset(3 * bytes);
    return;
  }
  const esp = c.peek(3 * bytes, size);
  const ssSel = c.peek(4 * bytes, 16);
  checkSegment(c, ssSel, SegCheck.STACK, rpl, 0, stackSeg);
  if (eip >>> 0 > codeSeg.limit >>> 0) c.raiseGP(0);
  commitCodeAndStack(c, sel, codeSeg, eip, ssSel, stackSeg, esp);
  c.setEflagsMasked(flags, mask);
  nullInvalidSegments(c, rpl);
}

/** IRETD from CPL 0 with VM set in the popped EFLAGS: EIP CS EFLAGS ESP SS ES DS FS GS. */
function returnToV86(c: Cpu, eip: number, cs: number, flags: number): void {
  const esp = c.peek(12, 32);
  const ss = c.peek(16, 16);
  const es = c.peek(20, 16);
  const ds = c.peek(24, 16);
  const fs = c.peek(28, 16);
  const gs = c.peek(32, 16);
  if (eip >>> 0 > 0xffff) c.raiseGP(0);
  c.setEflagsMasked(flags, WRITABLE);
  c.loadSegmentReal(Sreg.CS, cs);
  c.loadSegmentReal(Sreg.SS, ss);
  c.loadSegmentReal(Sreg.ES, es);
  c.loadSegmentReal(Sreg.DS, ds);
  c.loadSegmentReal(Sreg.FS, fs);
  c.loadSegmentReal(Sreg.GS, gs);
  c.setReg32(Reg.ESP, esp);
  c.eip = eip;
  c.cpl = 3;
}

export const handlers: Record<string, HandlerFactory> = {
  jmpf: farFactory(false),
  callf: farFactory(true),
  retf: () => (c, i) => farReturn(c, i.o32, i.imm),
  // The IRET that completes ends the blocking of NMIs begun by an NMI's delivery.
  iret: () => (c, i) => {
    iret(c, i.o32);
    c.i32[NMI_BLOCKED_I] = 0;
  },
};
