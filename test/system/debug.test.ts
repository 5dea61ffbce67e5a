/**
 * Debug exceptions: TF single-step traps (and when they are not taken), the
 * interrupt shadow of MOV SS, DR0-DR3 instruction breakpoints with RF, general
 * detect, DR4/DR5 aliasing.
 */
import { describe, expect, it } from "vitest";
import { CR0_PE } from "../../src/cpu/cpu.js";
import { Vector } from "../../src/cpu/exceptions.js";
import { RF, TF } from "../../src/cpu/flags.js";
import * as L from "../../src/cpu/layout.js";
import { Reg } from "../../src/cpu/layout.js";
import { asm, CODE0, HANDLERS, SEL, SysMachine, TRAP } from "./machine.js";

const DR_I = L.DR_BASE >> 2;
const dr = (m: SysMachine, n: number) => m.cpu.i32[DR_I + n] >>> 0;

function debugMachine(): SysMachine {
  const m = new SysMachine();
  m.idtGate(Vector.DB, SEL.code0, HANDLERS);
  m.code(HANDLERS, asm.iretd);
  return m;
}

describe("single step", () => {
  it("traps after each instruction begun with TF, with DR6.BS; IRETD resumes stepping", () => {
    const m = debugMachine();
    m.load([...asm.incEax, ...asm.incEax, ...asm.incEax]);
    m.cpu.setFlags(TF, true);
    m.step();
    const c = m.cpu;
    expect(m.eax).toBe(1);
    expect(c.eip).toBe(HANDLERS);
    expect(dr(m, 6) & 0x4000).toBe(0x4000);
    expect(m.r32(m.esp)).toBe(CODE0 + 1);
    expect(m.r32(m.esp + 8) & TF).toBe(TF);
    expect(c.eflagsRaw & TF).toBe(0);
    // IRETD sets TF: no trap after it, one after the next instruction.
    m.step();
    expect(c.eip).toBe(CODE0 + 1);
    m.step();
    expect(m.eax).toBe(2);
    expect(c.eip).toBe(HANDLERS);
    expect(m.r32(m.esp)).toBe(CODE0 + 2);
  });

  it("MOV SS delays the trap past the next instruction", () => {
    const m = debugMachine();
    m.set(Reg.EAX, SEL.data0);
    m.load([...asm.movSsAx, ...asm.incEcx, ...asm.incEcx]);
    m.cpu.setFlags(TF, true);
    m.step();
    expect(m.cpu.eip).toBe(CODE0 + 2);
    m.step();
    expect(m.cpu.eip).toBe(HANDLERS);
    expect(m.r32(m.esp)).toBe(CODE0 + 3);
  });

  it("INT n with TF traps at the handler's first instruction", () => {
    const m = debugMachine();
    m.idtGate(0x40, SEL.code0, HANDLERS + 0x40);
    m.load(asm.int(0x40));
    m.cpu.setFlags(TF, true);
    m.step();
    expect(m.cpu.eip).toBe(HANDLERS);
    expect(m.r32(m.esp)).toBe(HANDLERS + 0x40);
    expect(m.r32(m.esp + 8) & TF).toBe(0);
    expect(m.r32(m.esp + 12)).toBe(CODE0 + 2);
  });

  it("a faulting instruction takes its fault, not the trap", () => {
    const m = debugMachine();
    m.idtGate(Vector.UD, SEL.code0, HANDLERS + 0x60);
    m.load([0x0f, 0x0b]);
    m.cpu.setFlags(TF, true);
    m.step();
    expect(m.cpu.eip).toBe(HANDLERS + 0x60);
    expect(dr(m, 6) & 0x4000).toBe(0);
  });
});

describe("instruction breakpoints", () => {
  it("DR0 with L0 faults before the instruction with DR6.B0; RF set by the handler lets it run once", () => {
    const m = debugMachine();
    m.code(HANDLERS, [...asm.orEspDisp(8, RF), ...asm.iretd]);
    m.load([...asm.movEaxImm(CODE0 + 11), ...asm.movDrEax(0), ...asm.movEaxImm(1), ...asm.movDrEax(7)]);
    m.step(4);
    expect(dr(m, 7)).toBe(0x401);
    m.set(Reg.EAX, 0);
    m.load([...asm.incEax, ...asm.incEax, ...asm.incEax], CODE0 + 10);
    m.step();
    expect(m.eax).toBe(1);
    m.step();
    const c = m.cpu;
    expect(c.eip).toBe(HANDLERS);
    expect(m.eax).toBe(1);
    expect(dr(m, 6) & 0xf).toBe(1);
    expect(m.r32(m.esp)).toBe(CODE0 + 11);
    m.step(2);
    expect(c.eip).toBe(CODE0 + 11);
    expect(c.eflagsRaw & RF).toBe(RF);
    m.step();
    expect(m.eax).toBe(2);
    expect(c.eflagsRaw & RF).toBe(0);
    m.step();
    expect(m.eax).toBe(3);
  });

  it("a breakpoint whose R/W field is not 00 is not an instruction breakpoint", () => {
    const m = debugMachine();
    m.cpu.i32[DR_I] = CODE0;
    m.cpu.i32[DR_I + 7] = 0x10401;
    m.load(asm.incEax);
    m.step();
    expect(m.eax).toBe(1);
    expect(m.cpu.eip).toBe(CODE0 + 1);
  });

  it("MOV DR with DR7.GD is a #DB fault with DR6.BD and GD cleared", () => {
    const m = debugMachine();
    m.cpu.i32[DR_I + 7] = 0x2400;
    m.load(asm.movEaxDr(6));
    m.step();
    expect(m.cpu.eip).toBe(HANDLERS);
    expect(m.r32(m.esp)).toBe(CODE0);
    expect(dr(m, 6) & 0x2000).toBe(0x2000);
    expect(dr(m, 7) & 0x2000).toBe(0);
  });

  it("DR4/DR5 alias DR6/DR7 unless CR4.DE, which makes them #UD", () => {
    const m = debugMachine();
    m.load(asm.movEaxDr(5));
    m.step();
    expect(m.eax).toBe(0x400);
    m.cpu.cr4 = 0x8;
    m.load(asm.movEaxDr(4));
    expect(m.tryOne()).toBe(Vector.UD);
    expect(TRAP.code).toBe(0);
    expect(m.cpu.cr0 & CR0_PE).toBe(CR0_PE);
  });
});
