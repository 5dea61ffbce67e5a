/**
 * x87 availability and error reporting: CR0.EM/TS/MP and #NM, unmasked
 * exceptions deferred to the next waiting instruction as #MF (CR0.NE = 1) or
 * FERR# (CR0.NE = 0), which instructions wait, and what clears the error.
 */
import { describe, expect, test } from "vitest";
import { CR0_EM, CR0_MP, CR0_NE, CR0_TS } from "../../src/cpu/cpu.js";
import { Vector } from "../../src/cpu/exceptions.js";
import * as S from "../../src/cpu/x87/fpu.js";
import { Reg } from "../../src/cpu/layout.js";
import { CODE, DATA, Machine } from "./machine.js";

const FLD1 = "d9e8";
const FLDZ = "d9ee";
const FDIVP = "def9";
const FWAIT = "9b";
const ES = S.SW_ES;
const ZE = 0x04;

/** A machine whose last division by zero left an unmasked ZE pending. */
function pendingZeroDivide(cr0Bits: number): Machine {
  const m = new Machine();
  m.cpu.cr0 |= cr0Bits;
  m.cw = 0x037b;
  m.run(FLD1 + FLDZ + FDIVP);
  return m;
}

describe("device not available (#NM)", () => {
  test("CR0.EM faults every x87 instruction but not WAIT", () => {
    const m = new Machine();
    m.cpu.cr0 |= CR0_EM;
    expect(m.fault(FLD1)).toBe(Vector.NM);
    expect(m.cpu.eip).toBe(CODE);
    expect(m.fault("dbe3")).toBe(Vector.NM); // FNINIT
    expect(m.fault("dfe0")).toBe(Vector.NM); // FNSTSW AX
    expect(m.fault(FWAIT)).toBe(-1);
  });

  test("CR0.TS faults x87 instructions; WAIT only when CR0.MP is also set", () => {
    const m = new Machine();
    m.cpu.cr0 |= CR0_TS;
    expect(m.fault(FLD1)).toBe(Vector.NM);
    expect(m.fault("d93d00800000")).toBe(Vector.NM); // FNSTCW [0x8000]
    expect(m.fault(FWAIT)).toBe(-1);
    m.cpu.cr0 |= CR0_MP;
    expect(m.fault(FWAIT)).toBe(Vector.NM);
    m.cpu.cr0 &= ~CR0_TS;
    expect(m.fault(FWAIT + FLD1)).toBe(-1);
    expect(m.st(0)).toBe("3fff8000000000000000");
  });

  test("#NM comes before a pending #MF", () => {
    const m = pendingZeroDivide(CR0_NE);
    m.cpu.cr0 |= CR0_TS;
    expect(m.fault(FLD1)).toBe(Vector.NM);
  });
});

