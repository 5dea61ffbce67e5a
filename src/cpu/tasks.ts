/**
 * Hardware task switching (SDM Vol. 3 ch. 7): JMP or CALL to a TSS or task gate,
 * an interrupt or exception through a task gate, IRET with NT set. 16- and
 * 32-bit TSS, busy bits, NT and the back link, CR3 and LDT loads, the #TS checks
 * of Table 7-1. Also the TSS lookups of stack switches and LLDT's LDTR load.
 */
import { CR0_PG, CR0_TS, type Cpu } from "./cpu.js";
import { FAULT, Vector } from "./exceptions.js";
import { NT, VM, WRITABLE } from "./flags.js";
import * as L from "./layout.js";
import { Sreg } from "./layout.js";
import { flushTlb } from "./paging.js";
import { Descriptor, fetchDescriptor, loadSegmentDescriptor, SegCheck, writeAccessByte } from "./segmentation.js";
import { deliverWithinInstruction } from "./interrupts.js";

export const enum TaskSource {
  JMP,
  CALL,
  IRET,
  /** An interrupt or exception through a task gate. */
  INT,
}

const TR_SEL_I = L.TR_SEL >> 2;
const TR_BASE_I = L.TR_BASE >> 2;
const TR_LIMIT_I = L.TR_LIMIT >> 2;
const TR_ATTR_I = L.TR_ATTR >> 2;

/** Busy bit of a TSS descriptor's type. */
const TSS_BUSY = 2;

/** Minimum limits: a TSS must hold every field the switch reads. */
const TSS32_MIN_LIMIT = 0x67;
const TSS16_MIN_LIMIT = 0x2b;

export function isTss(d: Descriptor): boolean {
  const t = d.type;
  return d.system && (t === 1 || t === 3 || t === 9 || t === 0xb);
}

/** The SS:ESP a stack switch to privilege `dpl` takes from the current TSS (`ss`, `esp`). */
export const tssStack = { ss: 0, esp: 0 };

/** Read the ring-`dpl` stack pointer from the current TSS; #TS(TR selector) when outside its limit. */
export function readTssStack(c: Cpu, dpl: number, ext: number): void {
  const i = c.i32;
  const base = i[TR_BASE_I];
  const limit = i[TR_LIMIT_I] >>> 0;
  const is32 = (i[TR_ATTR_I] & 8) !== 0;
  const off = is32 ? (dpl << 3) + 4 : (dpl << 2) + 2;
  if (off + (is32 ? 5 : 3) > limit) c.raise(Vector.TS, (i[TR_SEL_I] & 0xfffc) | ext);
  const prev = c.systemAccess;
  c.systemAccess = true;
  try {
    tssStack.esp = is32 ? c.readLin32((base + off) | 0) : c.readLin16((base + off) | 0);
    tssStack.ss = c.readLin16((base + off + (is32 ? 4 : 2)) | 0);
  } finally {
    c.systemAccess = prev;
  }
}

/** Fill LDTR from an LDT descriptor (or make it null) and forget the LDT shadow. */
export function setLdtr(c: Cpu, sel: number, d: Descriptor | null): void {
  const i = c.i32;
  i[L.LDTR_SEL >> 2] = sel & 0xffff;
  i[L.LDTR_BASE >> 2] = d ? d.base : 0;
  i[L.LDTR_LIMIT >> 2] = d ? d.limit : 0;
  i[L.LDTR_ATTR >> 2] = d ? d.attr : 0;
  c.descriptorShadow.resetLdt();
}

/**
 * Scratch for one task switch (ARCHITECTURE.md "Module-level scratch"): a fault in the new task's
 * segments is thrown after the last read, so the double fault it may become finds them free.
 */
const newTss = new Descriptor();
const oldTss = new Descriptor();
const seg = new Descriptor();
const sregs = new Int32Array(6);
const regs = new Int32Array(8);

/** The new task's EIP, EFLAGS, CR3 and LDT selector, as readState found them. */
const state = { eip: 0, eflags: 0, cr3: 0, ldt: 0 };
const DATA_SREGS = [Sreg.ES, Sreg.DS, Sreg.FS, Sreg.GS] as const;

