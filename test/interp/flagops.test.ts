import { describe, expect, it } from "vitest";
import { CR0_PE } from "../../src/cpu/cpu.js";
import { Vector } from "../../src/cpu/exceptions.js";
import { AC, AF, CF, DF, ID, IF, IOPL, NT, OF, PF, RF, SF, TF, VIF, VIP, VM, ZF } from "../../src/cpu/flags.js";
import { INTERRUPT_SHADOW, Reg, Sreg } from "../../src/cpu/layout.js";
import { arith, exec, execFault, type Machine, peek, poke, protectedMachine, realMachine, STACK_TOP } from "./harness.js";

const SHADOW_I = INTERRUPT_SHADOW >> 2;
const iopl = (n: number) => n << 12;

/** Flat protected mode at CPL `cpl` with IOPL `level`. */
function pmAt(cpl: number, level: number): Machine {
  const m = protectedMachine();
  const dpl = cpl << 5;
  m.cpu.setSegmentCache(Sreg.CS, 0x08 | cpl, 0, -1, 0xc09b | dpl);
  for (const s of [Sreg.SS, Sreg.DS, Sreg.ES]) m.cpu.setSegmentCache(s, 0x10 | cpl, 0, -1, 0xc093 | dpl);
  m.cpu.cpl = cpl;
  m.cpu.setEflagsMasked(iopl(level), IOPL);
  return m;
}

/** Virtual-8086 mode with IOPL `level`: all segments 0, CPL 3. */
function v86At(level: number): Machine {
  const m = realMachine();
  m.cpu.cr0 = m.cpu.cr0 | CR0_PE;
  m.cpu.setEflagsMasked(VM | iopl(level), VM | IOPL);
  for (let s = 0; s < 6; s++) m.cpu.loadSegmentReal(s, 0);
  m.cpu.cpl = 3;
  return m;
}

describe("CF and DF", () => {
  it("clc, stc and cmc after a lazily evaluated add keep the other flags", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0xff);
    m.cpu.setReg32(Reg.EBX, 1);
    exec(m, [0x00, 0xd8, 0xf8], 2); // add al, bl; clc
    expect(arith(m)).toBe(ZF | AF | PF);
    exec(m, [0xf5]); // cmc
    expect(arith(m)).toBe(ZF | AF | PF | CF);
    exec(m, [0xf5]);
    expect(arith(m)).toBe(ZF | AF | PF);
    exec(m, [0xf9]); // stc
    expect(arith(m)).toBe(ZF | AF | PF | CF);
  });

  it("std and cld", () => {
    const m = protectedMachine();
    exec(m, [0xfd]);
    expect(m.cpu.getEflags() & DF).toBe(DF);
    exec(m, [0xfc]);
    expect(m.cpu.getEflags() & DF).toBe(0);
  });
});

describe("SAHF LAHF SALC", () => {
  it("sahf loads SF ZF AF PF CF from AH and leaves OF", () => {
    const m = protectedMachine();
    m.cpu.setEflagsMasked(OF, OF);
    m.cpu.setReg32(Reg.EAX, 0xff00);
    exec(m, [0x9e]);
    expect(m.cpu.getEflags() & 0xfff).toBe(OF | SF | ZF | AF | PF | CF | 2);
    m.cpu.setReg32(Reg.EAX, 0x2a00); // bits 1, 3, 5 only
    exec(m, [0x9e]);
    expect(m.cpu.getEflags() & 0xfff).toBe(OF | 2);
  });

  it("lahf stores SF ZF 0 AF 0 PF 1 CF in AH", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0x12345678);
    m.cpu.setEflagsMasked(SF | AF | CF | OF, 0x8d5);
    exec(m, [0x9f]);
    expect(m.cpu.reg32(Reg.EAX)).toBe(0x12349378);
    m.cpu.setEflagsMasked(ZF | PF, 0x8d5);
    exec(m, [0x9f]);
    expect(m.cpu.reg32(Reg.EAX)).toBe(0x12344678);
  });

  it("salc sets AL from CF", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0x12345678);
    m.cpu.setEflagsMasked(CF, CF);
    exec(m, [0xd6]);
    expect(m.cpu.reg32(Reg.EAX)).toBe(0x123456ff);
    m.cpu.setEflagsMasked(0, CF);
    exec(m, [0xd6]);
    expect(m.cpu.reg32(Reg.EAX)).toBe(0x12345600);
  });
});

describe("CLI and STI", () => {
  const CLI = [0xfa];
  const STI = [0xfb];

  it("work in real mode", () => {
    const m = realMachine();
    exec(m, STI);
    expect(m.cpu.getEflags() & IF).toBe(IF);
    exec(m, CLI);
    expect(m.cpu.getEflags() & IF).toBe(0);
  });

  it("need CPL <= IOPL in protected mode", () => {
    expect(execFault(pmAt(0, 0), CLI)).toBe(-1);
    expect(execFault(pmAt(3, 0), CLI)).toBe(Vector.GP);
    expect(execFault(pmAt(3, 2), STI)).toBe(Vector.GP);
    expect(execFault(pmAt(2, 2), STI)).toBe(-1);
    const m = pmAt(3, 3);
    exec(m, STI);
    expect(m.cpu.getEflags() & IF).toBe(IF);
  });

  it("need IOPL 3 in V86 mode", () => {
    expect(execFault(v86At(2), CLI)).toBe(Vector.GP);
    expect(execFault(v86At(0), STI)).toBe(Vector.GP);
    const m = v86At(3);
    exec(m, STI);
    expect(m.cpu.getEflags() & IF).toBe(IF);
  });

  it("a faulting CLI leaves IF set", () => {
    const m = pmAt(3, 0);
    m.cpu.setEflagsMasked(IF, IF);
    expect(execFault(m, CLI)).toBe(Vector.GP);
    expect(m.cpu.getEflags() & IF).toBe(IF);
  });

  it("STI opens an interrupt shadow only when it sets IF", () => {
    const m = protectedMachine();
    m.cpu.i32[SHADOW_I] = 0;
    exec(m, STI);
    expect(m.cpu.i32[SHADOW_I]).toBe(1);
    m.cpu.i32[SHADOW_I] = 0;
    exec(m, STI);
    expect(m.cpu.i32[SHADOW_I]).toBe(0);
  });
});

