/**
 * Differential harness for the JIT: the same guest program on two CPUs, one run
 * by the interpreter and one by the JIT engine (synchronous compilation, every
 * block start hot at once), then the whole state compared with the lockstep
 * command's comparison. Guests run in real mode, 32-bit flat protected mode or
 * 32-bit protected mode with paging; in protected mode a GDT and an IDT whose
 * every gate leads to a HLT are in place, so a fault ends the run cleanly.
 */
import { CR0_PE, CR0_PG, Cpu } from "../../src/cpu/cpu.js";
import * as L from "../../src/cpu/layout.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { flushTlb } from "../../src/cpu/paging.js";
import { Interpreter } from "../../src/interp/interpreter.js";
import { compareCpus, type Difference } from "../../runtime/diff.js";
import { InterpreterEngine } from "../../runtime/engine.js";
import { JitEngine, type JitOptions } from "../../runtime/jit.js";
import { createMachine, type Machine } from "../../runtime/machine.js";

export const RAM_BYTES = 1 << 20;
/** Where programs are loaded and start. */
export const CODE = 0x1000;
/** Every exception and interrupt vector leads here: HLT. */
export const HANDLER = 0x7000;
export const STACK_TOP = 0x8000;
/** A data area for memory operands. */
export const DATA = 0x10000;
const GDT = 0x0;
const IDT = 0x800;
const PAGE_DIR = 0x9000;
const PAGE_TABLE = 0xa000;

export type GuestMode = "real" | "flat" | "paged";

export interface World {
  cpu: Cpu;
  interp: Interpreter;
}

const CODE32 = 0xc09b;
const DATA32 = 0xc093;

/** Write a segment descriptor at physical `at` (attr: descriptor bits 40..55 shifted down by 8). */
export function descriptor(c: Cpu, at: number, base: number, limit: number, attr: number): void {
  c.writePhys32(at, (limit & 0xffff) | ((base & 0xffff) << 16));
  c.writePhys32(at + 4, ((base >>> 16) & 0xff) | ((attr & 0xf0ff) << 8) | (limit & 0xf0000) | (base & 0xff000000));
}

/** A CPU in `mode` with RAM cleared but for the descriptor tables, page tables and the handler. */
export function makeWorld(mode: GuestMode): World {
  const c = new Cpu({ ramBytes: RAM_BYTES });
  c.writePhys8(HANDLER, 0xf4);
  if (mode === "real") {
    for (let v = 0; v < 256; v++) c.writePhys32(v * 4, HANDLER);
    for (let s = 0; s < 6; s++) c.loadSegmentReal(s, 0);
  } else {
    descriptor(c, GDT + 8, 0, 0xfffff, CODE32);
    descriptor(c, GDT + 16, 0, 0xfffff, DATA32);
    c.i32[L.GDTR_BASE >> 2] = GDT;
    c.i32[L.GDTR_LIMIT >> 2] = 0x17;
    for (let v = 0; v < 256; v++) {
      c.writePhys32(IDT + v * 8, (0x08 << 16) | (HANDLER & 0xffff));
      c.writePhys32(IDT + v * 8 + 4, (HANDLER & 0xffff0000) | 0x8e00);
    }
    c.i32[L.IDTR_BASE >> 2] = IDT;
    c.i32[L.IDTR_LIMIT >> 2] = 0x7ff;
    c.cr0 = c.cr0 | CR0_PE;
    for (let s = 0; s < 6; s++) {
      if (s === Sreg.CS) c.setSegmentCache(s, 0x08, 0, -1, CODE32);
      else c.setSegmentCache(s, 0x10, 0, -1, DATA32);
    }
    c.cpl = 0;
    if (mode === "paged") {
      c.writePhys32(PAGE_DIR, PAGE_TABLE | 7);
      for (let p = 0; p < 1024; p++) c.writePhys32(PAGE_TABLE + p * 4, (p << 12) | 7);
      c.cr3 = PAGE_DIR;
      c.cr0 = c.cr0 | CR0_PG;
      flushTlb(c, true);
    }
  }
  c.eip = CODE;
  c.setReg32(Reg.ESP, STACK_TOP);
  return { cpu: c, interp: new Interpreter(c) };
}

