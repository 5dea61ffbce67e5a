/**
 * Hardware task switches: CALL and IRET there and back, JMP, task gates in the
 * IDT (with an error code pushed on the new task's stack), busy bits, NT and the
 * back link, the #TS/#GP checks before the switch, faults after it.
 */
import { describe, expect, it } from "vitest";
import { CR0_TS } from "../../src/cpu/cpu.js";
import { Vector } from "../../src/cpu/exceptions.js";
import { NT } from "../../src/cpu/flags.js";
import * as L from "../../src/cpu/layout.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { asm, CODE0, GDT, HANDLERS, SEL, STACK0, SysMachine, TRAP, TSS_A, TSS_B } from "./machine.js";

const TASK_B = HANDLERS + 0x200;
const STACK_B = 0x7000;

/** TSS A current (loaded by LTR in the code), TSS B a ring-0 task at TASK_B. */
function taskMachine(): SysMachine {
  const m = new SysMachine();
  m.tss(TSS_A, SEL.data0, STACK0);
  m.tss(TSS_B, SEL.data0, STACK_B);
  m.w32(TSS_B + 0x20, TASK_B);
  m.w32(TSS_B + 0x24, 0x2);
  m.w32(TSS_B + 0x28, 0xb0b0);
  m.w32(TSS_B + 0x38, STACK_B);
  m.w32(TSS_B + 0x48, SEL.data0);
  m.w32(TSS_B + 0x4c, SEL.code0);
  m.w32(TSS_B + 0x50, SEL.data0);
  m.w32(TSS_B + 0x54, SEL.data0);
  return m;
}

const tr = (m: SysMachine) => m.cpu.i32[L.TR_SEL >> 2];
const access = (m: SysMachine, sel: number) => m.r8(GDT + (sel & ~7) + 5);

/** LTR A; EAX = 0xaaaa; ECX = 0xcccc; then `transfer`; then INC EBX. */
function prologue(transfer: number[]): number[] {
  return [...asm.movEaxImm(SEL.tssA), ...asm.ltrAx, ...asm.movEaxImm(0xaaaa), ...asm.movEcxImm(0xcccc), ...transfer, ...asm.incEbx];
}

