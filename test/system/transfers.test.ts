/**
 * Control transfers: near and far JMP/CALL/RET, call gates with parameter copy
 * and stack switch, interrupts from ring 3 to ring 0 and IRET back, fault
 * delivery with error codes and the EXT bit, LOOP/JCXZ/BOUND/INTO/INT3, real mode.
 */
import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { IF, OF, RF } from "../../src/cpu/flags.js";
import * as L from "../../src/cpu/layout.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { asm, CODE0, CODE3, GDT, HANDLERS, SEL, STACK0, STACK3, SysMachine, TRAP, TSS_A } from "./machine.js";

/** A machine running ring-3 code at CODE3 with a TSS giving the ring-0 stack. */
function ring3(): SysMachine {
  const m = new SysMachine();
  m.tss(TSS_A, SEL.data0, STACK0);
  m.setTr(SEL.tssA, TSS_A);
  const c = m.cpu;
  c.setSegmentCache(Sreg.CS, SEL.code3, 0, -1, 0xc0fb);
  for (const s of [Sreg.SS, Sreg.DS, Sreg.ES, Sreg.FS, Sreg.GS]) c.setSegmentCache(s, SEL.data3, 0, -1, 0xc0f3);
  c.cpl = 3;
  c.setReg32(Reg.ESP, STACK3);
  c.eip = CODE3;
  return m;
}

describe("call gates", () => {
  it("CALL from ring 3 switches to the TSS stack, copies parameters, and RETF n returns", () => {
    const m = ring3();
    m.gateDescriptor(8, SEL.code0, HANDLERS, 0xc, 3, 2);
    m.code(HANDLERS, [...asm.movEaxEspDisp(8), ...asm.retfImm(8)]);
    m.load([...asm.pushImm32(0x11111111), ...asm.pushImm32(0x22222222), ...asm.callFar(0x43, 0), ...asm.nop], CODE3);
    m.step(3);
    const c = m.cpu;
    expect(c.cpl).toBe(0);
    expect(c.segSel(Sreg.CS)).toBe(SEL.code0);
    expect(c.segSel(Sreg.SS)).toBe(SEL.data0);
    expect(c.eip).toBe(HANDLERS);
    expect(m.esp).toBe(STACK0 - 24);
    const top = STACK0 - 24;
    expect(m.r32(top)).toBe(CODE3 + 17);
    expect(m.r32(top + 4)).toBe(SEL.code3);
    expect(m.r32(top + 8)).toBe(0x22222222);
    expect(m.r32(top + 12)).toBe(0x11111111);
    expect(m.r32(top + 16)).toBe(STACK3 - 8);
    expect(m.r32(top + 20)).toBe(SEL.data3);
    // The loads set the accessed bits of the ring-0 code and stack descriptors.
    expect(m.r8(GDT + 0x0d)).toBe(0x9b);
    expect(m.r8(GDT + 0x15)).toBe(0x93);
    m.step(2);
    expect(m.eax).toBe(0x22222222);
    expect(c.cpl).toBe(3);
    expect(c.segSel(Sreg.CS)).toBe(SEL.code3);
    expect(c.segSel(Sreg.SS)).toBe(SEL.data3);
    expect(m.esp).toBe(STACK3);
    expect(c.eip).toBe(CODE3 + 17);
    expect(c.segSel(Sreg.DS)).toBe(SEL.data3);
  });

  it("CALL through a gate to the same level pushes on the current stack", () => {
    const m = new SysMachine();
    m.gateDescriptor(8, SEL.code0, HANDLERS, 0xc, 0, 3);
    m.code(HANDLERS, asm.retf);
    m.load([...asm.callFar(0x40, 0x12345678), ...asm.nop]);
    m.step();
    expect(m.cpu.eip).toBe(HANDLERS);
    expect(m.esp).toBe(STACK0 - 8);
    expect(m.r32(STACK0 - 8)).toBe(CODE0 + 7);
    m.step();
    expect(m.cpu.eip).toBe(CODE0 + 7);
    expect(m.esp).toBe(STACK0);
  });

  it("checks the gate: DPL below CPL is #GP(gate), not present is #NP(gate), a data target is #GP(target)", () => {
    const m = ring3();
    m.gateDescriptor(8, SEL.code0, HANDLERS, 0xc, 0, 0);
    m.load(asm.callFar(0x43, 0), CODE3);
    expect(m.tryOne()).toBe(Vector.GP);
    expect(TRAP.code).toBe(0x40);
    m.w8(GDT + 0x45, 0x6c);
    m.load(asm.callFar(0x43, 0), CODE3);
    expect(m.tryOne()).toBe(Vector.NP);
    expect(TRAP.code).toBe(0x40);
    m.gateDescriptor(8, SEL.data0, 0, 0xc, 3, 0);
    m.load(asm.callFar(0x43, 0), CODE3);
    expect(m.tryOne()).toBe(Vector.GP);
    expect(TRAP.code).toBe(SEL.data0);
    expect(m.cpu.cpl).toBe(3);
    expect(m.esp).toBe(STACK3);
  });

  it("a null SS in the TSS is #TS(0); an SS with the wrong DPL is #TS(sel)", () => {
    const m = ring3();
    m.gateDescriptor(8, SEL.code0, HANDLERS, 0xc, 3, 0);
    m.w32(TSS_A + 8, 0);
    m.load(asm.callFar(0x43, 0), CODE3);
    expect(m.tryOne()).toBe(Vector.TS);
    expect(TRAP.code).toBe(0);
    m.w32(TSS_A + 8, SEL.data3);
    m.load(asm.callFar(0x43, 0), CODE3);
    expect(m.tryOne()).toBe(Vector.TS);
    expect(TRAP.code).toBe(SEL.data3 & ~3);
  });
});

