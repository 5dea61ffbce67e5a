/**
 * Segment-register loads (SDM Vol. 3 §3.4, §5.5-5.8 and the instruction pages of
 * MOV, POP, LDS, JMP, CALL, RET, IRET, INT).
 *
 * Every load of a segment register goes through here: real-address and V86 loads
 * through Cpu.loadSegmentReal, protected-mode loads through checkSegment (all the
 * SDM checks of the kind of load, raising #GP/#NP/#SS/#TS with the right error
 * code), then markAccessed (the accessed bit written into the guest's own table
 * through the linear write path), then setSegment (the hidden cache). Descriptors
 * are read through the CPU's descriptor shadow (descshadow.ts).
 */
import { ATTR_DB, type Cpu } from "./cpu.js";
import { Vector } from "./exceptions.js";
import * as L from "./layout.js";
import { Sreg } from "./layout.js";
import { decodeAttr } from "./descshadow.js";

/** Attribute tests on the access byte (S bit and type). */
export const isCode = (attr: number): boolean => (attr & 0x18) === 0x18;
export const isData = (attr: number): boolean => (attr & 0x18) === 0x10;
export const isConformingCode = (attr: number): boolean => (attr & 0x1c) === 0x1c;
export const isReadable = (attr: number): boolean => (attr & 0x18) === 0x10 || (attr & 0x1a) === 0x1a;
export const isWritableData = (attr: number): boolean => (attr & 0x1a) === 0x12;
export const isPresent = (attr: number): boolean => (attr & 0x80) !== 0;
export const dplOf = (attr: number): number => (attr >> 5) & 3;

/** System descriptor types (S = 0). */
export const enum SysType {
  TSS16_AVAILABLE = 1,
  LDT = 2,
  TSS16_BUSY = 3,
  CALL_GATE16 = 4,
  TASK_GATE = 5,
  INT_GATE16 = 6,
  TRAP_GATE16 = 7,
  TSS32_AVAILABLE = 9,
  TSS32_BUSY = 0xb,
  CALL_GATE32 = 0xc,
  INT_GATE32 = 0xe,
  TRAP_GATE32 = 0xf,
}

/** A descriptor read from the GDT or LDT. Callers keep preallocated ones. */
export class Descriptor {
  /** The selector it was read for. */
  sel = 0;
  lo = 0;
  hi = 0;
  base = 0;
  /** Limit in bytes (granularity applied). */
  limit = 0;
  /** Descriptor bits 40..55 >> 8: access byte in 0..7, AVL/D/G in 12..15. */
  attr = 0;
  /** Linear address of the descriptor in its table. */
  la = 0;
  /** Physical addresses of its first and last byte. */
  pa0 = 0;
  pa7 = 0;
  /** Shadow entry index. */
  entry = 0;

  get dpl(): number {
    return (this.attr >> 5) & 3;
  }
  /** System-descriptor type (meaningful when S = 0). */
  get type(): number {
    return this.attr & 0x0f;
  }
  get system(): boolean {
    return (this.attr & 0x10) === 0;
  }
  get present(): boolean {
    return (this.attr & 0x80) !== 0;
  }
  /** Gate target selector. */
  get gateSelector(): number {
    return this.lo >>> 16;
  }
  /** Gate target offset (16-bit gates: the low word only). */
  get gateOffset(): number {
    return this.attr & 0x08 ? (this.hi & 0xffff0000) | (this.lo & 0xffff) : this.lo & 0xffff;
  }
  /** Call-gate parameter count. */
  get gateParams(): number {
    return this.hi & 0x1f;
  }
}

// ---- reading descriptors ---------------------------------------------------

/**
 * Read the descriptor `sel` names into `d`. False when it lies outside its table
 * (or names the LDT while LDTR is null); a page fault on the table propagates.
 */