describe("task switch", () => {
  it("CALL to a TSS and IRET back, with busy bits, NT and the back link", () => {
    const m = taskMachine();
    m.code(TASK_B, [...asm.movEcxImm(0x1234), ...asm.iretd]);
    m.load(prologue(asm.callFar(SEL.tssB, 0)));
    const after = CODE0 + 5 + 3 + 5 + 5 + 7;
    m.step(4);
    expect(access(m, SEL.tssA)).toBe(0x8b);
    m.step();
    const c = m.cpu;
    expect(tr(m)).toBe(SEL.tssB);
    expect(access(m, SEL.tssA)).toBe(0x8b);
    expect(access(m, SEL.tssB)).toBe(0x8b);
    expect(m.r16(TSS_B)).toBe(SEL.tssA);
    expect(c.eflagsRaw & NT).toBe(NT);
    expect(c.cr0 & CR0_TS).toBe(CR0_TS);
    expect(c.eip).toBe(TASK_B);
    expect(m.eax).toBe(0xb0b0);
    expect(m.esp).toBe(STACK_B);
    expect(m.r32(TSS_A + 0x20)).toBe(after);
    expect(m.r32(TSS_A + 0x28)).toBe(0xaaaa);
    expect(m.r32(TSS_A + 0x2c)).toBe(0xcccc);
    expect(m.r32(TSS_A + 0x4c)).toBe(SEL.code0);
    m.step(2);
    expect(tr(m)).toBe(SEL.tssA);
    expect(access(m, SEL.tssB)).toBe(0x89);
    expect(access(m, SEL.tssA)).toBe(0x8b);
    expect(c.eflagsRaw & NT).toBe(0);
    expect(c.eip).toBe(after);
    expect(m.eax).toBe(0xaaaa);
    expect(c.reg32(Reg.ECX)).toBe(0xcccc);
    expect(m.esp).toBe(STACK0);
    expect(m.r32(TSS_B + 0x2c)).toBe(0x1234);
    expect(m.r32(TSS_B + 0x20)).toBe(TASK_B + 6);
    // The image saved in B has NT clear.
    expect(m.r32(TSS_B + 0x24) & NT).toBe(0);
    m.step();
    expect(c.reg32(Reg.EBX)).toBe(1);
  });

  it("JMP to a TSS frees the old task and sets no link", () => {
    const m = taskMachine();
    m.load(prologue(asm.jmpFar(SEL.tssB, 0)));
    m.step(5);
    expect(tr(m)).toBe(SEL.tssB);
    expect(access(m, SEL.tssA)).toBe(0x89);
    expect(access(m, SEL.tssB)).toBe(0x8b);
    expect(m.r16(TSS_B)).toBe(0);
    expect(m.cpu.eflagsRaw & NT).toBe(0);
  });

  it("INT through a task gate, and an exception through one pushes its error code on the new stack", () => {
    const m = taskMachine();
    m.idtGate(0x50, SEL.tssB, 0, 5, 0);
    m.load(prologue(asm.int(0x50)));
    m.step(5);
    expect(tr(m)).toBe(SEL.tssB);
    expect(m.r16(TSS_B)).toBe(SEL.tssA);
    expect(m.cpu.eflagsRaw & NT).toBe(NT);
    expect(m.r32(TSS_A + 0x20)).toBe(CODE0 + 20);

    const e = taskMachine();
    e.idtGate(Vector.GP, SEL.tssB, 0, 5, 0);
    e.load(prologue([...asm.movEaxImm(SEL.data0 | 3), ...asm.movDsAx]));
    e.step(6);
    expect(tr(e)).toBe(SEL.tssB);
    expect(e.cpu.eip).toBe(TASK_B);
    expect(e.esp).toBe(STACK_B - 4);
    expect(e.r32(STACK_B - 4)).toBe(SEL.data0);
    expect(e.r32(TSS_A + 0x20)).toBe(CODE0 + 23);
  });

  it("checks before the switch leave the old task untouched", () => {
    const m = taskMachine();
    m.descriptor(6, TSS_B, 0x60, 0x89, 0);
    m.load(prologue(asm.callFar(SEL.tssB, 0)));
    m.step(4);
    expect(m.tryOne()).toBe(Vector.TS);
    expect(TRAP.code).toBe(SEL.tssB);
    expect(tr(m)).toBe(SEL.tssA);
    expect(access(m, SEL.tssB)).toBe(0x89);
    // A busy TSS cannot be called or jumped to; a not-present one is #NP.
    m.load(asm.jmpFar(SEL.tssA, 0));
    expect(m.tryOne()).toBe(Vector.GP);
    expect(TRAP.code).toBe(SEL.tssA);
    m.descriptor(6, TSS_B, 0x67, 0x09, 0);
    m.load(asm.jmpFar(SEL.tssB, 0));
    expect(m.tryOne()).toBe(Vector.NP);
    expect(TRAP.code).toBe(SEL.tssB);
  });

  it("IRET with NT to a back link that is not busy is #TS(link)", () => {
    const m = taskMachine();
    m.load([...asm.movEaxImm(SEL.tssA), ...asm.ltrAx]);
    m.step(2);
    m.w16(TSS_A, SEL.tssB);
    m.cpu.setFlags(NT, true);
    m.load(asm.iretd);
    expect(m.tryOne()).toBe(Vector.TS);
    expect(TRAP.code).toBe(SEL.tssB);
  });

  it("a fault loading the new task's segments is delivered in the new task", () => {
    const m = taskMachine();
    m.descriptor(8, 0, 0xfffff, 0x12, 0xc);
    m.w32(TSS_B + 0x54, 0x40);
    m.idtGate(Vector.NP, SEL.code0, HANDLERS);
    m.load(prologue(asm.callFar(SEL.tssB, 0)));
    m.step(5);
    expect(tr(m)).toBe(SEL.tssB);
    expect(m.cpu.eip).toBe(HANDLERS);
    expect(m.esp).toBe(STACK_B - 16);
    expect(m.r32(STACK_B - 16)).toBe(0x40);
    expect(m.r32(STACK_B - 12)).toBe(TASK_B);
    expect(m.cpu.segSel(Sreg.DS)).toBe(0x40);
  });

  it("switches to a 16-bit TSS, loading the word registers", () => {
    const m = taskMachine();
    const T16 = 0x3200;
    for (let k = 0; k < 0x2c; k += 2) m.w16(T16 + k, 0);
    m.w16(T16 + 0x0e, TASK_B & 0xffff);
    m.w16(T16 + 0x10, 0x0002);
    m.w16(T16 + 0x12, 0x1111);
    m.w16(T16 + 0x1a, 0x6000);
    m.w16(T16 + 0x22, SEL.data0);
    m.descriptor(9, 0, 0xffff, 0x9a, 0);
    m.w16(T16 + 0x24, 0x48);
    m.w16(T16 + 0x26, SEL.data0);
    m.w16(T16 + 0x28, SEL.data0);
    m.descriptor(10, T16, 0x2b, 0x81, 0);
    m.load(prologue(asm.jmpFar(0x50, 0)));
    m.step(5);
    const c = m.cpu;
    expect(tr(m)).toBe(0x50);
    expect(access(m, 0x50)).toBe(0x83);
    expect(c.eip).toBe(TASK_B & 0xffff);
    expect(c.reg16(Reg.EAX)).toBe(0x1111);
    expect(c.reg16(Reg.ESP)).toBe(0x6000);
    expect(c.segSel(Sreg.CS)).toBe(0x48);
    expect(c.cs32).toBe(false);
    expect(c.segSel(Sreg.FS)).toBe(0);
  });
});
