/**
 * System instructions: control registers, descriptor-table registers, LTR/LLDT,
 * LAR/LSL/VERR/VERW/ARPL, MSW, MSRs, privilege and real-mode #UD rules.
 */
import { describe, expect, it } from "vitest";
import { CR0_PE, CR0_PG, CR0_TS } from "../../src/cpu/cpu.js";
import { Vector } from "../../src/cpu/exceptions.js";
import { ZF } from "../../src/cpu/flags.js";
import * as L from "../../src/cpu/layout.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { CodeWriteStage } from "../../src/cpu/codewrites.js";
import { CODE, DATA, describe as describeDifferences, descriptor, HANDLER, runBoth } from "../jit/support.js";
import { asm, GDT, SEL, SysMachine, TRAP, TSS_A } from "./machine.js";

function fault(m: SysMachine, code: number[], at?: number): [number, number] {
  m.load(code, at);
  m.tryOne();
  return [TRAP.vector, TRAP.code];
}

describe("control registers", () => {
  it("MOV CR0: PG without PE is #GP(0); the value is kept otherwise, ET reads 1", () => {
    const m = new SysMachine();
    m.set(Reg.EAX, CR0_PG);
    expect(fault(m, asm.movCrEax(0))).toEqual([Vector.GP, 0]);
    m.set(Reg.EAX, CR0_PE | CR0_TS);
    m.load([...asm.movCrEax(0), ...asm.movEbxImm(0), 0x0f, 0x20, 0xc3]);
    m.step(3);
    expect(m.cpu.reg32(Reg.EBX)).toBe(CR0_PE | CR0_TS | 0x10);
  });

  it("CR1, CR5..CR7 are #UD both ways; reserved CR4 bits are #GP(0)", () => {
    const m = new SysMachine();
    expect(fault(m, asm.movCrEax(1))).toEqual([Vector.UD, 0]);
    expect(fault(m, asm.movEaxCr(5))).toEqual([Vector.UD, 0]);
    m.set(Reg.EAX, 0x1);
    expect(fault(m, asm.movCrEax(4))).toEqual([Vector.GP, 0]);
    m.set(Reg.EAX, 0x90);
    expect(fault(m, asm.movCrEax(4))).toEqual([-1, -1]);
    expect(m.cpu.cr4).toBe(0x90);
  });

  it("MOV CR3 drops cached translations", () => {
    const m = new SysMachine();
    const PD = 0x60000;
    const PT = 0x61000;
    for (let k = 0; k < 256; k++) m.w32(PT + k * 4, (k << 12) | 3);
    m.w32(PD, PT | 3);
    m.w32(0x50000, 0x1111);
    m.w32(0x51000, 0x2222);
    m.set(Reg.EAX, PD);
    m.load([...asm.movCrEax(3), ...asm.movEaxImm(CR0_PE | CR0_PG), ...asm.movCrEax(0), ...asm.movEaxMem(0x50000)]);
    m.step(4);
    expect(m.eax).toBe(0x1111);
    m.w32(PT + 0x50 * 4, 0x51000 | 3);
    m.load([...asm.movEaxMem(0x50000)]);
    m.step();
    expect(m.eax).toBe(0x1111);
    m.set(Reg.EAX, PD);
    m.load([...asm.movCrEax(3), ...asm.movEaxMem(0x50000)]);
    m.step(2);
    expect(m.eax).toBe(0x2222);
  });

  it("CLTS clears TS; LMSW sets MP EM TS PE but never clears PE; SMSW r32 reads CR0", () => {
    const m = new SysMachine();
    m.cpu.cr0 = m.cpu.cr0 | CR0_TS;
    m.load([0x0f, 0x06]);
    m.step();
    expect(m.cpu.cr0 & CR0_TS).toBe(0);
    m.set(Reg.EAX, 0xe);
    m.load([0x0f, 0x01, 0xf0]);
    m.step();
    expect(m.cpu.cr0 & 0xf).toBe(0xf);
    m.set(Reg.EAX, 0);
    m.load([0x0f, 0x01, 0xf0, 0x0f, 0x01, 0xe3]);
    m.step(2);
    expect(m.cpu.cr0 & 0xf).toBe(CR0_PE);
    expect(m.cpu.reg32(Reg.EBX)).toBe(m.cpu.cr0);
  });

  it("privileged instructions at CPL 3 are #GP(0)", () => {
    const m = new SysMachine();
    m.cpu.setSegmentCache(Sreg.CS, SEL.code3, 0, -1, 0xc0fb);
    m.cpu.cpl = 3;
    expect(fault(m, asm.movCrEax(0))).toEqual([Vector.GP, 0]);
    expect(fault(m, [0x0f, 0x01, 0x15, 0, 0x60, 0, 0])).toEqual([Vector.GP, 0]);
    expect(fault(m, asm.hlt)).toEqual([Vector.GP, 0]);
    expect(fault(m, asm.rdmsr)).toEqual([Vector.GP, 0]);
  });
});