function readState(c: Cpu, base: number, is32: boolean): void {
  if (is32) {
    for (let k = 0; k < 8; k++) regs[k] = c.readLin32((base + 0x28 + 4 * k) | 0);
    for (let s = 0; s < 6; s++) sregs[s] = c.readLin16((base + 0x48 + 4 * s) | 0);
    state.eip = c.readLin32((base + 0x20) | 0);
    state.eflags = c.readLin32((base + 0x24) | 0);
    state.cr3 = c.readLin32((base + 0x1c) | 0);
    state.ldt = c.readLin16((base + 0x60) | 0);
    return;
  }
  for (let k = 0; k < 8; k++) regs[k] = c.readLin16((base + 0x12 + 2 * k) | 0);
  // A 16-bit TSS holds ES CS SS DS (Sreg order 0..3) and no FS, GS.
  for (let s = 0; s < 4; s++) sregs[s] = c.readLin16((base + 0x22 + 2 * s) | 0);
  sregs[Sreg.FS] = 0;
  sregs[Sreg.GS] = 0;
  state.eip = c.readLin16((base + 0x0e) | 0);
  state.eflags = c.readLin16((base + 0x10) | 0);
  state.cr3 = 0;
  state.ldt = c.readLin16((base + 0x2a) | 0);
}

function saveState(c: Cpu, base: number, is32: boolean, eflags: number): void {
  if (is32) {
    c.writeLin32((base + 0x20) | 0, c.eip);
    c.writeLin32((base + 0x24) | 0, eflags);
    for (let k = 0; k < 8; k++) c.writeLin32((base + 0x28 + 4 * k) | 0, c.reg32(k));
    for (let s = 0; s < 6; s++) c.writeLin16((base + 0x48 + 4 * s) | 0, c.segSel(s));
    return;
  }
  c.writeLin16((base + 0x0e) | 0, c.eip);
  c.writeLin16((base + 0x10) | 0, eflags);
  for (let k = 0; k < 8; k++) c.writeLin16((base + 0x12 + 2 * k) | 0, c.reg16(k));
  for (let s = 0; s < 4; s++) c.writeLin16((base + 0x22 + 2 * s) | 0, c.segSel(s));
}

/** LDTR of a new task (Table 7-1): every failure is #TS(LDT selector). */
function loadTaskLdt(c: Cpu, sel: number, ext: number): void {
  if ((sel & 0xfffc) === 0) {
    setLdtr(c, sel, null);
    return;
  }
  const code = (sel & 0xfffc) | ext;
  if (sel & 4 || !fetchDescriptor(c, sel, seg) || !seg.system || seg.type !== 2 || !seg.present) c.raise(Vector.TS, code);
  setLdtr(c, sel, seg);
}

/** Segment registers of a new task, after its LDT: faults here happen in the new task. */
function loadTaskSegments(c: Cpu, ext: number, v86: boolean): void {
  if (v86) {
    for (let s = 0; s < 6; s++) c.loadSegmentReal(s, sregs[s]);
    c.cpl = 3;
    return;
  }
  const cpl = sregs[Sreg.CS] & 3;
  loadSegmentDescriptor(c, Sreg.CS, sregs[Sreg.CS], SegCheck.TASK_CODE, cpl, ext);
  loadSegmentDescriptor(c, Sreg.SS, sregs[Sreg.SS], SegCheck.STACK_TSS, cpl, ext);
  for (const s of DATA_SREGS) loadSegmentDescriptor(c, s, sregs[s], SegCheck.TASK_DATA, cpl, ext);
}

/**
 * Switch to the task whose TSS descriptor `nt` (read for selector nt.sel) names.
 * Checks before the commit point raise in the old task; after it (segment loads
 * of the new task, its EIP, the error code push) the exception is delivered in
 * the new task here. `errorCode`/`hasError`: an exception through a task gate
 * pushes its error code on the new task's stack.
 */