describe("unmasked exceptions with CR0.NE = 1", () => {
  test("the faulting instruction completes; the next waiting one raises #MF and does nothing", () => {
    const m = pendingZeroDivide(CR0_NE);
    expect(m.sw & (ES | S.SW_B | ZE)).toBe(ES | S.SW_B | ZE);
    // The destination is left alone and the stack is not popped.
    expect(m.st(0)).toBe("00000000000000000000");
    expect(m.st(1)).toBe("3fff8000000000000000");
    const sw = m.sw;
    expect(m.fault(FLD1)).toBe(Vector.MF);
    expect(m.cpu.eip).toBe(CODE);
    expect(m.sw).toBe(sw);
    expect(m.st(0)).toBe("00000000000000000000");
  });

  test("FWAIT raises #MF; the no-wait control instructions do not, and FNCLEX clears", () => {
    const m = pendingZeroDivide(CR0_NE);
    expect(m.fault(FWAIT)).toBe(Vector.MF);
    expect(m.fault("dfe0")).toBe(-1); // FNSTSW AX
    expect(m.cpu.reg16(Reg.EAX)).toBe(m.sw);
    expect(m.fault("d93d00800000")).toBe(-1); // FNSTCW [0x8000]
    expect(m.fault(FWAIT)).toBe(Vector.MF);
    expect(m.fault("dbe2")).toBe(-1); // FNCLEX
    expect(m.sw & (ES | S.SW_B | 0x3f)).toBe(0);
    expect(m.fault(FWAIT + FLD1)).toBe(-1);
  });

  test("FNSTENV stores the pending state, then masks everything: nothing is pending after it", () => {
    const m = pendingZeroDivide(CR0_NE);
    expect(m.fault("d93500800000")).toBe(-1); // FNSTENV [0x8000]
    expect(m.peek(DATA + 4, 2)[0] & (ES | ZE)).toBe(ES | ZE);
    expect(m.cw & 0x3f).toBe(0x3f);
    expect(m.sw & (ES | S.SW_B | ZE)).toBe(ZE);
    expect(m.fault(FWAIT)).toBe(-1);
  });

  test("FNSAVE does not wait and leaves an initialised FPU", () => {
    const m = pendingZeroDivide(CR0_NE);
    expect(m.fault("dd3500800000")).toBe(-1);
    expect(m.sw).toBe(0);
    expect(m.fault(FLD1)).toBe(-1);
  });

  test("FLDCW that unmasks a raised flag makes it pending", () => {
    const m = new Machine();
    m.cpu.cr0 |= CR0_NE;
    m.run(FLD1 + FLDZ + FDIVP);
    expect(m.sw & (ZE | ES)).toBe(ZE);
    m.poke(DATA, [0x7b, 0x03]);
    expect(m.fault("d92d00800000")).toBe(-1); // FLDCW [0x8000]
    expect(m.sw & ES).toBe(ES);
    expect(m.fault(FLD1)).toBe(Vector.MF);
    m.poke(DATA, [0x7f, 0x03]);
    // FLDCW waits too: the error is reported before the new control word could mask it.
    expect(m.fault("d92d00800000")).toBe(Vector.MF);
  });

  test("an unmasked precision exception stores its result, then reports", () => {
    const m = new Machine();
    m.cpu.cr0 |= CR0_NE;
    m.cw = 0x035f;
    m.run("d9e8 d9e8 d8c0 d9e8 dec1"); // 1, 2 ... then 2 + 1 exactly: no PE
    expect(m.sw & ES).toBe(0);
    m.run("d9eb"); // FLDPI: constants never raise PE
    expect(m.sw & ES).toBe(0);
    m.run("d9e8 d8f2"); // 1 / ST(2) = 1 / 3: inexact
    expect(m.sw & (ES | 0x20)).toBe(ES | 0x20);
    expect(m.st(0)).toBe("3ffdaaaaaaaaaaaaaaab");
    expect(m.fault(FLD1)).toBe(Vector.MF);
  });
});

describe("unmasked exceptions with CR0.NE = 0 (MS-DOS compatibility)", () => {
  test("the error asserts FERR# and execution continues; FNCLEX or FNINIT deasserts it", () => {
    const m = pendingZeroDivide(0);
    expect(S.ferr(m.cpu)).toBe(true);
    expect(m.fault(FLD1 + FWAIT)).toBe(-1);
    expect(m.st(0)).toBe("3fff8000000000000000");
    expect(S.ferr(m.cpu)).toBe(true);
    m.run("dbe2");
    expect(S.ferr(m.cpu)).toBe(false);
    m.run(FLD1 + FLDZ + FDIVP);
    expect(S.ferr(m.cpu)).toBe(true);
    m.run("dbe3");
    expect(S.ferr(m.cpu)).toBe(false);
  });

  test("masked exceptions never assert FERR#", () => {
    const m = new Machine();
    m.run(FLD1 + FLDZ + FDIVP);
    expect(m.sw & ZE).toBe(ZE);
    expect(S.ferr(m.cpu)).toBe(false);
  });
});
