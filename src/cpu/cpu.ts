/**
 * The CPU state and the memory paths every instruction uses, over the one
 * WebAssembly.Memory (layout in layout.ts). Instruction semantics live in
 * src/interp/; this file holds what they share: register and flag access,
 * segment-checked memory access, stack, faults.
 */
import { EmptyBus, type LocalApicPort, type MemoryBus, type MmioDevice, type PortBus } from "./bus.js";
import { FAULT, hasErrorCode, Vector } from "./exceptions.js";
import * as F from "./flags.js";
import { LazyOp } from "./flags.js";
import * as L from "./layout.js";
import { CodeWrites, CodeWriteStage } from "./codewrites.js";
import { DescriptorShadow } from "./descshadow.js";
import { Sreg } from "./layout.js";
import {
  flushTlb,
  NEED_SUPER_READ,
  NEED_SUPER_WRITE,
  NEED_SUPER_WRITE_WP,
  NEED_USER_READ,
  NEED_USER_WRITE,
  translateSlow,
} from "./paging.js";

const EIP_I = L.EIP >> 2;
const EFLAGS_I = L.EFLAGS >> 2;
const LAZY_MASK_I = L.LAZY_MASK >> 2;
const LAZY_OP_I = L.LAZY_OP >> 2;
const LAZY_A_I = L.LAZY_A >> 2;
const LAZY_B_I = L.LAZY_B >> 2;
const LAZY_RES_I = L.LAZY_RES >> 2;
const LAZY_SIZE_I = L.LAZY_SIZE >> 2;
const SEG_SEL_I = L.SEG_SEL >> 2;
const SEG_BASE_I = L.SEG_BASE >> 2;
const SEG_LIMIT_I = L.SEG_LIMIT >> 2;
const SEG_ATTR_I = L.SEG_ATTR >> 2;
const CR_I = L.CR_BASE >> 2;
const CPL_I = L.CPL >> 2;
const ICOUNT_F = L.ICOUNT >> 3;
const TLB_I = L.TLB_ENTRIES >> 2;

/** Segment attribute bits (descriptor bits 40..55 shifted down by 8). */
export const ATTR_ACCESSED = 0x01;
export const ATTR_P = 0x80;
export const ATTR_S = 0x10;
export const ATTR_DB = 0x4000;
export const ATTR_G = 0x8000;
/** Hidden-cache attributes of a real-mode or V86 segment: present, read/write data, accessed. */
export const ATTR_REAL = 0x93;

export const CR0_PE = 1;
export const CR0_MP = 2;
export const CR0_EM = 4;
export const CR0_TS = 8;
export const CR0_ET = 0x10;
export const CR0_NE = 0x20;
export const CR0_WP = 0x10000;
export const CR0_AM = 0x40000;
export const CR0_NW = 0x20000000;
export const CR0_CD = 0x40000000;
export const CR0_PG = 0x80000000 | 0;

export interface CpuOptions {
  /** Guest RAM in bytes (multiple of 4 KiB). */
  ramBytes: number;
  /**
   * Leave the legacy video window 0xA0000–0xBFFFF out of RAM, for a VGA's memory
   * there (a PC's machine has it; bare CPUs in tests address all their RAM).
   */
  videoWindow?: boolean;
}

/** [pa, pa + size) does not touch the video window (pa unsigned). */
export function outsideVideoWindow(pa: number, size: number): boolean {
  return (pa - (L.VIDEO_WINDOW - size + 1)) >>> 0 >= L.VIDEO_WINDOW_SIZE + size - 1;
}