export function switchTask(c: Cpu, nt: Descriptor, source: TaskSource, ext: number, errorCode: number, hasError: boolean): void {
  const i = c.i32;
  const sel = nt.sel & 0xffff;
  const code = (sel & 0xfffc) | ext;
  const type = nt.type;
  if (source === TaskSource.IRET) {
    if (!nt.system || (type !== 3 && type !== 0xb)) c.raise(Vector.TS, code);
  } else if (!nt.system || (type !== 1 && type !== 9)) {
    c.raiseGP(code);
  }
  if (!nt.present) c.raise(Vector.NP, code);
  const is32 = (type & 8) !== 0;
  if (nt.limit >>> 0 < (is32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT)) c.raise(Vector.TS, code);

  const oldSel = i[TR_SEL_I] & 0xffff;
  const oldBase = i[TR_BASE_I];
  const old32 = (i[TR_ATTR_I] & 8) !== 0;
  // The old TSS must hold the dynamic fields the switch saves.
  if (i[TR_LIMIT_I] >>> 0 < (old32 ? 0x5f : 0x29)) c.raise(Vector.TS, (oldSel & 0xfffc) | ext);

  const prev = c.systemAccess;
  c.systemAccess = true;
  try {
    readState(c, nt.base, is32);
    if (old32) c.probeWrite((oldBase + 0x20) | 0, 0x40);
    else c.probeWrite((oldBase + 0x0e) | 0, 0x1c);
    if (source === TaskSource.CALL || source === TaskSource.INT) c.probeWrite(nt.base, 2);
    if (oldSel & 0xfffc && !fetchDescriptor(c, oldSel, oldTss)) c.raise(Vector.TS, (oldSel & 0xfffc) | ext);

    // ---- commit point: from here on the switch completes ----
    if ((source === TaskSource.JMP || source === TaskSource.IRET) && oldSel & 0xfffc) {
      writeAccessByte(c, oldTss, (oldTss.attr & ~TSS_BUSY) & 0xff);
    }
    let oldFlags = c.getEflags();
    if (source === TaskSource.IRET) oldFlags &= ~NT;
    saveState(c, oldBase, old32, oldFlags);
    let eflags = is32 ? state.eflags : state.eflags & 0xffff;
    if (source === TaskSource.CALL || source === TaskSource.INT) {
      c.writeLin16(nt.base, oldSel);
      eflags |= NT;
    }
    if (source !== TaskSource.IRET) writeAccessByte(c, nt, (nt.attr | TSS_BUSY) & 0xff);
    i[TR_SEL_I] = sel;
    i[TR_BASE_I] = nt.base;
    i[TR_LIMIT_I] = nt.limit;
    i[TR_ATTR_I] = nt.attr;
    c.cr0 = c.cr0 | CR0_TS;
    if (is32 && c.cr0 & CR0_PG) {
      c.cr3 = state.cr3;
      flushTlb(c, false);
    }
    for (let k = 0; k < 8; k++) {
      if (is32) c.setReg32(k, regs[k]);
      else c.setReg16(k, regs[k]);
    }
    c.setEflagsMasked(eflags, WRITABLE);
    c.eip = is32 ? state.eip : state.eip & 0xffff;
    // Selectors first, unusable until their descriptors load: a fault below reports them.
    for (let s = 0; s < 6; s++) c.setSegmentCache(s, sregs[s], 0, 0, 0);
    i[L.LDTR_SEL >> 2] = state.ldt;
    i[L.LDTR_ATTR >> 2] = 0;
    c.systemAccess = prev;
    try {
      loadTaskLdt(c, state.ldt, ext);
      loadTaskSegments(c, ext, (eflags & VM) !== 0);
      if (c.eip >>> 0 > c.segLimit(Sreg.CS) >>> 0) c.raiseGP(0);
      if (hasError) c.push(errorCode, is32 ? 32 : 16);
    } catch (e) {
      if (e !== FAULT) throw e;
      deliverWithinInstruction(c, FAULT.vector, FAULT.errorCode, FAULT.hasErrorCode);
    }
  } finally {
    c.systemAccess = prev;
  }
}

/**
 * A task gate reached by JMP, CALL or an interrupt: the TSS it names must be in
 * the GDT, available and present (#GP/#NP with the TSS selector).
 */
export function taskGate(c: Cpu, gate: Descriptor, source: TaskSource, ext: number, errorCode: number, hasError: boolean): void {
  const tssSel = gate.gateSelector;
  const code = (tssSel & 0xfffc) | ext;
  if (tssSel & 4 || !fetchDescriptor(c, tssSel, newTss)) c.raiseGP(code);
  if (!isTss(newTss) || newTss.type & TSS_BUSY) c.raiseGP(code);
  switchTask(c, newTss, source, ext, errorCode, hasError);
}

/** IRET with NT set: back to the task named by the current TSS's back link. */
export function taskReturn(c: Cpu): void {
  const prev = c.systemAccess;
  c.systemAccess = true;
  let link: number;
  try {
    link = c.readLin16(c.i32[TR_BASE_I]);
  } finally {
    c.systemAccess = prev;
  }
  if (link & 4 || !fetchDescriptor(c, link, newTss)) c.raise(Vector.TS, link & 0xfffc);
  switchTask(c, newTss, TaskSource.IRET, 0, 0, false);
}
