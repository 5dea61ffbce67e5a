import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { CF, DF, IOPL, PF, ZF } from "../../src/cpu/flags.js";
import { Reg, Sreg, TR_BASE, TR_LIMIT } from "../../src/cpu/layout.js";
import { CODE, DATA, exec, execFault, type Machine, peek, poke, protectedMachine, realMachine, RecordingPorts, run } from "./harness.js";

const SRC = DATA;
const DST = DATA + 0x1000;

function setup(m: Machine, count: number): void {
  const c = m.cpu;
  c.setReg32(Reg.ESI, SRC);
  c.setReg32(Reg.EDI, DST);
  c.setReg32(Reg.ECX, count);
}

function fill(m: Machine, addr: number, bytes: readonly number[]): void {
  bytes.forEach((b, k) => poke(m, addr + k, 8, b));
}

function bytesAt(m: Machine, addr: number, n: number): number[] {
  return Array.from({ length: n }, (_, k) => peek(m, addr + k, 8));
}

describe("MOVS", () => {
  it("moves one element and steps ESI and EDI by its size", () => {
    const m = protectedMachine();
    setup(m, 99);
    poke(m, SRC, 32, 0x11223344);
    exec(m, [0xa5, 0x66, 0xa5, 0xa4], 3); // movsd ; movsw ; movsb
    expect(peek(m, DST, 32)).toBe(0x11223344);
    expect(m.cpu.reg32(Reg.ESI)).toBe(SRC + 7);
    expect(m.cpu.reg32(Reg.EDI)).toBe(DST + 7);
    expect(m.cpu.reg32(Reg.ECX)).toBe(99);
  });

  it("REP MOVSD copies ECX elements and retires once per iteration", () => {
    const m = protectedMachine();
    const c = m.cpu;
    setup(m, 4);
    fill(m, SRC, Array.from({ length: 16 }, (_, k) => k + 1));
    exec(m, [0xf3, 0xa5]);
    expect(bytesAt(m, DST, 17)).toEqual([...Array.from({ length: 16 }, (_, k) => k + 1), 0]);
    expect(c.reg32(Reg.ECX)).toBe(0);
    expect(c.reg32(Reg.ESI)).toBe(SRC + 16);
    expect(c.reg32(Reg.EDI)).toBe(DST + 16);
    expect(c.icount).toBe(4);
    expect(c.eip).toBe(CODE + 2);
  });

  it("runs backwards with DF = 1", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setFlags(DF, true);
    fill(m, SRC, [1, 2, 3, 4]);
    c.setReg32(Reg.ESI, SRC + 3);
    c.setReg32(Reg.EDI, DST + 3);
    c.setReg32(Reg.ECX, 3);
    exec(m, [0xf3, 0xa4]); // rep movsb
    expect(bytesAt(m, DST, 4)).toEqual([0, 2, 3, 4]);
    expect(c.reg32(Reg.ESI)).toBe(SRC);
    expect(c.reg32(Reg.EDI)).toBe(DST);
  });

  it("REP with a zero count does nothing and retires once", () => {
    const m = protectedMachine();
    const c = m.cpu;
    setup(m, 0);
    poke(m, SRC, 8, 0x55);
    exec(m, [0xf3, 0xa4]);
    expect(peek(m, DST, 8)).toBe(0);
    expect(c.reg32(Reg.ESI)).toBe(SRC);
    expect(c.icount).toBe(1);
    expect(c.eip).toBe(CODE + 2);
  });

  it("applies a segment override to the source only", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.FS, 0x18, 0x40000, -1, 0xc093);
    c.setSegmentCache(Sreg.ES, 0x20, 0x50000, -1, 0xc093);
    poke(m, 0x40000 + 0x10, 8, 0xf5);
    poke(m, SRC, 8, 0xd5);
    c.setReg32(Reg.ESI, 0x10);
    c.setReg32(Reg.EDI, 0x20);
    exec(m, [0x64, 0xa4]); // movsb es:[edi], fs:[esi]
    expect(peek(m, 0x50000 + 0x20, 8)).toBe(0xf5);
    const n = protectedMachine();
    n.cpu.setSegmentCache(Sreg.ES, 0x20, 0x50000, -1, 0xc093);
    poke(n, 0x30, 8, 0x3c);
    n.cpu.setReg32(Reg.ESI, 0x30);
    n.cpu.setReg32(Reg.EDI, 0x40);
    exec(n, [0xa4]); // source DS (base 0), destination ES
    expect(peek(n, 0x50000 + 0x40, 8)).toBe(0x3c);
  });

  it("with a 16-bit address size uses CX, SI, DI and wraps them at 64 KiB", () => {
    const m = protectedMachine();
    const c = m.cpu;
    fill(m, 0xfffe, [0xa1, 0xb2]);
    fill(m, 0x0000, [0xc3]);
    c.setReg32(Reg.ESI, 0x7777fffe);
    c.setReg32(Reg.EDI, 0x88882000);
    c.setReg32(Reg.ECX, 0x99990003);
    exec(m, [0x67, 0xf3, 0xa4]); // rep movsb with SI/DI/CX
    expect(bytesAt(m, 0x2000, 3)).toEqual([0xa1, 0xb2, 0xc3]);
    expect(c.reg32(Reg.ESI)).toBe(0x77770001);
    expect(c.reg32(Reg.EDI)).toBe(0x88882003 | 0);
    expect(c.reg32(Reg.ECX)).toBe(0x99990000 | 0);
  });

  it("works in real mode", () => {
    const m = realMachine();
    const c = m.cpu;
    c.loadSegmentReal(Sreg.DS, 0x1000);
    c.loadSegmentReal(Sreg.ES, 0x2000);
    fill(m, 0x10000 + 0x10, [9, 8, 7, 6]);
    c.setReg16(Reg.ESI, 0x10);
    c.setReg16(Reg.EDI, 0x20);
    c.setReg16(Reg.ECX, 2);
    exec(m, [0xf3, 0xa5]); // rep movsw
    expect(bytesAt(m, 0x20000 + 0x20, 5)).toEqual([9, 8, 7, 6, 0]);
    expect(c.reg16(Reg.ECX)).toBe(0);
    expect(c.reg16(Reg.ESI)).toBe(0x14);
  });

  it("yields after c.repBudget extra iterations and resumes on the next step", () => {
    const m = protectedMachine();
    const c = m.cpu;
    setup(m, 10);
    fill(m, SRC, Array.from({ length: 10 }, (_, k) => 0x40 + k));
    c.repBudget = 2;
    exec(m, [0xf3, 0xa4, 0x90]);
    expect(c.reg32(Reg.ECX)).toBe(7);
    expect(c.eip).toBe(CODE);
    expect(c.icount).toBe(3);
    expect(bytesAt(m, DST, 4)).toEqual([0x40, 0x41, 0x42, 0]);
    run(m, 3);
    expect(c.reg32(Reg.ECX)).toBe(0);
    expect(c.eip).toBe(CODE + 2);
    expect(c.icount).toBe(10);
    expect(bytesAt(m, DST, 10)).toEqual(Array.from({ length: 10 }, (_, k) => 0x40 + k));
  });

  it("a fault mid-way leaves the registers after the completed iterations and EIP on the instruction", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.ES, 0x10, 0, DST + 9, 0x4093); // the third dword, DST+8..DST+11, crosses the limit
    setup(m, 5);
    fill(m, SRC, Array.from({ length: 20 }, (_, k) => k));
    expect(execFault(m, [0xf3, 0xa5])).toBe(Vector.GP);
    expect(c.reg32(Reg.ECX)).toBe(3);
    expect(c.reg32(Reg.ESI)).toBe(SRC + 8);
    expect(c.reg32(Reg.EDI)).toBe(DST + 8);
    expect(c.eip).toBe(CODE);
    expect(c.icount).toBe(2);
    expect(bytesAt(m, DST, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 0, 0]);
  });

  it("a faulting read leaves the registers unchanged", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.DS, 0x10, 0, 0xffff, 0x4093);
    c.setReg32(Reg.ESI, 0x10000);
    c.setReg32(Reg.EDI, DST);
    expect(execFault(m, [0xa4])).toBe(Vector.GP);
    expect(c.reg32(Reg.ESI)).toBe(0x10000);
    expect(c.reg32(Reg.EDI)).toBe(DST);
  });
});