export class Cpu {
  readonly memory: WebAssembly.Memory;
  readonly ramBytes: number;
  /** The video window 0xA0000–0xBFFFF is not RAM (CpuOptions.videoWindow). */
  readonly videoWindow: boolean;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  ports: PortBus;
  /** Byte-wide devices and ROM outside RAM; register windows (mapMmio) are looked at first. */
  mmio: MemoryBus;
  /** The TLB-miss path of translate(); the profiler times it by putting a wrapper here. */
  pageWalk: typeof translateSlow = translateSlow;
  /** The on-chip local APIC, when the machine has one (IA32_APIC_BASE, CPUID). */
  localApic: LocalApicPort | undefined = undefined;
  /** Register windows outside RAM, accessed at full width: [base, size, device] flattened. */
  private readonly windows: { base: number; size: number; dev: MmioDevice }[] = [];
  /**
   * 0xFFFFFFFF with A20 enabled, 0xFFEFFFFF with it masked. TLB entries carry it:
   * change it through setA20 (paging.ts) once paging may be on.
   */
  a20Mask = -1;
  /** The one owner of code-write invalidation: the code map, the filter and the subscribers in order. */
  readonly codeWrites: CodeWrites;
  /** Decoded GDT and LDT entries (the first code-write subscriber). */
  readonly descriptorShadow: DescriptorShadow;
  /**
   * An external debugger's read watchpoints: while set, told of every data read
   * through the linear read path (bulk string runs stand aside meanwhile).
   */
  watchRead: ((la: number, bytes: number) => void) | null = null;
  /**
   * True while the CPU makes implicit supervisor accesses (descriptor tables, TSS,
   * IDT): paging checks them as CPL 0 whatever the current CPL.
   */
  systemAccess = false;
  /**
   * Bumped whenever cached translations may have changed (TLB flush, INVLPG,
   * A20): lets the interpreter keep the current code page between instructions.
   */
  tlbEpoch = 0;
  /** Set on a triple fault: the CPU stops until reset. */
  shutdown = false;
  /** Extra instructions a REP string may retire before returning to the run loop. */
  repBudget = 0x7fffffff;

  constructor(opts: CpuOptions) {
    if (!(opts.ramBytes > 0) || opts.ramBytes % 4096 !== 0 || opts.ramBytes > 0xc0000000) {
      throw new RangeError(`guest RAM must be a positive multiple of 4 KiB up to 3 GiB (got ${opts.ramBytes})`);
    }
    this.ramBytes = opts.ramBytes;
    this.videoWindow = opts.videoWindow ?? false;
    const bytes = L.memoryBytesFor(opts.ramBytes);
    const pages = bytes / L.WASM_PAGE;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.u16 = new Uint16Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
    this.codeWrites = new CodeWrites(this.u8, opts.ramBytes);
    this.descriptorShadow = new DescriptorShadow(this);
    const shadow = this.descriptorShadow;
    this.codeWrites.subscribe(CodeWriteStage.DESCRIPTORS, (pa, size) => shadow.written(pa, size));
    const empty = new EmptyBus();
    this.ports = empty;
    this.mmio = empty;
    this.reset();
  }

  /** Power-on / RESET state (SDM Vol. 3 §9.1.1): real mode at F000:FFF0. */
  reset(): void {
    this.shutdown = false;
    this.u8.fill(0, L.STATE_BASE, L.STATE_BASE + L.STATE_SIZE);
    this.u16[L.FPU_CW >> 1] = 0x0040; // x87 power-on FCW (SDM Vol. 3 Table 9-1)
    this.i32[L.Reg.EDX] = 0x0633; // family 6, model 3 signature in DX after reset
    this.i32[EFLAGS_I] = F.FIXED_ONE;
    for (let s = 0; s < 6; s++) this.setSegmentCache(s, 0, 0, 0xffff, ATTR_REAL);
    this.loadSegmentReal(Sreg.CS, 0xf000);
    this.i32[SEG_BASE_I + Sreg.CS] = 0xffff0000 | 0;
    this.eip = 0xfff0;
    this.i32[CR_I] = CR0_ET | CR0_CD | CR0_NW;
    this.i32[(L.GDTR_LIMIT >> 2)] = 0xffff;
    this.i32[(L.IDTR_LIMIT >> 2)] = 0xffff;
    this.i32[(L.LDTR_LIMIT >> 2)] = 0xffff;
    this.i32[(L.LDTR_ATTR >> 2)] = 0x82;
    this.i32[(L.TR_LIMIT >> 2)] = 0xffff;
    this.i32[(L.TR_ATTR >> 2)] = 0x8b;
    this.i32[(L.DR_BASE >> 2) + 6] = 0xffff0ff0 | 0;
    this.i32[(L.DR_BASE >> 2) + 7] = 0x400;
    flushTlb(this, true);
  }

