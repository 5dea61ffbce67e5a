import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { IOPL } from "../../src/cpu/flags.js";
import { Reg, TR_BASE, TR_LIMIT } from "../../src/cpu/layout.js";
import { exec, execFault, type Machine, poke, protectedMachine, realMachine, RecordingPorts, run } from "./harness.js";

function withPorts(m: Machine): RecordingPorts {
  const ports = new RecordingPorts();
  m.cpu.ports = ports;
  return ports;
}

/**
 * CPL 3, IOPL 0, and a 32-bit TSS at 0x2000 whose I/O bitmap (at TSS offset 0x68)
 * permits only ports 0x60 and 0x64.
 */
function userWithBitmap(m: Machine): void {
  const c = m.cpu;
  c.cpl = 3;
  c.setFlags(IOPL, false);
  c.i32[TR_BASE >> 2] = 0x2000;
  c.i32[TR_LIMIT >> 2] = 0x68 + 0x2000 / 8 + 1;
  poke(m, 0x2000 + 102, 16, 0x68);
  for (let k = 0; k <= 0x2000 / 8; k++) poke(m, 0x2000 + 0x68 + k, 8, 0xff);
  poke(m, 0x2000 + 0x68 + (0x60 >> 3), 8, 0xff & ~(1 << 0) & ~(1 << 4));
}

describe("IN", () => {
  it("reads 8, 16 and 32 bits from an immediate port, keeping the rest of EAX", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const ports = withPorts(m);
    ports.feed(0x60, 0xab);
    ports.feed(0x71, 0x1234);
    ports.feed(0xcf, 0x89abcdef);
    c.setReg32(Reg.EAX, 0x55555555);
    exec(m, [0xe4, 0x60, 0x66, 0xe5, 0x71, 0xe5, 0xcf], 1); // in al, 0x60
    expect(c.reg32(Reg.EAX)).toBe(0x555555ab);
    run(m); // in ax, 0x71
    expect(c.reg32(Reg.EAX)).toBe(0x55551234);
    run(m); // in eax, 0xcf
    expect(c.reg32(Reg.EAX) >>> 0).toBe(0x89abcdef);
    expect(ports.log.map((a) => [a.dir, a.port, a.size])).toEqual([
      ["in", 0x60, 8],
      ["in", 0x71, 16],
      ["in", 0xcf, 32],
    ]);
  });

  it("reads from the port in DX", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const ports = withPorts(m);
    ports.feed(0x3fd, 0x60, 0x6061, 0x01020304);
    c.setReg32(Reg.EDX, 0xffff03fd | 0);
    exec(m, [0xec, 0x66, 0xed, 0xed], 1); // in al, dx
    expect(c.reg8(Reg.EAX)).toBe(0x60);
    run(m); // in ax, dx
    expect(c.reg16(Reg.EAX)).toBe(0x6061);
    run(m); // in eax, dx
    expect(c.reg32(Reg.EAX)).toBe(0x01020304);
    expect(ports.log.map((a) => a.port)).toEqual([0x3fd, 0x3fd, 0x3fd]);
  });
});

describe("OUT", () => {
  it("writes AL, AX and EAX to an immediate port or DX", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const ports = withPorts(m);
    c.setReg32(Reg.EAX, 0x11223344);
    c.setReg32(Reg.EDX, 0x000003f8);
    exec(m, [
      0xe6, 0x80, // out 0x80, al
      0x66, 0xe7, 0x92, // out 0x92, ax
      0xe7, 0xf0, // out 0xf0, eax
      0xee, // out dx, al
      0x66, 0xef, // out dx, ax
      0xef, // out dx, eax
    ], 6);
    expect(ports.log).toEqual([
      { dir: "out", port: 0x80, size: 8, value: 0x44 },
      { dir: "out", port: 0x92, size: 16, value: 0x3344 },
      { dir: "out", port: 0xf0, size: 32, value: 0x11223344 },
      { dir: "out", port: 0x3f8, size: 8, value: 0x44 },
      { dir: "out", port: 0x3f8, size: 16, value: 0x3344 },
      { dir: "out", port: 0x3f8, size: 32, value: 0x11223344 },
    ]);
  });

  it("is always permitted in real mode", () => {
    const m = realMachine();
    const ports = withPorts(m);
    m.cpu.setReg16(Reg.EAX, 0x0a0b);
    exec(m, [0xe6, 0x20]); // out 0x20, al
    expect(ports.log).toEqual([{ dir: "out", port: 0x20, size: 8, value: 0x0b }]);
  });
});

describe("I/O permission", () => {
  it("lets CPL 3 reach the ports its I/O bitmap clears", () => {
    const m = protectedMachine();
    userWithBitmap(m);
    const ports = withPorts(m);
    ports.feed(0x64, 0x1c);
    exec(m, [0xe4, 0x64]); // in al, 0x64
    expect(m.cpu.reg8(Reg.EAX)).toBe(0x1c);
    expect(ports.log).toHaveLength(1);
  });

  it("faults with #GP(0) before touching the port when any byte of the access is denied", () => {
    const m = protectedMachine();
    userWithBitmap(m);
    const ports = withPorts(m);
    m.cpu.setReg32(Reg.EAX, 0x77);
    expect(execFault(m, [0x66, 0xe5, 0x60])).toBe(Vector.GP); // in ax, 0x60: port 0x61 denied
    expect(m.cpu.reg32(Reg.EAX)).toBe(0x77);
    const n = protectedMachine();
    userWithBitmap(n);
    const p2 = withPorts(n);
    n.cpu.setReg32(Reg.EDX, 0x70);
    expect(execFault(n, [0xee])).toBe(Vector.GP); // out dx, al
    expect(ports.log).toEqual([]);
    expect(p2.log).toEqual([]);
  });

  it("skips the bitmap when CPL <= IOPL", () => {
    const m = protectedMachine();
    userWithBitmap(m);
    m.cpu.setFlags(IOPL, true);
    const ports = withPorts(m);
    exec(m, [0xe6, 0x70]); // out 0x70, al
    expect(ports.log).toHaveLength(1);
  });
});