describe("far JMP, CALL, RET", () => {
  it("JMP to a conforming segment keeps the CPL; CS.RPL becomes the CPL", () => {
    const m = ring3();
    m.descriptor(8, 0, 0xfffff, 0x9e, 0xc);
    m.load(asm.jmpFar(0x40, 0x20000 + 0x100), CODE3);
    m.step();
    expect(m.cpu.segSel(Sreg.CS)).toBe(0x43);
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.eip).toBe(CODE3 + 0x100);
  });

  it("faults: null #GP(0), data #GP(sel), DPL != CPL #GP(sel), not present #NP(sel), offset beyond limit #GP(0)", () => {
    const m = new SysMachine();
    const cases: [number[], number, number][] = [
      [asm.jmpFar(0, 0), Vector.GP, 0],
      [asm.jmpFar(SEL.data0, 0), Vector.GP, SEL.data0],
      [asm.jmpFar(SEL.code3, 0), Vector.GP, SEL.code3 & ~3],
      [asm.callFar(0x40, 0), Vector.NP, 0x40],
      [asm.jmpFar(0x48, 0x2000), Vector.GP, 0],
    ];
    m.descriptor(8, 0, 0xfffff, 0x1a, 0xc);
    m.descriptor(9, 0, 0xfff, 0x9a, 0x4);
    for (const [code, vector, err] of cases) {
      m.load(code);
      expect(m.tryOne()).toBe(vector);
      expect(TRAP.code).toBe(err);
      expect(m.cpu.eip).toBe(CODE0);
      expect(m.esp).toBe(STACK0);
    }
  });

  it("RETF to a more privileged level is #GP(sel)", () => {
    const m = ring3();
    m.w32(STACK3 - 8, CODE0);
    m.w32(STACK3 - 4, SEL.code0);
    m.set(Reg.ESP, STACK3 - 8);
    m.load(asm.retf, CODE3);
    expect(m.tryOne()).toBe(Vector.GP);
    expect(TRAP.code).toBe(SEL.code0);
  });

  it("RETF to an outer level nulls data segments the outer level may not use", () => {
    const m = new SysMachine();
    m.w32(STACK0 - 16, CODE3);
    m.w32(STACK0 - 12, SEL.code3);
    m.w32(STACK0 - 8, STACK3);
    m.w32(STACK0 - 4, SEL.data3);
    m.set(Reg.ESP, STACK0 - 16);
    m.load([...asm.movEaxImm(SEL.data3), ...asm.movEsAx, ...asm.retf]);
    m.step(3);
    const c = m.cpu;
    expect(c.cpl).toBe(3);
    expect(c.segSel(Sreg.SS)).toBe(SEL.data3);
    expect(m.esp).toBe(STACK3);
    expect(c.segSel(Sreg.ES)).toBe(SEL.data3);
    expect(c.segSel(Sreg.DS)).toBe(0);
    expect(c.segSel(Sreg.FS)).toBe(0);
  });
});