describe("descriptor-table registers", () => {
  it("SGDT stores limit and base; with a 16-bit operand LGDT keeps 24 bits of base and SGDT stores a zero byte", () => {
    const m = new SysMachine();
    m.load([0x0f, 0x01, 0x05, 0x00, 0x50, 0x00, 0x00]);
    m.step();
    expect(m.r16(0x5000)).toBe(0x7ff);
    expect(m.r32(0x5002)).toBe(GDT);
    m.w16(0x5100, 0x1234);
    m.w32(0x5102, 0xab345678 | 0);
    // o16 LIDT [0x5100], o16 SIDT [0x5200]
    m.load([0x66, 0x0f, 0x01, 0x1d, 0x00, 0x51, 0x00, 0x00, 0x66, 0x0f, 0x01, 0x0d, 0x00, 0x52, 0x00, 0x00]);
    m.step(2);
    expect(m.cpu.i32[L.IDTR_BASE >> 2]).toBe(0x345678);
    expect(m.cpu.i32[L.IDTR_LIMIT >> 2]).toBe(0x1234);
    expect(m.r16(0x5200)).toBe(0x1234);
    expect(m.r32(0x5202)).toBe(0x345678);
  });

  it("LTR marks the TSS busy; loading a busy TSS is #GP(sel); STR reads TR", () => {
    const m = new SysMachine();
    m.set(Reg.EAX, SEL.tssA);
    m.load([...asm.ltrAx, 0x0f, 0x00, 0xcb]);
    m.step(2);
    expect(m.r8(GDT + 0x2d)).toBe(0x8b);
    expect(m.cpu.i32[L.TR_BASE >> 2]).toBe(TSS_A);
    expect(m.cpu.reg32(Reg.EBX)).toBe(SEL.tssA);
    expect(fault(m, asm.ltrAx)).toEqual([Vector.GP, SEL.tssA]);
    m.set(Reg.EAX, 0);
    expect(fault(m, asm.ltrAx)).toEqual([Vector.GP, 0]);
    m.set(Reg.EAX, SEL.data0);
    expect(fault(m, asm.ltrAx)).toEqual([Vector.GP, SEL.data0]);
  });

  it("LLDT: a null selector empties LDTR; a non-LDT descriptor is #GP(sel), a missing one #NP(sel)", () => {
    const m = new SysMachine();
    m.set(Reg.EAX, 0);
    expect(fault(m, asm.lldtAx)).toEqual([-1, -1]);
    m.set(Reg.EAX, SEL.tssA);
    expect(fault(m, asm.lldtAx)).toEqual([Vector.GP, SEL.tssA]);
    m.w8(GDT + 0x3d, 0x02);
    m.set(Reg.EAX, SEL.ldt);
    expect(fault(m, asm.lldtAx)).toEqual([Vector.NP, SEL.ldt]);
  });

  it("SLDT STR LLDT LAR VERR ARPL are #UD in real mode", () => {
    const m = new SysMachine();
    m.cpu.cr0 = m.cpu.cr0 & ~CR0_PE;
    for (let s = 0; s < 6; s++) m.cpu.setSegmentCache(s, 0, 0, 0xffff, 0x93);
    const cases = [
      [0x0f, 0x00, 0xc0],
      [0x0f, 0x00, 0xc8],
      asm.lldtAx,
      asm.larEaxEbx,
      asm.verrBx,
      asm.arplAxBx,
    ];
    for (const code of cases) expect(fault(m, code, 0x7000)[0]).toBe(Vector.UD);
  });
});

