import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { DATA, exec, execFault, type Machine, type OracleRow, oracleResult, peek, poke, protectedMachine } from "./harness.js";

/** Results recorded on the reference CPU. */
const ROWS: OracleRow[] = [
  ["cmpxchg ecx,edx: equal", [0x0f, 0xb1, 0xd1], 0x5, 0x5, 0x9, 0x0, 0x5, 0x9, 0x9, 0x44],
  ["cmpxchg ecx,edx: not equal", [0x0f, 0xb1, 0xd1], 0x5, 0x7, 0x9, 0x8d5, 0x7, 0x7, 0x9, 0x91],
  ["cmpxchg ecx,edx: signed less", [0x0f, 0xb1, 0xd1], 0x80000000, 0x1, 0x9, 0x0, 0x1, 0x1, 0x9, 0x814],
  ["cmpxchg cx,dx: equal low half", [0x66, 0x0f, 0xb1, 0xd1], 0x12340005, 0x56780005, 0x9, 0x0, 0x12340005, 0x56780009, 0x9, 0x44],
  ["cmpxchg cl,dl: not equal", [0x0f, 0xb0, 0xd1], 0x1, 0xff, 0x9, 0x0, 0xff, 0xff, 0x9, 0x11],
  ["cmpxchg dl,al: equal", [0x0f, 0xb0, 0xc2], 0x9, 0x0, 0x9, 0x0, 0x9, 0x0, 0x9, 0x44],
  ["cmpxchg eax,eax", [0x0f, 0xb1, 0xc0], 0x7, 0x3, 0x0, 0x0, 0x7, 0x3, 0x0, 0x44],
  ["xadd ecx,edx", [0x0f, 0xc1, 0xd1], 0x0, 0x7fffffff, 0x1, 0x0, 0x0, 0x80000000, 0x7fffffff, 0x894],
  ["xadd ecx,edx: carry", [0x0f, 0xc1, 0xd1], 0x0, 0xffffffff, 0x1, 0x0, 0x0, 0x0, 0xffffffff, 0x55],
  ["xadd cx,dx", [0x66, 0x0f, 0xc1, 0xd1], 0x0, 0x1234ffff, 0x56780001, 0x0, 0x0, 0x12340000, 0x5678ffff, 0x55],
  ["xadd cl,ch", [0x0f, 0xc0, 0xe9], 0x0, 0x8080, 0x0, 0x0, 0x0, 0x8000, 0x0, 0x845],
  ["xadd ecx,ecx", [0x0f, 0xc1, 0xc9], 0x0, 0x3, 0x0, 0x0, 0x0, 0x6, 0x0, 0x4],
];

describe("CMPXCHG and XADD on registers against the reference CPU", () => {
  const m = protectedMachine();
  it.each(ROWS)("%s", (...row) => {
    const [actual, expected] = oracleResult(m, row as OracleRow);
    expect(actual).toEqual(expected);
  });
});

/** DS becomes a read-only data segment. */
function readOnlyData(m: Machine): void {
  m.cpu.setSegmentCache(Sreg.DS, 0x10, 0, -1, 0xc091);
}

describe("CMPXCHG with a memory destination", () => {
  it("stores the source when equal", () => {
    const m = protectedMachine();
    poke(m, DATA, 32, 42);
    m.cpu.setReg32(Reg.EBX, DATA);
    m.cpu.setReg32(Reg.EAX, 42);
    m.cpu.setReg32(Reg.ECX, 99);
    exec(m, [0xf0, 0x0f, 0xb1, 0x0b]); // lock cmpxchg [ebx], ecx
    expect(peek(m, DATA, 32)).toBe(99);
    expect(m.cpu.reg32(Reg.EAX)).toBe(42);
    expect(m.cpu.getZF()).toBe(true);
  });

  it("loads the accumulator and keeps memory when not equal", () => {
    const m = protectedMachine();
    poke(m, DATA, 16, 0x1111);
    m.cpu.setReg32(Reg.EBX, DATA);
    m.cpu.setReg32(Reg.EAX, 0xabcd2222);
    m.cpu.setReg32(Reg.ECX, 99);
    exec(m, [0x66, 0x0f, 0xb1, 0x0b]);
    expect(peek(m, DATA, 16)).toBe(0x1111);
    expect(m.cpu.reg32(Reg.EAX) >>> 0).toBe(0xabcd1111);
    expect(m.cpu.getZF()).toBe(false);
    expect(m.cpu.getCF()).toBe(0);
  });

  it("needs write access even when the comparison fails", () => {
    const m = protectedMachine();
    poke(m, DATA, 32, 1);
    readOnlyData(m);
    m.cpu.setReg32(Reg.EBX, DATA);
    m.cpu.setReg32(Reg.EAX, 2);
    expect(execFault(m, [0x0f, 0xb1, 0x0b])).toBe(Vector.GP);
    expect(m.cpu.reg32(Reg.EAX)).toBe(2);
  });
});