  // ---- registers -------------------------------------------------------

  get eip(): number {
    return this.i32[EIP_I];
  }
  set eip(v: number) {
    this.i32[EIP_I] = v;
  }
  get icount(): number {
    return this.f64[ICOUNT_F];
  }
  set icount(v: number) {
    this.f64[ICOUNT_F] = v;
  }
  /** Exceptions and interrupts delivered (deliverException). */
  get delivered(): number {
    return this.f64[L.DELIVERED >> 3];
  }
  set delivered(v: number) {
    this.f64[L.DELIVERED >> 3] = v;
  }
  /** What runs are bounded by: instructions retired plus exceptions and interrupts delivered. */
  get progress(): number {
    return this.f64[ICOUNT_F] + this.f64[L.DELIVERED >> 3];
  }

  /** 8-bit register by encoding: AL CL DL BL AH CH DH BH. */
  reg8(n: number): number {
    return this.u8[((n & 3) << 2) + (n >> 2)];
  }
  setReg8(n: number, v: number): void {
    this.u8[((n & 3) << 2) + (n >> 2)] = v;
  }
  reg16(n: number): number {
    return this.u16[n << 1];
  }
  setReg16(n: number, v: number): void {
    this.u16[n << 1] = v;
  }
  reg32(n: number): number {
    return this.i32[n];
  }
  setReg32(n: number, v: number): void {
    this.i32[n] = v;
  }
  /** Register of `size` bits (8, 16, 32), zero-extended (32 bits: signed int32). */
  reg(n: number, size: number): number {
    return size === 32 ? this.i32[n] : size === 16 ? this.u16[n << 1] : this.u8[((n & 3) << 2) + (n >> 2)];
  }
  setReg(n: number, size: number, v: number): void {
    if (size === 32) this.i32[n] = v;
    else if (size === 16) this.u16[n << 1] = v;
    else this.u8[((n & 3) << 2) + (n >> 2)] = v;
  }

  get cr0(): number {
    return this.i32[CR_I];
  }
  set cr0(v: number) {
    this.i32[CR_I] = v;
  }
  get cr2(): number {
    return this.i32[CR_I + 2];
  }
  set cr2(v: number) {
    this.i32[CR_I + 2] = v;
  }
  get cr3(): number {
    return this.i32[CR_I + 3];
  }
  set cr3(v: number) {
    this.i32[CR_I + 3] = v;
  }
  get cr4(): number {
    return this.i32[CR_I + 4];
  }
  set cr4(v: number) {
    this.i32[CR_I + 4] = v;
  }
  get cpl(): number {
    return this.i32[CPL_I];
  }
  set cpl(v: number) {
    this.i32[CPL_I] = v;
  }
  get protectedMode(): boolean {
    return (this.i32[CR_I] & CR0_PE) !== 0;
  }
  get v86(): boolean {
    return (this.i32[EFLAGS_I] & F.VM) !== 0;
  }
  /** Real mode or V86: segment registers load as selector * 16. */
  get realAddressing(): boolean {
    return !(this.i32[CR_I] & CR0_PE) || (this.i32[EFLAGS_I] & F.VM) !== 0;
  }

  // ---- flags -----------------------------------------------------------

  /** Record an arithmetic result; flags in `mask` become lazy. */
  setLazy(op: LazyOp, a: number, b: number, res: number, size: number, mask: number): void {
    const i = this.i32;
    const stale = i[LAZY_MASK_I] & ~mask;
    if (stale) this.materialize(stale);
    i[LAZY_MASK_I] = mask;
    i[LAZY_OP_I] = op;
    i[LAZY_A_I] = a;
    i[LAZY_B_I] = b;
    i[LAZY_RES_I] = res;
    i[LAZY_SIZE_I] = size;
  }

