/**
 * A protected-mode machine for system-architecture tests: GDT, IDT, TSSs and an
 * LDT built in guest memory from TS (through the physical write path, so write
 * tracking sees them), code loaded at fixed addresses, run through the
 * Interpreter. Linear = physical (no paging) unless a test turns paging on.
 */
import { CR0_PE, Cpu } from "../../src/cpu/cpu.js";
import { FAULT } from "../../src/cpu/exceptions.js";
import * as L from "../../src/cpu/layout.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { Interpreter } from "../../src/interp/interpreter.js";

export const GDT = 0x1000;
export const IDT = 0x2000;
export const TSS_A = 0x3000;
export const TSS_B = 0x3100;
export const LDT = 0x3800;
/** Ring-0 code, ring-3 code, handlers. */
export const CODE0 = 0x10000;
export const CODE3 = 0x20000;
export const HANDLERS = 0x18000;
export const STACK0 = 0x9000;
export const STACK3 = 0x38000;

/** Standard selectors of the GDT the machine builds. */
export const SEL = {
  code0: 0x08,
  data0: 0x10,
  code3: 0x1b,
  data3: 0x23,
  tssA: 0x28,
  tssB: 0x30,
  ldt: 0x38,
} as const;

/** Access bytes (P, DPL, S, type) with the accessed bit clear. */
export const ACC = {
  code0: 0x9a,
  data0: 0x92,
  code3: 0xfa,
  data3: 0xf2,
  tss32: 0x89,
  ldt: 0x82,
} as const;

export const TRAP = { vector: -1, code: -1 };

export function encodeDescriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = (limit & 0xffff) | ((base & 0xffff) << 16);
  const hi = ((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | ((flags & 0xf) << 20) | (base & 0xff000000);
  return [lo | 0, hi | 0];
}

export class SysMachine {
  readonly cpu: Cpu;
  readonly interp: Interpreter;
  gdtBase = GDT;

  constructor(ramBytes = 2 << 20) {
    const c = (this.cpu = new Cpu({ ramBytes }));
    this.interp = new Interpreter(c);
    c.cr0 = c.cr0 | CR0_PE;
    c.i32[L.GDTR_BASE >> 2] = GDT;
    c.i32[L.GDTR_LIMIT >> 2] = 0x7ff;
    c.i32[L.IDTR_BASE >> 2] = IDT;
    c.i32[L.IDTR_LIMIT >> 2] = 0x7ff;
    this.flat(1, ACC.code0);
    this.flat(2, ACC.data0);
    this.flat(3, ACC.code3);
    this.flat(4, ACC.data3);
    this.descriptor(5, TSS_A, 0x67, ACC.tss32, 0);
    this.descriptor(6, TSS_B, 0x67, ACC.tss32, 0);
    this.descriptor(7, LDT, 0xff, ACC.ldt, 0);
    c.setSegmentCache(Sreg.CS, SEL.code0, 0, -1, 0xc09b);
    for (const s of [Sreg.SS, Sreg.DS, Sreg.ES, Sreg.FS, Sreg.GS]) c.setSegmentCache(s, SEL.data0, 0, -1, 0xc093);
    c.cpl = 0;
    c.eip = CODE0;
    c.setReg32(Reg.ESP, STACK0);
  }

  w8(pa: number, v: number): void {
    this.cpu.writePhys8(pa, v);
  }
  w16(pa: number, v: number): void {
    this.cpu.writePhys16(pa, v);
  }
  w32(pa: number, v: number): void {
    this.cpu.writePhys32(pa, v);
  }
  r8(pa: number): number {
    return this.cpu.readPhys8(pa);
  }
  r16(pa: number): number {
    return this.cpu.readPhys16(pa);
  }
  r32(pa: number): number {
    return this.cpu.readPhys32(pa);
  }

  /** Write GDT (or, with `table`, any table's) entry `index`. */
  descriptor(index: number, base: number, limit: number, access: number, flags: number, table = this.gdtBase): void {
    const [lo, hi] = encodeDescriptor(base, limit, access, flags);
    this.w32(table + index * 8, lo);
    this.w32(table + index * 8 + 4, hi);
  }

  /** A flat 4 GiB 32-bit segment. */
  flat(index: number, access: number, table = this.gdtBase): void {
    this.descriptor(index, 0, 0xfffff, access, 0xc, table);
  }

  /** A gate in the GDT (call gate, task gate) or, with `table`, elsewhere. */
  gateDescriptor(index: number, sel: number, offset: number, type: number, dpl: number, params = 0, table = this.gdtBase): void {
    this.w32(table + index * 8, (offset & 0xffff) | (sel << 16));
    this.w32(table + index * 8 + 4, (offset & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8) | params);
  }

  /** IDT entry: type 0xE interrupt gate, 0xF trap gate, 5 task gate. */
  idtGate(vector: number, sel: number, offset: number, type = 0xe, dpl = 0): void {
    this.gateDescriptor(vector, sel, offset, type, dpl, 0, IDT);
  }

  /** A 32-bit TSS at `base` with ring-0 stack SS0:ESP0. */
  tss(base: number, ss0: number, esp0: number): void {
    for (let k = 0; k < 0x68; k += 4) this.w32(base + k, 0);
    this.w32(base + 4, esp0);
    this.w32(base + 8, ss0);
  }

  /** Load TR directly (as LTR would, minus the busy bit in the table). */
  setTr(sel: number, base: number, busy = true): void {
    const i = this.cpu.i32;
    i[L.TR_SEL >> 2] = sel;
    i[L.TR_BASE >> 2] = base;
    i[L.TR_LIMIT >> 2] = 0x67;
    i[L.TR_ATTR >> 2] = busy ? 0x8b : 0x89;
    if (busy) this.w8(this.gdtBase + (sel & ~7) + 5, 0x8b);
  }

  code(pa: number, bytes: readonly number[]): void {
    for (let k = 0; k < bytes.length; k++) this.w8(pa + k, bytes[k]);
  }

  /** Load `bytes` at CODE0 and point EIP there (CS base 0). */
  load(bytes: readonly number[], at = CODE0): void {
    this.code(at, bytes);
    this.cpu.eip = at;
  }

  /** `n` interpreter steps (faults are delivered through the IDT). */
  step(n = 1): void {
    for (let k = 0; k < n; k++) this.interp.step();
  }

  /** Execute one instruction; returns the fault's vector (and sets TRAP.code), or -1. */
  tryOne(): number {
    try {
      this.interp.executeOne();
    } catch (e) {
      if (e !== FAULT) throw e;
      TRAP.vector = FAULT.vector;
      TRAP.code = FAULT.errorCode;
      return FAULT.vector;
    }
    TRAP.vector = -1;
    TRAP.code = -1;
    return -1;
  }

  get eax(): number {
    return this.cpu.reg32(Reg.EAX);
  }
  get esp(): number {
    return this.cpu.reg32(Reg.ESP) >>> 0;
  }
  set(reg: Reg, v: number): void {
    this.cpu.setReg32(reg, v);
  }
}

// ---- instruction encodings used by the tests (32-bit code unless named 16) ----

const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];

