import { describe, expect, it } from "vitest";
import type { EmptyBus } from "../../src/cpu/bus.js";
import { CR0_PG, CR0_WP } from "../../src/cpu/cpu.js";
import { CodeWriteStage } from "../../src/cpu/codewrites.js";
import { FAULT, Vector } from "../../src/cpu/exceptions.js";
import { CF, DF, IOPL, PF, ZF } from "../../src/cpu/flags.js";
import { CODE_MAP, PAGE_FLAGS_BASE, RAM_BASE, Reg, Sreg, STATE_BASE, STATE_SIZE, TLB_ENTRIES, TR_BASE, TR_LIMIT } from "../../src/cpu/layout.js";
import {
  CODE,
  DATA,
  exec,
  execFault,
  lastErrorCode,
  load,
  type Machine,
  peek,
  poke,
  protectedMachine,
  RAM_BYTES,
  realMachine,
  RecordingPorts,
  run,
} from "./harness.js";

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

// ---- the bulk path against the element loop -----------------------------------
//
// The reference for a REP string instruction is its element step run once per
// iteration: the same instruction without REP, executed by the interpreter from a
// driver that does what the REP loop does around it (count, ZF test, budget). Both
// machines start from identical memory; afterwards the CPU state, RAM, page flags,
// code map, TLB, MMIO traffic and code-write reports must be identical.

type StringOp = "movs" | "cmps" | "stos" | "lods" | "scas";
const STRING_OPCODE: Record<StringOp, number> = { movs: 0xa4, cmps: 0xa6, stos: 0xaa, lods: 0xac, scas: 0xae };
const SEG_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
const OPS: readonly StringOp[] = ["movs", "cmps", "stos", "lods", "scas"];

interface StringCase {
  op: StringOp;
  size: 8 | 16 | 32;
  /** 1 REP/REPE, 2 REPNE. */
  rep: 1 | 2;
  a16: boolean;
  /** Segment override of the source, -1 for none. */
  seg: number;
  /** The machine runs with 16-bit code (real mode) rather than 32-bit. */
  code16: boolean;
}

/** The instruction bytes without REP; the REP form puts the prefix first. */
function stringBytes(k: StringCase): number[] {
  const bytes: number[] = [];
  if ((k.size === 16) !== k.code16 && k.size !== 8) bytes.push(0x66);
  if (k.a16 !== k.code16) bytes.push(0x67);
  if (k.seg >= 0) bytes.push(SEG_PREFIX[k.seg]);
  bytes.push(STRING_OPCODE[k.op] + (k.size === 8 ? 0 : 1));
  return bytes;
}

interface Outcome {
  vector: number;
  errorCode: number;
  writes: number[];
}

function recordWrites(m: Machine): number[] {
  const writes: number[] = [];
  m.cpu.codeWrites.subscribe(CodeWriteStage.WATCH, (pa, size) => {
    writes.push(pa, size);
  });
  return writes;
}

/** The REP instruction, executed once (a fault is caught). */
function runRep(m: Machine, k: StringCase): Outcome {
  const writes = recordWrites(m);
  load(m, CODE, [k.rep === 1 ? 0xf3 : 0xf2, ...stringBytes(k)]);
  m.cpu.eip = CODE;
  try {
    run(m);
  } catch (e) {
    if (e !== FAULT) throw e;
    return { vector: FAULT.vector, errorCode: FAULT.errorCode, writes };
  }
  return { vector: -1, errorCode: 0, writes };
}

/**
 * The element loop: NOP then the instruction without REP (so it ends where the REP
 * form ends), stepped from the driver. Leaves EIP and the instruction counter as
 * the REP form must: on the instruction after a fault or a yield, past it when done;
 * one retirement for a zero count.
 */
