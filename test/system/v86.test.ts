/**
 * Virtual-8086 mode: entry by IRETD from CPL 0, INT n to a ring-0 handler with
 * the segment registers pushed and cleared, IRETD back, IOPL sensitivity.
 */
import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { IOPL, VM } from "../../src/cpu/flags.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { asm, HANDLERS, SEL, STACK0, SysMachine, TSS_A } from "./machine.js";

const FRAME = STACK0 - 36;

/** CPL 0 about to IRETD into V86 code at 7000:0010 (SS:SP 6000:0100) with the given IOPL. */
function v86Machine(iopl: number): SysMachine {
  const m = new SysMachine();
  m.tss(TSS_A, SEL.data0, STACK0);
  m.setTr(SEL.tssA, TSS_A);
  m.idtGate(0x21, SEL.code0, HANDLERS, 0xe, 3);
  m.idtGate(Vector.GP, SEL.code0, HANDLERS + 0x100);
  m.code(HANDLERS, asm.iretd);
  const frame = [0x0010, 0x7000, 0x20202 | (iopl << 12), 0x0100, 0x6000, 0x5000, 0x4000, 0x3000, 0x3800];
  frame.forEach((v, k) => m.w32(FRAME + 4 * k, v));
  m.set(Reg.ESP, FRAME);
  // MOV AX,1234h; INT 21h; INC AX; HLT
  m.code(0x70010, [0xb8, 0x34, 0x12, 0xcd, 0x21, 0x40, 0xf4]);
  m.load(asm.iretd);
  return m;
}

describe("virtual-8086 mode", () => {
  it("IRETD with VM from CPL 0 enters V86 with real-style segments and CPL 3", () => {
    const m = v86Machine(3);
    const shadow = m.cpu.descriptorShadow;
    const s0 = { ...shadow.stats };
    m.step();
    const c = m.cpu;
    expect(c.v86).toBe(true);
    expect(c.cpl).toBe(3);
    expect(c.eip).toBe(0x10);
    expect(c.segBase(Sreg.CS)).toBe(0x70000);
    expect(c.segBase(Sreg.SS)).toBe(0x60000);
    expect(c.segBase(Sreg.ES)).toBe(0x50000);
    expect(c.segBase(Sreg.DS)).toBe(0x40000);
    expect(c.segBase(Sreg.GS)).toBe(0x38000);
    expect(c.segAttr(Sreg.DS) & 0xff).toBe(0xf3);
    expect(c.segLimit(Sreg.SS)).toBe(0xffff);
    expect(m.esp).toBe(0x100);
    expect(c.cs32).toBe(false);
    expect(shadow.stats).toEqual(s0);
  });

  it("INT n goes to ring 0 pushing GS FS DS ES, clears them, and IRETD returns to V86", () => {
    const m = v86Machine(3);
    m.step(3);
    const c = m.cpu;
    expect(c.v86).toBe(false);
    expect(c.cpl).toBe(0);
    expect(c.eip).toBe(HANDLERS);
    expect(c.segSel(Sreg.SS)).toBe(SEL.data0);
    const top = STACK0 - 36;
    expect(m.esp).toBe(top);
    const pushed = Array.from({ length: 9 }, (_, k) => m.r32(top + 4 * k));
    expect(pushed[0]).toBe(0x15);
    expect(pushed[1]).toBe(0x7000);
    expect(pushed[2] & (VM | IOPL)).toBe(VM | IOPL);
    expect(pushed.slice(3)).toEqual([0x100, 0x6000, 0x5000, 0x4000, 0x3000, 0x3800]);
    for (const s of [Sreg.ES, Sreg.DS, Sreg.FS, Sreg.GS]) expect(c.segSel(s)).toBe(0);
    m.step();
    expect(c.v86).toBe(true);
    expect(c.cpl).toBe(3);
    expect(c.eip).toBe(0x15);
    expect(c.segBase(Sreg.DS)).toBe(0x40000);
    expect(c.segBase(Sreg.SS)).toBe(0x60000);
    expect(m.esp).toBe(0x100);
    m.step();
    expect(c.reg16(Reg.EAX)).toBe(0x1235);
    // HLT is privileged: #GP(0) to ring 0.
    m.step();
    expect(c.eip).toBe(HANDLERS + 0x100);
    expect(m.r32(m.esp)).toBe(0);
    expect(m.r32(m.esp + 4)).toBe(0x16);
  });

  it("with IOPL < 3, INT n and IRET are #GP(0)", () => {
    const m = v86Machine(0);
    m.step(3);
    const c = m.cpu;
    expect(c.eip).toBe(HANDLERS + 0x100);
    expect(c.v86).toBe(false);
    const top = STACK0 - 40;
    expect(m.esp).toBe(top);
    expect(m.r32(top)).toBe(0);
    expect(m.r32(top + 4)).toBe(0x13);
    const v = v86Machine(0);
    v.step();
    v.load([0xcf], 0x70010);
    v.cpu.eip = 0x10;
    expect(v.tryOne()).toBe(Vector.GP);
  });

  it("IRET inside V86 with IOPL 3 stays in V86 and keeps IOPL", () => {
    const m = v86Machine(3);
    m.step();
    m.w16(0x60100, 0x0020);
    m.w16(0x60102, 0x7100);
    m.w16(0x60104, 0x0002);
    m.code(0x70010, [0xcf]);
    m.step();
    const c = m.cpu;
    expect(c.v86).toBe(true);
    expect(c.segBase(Sreg.CS)).toBe(0x71000);
    expect(c.eip).toBe(0x20);
    expect(c.eflagsRaw & IOPL).toBe(IOPL);
    expect(m.esp).toBe(0x106);
  });
});