export function fetchDescriptor(c: Cpu, sel: number, d: Descriptor): boolean {
  const i = c.i32;
  const offset = sel & 0xfff8;
  let base: number;
  let limit: number;
  let table: number;
  if (sel & 4) {
    if ((i[L.LDTR_SEL >> 2] & 0xfffc) === 0 || !(i[L.LDTR_ATTR >> 2] & 0x80)) return false;
    base = i[L.LDTR_BASE >> 2];
    limit = i[L.LDTR_LIMIT >> 2] >>> 0;
    table = 1;
  } else {
    base = i[L.GDTR_BASE >> 2];
    limit = i[L.GDTR_LIMIT >> 2] >>> 0;
    table = 0;
  }
  if (offset + 7 > limit) return false;
  d.sel = sel;
  c.descriptorShadow.read(table, offset >>> 3, (base + offset) | 0, d);
  return true;
}

/** Write byte 5 (the access byte) of `d` in its table and keep the shadow in step. */
export function writeAccessByte(c: Cpu, d: Descriptor, access: number): void {
  const shadow = c.descriptorShadow;
  shadow.forget(d.entry);
  const prev = c.systemAccess;
  c.systemAccess = true;
  try {
    c.writeLin8((d.la + 5) | 0, access);
  } finally {
    c.systemAccess = prev;
  }
  d.hi = (d.hi & ~0xff00) | ((access & 0xff) << 8);
  d.attr = decodeAttr(d.hi);
  shadow.store(d);
}

/** Set the accessed bit of a code or data descriptor in the guest's table, if clear. */
export function markAccessed(c: Cpu, d: Descriptor): void {
  if (d.attr & 1) return;
  writeAccessByte(c, d, (d.attr | 1) & 0xff);
}

// ---- checks ----------------------------------------------------------------

/** What a segment-register load is for: each kind has its own SDM checks and error codes. */
export const enum SegCheck {
  /** MOV/POP/LDS/LES/LFS/LGS into DS ES FS GS: null allowed; #GP(sel), #NP(sel). */
  DATA,
  /** MOV/POP/LSS into SS, and SS popped by RET/IRET to an outer level (against the new CPL): #GP(0) for null, #GP(sel), #SS(sel). */
  STACK,
  /** SS taken from a TSS (stack switch, task switch): #TS(EXT) for null, #TS(sel), #SS(sel). */
  STACK_TSS,
  /** DS ES FS GS of a new task: null allowed; #TS(sel), #NP(sel). */
  TASK_DATA,
  /** CS of a new task (pl = its RPL): #TS(sel), #NP(sel). */
  TASK_CODE,
  /** CS of a far JMP/CALL straight to a code segment: #GP(0) for null, #GP(sel), #NP(sel). */
  CODE_FAR,
  /** CS named by a call gate (CALL) or an interrupt/trap gate: DPL <= CPL; #GP(EXT) for null, #GP(sel), #NP(sel). */
  CODE_GATE,
  /** CS named by a call gate through JMP: non-conforming needs DPL = CPL. */
  CODE_GATE_JMP,
  /** CS popped by RET/IRET: RPL >= CPL; #GP(0) for null, #GP(sel), #NP(sel). */
  CODE_RETURN,
}

function typeVector(kind: SegCheck): number {
  return kind === SegCheck.STACK_TSS || kind === SegCheck.TASK_DATA || kind === SegCheck.TASK_CODE ? Vector.TS : Vector.GP;
}

function presentVector(kind: SegCheck): number {
  return kind === SegCheck.STACK || kind === SegCheck.STACK_TSS ? Vector.SS : Vector.NP;
}

/**
 * Checks of a protected-mode load of selector `sel` for `kind` (SDM order: null,
 * table limit, type, privilege, present). `pl` is the privilege level the load is
 * checked against (the CPL, or the CPL the transfer is about to set); `ext` is the
 * EXT bit of error codes. Fills `d`. False for a null selector where null is
 * allowed (the register is then loaded null).
 */