function runElements(m: Machine, k: StringCase): Outcome {
  const c = m.cpu;
  const writes = recordWrites(m);
  load(m, CODE, [0x90, ...stringBytes(k)]);
  const len = 1 + stringBytes(k).length;
  const testsZF = k.op === "cmps" || k.op === "scas";
  const count = () => (k.a16 ? c.reg16(Reg.ECX) : c.reg32(Reg.ECX) >>> 0);
  // The REP form fetches its code even for a zero count: so does the NOP, from the same chunk.
  c.eip = CODE;
  run(m);
  let steps = 0;
  let eip = CODE + len;
  for (;;) {
    if (count() === 0) break;
    c.eip = CODE + 1;
    try {
      run(m);
    } catch (e) {
      if (e !== FAULT) throw e;
      c.eip = CODE;
      c.icount = steps;
      return { vector: FAULT.vector, errorCode: FAULT.errorCode, writes };
    }
    steps++;
    if (k.a16) c.setReg16(Reg.ECX, c.reg16(Reg.ECX) - 1);
    else c.setReg32(Reg.ECX, c.reg32(Reg.ECX) - 1);
    if (count() === 0) break;
    if (testsZF && c.getZF() !== (k.rep === 1)) break;
    if (steps > c.repBudget) {
      eip = CODE;
      break;
    }
  }
  c.eip = eip;
  c.icount = Math.max(steps, 1);
  return { vector: -1, errorCode: 0, writes };
}

/** Byte ranges of the memory both engines share that the comparison covers. */
const COMPARED: readonly (readonly [string, number, number])[] = [
  ["state", STATE_BASE, STATE_SIZE],
  ["page flags", PAGE_FLAGS_BASE, 0x1000],
  ["code map", CODE_MAP, RAM_BYTES >>> 9],
  ["TLB", TLB_ENTRIES, 0x2000 * 4],
];

function differences(a: Machine, b: Machine): string[] {
  const out: string[] = [];
  const ua = a.cpu.u8;
  const ub = b.cpu.u8;
  // The code bytes differ by construction (F3/F2 against the NOP).
  ua[RAM_BASE + CODE] = ub[RAM_BASE + CODE] = 0;
  for (const [name, start, n] of [...COMPARED, ["RAM", RAM_BASE, RAM_BYTES] as const]) {
    if (Buffer.from(ua.buffer, start, n).equals(Buffer.from(ub.buffer, start, n))) continue;
    for (let k = 0; k < n; k++) {
      if (ua[start + k] !== ub[start + k]) {
        out.push(`${name} +0x${k.toString(16)}: 0x${ua[start + k].toString(16)} (bulk) vs 0x${ub[start + k].toString(16)} (elements)`);
        if (out.length > 8) return out;
      }
    }
  }
  const ea = a.cpu.mmio as EmptyBus;
  const eb = b.cpu.mmio as EmptyBus;
  if (ea.unhandledReads !== eb.unhandledReads || ea.unhandledWrites !== eb.unhandledWrites) out.push("MMIO traffic");
  return out;
}

/** Mulberry32: reproducible cases from a seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** Physical addresses of the data area, with a test pattern the compares can run along. */
const DATA_LO = 0x20000;

function fillData(m: Machine, r: Rng): void {
  const u8 = m.cpu.u8;
  const background = int(r, 0, 255);
  // Mostly one byte with sparse noise, so REPE runs are long and end at random places.
  const density = pick(r, [0, 1 / 10000, 1 / 700, 1 / 50, 1]);
  if (density === 1) {
    // Random bytes throughout, from a quick LCG seeded by the case.
    let x = int(r, 0, 0xffffffff);
    for (let at = (RAM_BASE + DATA_LO) >>> 2; at < (RAM_BASE + RAM_BYTES) >>> 2; at++) m.cpu.i32[at] = x = (Math.imul(x, 1664525) + 1013904223) | 0;
  } else {
    u8.fill(background, RAM_BASE + DATA_LO, RAM_BASE + RAM_BYTES);
    for (let k = Math.round((RAM_BYTES - DATA_LO) * density); k > 0; k--) u8[RAM_BASE + int(r, DATA_LO, RAM_BYTES - 1)] = int(r, 0, 255);
  }
  m.cpu.setReg32(Reg.EAX, pick(r, [background * 0x01010101, int(r, 0, 0xffffffff), background * 0x01010101 + 1]) | 0);
}