describe("interrupts and exceptions in protected mode", () => {
  it("INT from ring 3 enters ring 0 on the TSS stack and IRETD returns", () => {
    const m = ring3();
    m.idtGate(0x80, SEL.code0, HANDLERS, 0xe, 3);
    m.code(HANDLERS, [...asm.movEaxImm(SEL.data0), ...asm.movDsAx, ...asm.iretd]);
    m.cpu.setFlags(IF, true);
    m.load([...asm.int(0x80), ...asm.nop], CODE3);
    m.step();
    const c = m.cpu;
    expect(c.cpl).toBe(0);
    expect(c.eip).toBe(HANDLERS);
    expect(c.eflagsRaw & IF).toBe(0);
    const top = STACK0 - 20;
    expect(m.esp).toBe(top);
    expect(m.r32(top)).toBe(CODE3 + 2);
    expect(m.r32(top + 4)).toBe(SEL.code3);
    expect(m.r32(top + 8) & (IF | RF)).toBe(IF);
    expect(m.r32(top + 12)).toBe(STACK3);
    expect(m.r32(top + 16)).toBe(SEL.data3);
    m.step(3);
    expect(c.cpl).toBe(3);
    expect(c.eip).toBe(CODE3 + 2);
    expect(m.esp).toBe(STACK3);
    expect(c.segSel(Sreg.SS)).toBe(SEL.data3);
    expect(c.eflagsRaw & IF).toBe(IF);
    // DS held a ring-0 segment: it is null after the return to ring 3.
    expect(c.segSel(Sreg.DS)).toBe(0);
    expect(c.segSel(Sreg.ES)).toBe(SEL.data3);
  });

  it("a trap gate keeps IF; a 16-bit gate pushes words", () => {
    const m = new SysMachine();
    m.idtGate(0x40, SEL.code0, HANDLERS, 0xf, 0);
    m.idtGate(0x41, SEL.code0, HANDLERS, 0x6, 0);
    m.cpu.setFlags(IF, true);
    m.load(asm.int(0x40));
    m.step();
    expect(m.cpu.eflagsRaw & IF).toBe(IF);
    expect(m.esp).toBe(STACK0 - 12);
    m.set(Reg.ESP, STACK0);
    m.load(asm.int(0x41));
    m.step();
    expect(m.cpu.eflagsRaw & IF).toBe(0);
    expect(m.esp).toBe(STACK0 - 6);
    expect(m.r16(STACK0 - 6)).toBe((CODE0 + 2) & 0xffff);
    expect(m.r16(STACK0 - 4)).toBe(SEL.code0);
  });

  it("software INT checks the gate DPL: #GP(vector*8+2); a missing gate is #NP(vector*8+2)", () => {
    const m = ring3();
    m.idtGate(0x80, SEL.code0, HANDLERS, 0xe, 0);
    m.load(asm.int(0x80), CODE3);
    expect(m.tryOne()).toBe(Vector.GP);
    expect(TRAP.code).toBe(0x402);
    m.load(asm.int(0x81), CODE3);
    expect(m.tryOne()).toBe(Vector.GP);
    expect(TRAP.code).toBe(0x40a);
    m.idtGate(0x81, SEL.code0, HANDLERS, 0xe, 3);
    m.w8(0x2000 + 0x81 * 8 + 5, 0x6e);
    m.load(asm.int(0x81), CODE3);
    expect(m.tryOne()).toBe(Vector.NP);
    expect(TRAP.code).toBe(0x40a);
    expect(m.cpu.eip).toBe(CODE3);
  });

  it("a fault from ring 3 is delivered with its error code, EIP of the instruction and RF in the image", () => {
    const m = ring3();
    m.idtGate(Vector.GP, SEL.code0, HANDLERS);
    m.load([...asm.movEaxImm(SEL.data0), ...asm.movDsAx], CODE3);
    m.step(2);
    expect(m.cpu.eip).toBe(HANDLERS);
    const top = STACK0 - 24;
    expect(m.esp).toBe(top);
    expect(m.r32(top)).toBe(SEL.data0);
    expect(m.r32(top + 4)).toBe(CODE3 + 5);
    expect(m.r32(top + 12) & RF).toBe(RF);
    expect(m.r32(top + 16)).toBe(STACK3);
  });

  it("an external interrupt through a missing gate raises #NP with EXT set", () => {
    const m = new SysMachine();
    m.idtGate(Vector.NP, SEL.code0, HANDLERS);
    m.idtGate(0x30, SEL.code0, HANDLERS + 0x100);
    m.w8(0x2000 + 0x30 * 8 + 5, 0x0e);
    m.cpu.setFlags(IF, true);
    m.load(asm.nop);
    expect(m.interp.interrupt(0x30)).toBe(true);
    expect(m.cpu.eip).toBe(HANDLERS);
    expect(m.r32(m.esp)).toBe(0x30 * 8 + 2 + 1);
    expect(m.r32(m.esp + 4)).toBe(CODE0);
  });

  it("an external interrupt is refused while IF = 0 and wakes the CPU from HLT", () => {
    const m = new SysMachine();
    m.idtGate(0x30, SEL.code0, HANDLERS);
    m.load([...asm.hlt, ...asm.nop]);
    m.step();
    expect(m.interp.halted).toBe(true);
    expect(m.interp.interrupt(0x30)).toBe(false);
    expect(m.interp.halted).toBe(true);
    m.cpu.setFlags(IF, true);
    expect(m.interp.interrupt(0x30)).toBe(true);
    expect(m.interp.halted).toBe(false);
    expect(m.r32(m.esp)).toBe(CODE0 + 1);
  });

  it("INT3 and INTO are traps with EIP after the instruction; BOUND is a #BR fault", () => {
    const m = new SysMachine();
    for (const v of [Vector.BP, Vector.OF, Vector.BR]) m.idtGate(v, SEL.code0, HANDLERS + v * 0x10);
    m.load(asm.int3);
    m.step();
    expect(m.cpu.eip).toBe(HANDLERS + 0x30);
    expect(m.r32(m.esp)).toBe(CODE0 + 1);
    m.set(Reg.ESP, STACK0);
    m.load([...asm.into, ...asm.nop]);
    m.step();
    expect(m.cpu.eip).toBe(CODE0 + 1);
    m.cpu.setFlags(OF, true);
    m.load(asm.into);
    m.step();
    expect(m.cpu.eip).toBe(HANDLERS + 0x40);
    expect(m.r32(m.esp)).toBe(CODE0 + 1);
    m.set(Reg.ESP, STACK0);
    m.w32(0x5000, -5);
    m.w32(0x5004, 10);
    m.set(Reg.EBX, 0x5000);
    m.set(Reg.EAX, 10);
    m.load(asm.boundEaxEbx);
    m.step();
    expect(m.cpu.eip).toBe(CODE0 + 2);
    m.set(Reg.EAX, -6);
    m.load(asm.boundEaxEbx);
    m.step();
    expect(m.cpu.eip).toBe(HANDLERS + 0x50);
    expect(m.r32(m.esp)).toBe(CODE0);
  });
});