export function checkSegment(c: Cpu, sel: number, kind: SegCheck, pl: number, ext: number, d: Descriptor): boolean {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) {
    switch (kind) {
      case SegCheck.DATA:
      case SegCheck.TASK_DATA:
        d.sel = sel;
        return false;
      case SegCheck.STACK_TSS:
      case SegCheck.TASK_CODE:
        return c.raise(Vector.TS, ext);
      case SegCheck.CODE_GATE:
      case SegCheck.CODE_GATE_JMP:
        return c.raiseGP(ext);
      default:
        return c.raiseGP(0);
    }
  }
  const code = (sel & 0xfffc) | ext;
  if (!fetchDescriptor(c, sel, d)) return c.raise(typeVector(kind), code);
  checkFetched(c, kind, pl, ext, d);
  return true;
}

/** The type, privilege and present checks of checkSegment on a descriptor already read. */
export function checkFetched(c: Cpu, kind: SegCheck, pl: number, ext: number, d: Descriptor): void {
  const attr = d.attr;
  const rpl = d.sel & 3;
  const dpl = (attr >> 5) & 3;
  let ok: boolean;
  switch (kind) {
    case SegCheck.DATA:
    case SegCheck.TASK_DATA:
      ok = isReadable(attr) && (isConformingCode(attr) || (rpl <= dpl && pl <= dpl));
      break;
    case SegCheck.STACK:
    case SegCheck.STACK_TSS:
      ok = isWritableData(attr) && rpl === pl && dpl === pl;
      break;
    case SegCheck.TASK_CODE:
      ok = isCode(attr) && (isConformingCode(attr) ? dpl <= pl : dpl === pl);
      break;
    case SegCheck.CODE_FAR:
      ok = isCode(attr) && (isConformingCode(attr) ? dpl <= pl : rpl <= pl && dpl === pl);
      break;
    case SegCheck.CODE_GATE:
      ok = isCode(attr) && dpl <= pl;
      break;
    case SegCheck.CODE_GATE_JMP:
      ok = isCode(attr) && (isConformingCode(attr) ? dpl <= pl : dpl === pl);
      break;
    case SegCheck.CODE_RETURN:
      ok = isCode(attr) && rpl >= pl && (isConformingCode(attr) ? dpl <= rpl : dpl === rpl);
      break;
  }
  const code = (d.sel & 0xfffc) | ext;
  if (!ok) c.raise(typeVector(kind), code);
  if (!(attr & 0x80)) c.raise(presentVector(kind), code);
}

// ---- committing ------------------------------------------------------------

/**
 * Fill segment register `s`'s hidden cache from `d` with selector `sel` (its RPL
 * possibly adjusted by the transfer). Loading CS sets the CPL to the RPL.
 */
export function setSegment(c: Cpu, s: number, sel: number, d: Descriptor): void {
  c.setSegmentCache(s, sel, d.base, d.limit, d.attr | 1);
  if (s === Sreg.CS) c.cpl = sel & 3;
}

/**
 * The commit of a transfer that changes privilege level (far CALL through a call
 * gate, far RET and IRET to an outer level, interrupt delivery to an inner one):
 * both descriptors marked accessed, then SS:ESP, then CS:EIP (the CPL becoming
 * `csSel`'s RPL). Called once every check and every stack write has been done;
 * only the accessed-bit writes can still fault, before anything changes.
 */
export function commitCodeAndStack(c: Cpu, csSel: number, cs: Descriptor, eip: number, ssSel: number, ss: Descriptor, esp: number): void {
  markAccessed(c, cs);
  markAccessed(c, ss);
  setSegment(c, Sreg.SS, ssSel, ss);
  c.setReg32(L.Reg.ESP, esp);
  setSegment(c, Sreg.CS, csSel, cs);
  c.eip = eip;
}

/** A null selector in DS ES FS GS: any access through it faults with #GP(0). */
export function setNullSegment(c: Cpu, s: number, sel: number): void {
  c.setSegmentCache(s, sel, 0, 0, 0);
}

/** The descriptor one segment load checks and commits (ARCHITECTURE.md "Module-level scratch"). */
const scratch = new Descriptor();