describe("PUSHF", () => {
  it("pushes EFLAGS with VM and RF clear", () => {
    const m = protectedMachine();
    m.cpu.setEflagsMasked(RF | AC | ID | NT | iopl(2) | CF, RF | AC | ID | NT | IOPL | CF);
    exec(m, [0x9c]);
    expect(m.cpu.reg32(Reg.ESP)).toBe(STACK_TOP - 4);
    expect(peek(m, STACK_TOP - 4, 32)).toBe(AC | ID | NT | iopl(2) | CF | 2);
  });

  it("pushes a word with a 16-bit operand size", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0x7fffffff);
    m.cpu.setReg32(Reg.EBX, 1);
    exec(m, [0x01, 0xd8, 0x66, 0x9c], 2); // add eax, ebx (lazy OF SF AF PF); pushf
    expect(m.cpu.reg32(Reg.ESP)).toBe(STACK_TOP - 2);
    expect(peek(m, STACK_TOP - 2, 16)).toBe(OF | SF | AF | PF | 2);
  });

  it("in V86 mode needs IOPL 3 and never shows VM", () => {
    expect(execFault(v86At(0), [0x9c])).toBe(Vector.GP);
    const m = v86At(3);
    exec(m, [0x66, 0x9c]);
    expect(peek(m, STACK_TOP - 4, 32)).toBe(iopl(3) | 2);
  });
});

describe("POPF", () => {
  /** Push `v` (32 bits) and run popfd (or popf with `o16`); returns EFLAGS. */
  function popf(m: Machine, v: number, o16 = false): number {
    const sp = m.cpu.reg32(Reg.ESP) - 4;
    poke(m, sp, 32, v);
    m.cpu.setReg32(Reg.ESP, sp);
    exec(m, o16 ? [0x66, 0x9d] : [0x9d]);
    return m.cpu.getEflags();
  }

  it("at CPL 0 writes everything but VM, VIF, VIP and RF; reserved bits fixed", () => {
    const m = protectedMachine();
    m.cpu.setEflagsMasked(RF, RF);
    expect(popf(m, -1) >>> 0).toBe(CF | 2 | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | AC | ID);
    expect(m.cpu.reg32(Reg.ESP)).toBe(STACK_TOP);
    expect(popf(m, 0)).toBe(2);
  });

  it("never sets or clears VM, VIF, VIP", () => {
    const m = protectedMachine();
    expect(popf(m, VM | VIF | VIP) & (VM | VIF | VIP)).toBe(0);
    const v = v86At(3);
    expect(popf(v, 0) & VM).toBe(VM);
  });

  it("above CPL 0 keeps IOPL, and keeps IF when CPL > IOPL", () => {
    const m = pmAt(3, 0);
    m.cpu.setEflagsMasked(IF, IF);
    expect(popf(m, iopl(3) | CF) & (IOPL | IF | CF)).toBe(IF | CF);
    const n = pmAt(1, 1);
    expect(popf(n, iopl(3) | IF) & (IOPL | IF)).toBe(iopl(1) | IF);
  });

  it("at CPL 0 changes IOPL and IF", () => {
    const m = pmAt(0, 3);
    m.cpu.setEflagsMasked(IF, IF);
    expect(popf(m, iopl(1)) & (IOPL | IF)).toBe(iopl(1));
  });

  it("16-bit POPF writes only the low word", () => {
    const m = protectedMachine();
    m.cpu.setEflagsMasked(AC | ID, AC | ID);
    expect(popf(m, 0xffff0000 | CF | NT, true) >>> 0).toBe(AC | ID | NT | CF | 2);
    expect(m.cpu.reg32(Reg.ESP)).toBe(STACK_TOP - 2);
  });

  it("in real mode writes IOPL and NT", () => {
    const m = realMachine();
    expect(popf(m, iopl(3) | NT | SF, true)).toBe(iopl(3) | NT | SF | 2);
  });

  it("in V86 mode needs IOPL 3, then keeps IOPL", () => {
    expect(execFault(v86At(1), [0x9d])).toBe(Vector.GP);
    const m = v86At(3);
    expect(popf(m, IF | ZF, true) & (IOPL | IF | ZF | VM)).toBe(iopl(3) | IF | ZF | VM);
  });

  it("replaces lazily held flags", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0xff);
    m.cpu.setReg32(Reg.EBX, 1);
    exec(m, [0x00, 0xd8]); // add al, bl: ZF AF PF CF, lazily
    expect(popf(m, OF | SF) & 0x8d5).toBe(OF | SF);
  });
});