describe("XADD with a memory destination", () => {
  it("adds into memory and returns the old value", () => {
    const m = protectedMachine();
    poke(m, DATA, 8, 0xf0);
    m.cpu.setReg32(Reg.EBX, DATA);
    m.cpu.setReg32(Reg.EDX, 0x20);
    exec(m, [0xf0, 0x0f, 0xc0, 0x13]); // lock xadd [ebx], dl
    expect(peek(m, DATA, 8)).toBe(0x10);
    expect(m.cpu.reg32(Reg.EDX)).toBe(0xf0);
    expect(m.cpu.getCF()).toBe(1);
  });

  it("faults on a read-only destination without touching the register", () => {
    const m = protectedMachine();
    readOnlyData(m);
    m.cpu.setReg32(Reg.EBX, DATA);
    m.cpu.setReg32(Reg.EDX, 5);
    expect(execFault(m, [0x0f, 0xc1, 0x13])).toBe(Vector.GP);
    expect(m.cpu.reg32(Reg.EDX)).toBe(5);
  });
});

describe("CMPXCHG8B", () => {
  function setup(lo: number, hi: number): Machine {
    const m = protectedMachine();
    poke(m, DATA, 32, lo);
    poke(m, DATA + 4, 32, hi);
    m.cpu.setReg32(Reg.ESI, DATA);
    m.cpu.setReg32(Reg.EAX, 0x11111111);
    m.cpu.setReg32(Reg.EDX, 0x22222222);
    m.cpu.setReg32(Reg.EBX, 0x33333333);
    m.cpu.setReg32(Reg.ECX, 0x44444444);
    return m;
  }

  it("stores ECX:EBX when EDX:EAX matches", () => {
    const m = setup(0x11111111, 0x22222222);
    exec(m, [0xf0, 0x0f, 0xc7, 0x0e]); // lock cmpxchg8b [esi]
    expect([peek(m, DATA, 32), peek(m, DATA + 4, 32)]).toEqual([0x33333333, 0x44444444]);
    expect(m.cpu.getZF()).toBe(true);
  });

  it("loads EDX:EAX when only the high half differs", () => {
    const m = setup(0x11111111, 0x22222223);
    exec(m, [0x0f, 0xc7, 0x0e]);
    expect([peek(m, DATA, 32), peek(m, DATA + 4, 32)]).toEqual([0x11111111, 0x22222223]);
    expect([m.cpu.reg32(Reg.EAX), m.cpu.reg32(Reg.EDX)]).toEqual([0x11111111, 0x22222223]);
    expect(m.cpu.getZF()).toBe(false);
  });

  it("changes only ZF", () => {
    const m = setup(0, 0);
    m.cpu.setEflagsMasked(0x8d5, 0x8d5);
    exec(m, [0x0f, 0xc7, 0x0e]);
    expect(m.cpu.getEflags() & 0x8d5).toBe(0x895);
  });

  it("checks all eight bytes against the segment limit", () => {
    const m = setup(0, 0);
    m.cpu.setSegmentCache(Sreg.DS, 0x10, 0, DATA + 6, 0x4093);
    expect(execFault(m, [0x0f, 0xc7, 0x0e])).toBe(Vector.GP);
  });

  it("is undefined with a register operand", () => {
    const m = setup(0, 0);
    expect(execFault(m, [0x0f, 0xc7, 0xc8])).toBe(Vector.UD);
  });
});
