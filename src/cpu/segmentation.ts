/**
 * Segment-register loads (SDM Vol. 3 §3.4, §5.5-5.8 and the instruction pages of
 * MOV, POP, LDS, JMP, CALL, RET, IRET, INT) and the decoded descriptor shadow.
 *
 * Every load of a segment register goes through here: real-address and V86 loads
 * through Cpu.loadSegmentReal, protected-mode loads through checkSegment (all the
 * SDM checks of the kind of load, raising #GP/#NP/#SS/#TS with the right error
 * code), then markAccessed (the accessed bit written into the guest's own table
 * through the linear write path), then setSegment (the hidden cache).
 *
 * Descriptor shadow: GDT and LDT entries once read are kept decoded at SHADOW_BASE
 * with the physical addresses they came from. A lookup translates the entry's
 * linear address as the CPU would (so paging and #PF behave as without the
 * shadow) and uses the decoded copy only when it was read from the same physical
 * bytes. Frames holding shadowed entries carry PAGE_FLAG_DESCRIPTOR in the
 * page-flag bytes; a write there drops exactly the entries whose bytes it touches.
 */
import { ATTR_DB, type Cpu } from "./cpu.js";
import { Vector } from "./exceptions.js";
import * as L from "./layout.js";
import { Sreg } from "./layout.js";

/** Page-flag bit: the frame holds descriptors the shadow has decoded. */
export const PAGE_FLAG_DESCRIPTOR = 4;

/** int32 generation of the GDT shadow; entries of another generation are stale. */
export const SHADOW_GDT_GEN = L.SHADOW_BASE;
/** int32 generation of the LDT shadow. */
export const SHADOW_LDT_GEN = L.SHADOW_BASE + 4;
/** Entries: 8192 for the GDT, then 8192 for the LDT, SHADOW_ENTRY_BYTES each. */
export const SHADOW_ENTRIES = L.SHADOW_BASE + 0x100;
/**
 * One entry, int32 words: 0 generation (0 = empty), 1 physical address of the
 * descriptor's first byte, 2 of its last byte, 3 low dword, 4 high dword,
 * 5 base, 6 limit (granularity applied), 7 attributes (descriptor bits 40..55 >> 8).
 */
export const SHADOW_ENTRY_BYTES = 32;
const ENTRY_WORDS = SHADOW_ENTRY_BYTES >> 2;
const TABLE_ENTRIES = 8192;

const GEN_I = [SHADOW_GDT_GEN >> 2, SHADOW_LDT_GEN >> 2];
const ENTRIES_I = SHADOW_ENTRIES >> 2;

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

export function decodeBase(lo: number, hi: number): number {
  return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
}
export function decodeLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return hi & 0x800000 ? (raw << 12) | 0xfff : raw;
}
export function decodeAttr(hi: number): number {
  return (hi >>> 8) & 0xf0ff;
}

// ---- the shadow ----------------------------------------------------------

export interface ShadowStats {
  hits: number;
  misses: number;
  invalidations: number;
}

/** JS-side bookkeeping of one CPU's shadow; the decoded entries live in the one memory. */
export class DescriptorShadow {
  readonly stats: ShadowStats = { hits: 0, misses: 0, invalidations: 0 };
  /** Physical frame → ids of the entries with bytes in it. */
  private readonly frames = new Map<number, number[]>();
  /** 1 while an entry is listed in `frames`. */
  private readonly linked = new Uint8Array(2 * TABLE_ENTRIES);

  constructor(private readonly c: Cpu) {
    const i = c.i32;
    // Generation 0 marks empty entries; bumping also retires whatever the memory held.
    i[GEN_I[0]] = (i[GEN_I[0]] + 1) | 1;
    i[GEN_I[1]] = (i[GEN_I[1]] + 1) | 1;
    const previous = c.onCodeWrite;
    c.onCodeWrite = (pa, size) => {
      const flags = c.u8;
      const f0 = pa >>> 12;
      const f1 = ((pa + size - 1) >>> 12) & 0xfffff;
      if (flags[L.PAGE_FLAGS_BASE + f0] & PAGE_FLAG_DESCRIPTOR) this.written(f0, pa >>> 0, size);
      if (f1 !== f0 && flags[L.PAGE_FLAGS_BASE + f1] & PAGE_FLAG_DESCRIPTOR) this.written(f1, pa >>> 0, size);
      previous(pa, size);
    };
  }

  /** Forget every GDT entry (LGDT). */
  resetGdt(): void {
    const i = this.c.i32;
    i[GEN_I[0]] = (i[GEN_I[0]] + 1) | 1;
  }
  /** Forget every LDT entry (LLDT, task switch). */
  resetLdt(): void {
    const i = this.c.i32;
    i[GEN_I[1]] = (i[GEN_I[1]] + 1) | 1;
  }