describe("segment inspection", () => {
  it("LAR and LSL report rights and limit and set ZF; invisible or null selectors clear it", () => {
    const m = new SysMachine();
    m.descriptor(8, 0x10000, 0x12345, 0xf2, 0x4);
    m.set(Reg.EBX, 0x43);
    // LAR EAX,EBX; LSL ECX,EBX
    m.load([...asm.larEaxEbx, 0x0f, 0x03, 0xcb]);
    m.step(2);
    expect(m.eax).toBe(0x0041f200);
    expect(m.cpu.reg32(Reg.ECX)).toBe(0x12345);
    expect(m.cpu.getEflags() & ZF).toBe(ZF);
    m.set(Reg.EBX, 0);
    m.set(Reg.EAX, 7);
    m.load(asm.larEaxEbx);
    m.step();
    expect(m.eax).toBe(7);
    expect(m.cpu.getEflags() & ZF).toBe(0);
    // An interrupt gate is not visible to LAR; a ring-0 segment is not visible at CPL 3.
    m.gateDescriptor(9, SEL.code0, 0, 0xe, 3);
    m.set(Reg.EBX, 0x48);
    m.load(asm.larEaxEbx);
    m.step();
    expect(m.cpu.getEflags() & ZF).toBe(0);
    m.cpu.setSegmentCache(Sreg.CS, SEL.code3, 0, -1, 0xc0fb);
    m.cpu.cpl = 3;
    m.set(Reg.EBX, SEL.data0);
    m.load(asm.lslEaxEbx);
    m.step();
    expect(m.cpu.getEflags() & ZF).toBe(0);
    m.set(Reg.EBX, SEL.tssA | 3);
    m.load(asm.lslEaxEbx);
    m.step();
    expect(m.cpu.getEflags() & ZF).toBe(0);
  });

  it("VERR accepts data and readable code, VERW only writable data", () => {
    const m = new SysMachine();
    m.descriptor(8, 0, 0xfffff, 0x98, 0xc);
    const check = (code: number[], sel: number, zf: boolean) => {
      m.set(Reg.EBX, sel);
      m.load(code);
      m.step();
      expect((m.cpu.getEflags() & ZF) !== 0).toBe(zf);
    };
    check(asm.verrBx, SEL.data0, true);
    check(asm.verrBx, SEL.code0, true);
    check(asm.verrBx, 0x40, false);
    check(asm.verwBx, SEL.data0, true);
    check(asm.verwBx, SEL.code0, false);
    check(asm.verwBx, 0, false);
  });

  it("ARPL raises the destination RPL and sets ZF, or clears ZF", () => {
    const m = new SysMachine();
    m.set(Reg.EAX, 0x10);
    m.set(Reg.EBX, 0x23);
    m.load(asm.arplAxBx);
    m.step();
    expect(m.eax).toBe(0x13);
    expect(m.cpu.getEflags() & ZF).toBe(ZF);
    m.load(asm.arplAxBx);
    m.step();
    expect(m.eax).toBe(0x13);
    expect(m.cpu.getEflags() & ZF).toBe(0);
  });
});

describe("MSRs", () => {
  it("the TSC follows retired instructions and can be written", () => {
    const m = new SysMachine();
    m.set(Reg.ECX, 0x10);
    m.load([...asm.nop, ...asm.nop, ...asm.rdmsr]);
    m.step(3);
    expect(m.eax).toBe(2);
    expect(m.cpu.reg32(Reg.EDX)).toBe(0);
    m.set(Reg.EAX, 0x1000);
    m.set(Reg.EDX, 1);
    m.load([...asm.wrmsr, ...asm.nop, ...asm.rdmsr]);
    m.step(3);
    expect(m.eax).toBe(0x1002);
    expect(m.cpu.reg32(Reg.EDX)).toBe(1);
  });

  it("MTRRs keep what is written; MTRRcap is read-only; unknown MSRs are #GP(0)", () => {
    const m = new SysMachine();
    m.set(Reg.ECX, 0x2ff);
    m.set(Reg.EAX, 0xc06);
    m.set(Reg.EDX, 0);
    m.load([...asm.wrmsr, ...asm.movEaxImm(0), ...asm.rdmsr]);
    m.step(3);
    expect(m.eax).toBe(0xc06);
    m.set(Reg.ECX, 0xfe);
    m.load(asm.rdmsr);
    m.step();
    expect(m.eax).toBe(0x508);
    expect(fault(m, asm.wrmsr)).toEqual([Vector.GP, 0]);
    m.set(Reg.ECX, 0x174);
    expect(fault(m, asm.rdmsr)).toEqual([Vector.GP, 0]);
    m.set(Reg.ECX, 0x1b);
    expect(fault(m, asm.rdmsr)).toEqual([Vector.GP, 0]);
  });
});