/**
 * The descriptor-load helper: load segment register `s` with `sel` as MOV, POP,
 * LDS/LES/LFS/LGS/LSS do (`kind` DATA or STACK follows from `s`), or, given a
 * kind, privilege level and EXT bit, as a task switch does. Real-address and V86
 * mode: selector * 16. Far transfers and interrupt delivery, which must finish
 * every check (and their stack writes) before committing anything, call its
 * three steps themselves: checkSegment, markAccessed, setSegment.
 * POP SS / MOV SS also open the interrupt shadow; that is the caller's part.
 */
export function loadSegmentDescriptor(c: Cpu, s: number, sel: number, kind?: SegCheck, pl?: number, ext = 0): void {
  if (c.realAddressing) {
    c.loadSegmentReal(s, sel);
    return;
  }
  const k = kind ?? (s === Sreg.SS ? SegCheck.STACK : SegCheck.DATA);
  const d = scratch;
  if (!checkSegment(c, sel, k, pl ?? c.cpl, ext, d)) {
    setNullSegment(c, s, sel);
    return;
  }
  markAccessed(c, d);
  setSegment(c, s, sel, d);
}

// ---- stacks of segments not loaded yet -------------------------------------

/**
 * True when `bytes` bytes at `off` lie within a segment of this limit and these
 * attributes (expand-down data segments included), as Cpu.linear checks.
 */
export function withinLimit(limit: number, attr: number, off: number, bytes: number): boolean {
  const o = off >>> 0;
  const lim = limit >>> 0;
  if ((attr & 0x1c) === 0x14) {
    const upper = attr & ATTR_DB ? 0xffffffff : 0xffff;
    return o > lim && o + bytes - 1 <= upper;
  }
  return lim === 0xffffffff || o + bytes - 1 <= lim;
}

/**
 * Pushes onto a stack given by base/limit/attributes (the current SS or one about
 * to be loaded), without touching ESP: the transfer commits the final offset
 * itself once everything that can fault has happened. A push outside the limit
 * raises `vector`(`code`).
 */
export class StackFrame {
  private c: Cpu | undefined;
  private base = 0;
  private limit = 0;
  private attr = 0;
  private vector = 0;
  private code = 0;
  /** Offset of the last value pushed (the new stack pointer). */
  off = 0;

  open(c: Cpu, base: number, limit: number, attr: number, top: number, vector: number, code: number): this {
    this.c = c;
    this.base = base;
    this.limit = limit;
    this.attr = attr;
    this.off = top;
    this.vector = vector;
    this.code = code;
    return this;
  }

  /** Open on the current SS at the current stack pointer. */
  openCurrent(c: Cpu, vector: number, code: number): this {
    return this.open(c, c.segBase(Sreg.SS), c.segLimit(Sreg.SS), c.segAttr(Sreg.SS), c.reg32(L.Reg.ESP), vector, code);
  }

  get big(): boolean {
    return (this.attr & ATTR_DB) !== 0;
  }

  /** Check that `bytes` more bytes fit below the current offset, without writing. */
  reserve(bytes: number): void {
    const c = this.c as Cpu;
    const off = this.big ? (this.off - bytes) | 0 : (this.off - bytes) & 0xffff;
    if (!withinLimit(this.limit, this.attr, off, bytes)) c.raise(this.vector, this.code);
  }

  push(v: number, size: number): void {
    const c = this.c as Cpu;
    const bytes = size >> 3;
    const off = this.big ? (this.off - bytes) | 0 : (this.off - bytes) & 0xffff;
    if (!withinLimit(this.limit, this.attr, off, bytes)) c.raise(this.vector, this.code);
    c.writeLin((this.base + off) | 0, size, v);
    this.off = off;
  }

  /** ESP after the pushes: a 16-bit stack keeps the upper half of `esp`. */
  espFrom(esp: number): number {
    return this.big ? this.off : (esp & 0xffff0000) | (this.off & 0xffff);
  }
}