/** Two identical machines; `prepare` runs on the first, whose memory the second copies. */
function twin(make: () => Machine, prepare: (m: Machine) => void): [Machine, Machine] {
  const a = make();
  const b = make();
  prepare(a);
  // Preparing touches no translation, so the TLB of both is still the empty one of a reset.
  for (const [, start, n] of [...COMPARED.filter(([name]) => name !== "TLB"), ["RAM", RAM_BASE, RAM_BYTES] as const]) {
    b.cpu.u8.set(a.cpu.u8.subarray(start, start + n), start);
  }
  b.cpu.a20Mask = a.cpu.a20Mask;
  b.cpu.repBudget = a.cpu.repBudget;
  return [a, b];
}

/** Run `k` both ways and return what differs (empty when the engines agree). */
/**
 * Decode a NOP at linear `la` (CS base 0) on both machines, so that its chunk of the
 * code map is marked where the string instruction may write.
 */
function decodeNop(a: Machine, b: Machine, la: number): void {
  for (const m of [a, b]) {
    const c = m.cpu;
    const saved = c.eip;
    c.eip = la;
    try {
      run(m);
    } catch (e) {
      if (e !== FAULT) throw e;
    }
    c.eip = saved;
    c.icount = 0;
  }
}

function compareWays(a: Machine, b: Machine, k: StringCase, nopAt = -1): string[] {
  if (nopAt >= 0) decodeNop(a, b, nopAt);
  const ra = runRep(a, k);
  const rb = runElements(b, k);
  const out = differences(a, b);
  if (ra.vector !== rb.vector || ra.errorCode !== rb.errorCode) out.unshift(`fault ${ra.vector}/${ra.errorCode} vs ${rb.vector}/${rb.errorCode}`);
  if (ra.writes.join() !== rb.writes.join()) out.unshift(`code-write ${ra.writes.length / 2} vs ${rb.writes.length / 2} reports`);
  return out;
}

function randomCase(r: Rng, code16: boolean): StringCase {
  return {
    op: pick(r, OPS),
    size: pick(r, [8, 16, 32] as const),
    rep: pick(r, [1, 2] as const),
    a16: code16 || r() < 0.15,
    seg: r() < 0.2 ? pick(r, [Sreg.ES, Sreg.FS, Sreg.GS]) : -1,
    code16,
  };
}

/** Counts up to several thousand, biased towards small ones and page-sized runs. */
function randomCount(r: Rng): number {
  return pick(r, [int(r, 0, 8), int(r, 0, 300), int(r, 900, 1100), int(r, 0, 6000), int(r, 2000, 6000)]);
}

/** Index registers near each other often enough to overlap MOVS in both directions. */
function randomIndexes(r: Rng, lo: number, hi: number): [number, number] {
  const esi = int(r, lo, hi);
  const edi = r() < 0.35 ? esi + int(r, -40, 40) : int(r, lo, hi);
  return [esi, edi];
}

function describeCase(seed: number, k: StringCase, m: Machine): string {
  const c = m.cpu;
  return `seed ${seed} ${JSON.stringify(k)} ecx=0x${(c.reg32(Reg.ECX) >>> 0).toString(16)} esi=0x${(c.reg32(Reg.ESI) >>> 0).toString(16)} edi=0x${(c.reg32(Reg.EDI) >>> 0).toString(16)} df=${c.eflagsRaw & DF ? 1 : 0} budget=${c.repBudget}`;
}

/** A NOP at physical `pa` of the data area (flat mapping), or -1 when `pa` is outside it. */
function plantNop(m: Machine, pa: number): number {
  if (pa < DATA_LO || pa >= RAM_BYTES) return -1;
  m.cpu.u8[RAM_BASE + pa] = 0x90;
  return pa;
}

/** Page flag bit 7 on the frame of `pa`, as test harnesses watching writes set it. */
function watch(m: Machine, pa: number): void {
  if (pa >= DATA_LO && pa < RAM_BYTES) m.cpu.u8[PAGE_FLAGS_BASE + (pa >>> 12)] |= 0x80;
}

