/**
 * System instructions: descriptor-table registers (LGDT LIDT SGDT SIDT LLDT SLDT
 * LTR STR), machine status word (LMSW SMSW CLTS), segment inspection (LAR LSL
 * VERR VERW ARPL), control and debug registers, INVLPG, RDMSR/WRMSR.
 * CPL 0 for the privileged rows is checked by the registry before these run.
 */
import {
  CR0_AM,
  CR0_CD,
  CR0_EM,
  CR0_ET,
  CR0_MP,
  CR0_NE,
  CR0_NW,
  CR0_PE,
  CR0_PG,
  CR0_TS,
  CR0_WP,
  type Cpu,
} from "../cpu/cpu.js";
import { Vector } from "../cpu/exceptions.js";
import { ZF } from "../cpu/flags.js";
import { DR_BASE, GDTR_BASE, GDTR_LIMIT, IDTR_BASE, IDTR_LIMIT, LDTR_SEL, Reg, TR_ATTR, TR_BASE, TR_LIMIT, TR_SEL } from "../cpu/layout.js";
import { readMsr, writeMsr } from "../cpu/msr.js";
import { flushTlb, invalidatePage } from "../cpu/paging.js";
import {
  Descriptor,
  fetchDescriptor,
  isConformingCode,
  isReadable,
  isWritableData,
  SysType,
  writeAccessByte,
} from "../cpu/segmentation.js";
import { setLdtr } from "../cpu/tasks.js";
import { DR6_BD } from "../cpu/interrupts.js";
import { eaOffset, type Handler, readE } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

export const CR4_TSD = 0x04;
export const CR4_DE = 0x08;
export const CR4_PSE = 0x10;
export const CR4_MCE = 0x40;
export const CR4_PGE = 0x80;
export const CR4_PCE = 0x100;
/** CR4 bits this CPU implements (no VME/PVI, no PAE): setting others is #GP(0). */
const CR4_VALID = CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE | CR4_PGE | CR4_PCE;
/** CR0 bits that exist; writes to the reserved ones are ignored. */
const CR0_VALID = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;

const DR7_GD = 0x2000;
const DR_I = DR_BASE >> 2;

/** The descriptor one LLDT, LTR, LAR, LSL, VERR or VERW examines (ARCHITECTURE.md "Module-level scratch"). */
const desc = new Descriptor();

/** SLDT STR LLDT LTR LAR LSL VERR VERW ARPL are not recognised in real-address and V86 mode. */
function protectedOnly(c: Cpu): void {
  if (c.realAddressing) c.raiseUD();
}

// ---- descriptor-table registers ----------------------------------------------

/** SGDT/SIDT: 16-bit limit, then the base (with a 16-bit operand size, 24 bits and a zero byte). */
function storeTableRegister(baseOff: number, limitOff: number): Handler {
  return (c, i) => {
    const off = eaOffset(c, i);
    const base = c.i32[baseOff >> 2];
    c.write(i.seg, off, 16, c.i32[limitOff >> 2]);
    c.write(i.seg, (off + 2) | 0, 32, i.o32 ? base : base & 0xffffff);
  };
}

function loadTableRegister(baseOff: number, limitOff: number, gdt: boolean): Handler {
  return (c, i) => {
    const off = eaOffset(c, i);
    const limit = c.read(i.seg, off, 16);
    const base = c.read(i.seg, (off + 2) | 0, 32);
    c.i32[limitOff >> 2] = limit;
    c.i32[baseOff >> 2] = i.o32 ? base : base & 0xffffff;
    if (gdt) c.descriptorShadow.resetGdt();
  };
}

/** SLDT/STR: a register destination with a 32-bit operand gets the selector zero-extended. */
function storeSelector(selOff: number): Handler {
  return (c, i) => {
    protectedOnly(c);
    const sel = c.i32[selOff >> 2] & 0xffff;
    if (i.mod === 3) c.setReg(i.rm, i.o32 ? 32 : 16, sel);
    else c.write(i.seg, eaOffset(c, i), 16, sel);
  };
}

const lldt: Handler = (c, i) => {
  protectedOnly(c);
  const sel = readE(c, i, 16);
  if ((sel & 0xfffc) === 0) {
    setLdtr(c, sel, null);
    return;
  }
  const code = sel & 0xfffc;
  if (sel & 4 || !fetchDescriptor(c, sel, desc)) c.raiseGP(code);
  if (!desc.system || desc.type !== SysType.LDT) c.raiseGP(code);
  if (!desc.present) c.raise(Vector.NP, code);
  setLdtr(c, sel, desc);
};