  /** Value (0 or the bit) of one arithmetic flag. */
  flag(bit: number): number {
    const i = this.i32;
    if (!(i[LAZY_MASK_I] & bit)) return i[EFLAGS_I] & bit;
    return this.lazyFlag(bit);
  }

  private lazyFlag(bit: number): number {
    const i = this.i32;
    const op = i[LAZY_OP_I];
    const a = i[LAZY_A_I];
    const b = i[LAZY_B_I];
    const r = i[LAZY_RES_I];
    const size = i[LAZY_SIZE_I];
    const sh = size - 1;
    switch (bit) {
      case F.CF:
        if (op === LazyOp.ADD) return (((a & b) | ((a | b) & ~r)) >>> sh) & 1;
        if (op === LazyOp.SUB) return (((~a & b) | ((~a | b) & r)) >>> sh) & 1;
        return 0;
      case F.OF:
        if (op === LazyOp.ADD) return ((((a ^ r) & (b ^ r)) >>> sh) & 1) << 11;
        if (op === LazyOp.SUB) return ((((a ^ b) & (a ^ r)) >>> sh) & 1) << 11;
        return 0;
      case F.AF:
        return op === LazyOp.LOGIC ? 0 : (a ^ b ^ r) & F.AF;
      case F.ZF:
        return (size === 32 ? r : r & ((1 << size) - 1)) === 0 ? F.ZF : 0;
      case F.SF:
        return ((r >>> sh) & 1) << 7;
      case F.PF:
        return F.PARITY[r & 0xff] << 2;
    }
    return 0;
  }

  getCF(): number {
    return this.flag(F.CF);
  }
  getZF(): boolean {
    return this.flag(F.ZF) !== 0;
  }
  getSF(): boolean {
    return this.flag(F.SF) !== 0;
  }
  getOF(): boolean {
    return this.flag(F.OF) !== 0;
  }
  getPF(): boolean {
    return this.flag(F.PF) !== 0;
  }
  getAF(): boolean {
    return this.flag(F.AF) !== 0;
  }

  /** Set or clear flags in `mask` (arithmetic ones stop being lazy). */
  setFlags(mask: number, on: boolean): void {
    const i = this.i32;
    const lazy = i[LAZY_MASK_I];
    if (lazy & mask) this.materialize(lazy & mask);
    i[EFLAGS_I] = on ? i[EFLAGS_I] | mask : i[EFLAGS_I] & ~mask;
  }

  /** Move the named lazy flags into the stored EFLAGS word. */
  materialize(mask: number): void {
    const i = this.i32;
    const lazy = i[LAZY_MASK_I] & mask;
    if (!lazy) return;
    let v = i[EFLAGS_I] & ~lazy;
    for (let bit = 1; bit <= F.OF; bit <<= 1) if (lazy & bit) v |= this.lazyFlag(bit);
    i[EFLAGS_I] = v;
    i[LAZY_MASK_I] &= ~lazy;
  }

  /** The architectural EFLAGS value. */
  getEflags(): number {
    this.materialize(F.ARITH);
    return this.i32[EFLAGS_I] | F.FIXED_ONE;
  }

  /** Replace the bits in `mask` of EFLAGS with those of `v`. */
  setEflagsMasked(v: number, mask: number): void {
    this.materialize(F.ARITH);
    const i = this.i32;
    i[EFLAGS_I] = ((i[EFLAGS_I] & ~mask) | (v & mask) | F.FIXED_ONE) & ~0x8028;
  }

  /** Stored EFLAGS bits without materialising lazy ones (for DF, IF, TF, IOPL, VM...). */
  get eflagsRaw(): number {
    return this.i32[EFLAGS_I];
  }

