import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { CF, OF, PF, SF, ZF } from "../../src/cpu/flags.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { CODE, DATA, exec, execFault, load, poke, protectedMachine, realMachine, run } from "./harness.js";

/** SDM condition-code definitions, in encoding order. */
const CONDITIONS: ((f: number) => boolean)[] = [
  (f) => (f & OF) !== 0,
  (f) => (f & OF) === 0,
  (f) => (f & CF) !== 0,
  (f) => (f & CF) === 0,
  (f) => (f & ZF) !== 0,
  (f) => (f & ZF) === 0,
  (f) => (f & (CF | ZF)) !== 0,
  (f) => (f & (CF | ZF)) === 0,
  (f) => (f & SF) !== 0,
  (f) => (f & SF) === 0,
  (f) => (f & PF) !== 0,
  (f) => (f & PF) === 0,
  (f) => !(f & SF) !== !(f & OF),
  (f) => !(f & SF) === !(f & OF),
  (f) => (f & ZF) !== 0 || !(f & SF) !== !(f & OF),
  (f) => (f & ZF) === 0 && !(f & SF) === !(f & OF),
];

/** Every combination of the five flags the conditions read. */
const FLAG_SETS: number[] = [];
for (let k = 0; k < 32; k++) FLAG_SETS.push((k & 1 ? CF : 0) | (k & 2 ? ZF : 0) | (k & 4 ? SF : 0) | (k & 8 ? OF : 0) | (k & 16 ? PF : 0));

describe("condition codes", () => {
  const m = protectedMachine();
  for (let cc = 0; cc < 16; cc++) {
    it(`Jcc/SETcc/CMOVcc condition ${cc}`, () => {
      for (const f of FLAG_SETS) {
        const want = CONDITIONS[cc](f);
        m.cpu.setEflagsMasked(f, CF | ZF | SF | OF | PF);
        exec(m, [0x70 + cc, 0x10]);
        expect(m.cpu.eip).toBe(want ? CODE + 2 + 0x10 : CODE + 2);
        exec(m, [0x0f, 0x80 + cc, 0x00, 0x01, 0x00, 0x00]);
        expect(m.cpu.eip).toBe(want ? CODE + 6 + 0x100 : CODE + 6);
        m.cpu.setReg32(Reg.EAX, 0x12345678);
        exec(m, [0x0f, 0x90 + cc, 0xc4]); // setcc ah
        expect(m.cpu.reg32(Reg.EAX)).toBe(want ? 0x12340178 : 0x12340078);
        m.cpu.setReg32(Reg.ECX, 0x11111111);
        exec(m, [0x0f, 0x40 + cc, 0xc8]); // cmovcc ecx, eax
        expect(m.cpu.reg32(Reg.ECX)).toBe(want ? m.cpu.reg32(Reg.EAX) : 0x11111111);
        // The flags are only read.
        expect(m.cpu.getEflags() & (CF | ZF | SF | OF | PF)).toBe(f);
      }
    });
  }
});

describe("Jcc targets", () => {
  it("rel8 backwards", () => {
    const m = protectedMachine();
    m.cpu.setEflagsMasked(ZF, ZF);
    exec(m, [0x74, 0xfe]); // je $
    expect(m.cpu.eip).toBe(CODE);
  });

  it("rel32 backwards past zero wraps to 32 bits", () => {
    const m = protectedMachine();
    m.cpu.setEflagsMasked(0, CF);
    exec(m, [0x0f, 0x83, 0x00, 0xe0, 0xff, 0xff]); // jae -0x2000 from 0x1006
    expect(m.cpu.eip >>> 0).toBe((CODE + 6 - 0x2000) >>> 0);
  });

  it("16-bit operand size truncates the target to 16 bits", () => {
    const m = realMachine();
    load(m, 0xfff0, [0x75, 0x20]); // jne +0x20 at 0:fff0
    m.cpu.eip = 0xfff0;
    run(m);
    expect(m.cpu.eip).toBe(0x0012);
  });

  it("66-prefixed rel16 in 32-bit code truncates EIP", () => {
    const m = protectedMachine();
    m.cpu.setEflagsMasked(CF, CF);
    exec(m, [0x66, 0x0f, 0x82, 0x00, 0x10]); // jb rel16 0x1000 → (0x1005 + 0x1000) & 0xffff
    expect(m.cpu.eip).toBe(0x2005);
  });

  it("a taken jump beyond the CS limit faults at the jump", () => {
    const m = protectedMachine();
    m.cpu.setSegmentCache(Sreg.CS, 0x08, 0, 0x1fff, 0x409b);
    m.cpu.setEflagsMasked(0, ZF);
    expect(execFault(m, [0x0f, 0x85, 0x00, 0x10, 0x00, 0x00])).toBe(Vector.GP);
    expect(m.cpu.eip).toBe(CODE);
  });

  it("a jump not taken ignores the limit", () => {
    const m = protectedMachine();
    m.cpu.setSegmentCache(Sreg.CS, 0x08, 0, 0x1fff, 0x409b);
    m.cpu.setEflagsMasked(ZF, ZF);
    exec(m, [0x0f, 0x85, 0x00, 0x10, 0x00, 0x00]);
    expect(m.cpu.eip).toBe(CODE + 6);
  });
});

describe("SETcc and CMOVcc operands", () => {
  it("setcc writes a byte to memory", () => {
    const m = protectedMachine();
    poke(m, DATA, 32, 0xffffffff);
    m.cpu.setReg32(Reg.EBX, DATA);
    m.cpu.setEflagsMasked(CF, CF);
    exec(m, [0x0f, 0x92, 0x03]); // setb [ebx]
    expect(m.cpu.readPhys32(DATA) >>> 0).toBe(0xffffff01);
    exec(m, [0x0f, 0x93, 0x03]); // setae [ebx]
    expect(m.cpu.readPhys32(DATA) >>> 0).toBe(0xffffff00);
  });

  it("16-bit cmov leaves the upper half", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0xaaaabbbb | 0);
    m.cpu.setReg32(Reg.ECX, 0x11112222);
    m.cpu.setEflagsMasked(ZF, ZF);
    exec(m, [0x66, 0x0f, 0x44, 0xc8]); // cmove cx, ax
    expect(m.cpu.reg32(Reg.ECX)).toBe(0x1111bbbb);
  });

  it("cmov reads its memory source even when the condition is false", () => {
    const m = protectedMachine();
    m.cpu.setSegmentCache(Sreg.DS, 0x10, 0, 0xffff, 0x4093);
    m.cpu.setReg32(Reg.EBX, 0x10000);
    m.cpu.setReg32(Reg.ECX, 7);
    m.cpu.setEflagsMasked(0, ZF);
    expect(execFault(m, [0x0f, 0x44, 0x0b])).toBe(Vector.GP); // cmove ecx, [ebx]
    expect(m.cpu.reg32(Reg.ECX)).toBe(7);
  });

  it("cmov from memory when the condition holds", () => {
    const m = protectedMachine();
    poke(m, DATA, 32, 0xcafe);
    m.cpu.setReg32(Reg.EBX, DATA);
    m.cpu.setEflagsMasked(0, ZF);
    exec(m, [0x0f, 0x45, 0x0b]); // cmovne ecx, [ebx]
    expect(m.cpu.reg32(Reg.ECX)).toBe(0xcafe);
  });
});