/** LTR: an available TSS in the GDT, which becomes busy. */
const ltr: Handler = (c, i) => {
  protectedOnly(c);
  const sel = readE(c, i, 16);
  if ((sel & 0xfffc) === 0) c.raiseGP(0);
  const code = sel & 0xfffc;
  if (sel & 4 || !fetchDescriptor(c, sel, desc)) c.raiseGP(code);
  if (!desc.system || (desc.type !== SysType.TSS16_AVAILABLE && desc.type !== SysType.TSS32_AVAILABLE)) c.raiseGP(code);
  if (!desc.present) c.raise(Vector.NP, code);
  writeAccessByte(c, desc, (desc.attr | 2) & 0xff);
  const r = c.i32;
  r[TR_SEL >> 2] = sel;
  r[TR_BASE >> 2] = desc.base;
  r[TR_LIMIT >> 2] = desc.limit;
  r[TR_ATTR >> 2] = desc.attr;
};

// ---- segment inspection --------------------------------------------------------

/** Read the descriptor for LAR/LSL/VERR/VERW; false (ZF = 0) for a null or out-of-table selector. */
function inspect(c: Cpu, sel: number): boolean {
  return (sel & 0xfffc) !== 0 && fetchDescriptor(c, sel, desc);
}

/** Privilege rule shared by LAR LSL VERR VERW: conforming code is always visible. */
function visible(c: Cpu, sel: number): boolean {
  if (!desc.system && isConformingCode(desc.attr)) return true;
  const dpl = desc.dpl;
  return dpl >= c.cpl && dpl >= (sel & 3);
}

/** System types LAR reports: TSSs, LDT, call and task gates. */
const LAR_SYSTEM = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) | (1 << 0xb) | (1 << 0xc);
/** System types LSL reports: TSSs and LDT. */
const LSL_SYSTEM = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 0xb);

function inspectFactory(systemTypes: number, value: (d: Descriptor, o32: boolean) => number): Handler {
  return (c, i) => {
    protectedOnly(c);
    const sel = readE(c, i, 16);
    const ok = inspect(c, sel) && (!desc.system || ((systemTypes >> desc.type) & 1) !== 0) && visible(c, sel);
    if (ok) c.setReg(i.reg, i.o32 ? 32 : 16, value(desc, i.o32));
    c.setFlags(ZF, ok);
  };
}

const lar = inspectFactory(LAR_SYSTEM, (d, o32) => d.hi & (o32 ? 0x00ffff00 : 0xff00));
const lsl = inspectFactory(LSL_SYSTEM, (d) => d.limit);

function verify(write: boolean): Handler {
  return (c, i) => {
    protectedOnly(c);
    const sel = readE(c, i, 16);
    const ok = inspect(c, sel) && !desc.system && (write ? isWritableData(desc.attr) : isReadable(desc.attr)) && visible(c, sel);
    c.setFlags(ZF, ok);
  };
}

/**
 * ARPL Ew,Gw: raise the destination selector's RPL to the source's. As the SDM's
 * pseudo-code has it, a memory destination is written only when its RPL is
 * raised: with nothing to adjust it is only read, so a read-only segment or page
 * faults only on the write that adjusts.
 */
const arpl: Handler = (c, i) => {
  protectedOnly(c);
  const src = c.reg16(i.reg) & 3;
  if (i.mod === 3) {
    const dst = c.reg16(i.rm);
    const raise = (dst & 3) < src;
    if (raise) c.setReg16(i.rm, (dst & ~3) | src);
    c.setFlags(ZF, raise);
    return;
  }
  const off = eaOffset(c, i);
  const dst = c.readLin16(c.linear(i.seg, off, 2, false));
  const raise = (dst & 3) < src;
  if (raise) c.writeLin16(c.linear(i.seg, off, 2, true), (dst & ~3) | src);
  c.setFlags(ZF, raise);
};

// ---- control registers ------------------------------------------------------

/** MOV to CR0 (and LMSW, CLTS): PG needs PE, NW needs CD; a change of PE, PG or WP flushes the TLB. */
export function writeCr0(c: Cpu, value: number): void {
  const v = (value & CR0_VALID) | CR0_ET;
  if (v & CR0_PG && !(v & CR0_PE)) c.raiseGP(0);
  if (v & CR0_NW && !(v & CR0_CD)) c.raiseGP(0);
  const old = c.cr0;
  c.cr0 = v;
  if ((old ^ v) & (CR0_PE | CR0_PG | CR0_WP)) flushTlb(c, true);
}

export function writeCr4(c: Cpu, value: number): void {
  if (value & ~CR4_VALID) c.raiseGP(0);
  const old = c.cr4;
  c.cr4 = value;
  if ((old ^ value) & (CR4_PSE | CR4_PGE)) flushTlb(c, true);
}