/** Flat 32-bit protected mode: RAM-wide ranges, some running past RAM into MMIO, random limits and budgets. */
function flatCase(seed: number): string[] {
  const r = prng(seed);
  const k = randomCase(r, false);
  let info = "";
  let nopAt = -1;
  const [a, b] = twin(protectedMachine, (m) => {
    const c = m.cpu;
    fillData(m, r);
    c.setFlags(DF, r() < 0.4);
    if (k.a16) {
      // Bases keep 16-bit indexes inside the data area; some limits let an element cross 64 KiB.
      for (const s of [Sreg.DS, Sreg.ES, Sreg.FS, Sreg.GS]) c.setSegmentCache(s, 0x10, int(r, 2, 12) * 0x10000 + int(r, 0, 0xfff), pick(r, [0xffff, 0xfffff, int(r, 0x8000, 0xffff)]), 0x4093);
      // Near either end of 64 KiB, often enough for runs to meet the wrap.
      const [si, di] = r() < 0.4 ? randomIndexes(r, 0xf800, 0x107ff) : randomIndexes(r, 0, 0xffff);
      c.setReg32(Reg.ESI, (int(r, 0, 0xffff) << 16) | (si & 0xffff));
      c.setReg32(Reg.EDI, (int(r, 0, 0xffff) << 16) | (di & 0xffff));
      c.setReg32(Reg.ECX, (int(r, 0, 0xffff) << 16) | randomCount(r));
    } else {
      const top = r() < 0.1 ? RAM_BYTES + 0x2000 : RAM_BYTES - 0x1000;
      const [esi, edi] = randomIndexes(r, DATA_LO + 0x8000, top);
      c.setReg32(Reg.ESI, esi);
      c.setReg32(Reg.EDI, edi);
      c.setReg32(Reg.ECX, randomCount(r));
      const limitHere = (s: number, at: number) => c.setSegmentCache(s, 0x10, 0, at + int(r, -3000, 3000), 0x4093);
      if (r() < 0.15) limitHere(Sreg.ES, edi);
      if (r() < 0.15) limitHere(k.seg >= 0 ? k.seg : Sreg.DS, esi);
      // Expand-down (limit below the data) and read-only segments go to the element step.
      if (r() < 0.05) c.setSegmentCache(Sreg.ES, 0x10, 0, edi - int(r, -3000, 3000), 0x4097);
      if (r() < 0.05) c.setSegmentCache(Sreg.ES, 0x10, 0, -1, 0x4091);
    }
    if (r() < 0.2) c.repBudget = int(r, 0, 1500);
    const edi = (c.segBase(Sreg.ES) + (k.a16 ? c.reg16(Reg.EDI) : c.reg32(Reg.EDI))) >>> 0;
    if (r() < 0.3) nopAt = plantNop(m, edi + int(r, -6000, 6000));
    if (r() < 0.1) watch(m, edi + int(r, -6000, 6000));
    info = describeCase(seed, k, m);
  });
  const d = compareWays(a, b, k, nopAt);
  return d.length ? [info, ...d] : [];
}

/** Real mode: 16-bit indexes that wrap, 64 KiB limits. */
function realCase(seed: number): string[] {
  const r = prng(seed);
  const k = randomCase(r, true);
  let info = "";
  const [a, b] = twin(realMachine, (m) => {
    const c = m.cpu;
    fillData(m, r);
    c.setFlags(DF, r() < 0.4);
    for (const s of [Sreg.DS, Sreg.ES, Sreg.FS, Sreg.GS]) c.loadSegmentReal(s, int(r, 0x2000, 0xe000));
    const [si, di] = r() < 0.4 ? randomIndexes(r, 0xf800, 0x107ff) : randomIndexes(r, 0, 0xffff);
    c.setReg16(Reg.ESI, si & 0xffff);
    c.setReg16(Reg.EDI, di & 0xffff);
    c.setReg16(Reg.ECX, randomCount(r));
    info = describeCase(seed, k, m);
  });
  const d = compareWays(a, b, k);
  return d.length ? [info, ...d] : [];
}

const PD = 0x3000;
const PT = 0x4000;
/** Linear window the paged cases use: WINDOW_PAGES pages mapped to random frames. */
const WINDOW = 0x00400000;
const WINDOW_PAGES = 24;

/**
 * Paging on: the low 64 KiB identity-mapped (code, stack, tables), and a window of
 * pages on random frames of the data area (some shared, so linear pages alias),
 * some not present, read-only or supervisor-only, accessed and dirty bits random.
 */
