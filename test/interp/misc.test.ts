import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { CODE, exec, execFault, lastErrorCode, protectedMachine } from "./harness.js";

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const ascii = (...regs: number[]) => regs.map((r) => String.fromCharCode(...le32(r))).join("");

describe("NOP and undefined encodings", () => {
  it("NOP and the ModRM NOP change only EIP; the latter never touches memory", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.DS, 0x10, 0, 0xff, 0x4093);
    exec(m, [0x90, 0x0f, 0x1f, 0x05, ...le32(0x100000)], 2); // nop ; nop dword [0x100000]
    expect(c.eip).toBe(CODE + 8);
  });

  it("UD2 and undefined opcodes raise #UD with EIP on the instruction", () => {
    const m = protectedMachine();
    expect(execFault(m, [0x0f, 0x0b])).toBe(Vector.UD);
    expect(m.cpu.eip).toBe(CODE);
    expect(execFault(protectedMachine(), [0x0f, 0xff])).toBe(Vector.UD);
  });

  it("an instruction longer than 15 bytes raises #GP(0)", () => {
    const m = protectedMachine();
    expect(execFault(m, [...new Array<number>(15).fill(0x66), 0x90])).toBe(Vector.GP);
    expect(lastErrorCode()).toBe(0);
    expect(m.cpu.eip).toBe(CODE);
    const ok = protectedMachine();
    exec(ok, [...new Array<number>(14).fill(0x66), 0x90]);
    expect(ok.cpu.eip).toBe(CODE + 15);
  });
});

describe("INVD and WBINVD", () => {
  it("do nothing at CPL 0 and fault at CPL 3", () => {
    const m = protectedMachine();
    exec(m, [0x0f, 0x08, 0x0f, 0x09], 2);
    expect(m.cpu.eip).toBe(CODE + 4);
    const u = protectedMachine();
    u.cpu.cpl = 3;
    expect(execFault(u, [0x0f, 0x09])).toBe(Vector.GP);
  });
});

describe("RDTSC", () => {
  it("returns the retired-instruction count in EDX:EAX", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.icount = 0x123_8765_4321;
    exec(m, [0x0f, 0x31]);
    expect(c.reg32(Reg.EDX)).toBe(0x123);
    expect(c.reg32(Reg.EAX) >>> 0).toBe(0x87654321);
    expect(c.icount).toBe(0x123_8765_4322);
  });

  it("counts the instructions retired before it", () => {
    const m = protectedMachine();
    exec(m, [0x90, 0x90, 0x90, 0x0f, 0x31], 4);
    expect(m.cpu.reg32(Reg.EAX)).toBe(3);
    expect(m.cpu.reg32(Reg.EDX)).toBe(0);
  });

  it("faults at CPL > 0 only when CR4.TSD is set", () => {
    const m = protectedMachine();
    m.cpu.cpl = 3;
    exec(m, [0x0f, 0x31]);
    const t = protectedMachine();
    t.cpu.cr4 = 4;
    t.cpu.cpl = 3;
    t.cpu.setReg32(Reg.EAX, 0x5a);
    expect(execFault(t, [0x0f, 0x31])).toBe(Vector.GP);
    expect(t.cpu.reg32(Reg.EAX)).toBe(0x5a);
    const k = protectedMachine();
    k.cpu.cr4 = 4;
    exec(k, [0x0f, 0x31]);
    expect(k.cpu.eip).toBe(CODE + 2);
  });
});

describe("RDPMC", () => {
  it("reads PERFCTR0/1 as 40-bit values; other counters and CPL 3 without CR4.PCE fault", () => {
    const m = protectedMachine();
    const c = m.cpu;
    exec(m, [0xb9, 0xc2, 0, 0, 0, 0xb8, 0x78, 0x56, 0x34, 0x12, 0xba, 0xab, 0x89, 0, 0, 0x0f, 0x30], 4); // WRMSR PERFCTR1
    exec(m, [0xb9, 1, 0, 0, 0, 0x0f, 0x33], 2);
    expect(c.reg32(Reg.EAX)).toBe(0x12345678);
    expect(c.reg32(Reg.EDX)).toBe(0xab);
    const bad = protectedMachine();
    bad.cpu.setReg32(Reg.ECX, 2);
    expect(execFault(bad, [0x0f, 0x33])).toBe(Vector.GP);
    const user = protectedMachine();
    user.cpu.cpl = 3;
    expect(execFault(user, [0x0f, 0x33])).toBe(Vector.GP);
    const allowed = protectedMachine();
    allowed.cpu.cpl = 3;
    allowed.cpu.cr4 = 0x100;
    exec(allowed, [0x0f, 0x33]);
    expect(allowed.cpu.eip).toBe(CODE + 2);
  });
});

describe("CPUID", () => {
  function cpuid(leaf: number): [number, number, number, number] {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, leaf);
    c.setReg32(Reg.ECX, 0x12345678);
    exec(m, [0x0f, 0xa2]);
    return [c.reg32(Reg.EAX), c.reg32(Reg.EBX), c.reg32(Reg.ECX), c.reg32(Reg.EDX)];
  }

  it("leaf 0: maximum leaf 2 and GenuineIntel", () => {
    const [a, b, c, d] = cpuid(0);
    expect(a).toBe(2);
    expect(ascii(b, d, c)).toBe("GenuineIntel");
  });

  it("leaf 1: a Pentium Pro, family 6 model 1 stepping 9, with exactly its features", () => {
    const [a, b, c, d] = cpuid(1);
    expect((a >> 8) & 0xf).toBe(6);
    expect((a >> 4) & 0xf).toBe(1);
    expect(a & 0xf).toBe(9);
    expect(a >>> 12).toBe(0);
    expect(b).toBe(0);
    expect(c).toBe(0);
    const bits = [0, 3, 4, 5, 8, 12, 13, 15]; // FPU PSE TSC MSR CX8 MTRR PGE CMOV
    expect(d).toBe(bits.reduce((s, k) => s | (1 << k), 0));
    for (const absent of [1, 6, 9, 11, 23, 25]) expect(d & (1 << absent)).toBe(0); // VME PAE APIC SEP MMX SSE
  });

  it("leaf 2: one call's worth of Pentium Pro cache and TLB descriptors", () => {
    const [a, b, c, d] = cpuid(2);
    expect(a & 0xff).toBe(1);
    const descriptors = [a >>> 8, d].flatMap((r) => le32(r)).filter((x) => x !== 0);
    expect(descriptors.sort((x, y) => x - y)).toEqual([0x01, 0x02, 0x03, 0x04, 0x06, 0x0a, 0x42]);
    expect(b).toBe(0);
    expect(c).toBe(0);
  });

  it("leaves above the maximum answer as leaf 2", () => {
    const two = cpuid(2);
    expect(cpuid(3)).toEqual(two);
    expect(cpuid(0x80000000 | 0)).toEqual(two);
    expect(cpuid(-1)).toEqual(two);
  });
});