export const asm = {
  movEaxImm: (v: number) => [0xb8, ...le32(v)],
  movEbxImm: (v: number) => [0xbb, ...le32(v)],
  movDsAx: [0x8e, 0xd8],
  movEsAx: [0x8e, 0xc0],
  movSsAx: [0x8e, 0xd0],
  movFsAx: [0x8e, 0xe0],
  movGsAx: [0x8e, 0xe8],
  movCsAx: [0x8e, 0xc8],
  movEaxDs: [0x8c, 0xd8],
  popDs: [0x1f],
  pushDs: [0x1e],
  pushEax: [0x50],
  pushImm32: (v: number) => [0x68, ...le32(v)],
  popEax: [0x58],
  incEax: [0x40],
  incEbx: [0x43],
  incEcx: [0x41],
  nop: [0x90],
  hlt: [0xf4],
  int: (n: number) => [0xcd, n],
  int3: [0xcc],
  into: [0xce],
  iretd: [0xcf],
  iret16: [0xcf],
  retf: [0xcb],
  retfImm: (n: number) => [0xca, ...le16(n)],
  ret: [0xc3],
  callRel32: (rel: number) => [0xe8, ...le32(rel)],
  jmpFar: (sel: number, off: number) => [0xea, ...le32(off), ...le16(sel)],
  callFar: (sel: number, off: number) => [0x9a, ...le32(off), ...le16(sel)],
  jmpFar16: (sel: number, off: number) => [0xea, ...le16(off), ...le16(sel)],
  callFar16: (sel: number, off: number) => [0x9a, ...le16(off), ...le16(sel)],
  ltrAx: [0x0f, 0x00, 0xd8],
  lldtAx: [0x0f, 0x00, 0xd0],
  larEaxEbx: [0x0f, 0x02, 0xc3],
  lslEaxEbx: [0x0f, 0x03, 0xc3],
  verrBx: [0x0f, 0x00, 0xe3],
  verwBx: [0x0f, 0x00, 0xeb],
  arplAxBx: [0x63, 0xd8],
  /** MOV CRn,EAX / MOV EAX,CRn. */
  movCrEax: (n: number) => [0x0f, 0x22, 0xc0 | (n << 3)],
  movEaxCr: (n: number) => [0x0f, 0x20, 0xc0 | (n << 3)],
  movDrEax: (n: number) => [0x0f, 0x23, 0xc0 | (n << 3)],
  movEaxDr: (n: number) => [0x0f, 0x21, 0xc0 | (n << 3)],
  rdmsr: [0x0f, 0x32],
  wrmsr: [0x0f, 0x30],
  /** MOV ECX,imm32. */
  movEcxImm: (v: number) => [0xb9, ...le32(v)],
  /** MOV EDX,imm32. */
  movEdxImm: (v: number) => [0xba, ...le32(v)],
  /** MOV [abs32],EAX. */
  movMemEax: (addr: number) => [0xa3, ...le32(addr)],
  /** MOV EAX,[abs32] (DS). */
  movEaxMem: (addr: number) => [0xa1, ...le32(addr)],
  /** AND BYTE [abs32],imm8. */
  andMem8: (addr: number, v: number) => [0x80, 0x25, ...le32(addr), v],
  /** MOV BYTE [abs32],imm8. */
  movMem8: (addr: number, v: number) => [0xc6, 0x05, ...le32(addr), v],
  /** MOV EAX,[ESP+disp8]. */
  movEaxEspDisp: (d: number) => [0x8b, 0x44, 0x24, d],
  /** OR DWORD [ESP+disp8],imm32. */
  orEspDisp: (d: number, v: number) => [0x81, 0x4c, 0x24, d, ...le32(v)],
  /** BOUND EAX,[EBX]. */
  boundEaxEbx: [0x62, 0x03],
  loop: (rel: number) => [0xe2, rel & 0xff],
  /** LSS ESP,[EBX]. */
  lssEspEbx: [0x0f, 0xb2, 0x23],
  /** LDS EAX,[EBX]. */
  ldsEaxEbx: [0xc5, 0x03],
};