function pagedMachine(r: Rng): Machine {
  const m = protectedMachine();
  const c = m.cpu;
  c.writePhys32(PD, PT | 7);
  c.writePhys32(PD + (WINDOW >>> 22) * 4, (PT + 0x1000) | 7);
  for (let p = 0; p < 16; p++) c.writePhys32(PT + p * 4, (p << 12) | 7);
  for (let p = 0; p < WINDOW_PAGES; p++) {
    const frame = int(r, DATA_LO >>> 12, (RAM_BYTES >>> 12) - 1);
    const bits = r() < 0.15 ? 0 : 1 | (r() < 0.8 ? 2 : 0) | (r() < 0.8 ? 4 : 0) | (r() < 0.5 ? 0x20 : 0) | (r() < 0.5 ? 0x40 : 0);
    c.writePhys32(PT + 0x1000 + p * 4, (frame << 12) | bits);
  }
  c.cr3 = PD;
  c.cr0 = c.cr0 | CR0_PG | (r() < 0.5 ? CR0_WP : 0);
  return m;
}

function pagedCase(seed: number): string[] {
  const r = prng(seed);
  const k = randomCase(r, false);
  k.a16 = false;
  let info = "";
  let nopAt = -1;
  const [a, b] = twin(
    () => pagedMachine(prng(seed ^ 0x9e3779b9)),
    (m) => {
      const c = m.cpu;
      fillData(m, r);
      c.setFlags(DF, r() < 0.4);
      c.cpl = r() < 0.4 ? 3 : 0;
      const [esi, edi] = randomIndexes(r, WINDOW, WINDOW + WINDOW_PAGES * 0x1000 - 1);
      c.setReg32(Reg.ESI, esi);
      c.setReg32(Reg.EDI, edi);
      c.setReg32(Reg.ECX, randomCount(r));
      if (r() < 0.2) c.repBudget = int(r, 0, 1500);
      // Watch some frames of the window the way test harnesses and the descriptor shadow do.
      if (r() < 0.3) for (let f = DATA_LO >>> 12; f < RAM_BYTES >>> 12; f++) if (r() < 0.1) c.u8[PAGE_FLAGS_BASE + f] |= 0x80;
      // A NOP decoded on a page of the window, near the destination.
      const nop = edi + int(r, -6000, 6000);
      const pte = c.readPhys32(PT + 0x1000 + ((nop >>> 12) - (WINDOW >>> 12)) * 4);
      if (r() < 0.3 && nop >>> 12 >= WINDOW >>> 12 && nop >>> 12 < (WINDOW >>> 12) + WINDOW_PAGES && pte & 1) {
        c.u8[RAM_BASE + (pte & ~0xfff) + (nop & 0xfff)] = 0x90;
        nopAt = nop;
      }
      info = describeCase(seed, k, m);
    },
  );
  const d = compareWays(a, b, k, nopAt);
  return d.length ? [info, ...d] : [];
}

