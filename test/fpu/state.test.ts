/**
 * x87 state outside the arithmetic: the power-on and FNINIT words, and the
 * EFLAGS interplay of FCOMI and FCMOVcc with flags the integer unit left lazy.
 */
import { describe, expect, test } from "vitest";
import { Cpu } from "../../src/cpu/cpu.js";
import { AF, CF, OF, PF, SF, ZF } from "../../src/cpu/flags.js";
import * as S from "../../src/cpu/x87/fpu.js";
import { Reg } from "../../src/cpu/layout.js";
import { Machine } from "./machine.js";

const ONE = "3fff8000000000000000";
const TWO = "40008000000000000000";

describe("initial state", () => {
  test("power-on: FCW 0040H, empty of flags, every register +0 and in use", () => {
    const c = new Cpu({ ramBytes: 1 << 20 });
    expect(S.getCw(c)).toBe(0x0040);
    expect(S.getSw(c)).toBe(0);
    expect(S.fullTagWord(c)).toBe(0x5555);
  });

  test("FNINIT: FCW 037FH, FSW 0, every register empty", () => {
    const m = new Machine();
    m.cw = 0x0c60;
    m.run("d9e8 d9e8 dbe3");
    expect([m.cw, m.sw, S.getTw(m.cpu), S.fullTagWord(m.cpu)]).toEqual([0x037f, 0, 0xffff, 0xffff]);
    // The registers keep their bits; only the tags say empty.
    expect(S.stEmpty(m.cpu, 7)).toBe(true);
  });
});

describe("EFLAGS", () => {
  test("FCOMI replaces ZF PF CF and clears OF SF AF, whatever the integer unit left lazy", () => {
    const m = new Machine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0x7fffffff);
    c.setReg32(Reg.EBX, 0x7fffffff);
    m.load(ONE, TWO);
    // ADD EAX, EBX leaves OF, SF and AF set (lazily); FCOMI ST, ST(1) finds 1 < 2.
    m.run("01d8 dbf1");
    expect(c.getEflags() & (OF | SF | AF | ZF | PF | CF)).toBe(CF);
    m.run("01d8 dbf0"); // FCOMI ST, ST(0): equal
    expect(c.getEflags() & (OF | SF | AF | ZF | PF | CF)).toBe(ZF);
    m.run("01d8 d9c9 dbf1"); // FXCH; 2 > 1
    expect(c.getEflags() & (OF | SF | AF | ZF | PF | CF)).toBe(0);
    // Conditions read the stored flags: JB/JE/JP false, JA true.
    expect([c.cond(2), c.cond(4), c.cond(10), c.cond(7)]).toEqual([false, false, false, true]);
  });

  test("FCMOVcc reads flags a CMP left lazy", () => {
    const m = new Machine();
    const c = m.cpu;
    m.load(ONE, TWO);
    c.setReg32(Reg.EAX, 1);
    c.setReg32(Reg.EBX, 2);
    m.run("39d8 dbc1"); // CMP EAX, EBX (CF = 1); FCMOVNB: not taken
    expect(m.st(0)).toBe(ONE);
    m.run("39d8 dac1"); // FCMOVB: taken
    expect(m.st(0)).toBe(TWO);
    m.load(ONE);
    m.run("39c0 dac9"); // CMP EAX, EAX (ZF = 1); FCMOVE ST, ST(1)
    expect(m.st(0)).toBe(TWO);
  });
});