/**
 * Instructions whose memory write the SDM's pseudo-code makes conditional, or
 * not: ARPL writes its destination only when it raises the RPL (so a read-only
 * destination faults only then); CMPXCHG and CMPXCHG8B always write (their own
 * value back when the comparison fails), so a read-only destination always faults;
 * shifts and rotates by a masked count of 0 write nothing. BTS/BTR/BTC and SETcc
 * write unconditionally, CMOVcc only reads memory.
 */
describe("conditional memory writes", () => {
  const AT = 0x50000;
  const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  /** ES read-only (data, read/write bit clear) or writable, and page-flag bit 7 on AT's frame to hear every write. */
  function machine(readOnly: boolean): { m: SysMachine; writes: number[] } {
    const m = new SysMachine();
    m.cpu.setSegmentCache(Sreg.ES, SEL.data0, 0, -1, readOnly ? 0xc091 : 0xc093);
    const writes: number[] = [];
    m.cpu.u8[L.PAGE_FLAGS_BASE + (AT >>> 12)] |= 0x80;
    // The watcher also hears writes to decoded code (the test's own loads): keep AT's frame only.
    m.cpu.codeWrites.subscribe(CodeWriteStage.WATCH, (pa, size) => {
      if (pa >>> 12 === AT >>> 12) writes.push(pa, size);
    });
    return { m, writes };
  }
  const arplMem = [0x26, 0x63, 0x1d, ...le32(AT)]; // arpl [es:AT],bx
  const cmpxchgMem = [0x26, 0x0f, 0xb1, 0x1d, ...le32(AT)]; // cmpxchg [es:AT],ebx
  const cmpxchg8bMem = [0x26, 0x0f, 0xc7, 0x0d, ...le32(AT)]; // cmpxchg8b [es:AT]

  it("ARPL with nothing to adjust neither writes nor faults on a read-only segment", () => {
    const { m, writes } = machine(true);
    m.w16(AT, 0x13);
    writes.length = 0;
    m.set(Reg.EBX, 0x22);
    m.cpu.setFlags(ZF, true);
    expect(fault(m, arplMem)).toEqual([-1, -1]);
    expect(m.cpu.getEflags() & ZF).toBe(0);
    expect(m.r16(AT)).toBe(0x13);
    expect(writes).toEqual([]);
  });

  it("ARPL that adjusts the RPL faults on a read-only segment, changing nothing", () => {
    const { m, writes } = machine(true);
    m.w16(AT, 0x10);
    writes.length = 0;
    m.set(Reg.EBX, 0x23);
    m.cpu.setFlags(ZF, false);
    expect(fault(m, arplMem)).toEqual([Vector.GP, 0]);
    expect(m.cpu.getEflags() & ZF).toBe(0);
    expect(m.r16(AT)).toBe(0x10);
    expect(writes).toEqual([]);
  });

  it("ARPL writes a writable destination only when it adjusts the RPL", () => {
    const { m, writes } = machine(false);
    m.w16(AT, 0x10);
    writes.length = 0;
    m.set(Reg.EBX, 0x23);
    expect(fault(m, arplMem)).toEqual([-1, -1]);
    expect(m.r16(AT)).toBe(0x13);
    expect(m.cpu.getEflags() & ZF).toBe(ZF);
    expect(writes).toEqual([AT, 2]);
    writes.length = 0;
    expect(fault(m, arplMem)).toEqual([-1, -1]);
    expect(m.cpu.getEflags() & ZF).toBe(0);
    expect(writes).toEqual([]);
  });

  it("CMPXCHG writes its destination back when the comparison fails, so a read-only one faults", () => {
    const { m, writes } = machine(false);
    m.w32(AT, 0x1234);
    writes.length = 0;
    m.set(Reg.EAX, 0x5678);
    m.set(Reg.EBX, 0x9999);
    expect(fault(m, cmpxchgMem)).toEqual([-1, -1]);
    expect(m.eax).toBe(0x1234);
    expect(m.r32(AT)).toBe(0x1234);
    expect(writes).toEqual([AT, 4]);
    const ro = machine(true).m;
    ro.w32(AT, 0x1234);
    ro.set(Reg.EAX, 0x5678);
    expect(fault(ro, cmpxchgMem)).toEqual([Vector.GP, 0]);
    expect(ro.eax).toBe(0x5678);
  });

  it("CMPXCHG8B writes its destination back when the comparison fails, so a read-only one faults", () => {
    const { m, writes } = machine(false);
    m.w32(AT, 1);
    m.w32(AT + 4, 2);
    writes.length = 0;
    m.set(Reg.EAX, 3);
    m.set(Reg.EDX, 4);
    expect(fault(m, cmpxchg8bMem)).toEqual([-1, -1]);
    expect([m.eax, m.cpu.reg32(Reg.EDX)]).toEqual([1, 2]);
    expect(writes).toEqual([AT, 4, AT + 4, 4]);
    const ro = machine(true).m;
    ro.w32(AT, 1);
    ro.set(Reg.EAX, 3);
    expect(fault(ro, cmpxchg8bMem)).toEqual([Vector.GP, 0]);
    expect(ro.eax).toBe(3);
  });

  it("a shift by a masked count of 0 does not write, but its destination is still checked for writing", () => {
    // The SDM's pseudo-code assigns DEST only for a non-zero count; its exception list
    // names a non-writable destination whatever the count.
    const shl0 = [0x26, 0xc1, 0x25, ...le32(AT), 0x20]; // shl dword [es:AT],32 (masked to 0)
    const { m, writes } = machine(false);
    m.w32(AT, 5);
    writes.length = 0;
    expect(fault(m, shl0)).toEqual([-1, -1]);
    expect(m.r32(AT)).toBe(5);
    expect(writes).toEqual([]);
    expect(fault(machine(true).m, shl0)).toEqual([Vector.GP, 0]);
  });

  it("BTS writes its destination even when the bit is already set, SETcc even when the condition is false", () => {
    const { m, writes } = machine(false);
    m.w32(AT, 1);
    writes.length = 0;
    expect(fault(m, [0x26, 0x0f, 0xba, 0x2d, ...le32(AT), 0x00])).toEqual([-1, -1]); // bts dword [es:AT],0
    expect(m.cpu.getCF()).toBe(1);
    expect(writes).toEqual([AT, 4]);
    expect(fault(machine(true).m, [0x26, 0x0f, 0xba, 0x2d, ...le32(AT), 0x00])).toEqual([Vector.GP, 0]);
    writes.length = 0;
    m.cpu.setFlags(ZF, false);
    expect(fault(m, [0x26, 0x0f, 0x94, 0x05, ...le32(AT)])).toEqual([-1, -1]); // setz [es:AT]
    expect(m.r8(AT)).toBe(0);
    expect(writes).toEqual([AT, 1]);
  });

  it("CMOVcc reads its memory source whatever the condition, and writes no memory", () => {
    const { m, writes } = machine(true);
    m.set(Reg.EAX, 7);
    m.cpu.setFlags(ZF, false);
    expect(fault(m, [0x26, 0x0f, 0x44, 0x05, ...le32(AT)])).toEqual([-1, -1]); // cmovz eax,[es:AT]
    expect(m.eax).toBe(7);
    expect(writes).toEqual([]);
    m.cpu.setSegmentCache(Sreg.ES, SEL.data0, 0, 0xfff, 0x4093);
    expect(fault(m, [0x26, 0x0f, 0x44, 0x05, ...le32(AT)])).toEqual([Vector.GP, 0]);
  });

  it("the JIT agrees: a compiled loop of ARPL on a read-only segment with nothing to adjust runs to its end", () => {
    for (const [rpl, ends] of [
      [2, "loop"],
      [3, "fault"],
    ] as const) {
      // mov ax,0x18 / mov es,ax / mov ecx,10 / .l: arpl [es:DATA],bx / dec ecx / jnz .l / hlt
      const code = [0x66, 0xb8, 0x18, 0x00, 0x8e, 0xc0, 0xb9, 10, 0, 0, 0, 0x26, 0x63, 0x1d, ...le32(DATA), 0x49, 0x75, 0xf6, 0xf4];
      const r = runBoth("flat", code, (w) => {
        descriptor(w.cpu, 24, 0, 0xfffff, 0xc091);
        w.cpu.i32[L.GDTR_LIMIT >> 2] = 0x1f;
        w.cpu.writePhys16(DATA, 0x12);
        w.cpu.setReg32(Reg.EBX, 0x20 | rpl);
      });
      expect(describeDifferences(r.differences)).toBe("");
      expect(r.jit.cpu.readPhys16(DATA)).toBe(0x12);
      if (ends === "loop") {
        expect(r.jit.cpu.eip).toBe(CODE + code.length);
        expect(r.jit.cpu.reg32(Reg.ECX)).toBe(0);
        expect(r.engine.stats.regionsTranslated).toBeGreaterThan(0);
      } else {
        expect(r.jit.cpu.eip).toBe(HANDLER + 1);
      }
    }
  });
});