describe("REP bulk path against the element loop", () => {
  it("agrees in flat protected mode (random sizes, directions, counts, overlaps, limits, budgets)", () => {
    for (let seed = 1; seed <= 500; seed++) expect(flatCase(seed)).toEqual([]);
  });

  it("agrees in real mode with 16-bit indexes wrapping at 64 KiB", () => {
    for (let seed = 1001; seed <= 1200; seed++) expect(realCase(seed)).toEqual([]);
  });

  it("agrees with paging: faults mid-run, aliased pages, user and read-only pages, watched frames", () => {
    for (let seed = 2001; seed <= 2500; seed++) expect(pagedCase(seed)).toEqual([]);
  });

  it("agrees on overlapping MOVS at every distance and direction", () => {
    const failures: string[] = [];
    for (const size of [8, 16, 32] as const) {
      for (const df of [false, true]) {
        for (let dist = -24; dist <= 24; dist++) {
          const k: StringCase = { op: "movs", size, rep: 1, a16: false, seg: -1, code16: false };
          const r = prng(dist + 100 * size + (df ? 7 : 0));
          const [a, b] = twin(protectedMachine, (m) => {
            for (let pa = 0x4f000; pa < 0x52000; pa++) m.cpu.u8[RAM_BASE + pa] = int(r, 0, 255);
            m.cpu.setFlags(DF, df);
            setup(m, 1200);
            m.cpu.setReg32(Reg.ESI, 0x50000 + 0x7f3);
            m.cpu.setReg32(Reg.EDI, 0x50000 + 0x7f3 + dist);
          });
          const d = compareWays(a, b, k);
          if (d.length) failures.push(`size ${size} df ${df} dist ${dist}: ${d[0]}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("REP bulk path", () => {
  it("replicates the pattern of memset-by-MOVSB (destination one byte ahead)", () => {
    const m = protectedMachine();
    const c = m.cpu;
    poke(m, 0x30000, 8, 0x5c);
    c.setReg32(Reg.ESI, 0x30000);
    c.setReg32(Reg.EDI, 0x30001);
    c.setReg32(Reg.ECX, 10000);
    exec(m, [0xf3, 0xa4]);
    expect(bytesAt(m, 0x30000, 10002)).toEqual([...Array<number>(10001).fill(0x5c), 0]);
    expect(c.icount).toBe(10000);
  });

  it("a page fault in the middle of a run stops at the first element of the missing page", () => {
    const m = pagedMachine(prng(1));
    const c = m.cpu;
    // Three present pages, then a hole.
    for (let p = 0; p < 4; p++) c.writePhys32(PT + 0x1000 + p * 4, p === 3 ? 0 : (0x30000 + p * 0x1000) | 7);
    c.setReg32(Reg.EDI, WINDOW + 0x10);
    c.setReg32(Reg.ECX, 4000);
    c.setReg32(Reg.EAX, 0x11223344);
    expect(execFault(m, [0xf3, 0xab])).toBe(Vector.PF); // rep stosd
    expect(lastErrorCode()).toBe(2); // not present, write, supervisor
    expect(c.cr2).toBe(WINDOW + 0x3000);
    const done = (0x3000 - 0x10) / 4;
    expect(c.reg32(Reg.ECX)).toBe(4000 - done);
    expect(c.reg32(Reg.EDI)).toBe(WINDOW + 0x3000);
    expect(c.icount).toBe(done);
    expect(c.eip).toBe(CODE);
    expect(peek(m, 0x30000 + 0x10, 32)).toBe(0x11223344);
    expect(peek(m, 0x32000 + 0xffc, 32)).toBe(0x11223344);
    // The dirty bits are set as the walk of each page's first element leaves them.
    for (let p = 0; p < 3; p++) expect(c.readPhys32(PT + 0x1000 + p * 4) & 0x60).toBe(0x60);
  });

  it("a segment limit in the middle of a run faults at the element that crosses it", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.ES, 0x10, 0, 0x40000 + 0x1800, 0x4093);
    c.setReg32(Reg.EDI, 0x40000);
    c.setReg32(Reg.ECX, 5000);
    c.setReg32(Reg.EAX, 0x7777);
    expect(execFault(m, [0x66, 0xf3, 0xab])).toBe(Vector.GP); // rep stosw: the word at +0x1801 crosses
    expect(c.reg32(Reg.EDI)).toBe(0x40000 + 0x1800);
    expect(c.reg32(Reg.ECX)).toBe(5000 - 0xc00);
    expect(c.icount).toBe(0xc00);
    expect(peek(m, 0x40000 + 0x17fe, 16)).toBe(0x7777);
    expect(peek(m, 0x40000 + 0x1800, 16)).toBe(0);
  });

  it("16-bit indexes: an element at SI = 0xFFFF after the wrap faults (real mode, DF = 1)", () => {
    const m = realMachine();
    const c = m.cpu;
    c.setFlags(DF, true);
    c.loadSegmentReal(Sreg.DS, 0x4000);
    poke(m, 0x40001, 16, 0xbeef);
    c.setReg16(Reg.ESI, 1);
    c.setReg16(Reg.ECX, 5);
    expect(execFault(m, [0xf3, 0xad])).toBe(Vector.GP); // rep lodsw: [1] then [0xFFFF], which crosses the limit
    expect(c.reg16(Reg.EAX)).toBe(0xbeef);
    expect(c.reg16(Reg.ESI)).toBe(0xffff);
    expect(c.reg16(Reg.ECX)).toBe(4);
    expect(c.icount).toBe(1);
  });

  it("REPE CMPSD finds a mismatch deep in a buffer and leaves the flags of that compare", () => {
    const m = protectedMachine();
    const c = m.cpu;
    for (let k = 0; k < 3000; k++) {
      poke(m, 0x30000 + 4 * k, 32, k * 0x9e3779b1);
      poke(m, 0x40000 + 4 * k, 32, k * 0x9e3779b1);
    }
    poke(m, 0x40000 + 4 * 2345, 32, 0x80000000);
    c.setReg32(Reg.ESI, 0x30000);
    c.setReg32(Reg.EDI, 0x40000);
    c.setReg32(Reg.ECX, 3000);
    exec(m, [0xf3, 0xa7]);
    expect(c.reg32(Reg.ECX)).toBe(3000 - 2346);
    expect(c.reg32(Reg.ESI)).toBe(0x30000 + 4 * 2346);
    expect(c.icount).toBe(2346);
    const a = (2345 * 0x9e3779b1) | 0;
    const n = protectedMachine(); // the same compare, once
    poke(n, 0x30000, 32, a);
    poke(n, 0x40000, 32, 0x80000000);
    n.cpu.setReg32(Reg.ESI, 0x30000);
    n.cpu.setReg32(Reg.EDI, 0x40000);
    exec(n, [0xa7]);
    expect(arith0(c.getEflags())).toBe(arith0(n.cpu.getEflags()));
    expect(c.getZF()).toBe(false);
  });

  it("writing over decoded code drops it before the new bytes run", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const at = 0x30800;
    load(m, at, [0xb8, 1, 0, 0, 0]); // mov eax, 1
    c.eip = at;
    run(m);
    expect(c.reg32(Reg.EAX)).toBe(1);
    // A long fill over the page, the decoded instruction in the middle of it.
    c.setReg32(Reg.EDI, 0x30000);
    c.setReg32(Reg.ECX, 0x1000);
    c.setReg32(Reg.EAX, 0x40); // inc eax
    exec(m, [0xf3, 0xaa]);
    expect(bytesAt(m, at, 5)).toEqual([0x40, 0x40, 0x40, 0x40, 0x40]);
    c.setReg32(Reg.EAX, 7);
    c.eip = at;
    run(m);
    expect(c.reg32(Reg.EAX)).toBe(8);
    expect(c.eip).toBe(at + 1);
  });

  it("writing over decoded code going down (DF = 1) with MOVSD drops it too", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const at = 0x30400;
    load(m, at, [0xb8, 1, 0, 0, 0]); // mov eax, 1
    c.eip = at;
    run(m);
    fill(m, 0x50000, Array<number>(0x1000).fill(0x48)); // dec eax
    c.setFlags(DF, true);
    c.setReg32(Reg.ESI, 0x50ffc);
    c.setReg32(Reg.EDI, 0x30ffc);
    c.setReg32(Reg.ECX, 0x400);
    exec(m, [0xf3, 0xa5]);
    c.setReg32(Reg.EAX, 7);
    c.eip = at;
    run(m);
    expect(c.reg32(Reg.EAX)).toBe(6);
  });

  it("writes to a frame watched with page flag bit 7 reach the code-write subscribers one element at a time", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const writes: number[] = [];
    c.codeWrites.subscribe(CodeWriteStage.WATCH, (pa, size) => writes.push(pa, size));
    c.u8[PAGE_FLAGS_BASE + 0x31] |= 0x80;
    c.setReg32(Reg.EDI, 0x30ff0);
    c.setReg32(Reg.ECX, 0x10);
    c.setReg32(Reg.EAX, -1);
    exec(m, [0xf3, 0xab]); // 4 dwords in frame 0x30, 12 in frame 0x31
    expect(writes).toEqual(Array.from({ length: 12 }, (_, k) => [0x31000 + 4 * k, 4]).flat());
    expect(peek(m, 0x3102c, 32)).toBe(-1);
  });
});