/** Make a page not present in the "paged" world's identity map. */
export function unmap(w: World, page: number): void {
  w.cpu.writePhys32(PAGE_TABLE + 4 * page, 0);
}

export function load(w: World, addr: number, bytes: ArrayLike<number>): void {
  w.cpu.u8.set(bytes, L.RAM_BASE + addr);
}

/**
 * The code generator the differential tests run the JIT with: JIT386_TEST_CODEGEN=direct|binaryen|tiered
 * (default tiered, the engine's default), so that every one of them passes with each.
 */
export const testCodegen = ((): NonNullable<JitOptions["codegen"]> => {
  const v = process.env.JIT386_TEST_CODEGEN ?? "tiered";
  if (v !== "direct" && v !== "binaryen" && v !== "tiered") throw new Error(`JIT386_TEST_CODEGEN must be direct, binaryen or tiered, not '${v}'`);
  return v;
})();

export const jitOptions: JitOptions = { compile: "sync", hotThreshold: 1, batchDelay: 0, codegen: testCodegen };

export interface Both {
  interp: World;
  jit: World;
  engine: JitEngine;
  differences: Difference[];
}

/**
 * Run `program` (loaded at CODE) on both engines until HLT or `limit`
 * instructions, after `setup` prepared each world identically.
 */
export function runBoth(mode: GuestMode, program: ArrayLike<number>, setup: (w: World) => void = () => {}, limit = 100_000, opts: JitOptions = {}): Both {
  const a = makeWorld(mode);
  const b = makeWorld(mode);
  for (const w of [a, b]) {
    load(w, CODE, program);
    setup(w);
  }
  new InterpreterEngine(a.interp).runUntil(limit, () => false);
  const engine = new JitEngine(b.cpu, b.interp, { ...jitOptions, ...opts });
  engine.runUntil(limit, () => false);
  return { interp: a, jit: b, engine, differences: compareCpus(a.cpu, b.cpu, true) };
}

/** A readable summary of differences for assertion messages. */
export function describe(d: Difference[]): string {
  return d.map((x) => `${x.field}: ${x.interp} | ${x.jit}`).join("\n");
}

/**
 * A whole machine (devices included) in 32-bit flat protected mode: `main` at
 * 0x1000, `handler` at 0x2000 behind an interrupt gate for `vector`, the stack
 * below 0x8000; and the instruction counts at which it takes interrupts.
 */
export function flatMachine(engine: "interp" | "jit", main: readonly number[], vector: number, handler: readonly number[]): { m: Machine; taken: number[] } {
  const m = createMachine({ memMiB: 2, engine, jit: { hotThreshold: 2, codegen: testCodegen } });
  const c = m.cpu;
  descriptor(c, 8, 0, 0xfffff, CODE32);
  descriptor(c, 16, 0, 0xfffff, DATA32);
  c.i32[L.GDTR_BASE >> 2] = 0;
  c.i32[L.GDTR_LIMIT >> 2] = 0x17;
  c.writePhys32(IDT + vector * 8, (0x08 << 16) | 0x2000);
  c.writePhys32(IDT + vector * 8 + 4, 0x8e00);
  c.i32[L.IDTR_BASE >> 2] = IDT;
  c.i32[L.IDTR_LIMIT >> 2] = 0x7ff;
  c.cr0 = c.cr0 | CR0_PE;
  for (let s = 0; s < 6; s++) c.setSegmentCache(s, s === Sreg.CS ? 8 : 16, 0, -1, s === Sreg.CS ? CODE32 : DATA32);
  c.cpl = 0;
  main.forEach((b, k) => c.writePhys8(0x1000 + k, b));
  handler.forEach((b, k) => c.writePhys8(0x2000 + k, b));
  c.eip = 0x1000;
  c.setReg32(Reg.ESP, STACK_TOP);
  const taken: number[] = [];
  const deliver = m.interpreter.interrupt.bind(m.interpreter);
  m.interpreter.interrupt = (v: number) => {
    taken.push(c.icount);
    return deliver(v);
  };
  return { m, taken };
}