describe("CMPS and SCAS", () => {
  it("CMPSB sets the flags of [ESI] - [EDI]", () => {
    const m = protectedMachine();
    const c = m.cpu;
    setup(m, 0);
    poke(m, SRC, 8, 1);
    poke(m, DST, 8, 2);
    exec(m, [0xa6]);
    expect(c.getCF()).toBe(CF);
    expect(c.getZF()).toBe(false);
    expect(c.getSF()).toBe(true);
    expect(c.reg32(Reg.ESI)).toBe(SRC + 1);
  });

  it("REPE CMPSB stops after the first mismatch, counting it", () => {
    const m = protectedMachine();
    const c = m.cpu;
    setup(m, 8);
    fill(m, SRC, [1, 2, 3, 4, 5, 6, 7, 8]);
    fill(m, DST, [1, 2, 3, 9, 5, 6, 7, 8]);
    exec(m, [0xf3, 0xa6]);
    expect(c.reg32(Reg.ECX)).toBe(4);
    expect(c.reg32(Reg.ESI)).toBe(SRC + 4);
    expect(c.getZF()).toBe(false);
    expect(c.getCF()).toBe(CF);
    expect(c.icount).toBe(4);
  });

  it("REPE CMPSD runs to the end on equal strings", () => {
    const m = protectedMachine();
    const c = m.cpu;
    setup(m, 3);
    fill(m, SRC, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    fill(m, DST, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    exec(m, [0xf3, 0xa7]);
    expect(c.reg32(Reg.ECX)).toBe(0);
    expect(c.getZF()).toBe(true);
    expect(c.reg32(Reg.EDI)).toBe(DST + 12);
  });

  it("REPNE SCASB finds a byte (strlen)", () => {
    const m = protectedMachine();
    const c = m.cpu;
    fill(m, DST, [0x68, 0x69, 0x21, 0x00, 0x55]);
    c.setReg32(Reg.EDI, DST);
    c.setReg32(Reg.ECX, -1);
    c.setReg32(Reg.EAX, 0x12345600);
    exec(m, [0xf2, 0xae]);
    expect(c.reg32(Reg.EDI)).toBe(DST + 4);
    expect(c.reg32(Reg.ECX)).toBe(-5);
    expect(c.getZF()).toBe(true);
    expect(arith0(c.getEflags())).toBe(ZF | PF);
  });

  it("SCASW compares AX with [ES:EDI] and steps by DF", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setFlags(DF, true);
    poke(m, DST, 16, 0x8000);
    c.setReg32(Reg.EDI, DST);
    c.setReg32(Reg.EAX, 0xffff0001 | 0);
    exec(m, [0x66, 0xaf]);
    expect(c.getCF()).toBe(CF);
    expect(c.getOF()).toBe(true); // 1 - 0x8000 overflows in 16 bits
    expect(c.reg32(Reg.EDI)).toBe(DST - 2);
  });

  it("F2 repeats MOVS just as F3 does", () => {
    const m = protectedMachine();
    const c = m.cpu;
    setup(m, 3);
    fill(m, SRC, [7, 7, 7]);
    exec(m, [0xf2, 0xa4]); // repne movsb behaves as rep movsb
    expect(bytesAt(m, DST, 3)).toEqual([7, 7, 7]);
    expect(c.reg32(Reg.ECX)).toBe(0);
  });
});

/** The six status flags. */
function arith0(eflags: number): number {
  return eflags & 0x8d5;
}

describe("STOS and LODS", () => {
  it("REP STOSD fills and STOSW / STOSB store AX / AL", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0xa1b2c3d4 | 0);
    c.setReg32(Reg.EDI, DST);
    c.setReg32(Reg.ECX, 2);
    exec(m, [0xf3, 0xab, 0x66, 0xab, 0xaa], 3);
    expect(bytesAt(m, DST, 12)).toEqual([0xd4, 0xc3, 0xb2, 0xa1, 0xd4, 0xc3, 0xb2, 0xa1, 0xd4, 0xc3, 0xd4, 0]);
    expect(c.reg32(Reg.EDI)).toBe(DST + 11);
  });

  it("LODS loads the accumulator, keeping the rest of EAX for narrow sizes", () => {
    const m = protectedMachine();
    const c = m.cpu;
    fill(m, SRC, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
    c.setReg32(Reg.ESI, SRC);
    c.setReg32(Reg.EAX, 0x99999999 | 0);
    exec(m, [0xac], 1);
    expect(c.reg32(Reg.EAX)).toBe(0x99999911 | 0);
    const n = protectedMachine();
    fill(n, SRC, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
    n.cpu.setReg32(Reg.ESI, SRC);
    n.cpu.setReg32(Reg.ECX, 2);
    exec(n, [0xf3, 0xad, 0x66, 0xad], 1); // rep lodsd: the last element loaded stays
    expect(n.cpu.reg32(Reg.EAX)).toBe(0x00776655);
    expect(n.cpu.reg32(Reg.ESI)).toBe(SRC + 8);
    run(n); // lodsw reads the zero word after the data; EAX's high word stays
    expect(n.cpu.reg32(Reg.EAX)).toBe(0x00770000);
  });
});

describe("INS and OUTS", () => {
  it("REP OUTSB writes each byte to port DX", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const ports = new RecordingPorts();
    c.ports = ports;
    fill(m, SRC, [0x41, 0x42, 0x43]);
    c.setReg32(Reg.ESI, SRC);
    c.setReg32(Reg.ECX, 3);
    c.setReg32(Reg.EDX, 0x123403f8);
    exec(m, [0xf3, 0x6e]);
    expect(ports.log).toEqual([0x41, 0x42, 0x43].map((value) => ({ dir: "out", port: 0x3f8, size: 8, value })));
    expect(c.reg32(Reg.ESI)).toBe(SRC + 3);
    expect(c.icount).toBe(3);
  });

  it("OUTSD and OUTSW write 32- and 16-bit values", () => {
    const m = protectedMachine();
    const ports = new RecordingPorts();
    m.cpu.ports = ports;
    poke(m, SRC, 32, 0xdeadbeef);
    poke(m, SRC + 4, 16, 0x1234);
    m.cpu.setReg32(Reg.ESI, SRC);
    m.cpu.setReg32(Reg.EDX, 0x1f0);
    exec(m, [0x6f, 0x66, 0x6f], 2);
    expect(ports.log).toEqual([
      { dir: "out", port: 0x1f0, size: 32, value: 0xdeadbeef | 0 },
      { dir: "out", port: 0x1f0, size: 16, value: 0x1234 },
    ]);
  });

  it("REP INSW stores what the port returns", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const ports = new RecordingPorts();
    c.ports = ports;
    ports.feed(0x1f0, 0xaaaa, 0xbbbb, 0xcccc);
    c.setReg32(Reg.EDI, DST);
    c.setReg32(Reg.ECX, 3);
    c.setReg32(Reg.EDX, 0x1f0);
    exec(m, [0x66, 0xf3, 0x6d]);
    expect(peek(m, DST, 32)).toBe(0xbbbbaaaa | 0);
    expect(peek(m, DST + 4, 16)).toBe(0xcccc);
    expect(c.reg32(Reg.EDI)).toBe(DST + 6);
  });

  it("INS does not read the port when the destination is not writable", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const ports = new RecordingPorts();
    c.ports = ports;
    c.setSegmentCache(Sreg.ES, 0x10, 0, -1, 0xc091); // read-only
    c.setReg32(Reg.EDI, DST);
    c.setReg32(Reg.EDX, 0x60);
    expect(execFault(m, [0x6c])).toBe(Vector.GP);
    expect(ports.log).toEqual([]);
    expect(c.reg32(Reg.EDI)).toBe(DST);
  });

  it("faults with #GP(0) before any access when CPL > IOPL and there is no I/O bitmap", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const ports = new RecordingPorts();
    c.ports = ports;
    c.cpl = 3;
    c.setFlags(IOPL, false);
    // A 32-bit TSS at 0 whose I/O map base lies beyond its limit: no port is permitted.
    c.i32[TR_LIMIT >> 2] = 0x67;
    c.i32[TR_BASE >> 2] = 0;
    poke(m, 102, 16, 0x68);
    c.setReg32(Reg.ESI, SRC);
    c.setReg32(Reg.ECX, 4);
    expect(execFault(m, [0xf3, 0x6e])).toBe(Vector.GP);
    expect(ports.log).toEqual([]);
    expect(c.reg32(Reg.ECX)).toBe(4);
    expect(c.reg32(Reg.ESI)).toBe(SRC);
  });
});