const movfromcr: Handler = (c, i) => {
  let v: number;
  switch (i.reg) {
    case 0: v = c.cr0; break;
    case 2: v = c.cr2; break;
    case 3: v = c.cr3; break;
    case 4: v = c.cr4; break;
    default: return c.raiseUD();
  }
  c.setReg32(i.rm, v);
};

const movtocr: Handler = (c, i) => {
  const v = c.reg32(i.rm);
  switch (i.reg) {
    case 0:
      writeCr0(c, v);
      return;
    case 2:
      c.cr2 = v;
      return;
    case 3:
      c.cr3 = v;
      flushTlb(c, false);
      return;
    case 4:
      writeCr4(c, v);
      return;
    default:
      c.raiseUD();
  }
};

// ---- debug registers --------------------------------------------------------

/** DR number after the DR4/DR5 aliases (#UD with CR4.DE), and the general-detect #DB. */
function debugRegister(c: Cpu, n: number): number {
  if (n === 4 || n === 5) {
    if (c.cr4 & CR4_DE) c.raiseUD();
    n += 2;
  }
  const i = c.i32;
  if (i[DR_I + 7] & DR7_GD) {
    i[DR_I + 6] |= DR6_BD;
    i[DR_I + 7] &= ~DR7_GD;
    c.raise(Vector.DB);
  }
  return n;
}

const movfromdr: Handler = (c, i) => {
  const n = debugRegister(c, i.reg);
  c.setReg32(i.rm, c.i32[DR_I + n]);
};

const movtodr: Handler = (c, i) => {
  const n = debugRegister(c, i.reg);
  const v = c.reg32(i.rm);
  // DR6: bits 4..11 and 16..31 read as 1, bit 12 as 0. DR7: bit 10 reads as 1, bits 11, 12, 14, 15 as 0.
  c.i32[DR_I + n] = n === 6 ? (v & 0xe00f) | (0xffff0ff0 | 0) : n === 7 ? (v & 0xffff23ff) | 0x400 : v;
};

// ---- MSRs -------------------------------------------------------------------

/** RDMSR/WRMSR's value halves, within one instruction (ARCHITECTURE.md "Module-level scratch"). */
const msrValue = new Int32Array(2);

const rdmsr: Handler = (c) => {
  if (!readMsr(c, c.reg32(Reg.ECX) >>> 0, msrValue)) c.raiseGP(0);
  c.setReg32(Reg.EAX, msrValue[0]);
  c.setReg32(Reg.EDX, msrValue[1]);
};

const wrmsr: Handler = (c) => {
  if (!writeMsr(c, c.reg32(Reg.ECX) >>> 0, c.reg32(Reg.EAX), c.reg32(Reg.EDX))) c.raiseGP(0);
};

// ---- table -------------------------------------------------------------------

export const handlers: Record<string, HandlerFactory> = {
  sgdt: () => storeTableRegister(GDTR_BASE, GDTR_LIMIT),
  sidt: () => storeTableRegister(IDTR_BASE, IDTR_LIMIT),
  lgdt: () => loadTableRegister(GDTR_BASE, GDTR_LIMIT, true),
  lidt: () => loadTableRegister(IDTR_BASE, IDTR_LIMIT, false),
  sldt: () => storeSelector(LDTR_SEL),
  str: () => storeSelector(TR_SEL),
  lldt: () => lldt,
  ltr: () => ltr,
  lar: () => lar,
  lsl: () => lsl,
  verr: () => verify(false),
  verw: () => verify(true),
  arpl: () => arpl,
  /** SMSW: a 32-bit register gets all of CR0, memory the low 16 bits. */
  smsw: () => (c, i) => {
    if (i.mod === 3) c.setReg(i.rm, i.o32 ? 32 : 16, c.cr0);
    else c.write(i.seg, eaOffset(c, i), 16, c.cr0);
  },
  /** LMSW: PE MP EM TS from the operand; PE can be set, never cleared. */
  lmsw: () => (c, i) => {
    const v = readE(c, i, 16);
    const cr0 = c.cr0;
    writeCr0(c, (cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | (v & (CR0_PE | CR0_MP | CR0_EM | CR0_TS)) | (cr0 & CR0_PE));
  },
  clts: () => (c) => {
    c.cr0 = c.cr0 & ~CR0_TS;
  },
  /** INVLPG m: the operand's linear address, without limit checks. */
  invlpg: () => (c, i) => invalidatePage(c, (c.segBase(i.seg) + eaOffset(c, i)) | 0),
  movfromcr: () => movfromcr,
  movtocr: () => movtocr,
  movfromdr: () => movfromdr,
  movtodr: () => movtodr,
  rdmsr: () => rdmsr,
  wrmsr: () => wrmsr,
};