describe("double fault and shutdown", () => {
  it("a contributory fault while delivering one becomes #DF with error code 0", () => {
    const m = new SysMachine();
    m.idtGate(Vector.DF, SEL.code0, HANDLERS);
    m.idtGate(0x30, SEL.code0, HANDLERS, 0xe, 0);
    m.w8(0x2000 + 0x30 * 8 + 5, 0x0e);
    m.load(asm.int(0x30));
    m.step();
    // INT 0x30 → #NP(0x182) → #GP(0x5b) delivering it (no gate for vector 11) → #DF.
    expect(m.cpu.eip).toBe(HANDLERS);
    expect(m.r32(m.esp)).toBe(0);
    expect(m.r32(m.esp + 4)).toBe(CODE0);
    expect(m.cpu.shutdown).toBe(false);
  });

  it("a benign exception whose delivery faults is followed by that fault, not #DF", () => {
    const m = new SysMachine();
    m.idtGate(Vector.GP, SEL.code0, HANDLERS);
    m.load([0x0f, 0x0b]);
    m.step();
    // #UD has no gate (#GP(6*8+2+1)), delivered as a #GP.
    expect(m.cpu.eip).toBe(HANDLERS);
    expect(m.r32(m.esp)).toBe(Vector.UD * 8 + 3);
  });

  it("a fault while delivering #DF is a triple fault: shutdown", () => {
    const m = new SysMachine();
    m.cpu.i32[L.IDTR_LIMIT >> 2] = 0;
    m.load([0x0f, 0x0b]);
    m.step();
    expect(m.cpu.shutdown).toBe(true);
  });
});