  /** Evaluate condition code `cc` (0..15, Jcc encoding order). */
  cond(cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0: r = this.getOF(); break;
      case 1: r = this.getCF() !== 0; break;
      case 2: r = this.getZF(); break;
      case 3: r = this.getCF() !== 0 || this.getZF(); break;
      case 4: r = this.getSF(); break;
      case 5: r = this.getPF(); break;
      case 6: r = this.getSF() !== this.getOF(); break;
      default: r = this.getZF() || this.getSF() !== this.getOF(); break;
    }
    return (cc & 1) !== 0 ? !r : r;
  }

  // ---- segments --------------------------------------------------------

  segSel(s: number): number {
    return this.i32[SEG_SEL_I + s] & 0xffff;
  }
  segBase(s: number): number {
    return this.i32[SEG_BASE_I + s];
  }
  segLimit(s: number): number {
    return this.i32[SEG_LIMIT_I + s];
  }
  segAttr(s: number): number {
    return this.i32[SEG_ATTR_I + s];
  }
  /** Fill a segment register's hidden cache directly. */
  setSegmentCache(s: number, sel: number, base: number, limit: number, attr: number): void {
    const i = this.i32;
    i[SEG_SEL_I + s] = sel & 0xffff;
    i[SEG_BASE_I + s] = base;
    i[SEG_LIMIT_I + s] = limit;
    i[SEG_ATTR_I + s] = attr;
  }
  /**
   * Real-address or V86 load: base = selector * 16. In real mode the cached limit
   * and size bits are kept (what "unreal mode" relies on); V86 segments are always
   * 64 KiB, DPL 3.
   */
  loadSegmentReal(s: number, sel: number): void {
    const i = this.i32;
    i[SEG_SEL_I + s] = sel & 0xffff;
    i[SEG_BASE_I + s] = (sel & 0xffff) << 4;
    if (this.v86) {
      i[SEG_LIMIT_I + s] = 0xffff;
      i[SEG_ATTR_I + s] = ATTR_REAL | 0x60;
    } else {
      const keep = s === Sreg.CS ? 0 : i[SEG_ATTR_I + s] & (ATTR_DB | ATTR_G);
      i[SEG_ATTR_I + s] = ATTR_REAL | keep;
    }
  }
  /** CS.D: default operand and address size of the code segment is 32 bits. */
  get cs32(): boolean {
    return (this.i32[SEG_ATTR_I + Sreg.CS] & ATTR_DB) !== 0;
  }
  /** SS.B: the stack pointer is ESP rather than SP. */
  get ss32(): boolean {
    return (this.i32[SEG_ATTR_I + Sreg.SS] & ATTR_DB) !== 0;
  }

  /**
   * Check an access of `size` bytes at `off` in segment `s` and return its linear
   * address. Limit (expand-up and expand-down) and rights checks; #SS(0) for the
   * stack segment, #GP(0) otherwise.
   */
  linear(s: number, off: number, size: number, write: boolean): number {
    const i = this.i32;
    const attr = i[SEG_ATTR_I + s];
    const type = attr & 0x0e;
    if (!(attr & ATTR_P) || (write ? (type & 0x0a) !== 0x02 : (type & 0x0a) === 0x08)) this.segFault(s);
    const limit = i[SEG_LIMIT_I + s] >>> 0;
    const o = off >>> 0;
    if ((type & 0x0c) === 0x04) {
      const upper = attr & ATTR_DB ? 0xffffffff : 0xffff;
      if (o <= limit || o + size - 1 > upper) this.segFault(s);
    } else if (limit !== 0xffffffff && o + size - 1 > limit) {
      this.segFault(s);
    }
    return (i[SEG_BASE_I + s] + off) | 0;
  }

  private segFault(s: number): never {
    return s === Sreg.SS ? this.raise(Vector.SS, 0) : this.raise(Vector.GP, 0);
  }

  // ---- faults ----------------------------------------------------------

  /** Raise exception `vector`; `errorCode` is pushed when the vector has one. */
  raise(vector: number, errorCode = 0): never {
    FAULT.vector = vector;
    FAULT.errorCode = errorCode;
    FAULT.hasErrorCode = hasErrorCode(vector);
    throw FAULT;
  }
  raiseGP(code: number): never {
    return this.raise(Vector.GP, code);
  }
  raiseUD(): never {
    return this.raise(Vector.UD);
  }

  // ---- physical memory ---------------------------------------------------

  /** A device's write of `data` at physical `pa` (bus-master DMA): RAM, code invalidation and the bus as for the CPU's own writes. */
  writePhysBytes(pa: number, data: Uint8Array): void {
    let k = 0;
    while (k < data.length) {
      const at = pa + k;
      const n = Math.min(data.length - k, 0x1000 - (at & 0xfff));
      const page = at >>> 12;
      if (this.isRam(at, n) && !(this.u8[L.PAGE_FLAGS_BASE + page] & L.PAGE_BUS_WRITE)) {
        this.codeWrites.changed(at, n);
        this.u8.set(data.subarray(k, k + n), L.RAM_BASE + at);
      } else {
        for (let j = 0; j < n; j++) this.writePhys8(at + j, data[k + j]);
      }
      k += n;
    }
  }

  /** A device's read of `length` bytes at physical `pa` into `out` (bus-master DMA). */
  readPhysBytes(pa: number, out: Uint8Array): void {
    if (this.isRam(pa, out.length)) {
      out.set(this.u8.subarray(L.RAM_BASE + pa, L.RAM_BASE + pa + out.length));
      return;
    }
    for (let j = 0; j < out.length; j++) out[j] = this.readPhys8(pa + j);
  }

  /**
   * Maps `dev` at physical [base, base + size) outside RAM, replacing its previous
   * window (a relocated APIC). A base inside RAM or a size of 0 only unmaps: RAM
   * answers there.
   */
  mapMmio(dev: MmioDevice, base: number, size: number): void {
    const k = this.windows.findIndex((w) => w.dev === dev);
    if (k >= 0) this.windows.splice(k, 1);
    if (size > 0 && !this.isRam(base >>> 0, 1)) this.windows.push({ base: base >>> 0, size, dev });
  }

  /** Physical [pa, pa + size) is wholly RAM (pa unsigned): below the RAM size and outside the video window. */
  isRam(pa: number, size: number): boolean {
    return pa + size <= this.ramBytes && (!this.videoWindow || outsideVideoWindow(pa, size));
  }

  /** The window holding all of [pa, pa + size), if any. */
  private windowAt(pa: number, size: number): { base: number; size: number; dev: MmioDevice } | undefined {
    for (const w of this.windows) if (pa >= w.base && pa + size <= w.base + w.size) return w;
    return undefined;
  }

  /** An access not wholly in RAM: one register access in a window, else byte by byte (RAM, a window or the bus). */
  private readOutside(pa: number, size: 1 | 2 | 4): number {
    const w = this.windowAt(pa, size);
    if (w) return w.dev.mmioRead(pa - w.base, size);
    let v = 0;
    for (let k = 0; k < size; k++) {
      const a = (pa + k) >>> 0;
      const wb = this.windowAt(a, 1);
      v |= (this.isRam(a, 1) ? this.u8[L.RAM_BASE + a] : wb ? wb.dev.mmioRead(a - wb.base, 1) : this.mmio.read8(a)) << (8 * k);
    }
    return v;
  }

  private writeOutside(pa: number, size: 1 | 2 | 4, v: number): void {
    const w = this.windowAt(pa, size);
    if (w) {
      w.dev.mmioWrite(pa - w.base, size, size === 4 ? v | 0 : v & ((1 << (8 * size)) - 1));
      return;
    }
    for (let k = 0; k < size; k++) {
      const a = (pa + k) >>> 0;
      const b = (v >>> (8 * k)) & 0xff;
      const wb = this.windowAt(a, 1);
      if (this.isRam(a, 1)) this.u8[L.RAM_BASE + a] = b;
      else if (wb) wb.dev.mmioWrite(a - wb.base, 1, b);
      else this.mmio.write8(a, b);
    }
  }

  readPhys8(pa: number): number {
    pa >>>= 0;
    return this.isRam(pa, 1) ? this.u8[L.RAM_BASE + pa] : this.readOutside(pa, 1);
  }
  readPhys16(pa: number): number {
    pa >>>= 0;
    if (this.isRam(pa, 2)) {
      return (pa & 1) === 0 ? this.u16[(L.RAM_BASE + pa) >>> 1] : this.u8[L.RAM_BASE + pa] | (this.u8[L.RAM_BASE + pa + 1] << 8);
    }
    return this.readOutside(pa, 2);
  }
  readPhys32(pa: number): number {
    pa >>>= 0;
    if (this.isRam(pa, 4)) {
      if ((pa & 3) === 0) return this.i32[(L.RAM_BASE + pa) >>> 2];
      const b = L.RAM_BASE + pa;
      const u = this.u8;
      return u[b] | (u[b + 1] << 8) | (u[b + 2] << 16) | (u[b + 3] << 24);
    }
    return this.readOutside(pa, 4);
  }
  writePhys8(pa: number, v: number): void {
    pa >>>= 0;
    if (!this.codeWrites.beforeWrite(pa, 1)) this.mmio.write8(pa, v & 0xff);
    else if (this.isRam(pa, 1)) this.u8[L.RAM_BASE + pa] = v;
    else this.writeOutside(pa, 1, v);
  }
  writePhys16(pa: number, v: number): void {
    pa >>>= 0;
    if (!this.codeWrites.beforeWrite(pa, 2)) {
      // A frame written sends its writes to the bus: byte by byte, each to its own frame's target.
      this.writePhys8(pa, v);
      this.writePhys8(pa + 1, v >> 8);
      return;
    }
    if (this.isRam(pa, 2)) {
      if ((pa & 1) === 0) this.u16[(L.RAM_BASE + pa) >>> 1] = v;
      else {
        this.u8[L.RAM_BASE + pa] = v;
        this.u8[L.RAM_BASE + pa + 1] = v >> 8;
      }
      return;
    }
    this.writeOutside(pa, 2, v);
  }
  writePhys32(pa: number, v: number): void {
    pa >>>= 0;
    if (!this.codeWrites.beforeWrite(pa, 4)) {
      this.writePhys16(pa, v);
      this.writePhys16(pa + 2, v >> 16);
      return;
    }
    if (this.isRam(pa, 4)) {
      if ((pa & 3) === 0) this.i32[(L.RAM_BASE + pa) >>> 2] = v;
      else {
        const b = L.RAM_BASE + pa;
        const u = this.u8;
        u[b] = v;
        u[b + 1] = v >> 8;
        u[b + 2] = v >> 16;
        u[b + 3] = v >> 24;
      }
      return;
    }
    this.writeOutside(pa, 4, v);
  }

  // ---- linear memory -----------------------------------------------------

  /**
   * Linear to physical. With CR0.PG the TLB (layout.ts) answers, the page walk in
   * paging.ts on a miss, raising #PF; without it the A20 mask is all there is.
   */
  translate(la: number, write: boolean): number {
    const i = this.i32;
    const cr0 = i[CR_I];
    if (cr0 >= 0) return la & this.a20Mask;
    const user = i[CPL_I] === 3 && !this.systemAccess;
    const need = write
      ? user
        ? NEED_USER_WRITE
        : cr0 & CR0_WP
          ? NEED_SUPER_WRITE_WP
          : NEED_SUPER_WRITE
      : user
        ? NEED_USER_READ
        : NEED_SUPER_READ;
    const e = i[TLB_I + (la >>> 12)];
    if ((e & need) === need) return (e & ~0xfff) | (la & 0xfff);
    return this.pageWalk(this, la, write, user);
  }

  readLin8(la: number): number {
    if (this.watchRead !== null) this.watchRead(la, 1);
    return this.readPhys8(this.translate(la, false));
  }
  readLin16(la: number): number {
    if ((la & 0xfff) === 0xfff) return this.readLin8(la) | (this.readLin8(la + 1) << 8);
    if (this.watchRead !== null) this.watchRead(la, 2);
    return this.readPhys16(this.translate(la, false));
  }
  readLin32(la: number): number {
    if ((la & 0xfff) > 0xffc) return this.readLin16(la) | (this.readLin16(la + 2) << 16);
    if (this.watchRead !== null) this.watchRead(la, 4);
    return this.readPhys32(this.translate(la, false));
  }
  writeLin8(la: number, v: number): void {
    this.writePhys8(this.translate(la, true), v);
  }
  writeLin16(la: number, v: number): void {
    if ((la & 0xfff) === 0xfff) {
      // Both pages are checked before either byte is written.
      const p0 = this.translate(la, true);
      const p1 = this.translate(la + 1, true);
      this.writePhys8(p0, v);
      this.writePhys8(p1, v >> 8);
      return;
    }
    this.writePhys16(this.translate(la, true), v);
  }
  writeLin32(la: number, v: number): void {
    if ((la & 0xfff) > 0xffc) {
      const p0 = this.translate(la, true);
      const p1 = this.translate(((la & ~0xfff) + 0x1000) | 0, true);
      const n0 = 0x1000 - (la & 0xfff);
      for (let k = 0; k < 4; k++) this.writePhys8(k < n0 ? p0 + k : p1 + k - n0, v >> (8 * k));
      return;
    }
    this.writePhys32(this.translate(la, true), v);
  }
  readLin(la: number, size: number): number {
    return size === 32 ? this.readLin32(la) : size === 16 ? this.readLin16(la) : this.readLin8(la);
  }
  writeLin(la: number, size: number, v: number): void {
    if (size === 32) this.writeLin32(la, v);
    else if (size === 16) this.writeLin16(la, v);
    else this.writeLin8(la, v);
  }
  /**
   * Check that a write of `size` bytes at `la` would succeed, without writing. The
   * second page is probed at its first byte, the CR2 a fault there reports.
   */
  probeWrite(la: number, size: number): void {
    this.translate(la, true);
    if (((la & 0xfff) + size - 1) >>> 12) this.translate(((la & ~0xfff) + 0x1000) | 0, true);
  }

  // ---- segment-relative memory ------------------------------------------

  read8(s: number, off: number): number {
    return this.readLin8(this.linear(s, off, 1, false));
  }
  read16(s: number, off: number): number {
    return this.readLin16(this.linear(s, off, 2, false));
  }
  read32(s: number, off: number): number {
    return this.readLin32(this.linear(s, off, 4, false));
  }
  read(s: number, off: number, size: number): number {
    return this.readLin(this.linear(s, off, size >> 3, false), size);
  }
  write8(s: number, off: number, v: number): void {
    this.writeLin8(this.linear(s, off, 1, true), v);
  }
  write16(s: number, off: number, v: number): void {
    this.writeLin16(this.linear(s, off, 2, true), v);
  }
  write32(s: number, off: number, v: number): void {
    this.writeLin32(this.linear(s, off, 4, true), v);
  }
  write(s: number, off: number, size: number, v: number): void {
    this.writeLin(this.linear(s, off, size >> 3, true), size, v);
  }

  // ---- stack -------------------------------------------------------------

  /** The stack pointer as an offset (SP or ESP by SS.B). */
  get sp(): number {
    return this.ss32 ? this.i32[L.Reg.ESP] : this.u16[L.Reg.ESP << 1];
  }
  set sp(v: number) {
    if (this.ss32) this.i32[L.Reg.ESP] = v;
    else this.u16[L.Reg.ESP << 1] = v;
  }
  /** Stack offset `delta` bytes from the current top, wrapped to the stack size. */
  spOffset(delta: number): number {
    return this.ss32 ? (this.i32[L.Reg.ESP] + delta) | 0 : (this.u16[L.Reg.ESP << 1] + delta) & 0xffff;
  }
  push(v: number, size: number): void {
    const off = this.spOffset(-(size >> 3));
    this.write(Sreg.SS, off, size, v);
    this.sp = off;
  }
  push16(v: number): void {
    this.push(v, 16);
  }
  push32(v: number): void {
    this.push(v, 32);
  }
  pop(size: number): number {
    const v = this.read(Sreg.SS, this.spOffset(0), size);
    this.sp = this.spOffset(size >> 3);
    return v;
  }
  /** Read the stack `delta` bytes above the top without popping. */
  peek(delta: number, size: number): number {
    return this.read(Sreg.SS, this.spOffset(delta), size);
  }
}