  /**
   * Fill `d` for the entry `index` of table `table` (0 GDT, 1 LDT) at linear `la`,
   * from the shadow when it holds the bytes at the same physical addresses.
   */
  read(table: number, index: number, la: number, d: Descriptor): void {
    const c = this.c;
    const prev = c.systemAccess;
    c.systemAccess = true;
    let pa0: number;
    let pa7: number;
    try {
      pa0 = c.translate(la, false);
      pa7 = (la & 0xfff) > 0xff8 ? c.translate((la + 7) | 0, false) : (pa0 + 7) | 0;
    } finally {
      c.systemAccess = prev;
    }
    const id = table * TABLE_ENTRIES + index;
    const e = ENTRIES_I + id * ENTRY_WORDS;
    const i = c.i32;
    d.la = la;
    d.pa0 = pa0;
    d.pa7 = pa7;
    d.entry = id;
    if (i[e] === i[GEN_I[table]] && i[e + 1] === pa0 && i[e + 2] === pa7) {
      this.stats.hits++;
      d.lo = i[e + 3];
      d.hi = i[e + 4];
      d.base = i[e + 5];
      d.limit = i[e + 6];
      d.attr = i[e + 7];
      return;
    }
    this.stats.misses++;
    let lo: number;
    let hi: number;
    if (pa7 === ((pa0 + 7) | 0)) {
      lo = c.readPhys32(pa0);
      hi = c.readPhys32(pa0 + 4);
    } else {
      lo = 0;
      hi = 0;
      const first = 0x1000 - (pa0 & 0xfff);
      for (let k = 0; k < 8; k++) {
        const b = c.readPhys8(k < first ? pa0 + k : (pa7 & ~0xfff) + k - first);
        if (k < 4) lo |= b << (8 * k);
        else hi |= b << (8 * (k - 4));
      }
    }
    d.lo = lo;
    d.hi = hi;
    d.base = decodeBase(lo, hi);
    d.limit = decodeLimit(lo, hi);
    d.attr = decodeAttr(hi);
    this.store(d);
  }

  /** Record `d` (read or just updated by the CPU itself) as its entry's current contents. */
  store(d: Descriptor): void {
    const i = this.c.i32;
    const id = d.entry;
    const table = id >= TABLE_ENTRIES ? 1 : 0;
    const e = ENTRIES_I + id * ENTRY_WORDS;
    if (this.linked[id]) this.unlink(id);
    i[e] = i[GEN_I[table]];
    i[e + 1] = d.pa0;
    i[e + 2] = d.pa7;
    i[e + 3] = d.lo;
    i[e + 4] = d.hi;
    i[e + 5] = d.base;
    i[e + 6] = d.limit;
    i[e + 7] = d.attr;
    this.link(id, d.pa0 >>> 12);
    if (d.pa7 >>> 12 !== d.pa0 >>> 12) this.link(id, d.pa7 >>> 12);
    this.linked[id] = 1;
  }

  /** Forget entry `id` without counting an invalidation: the CPU is about to rewrite it itself. */
  forget(id: number): void {
    if (this.linked[id]) this.unlink(id);
    this.c.i32[ENTRIES_I + id * ENTRY_WORDS] = 0;
  }

  /** Drop every entry (after the host changed guest memory behind the CPU's back). */
  invalidateAll(): void {
    const ids: number[] = [];
    for (const list of this.frames.values()) ids.push(...list);
    for (const id of ids) if (this.linked[id]) this.drop(id);
  }

  private link(id: number, frame: number): void {
    let list = this.frames.get(frame);
    if (!list) {
      list = [];
      this.frames.set(frame, list);
      this.c.u8[L.PAGE_FLAGS_BASE + frame] |= PAGE_FLAG_DESCRIPTOR;
    }
    list.push(id);
  }

  private unlinkFrame(id: number, frame: number): void {
    const list = this.frames.get(frame);
    if (!list) return;
    const k = list.indexOf(id);
    if (k >= 0) list.splice(k, 1);
    if (list.length === 0) {
      this.frames.delete(frame);
      this.c.u8[L.PAGE_FLAGS_BASE + frame] &= ~PAGE_FLAG_DESCRIPTOR;
    }
  }

  private unlink(id: number): void {
    const i = this.c.i32;
    const e = ENTRIES_I + id * ENTRY_WORDS;
    const f0 = i[e + 1] >>> 12;
    const f7 = i[e + 2] >>> 12;
    this.unlinkFrame(id, f0);
    if (f7 !== f0) this.unlinkFrame(id, f7);
    this.linked[id] = 0;
  }

  private drop(id: number): void {
    this.unlink(id);
    this.c.i32[ENTRIES_I + id * ENTRY_WORDS] = 0;
    this.stats.invalidations++;
  }

  /** A write of `size` bytes at physical `pa` is about to land in `frame`. */
  private written(frame: number, pa: number, size: number): void {
    const list = this.frames.get(frame);
    if (!list) return;
    const i = this.c.i32;
    const wEnd = pa + size - 1;
    for (let k = list.length - 1; k >= 0; k--) {
      const id = list[k];
      const e = ENTRIES_I + id * ENTRY_WORDS;
      const p0 = i[e + 1] >>> 0;
      const p7 = i[e + 2] >>> 0;
      const hit =
        p7 === p0 + 7
          ? pa <= p7 && wEnd >= p0
          : (pa <= (p0 | 0xfff) >>> 0 && wEnd >= p0) || (pa <= p7 && wEnd >= (p7 & ~0xfff) >>> 0);
      if (hit) this.drop(id);
    }
  }
}

const shadows = new WeakMap<Cpu, DescriptorShadow>();
let lastCpu: Cpu | undefined;
let lastShadow: DescriptorShadow | undefined;

/** The descriptor shadow of `c`, created (and its write hook installed) on first use. */
export function descriptorShadow(c: Cpu): DescriptorShadow {
  if (c === lastCpu) return lastShadow as DescriptorShadow;
  let s = shadows.get(c);
  if (!s) {
    s = new DescriptorShadow(c);
    shadows.set(c, s);
  }
  lastCpu = c;
  lastShadow = s;
  return s;
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
  descriptorShadow(c).read(table, offset >>> 3, (base + offset) | 0, d);
  return true;
}

/** Write byte 5 (the access byte) of `d` in its table and keep the shadow in step. */
export function writeAccessByte(c: Cpu, d: Descriptor, access: number): void {
  const shadow = descriptorShadow(c);
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

/** A null selector in DS ES FS GS: any access through it faults with #GP(0). */
export function setNullSegment(c: Cpu, s: number, sel: number): void {
  c.setSegmentCache(s, sel, 0, 0, 0);
}

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