describe("near transfers and loops", () => {
  it("CALL rel32 / RET, RET imm16", () => {
    const m = new SysMachine();
    // RET 8
    m.code(CODE0 + 0x100, [0xc2, 0x08, 0x00]);
    m.load(asm.callRel32(0x100 - 5));
    m.step();
    expect(m.cpu.eip).toBe(CODE0 + 0x100);
    expect(m.r32(m.esp)).toBe(CODE0 + 5);
    m.step();
    expect(m.cpu.eip).toBe(CODE0 + 5);
    expect(m.esp).toBe(STACK0 + 8);
  });

  it("a jump beyond the CS limit is #GP(0) at the jump", () => {
    const m = new SysMachine();
    m.cpu.setSegmentCache(Sreg.CS, SEL.code0, 0, 0x10fff, 0x409b);
    m.load([0xe9, 0x7f, 0x00, 0x00, 0x00], CODE0 + 0xf80);
    expect(m.tryOne()).toBe(Vector.GP);
    expect(TRAP.code).toBe(0);
    expect(m.cpu.eip).toBe(CODE0 + 0xf80);
  });

  it("LOOP counts CX with a 16-bit address size and ECX otherwise; JECXZ", () => {
    const m = new SysMachine();
    m.set(Reg.ECX, 0x10001);
    m.load([0x67, ...asm.loop(-3)]);
    m.step();
    expect(m.cpu.reg32(Reg.ECX)).toBe(0x10000);
    expect(m.cpu.eip).toBe(CODE0 + 3);
    m.set(Reg.ECX, 0x10001);
    m.load(asm.loop(-2));
    m.step();
    expect(m.cpu.reg32(Reg.ECX)).toBe(0x10000);
    expect(m.cpu.eip).toBe(CODE0);
    m.set(Reg.ECX, 0x10000);
    m.load([0x67, 0xe3, 0x10]);
    m.step();
    expect(m.cpu.eip).toBe(CODE0 + 0x13);
    m.load([0xe3, 0x10]);
    m.step();
    expect(m.cpu.eip).toBe(CODE0 + 2);
  });
});

describe("real mode", () => {
  function real(): SysMachine {
    const m = new SysMachine();
    m.cpu.cr0 = m.cpu.cr0 & ~1;
    for (let s = 0; s < 6; s++) m.cpu.setSegmentCache(s, 0, 0, 0xffff, 0x93);
    m.cpu.i32[L.IDTR_BASE >> 2] = 0;
    m.cpu.i32[L.IDTR_LIMIT >> 2] = 0x3ff;
    m.set(Reg.ESP, 0x7000);
    return m;
  }

  it("far CALL pushes CS:IP and RETF returns", () => {
    const m = real();
    m.code(0x10010, asm.retf);
    m.load(asm.callFar16(0x1000, 0x10), 0x6000);
    m.step();
    expect(m.cpu.segSel(Sreg.CS)).toBe(0x1000);
    expect(m.cpu.segBase(Sreg.CS)).toBe(0x10000);
    expect(m.cpu.eip).toBe(0x10);
    expect(m.r16(0x6ffc)).toBe(0x6005);
    expect(m.r16(0x6ffe)).toBe(0);
    m.step();
    expect(m.cpu.segSel(Sreg.CS)).toBe(0);
    expect(m.cpu.eip).toBe(0x6005);
    expect(m.esp).toBe(0x7000);
  });

  it("INT goes through the IVT and IRET restores FLAGS", () => {
    const m = real();
    m.w16(0x21 * 4, 0x0000);
    m.w16(0x21 * 4 + 2, 0x2000);
    m.code(0x20000, asm.iret16);
    m.cpu.setFlags(IF, true);
    m.load(asm.int(0x21), 0x6000);
    m.step();
    expect(m.cpu.segBase(Sreg.CS)).toBe(0x20000);
    expect(m.cpu.eflagsRaw & IF).toBe(0);
    expect(m.r16(0x6ffa)).toBe(0x6002);
    m.step();
    expect(m.cpu.eip).toBe(0x6002);
    expect(m.cpu.eflagsRaw & IF).toBe(IF);
    expect(m.esp).toBe(0x7000);
  });
});
