/**
 * Interpreter tests as tables. `oracleTests` runs a family's rows recorded on the
 * reference CPU; `insnTests` runs cases of one shape (memory, registers and flags
 * set on a fresh machine, code executed, then the fault or the memory, registers
 * and flags expected), one test each under the case's name.
 */
import { describe, expect, it } from "vitest";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { execFault, type OracleRow, oracleResult, peek, poke, protectedMachine, realMachine } from "./harness.js";

/** One test per row, all on one 32-bit protected-mode machine. */
export function oracleTests(title: string, rows: readonly OracleRow[]): void {
  describe(title, () => {
    const m = protectedMachine();
    it.each(rows)("%s", (...row) => {
      const [actual, expected] = oracleResult(m, row as OracleRow);
      expect(actual).toEqual(expected);
    });
  });
}

const REGS = { EAX: Reg.EAX, ECX: Reg.ECX, EDX: Reg.EDX, EBX: Reg.EBX, ESP: Reg.ESP, EBP: Reg.EBP, ESI: Reg.ESI, EDI: Reg.EDI };
export type Regs = Partial<Record<keyof typeof REGS, number>>;
/** A little-endian value of `size` bits at a physical address. */
export type MemValue = readonly [addr: number, size: number, value: number];

export interface InsnCase {
  name: string;
  /** Real mode with every segment at 0 (default: 32-bit flat protected mode, CPL 0). */
  real?: boolean;
  /** Before: memory, registers, the status flags in `mask` set to `value`, and DS's limit and attributes. */
  mem?: readonly MemValue[];
  regs?: Regs;
  flags?: { value: number; mask: number };
  ds?: { limit: number; attr: number };
  code: readonly number[];
  /** Instructions executed (default 1). */
  count?: number;
  /** After: the vector of the fault raised (default: none), memory, registers, and EFLAGS & `mask`. */
  fault?: number;
  outMem?: readonly MemValue[];
  outRegs?: Regs;
  outFlags?: { mask: number; value: number };
}

/** What a case expects, and what the machine shows for the same things (values as unsigned). */
function run(c: InsnCase): { actual: object; expected: object } {
  const m = c.real ? realMachine() : protectedMachine();
  for (const [addr, size, value] of c.mem ?? []) poke(m, addr, size, value);
  for (const [name, value] of Object.entries(c.regs ?? {})) m.cpu.setReg32(REGS[name as keyof typeof REGS], value);
  if (c.flags) m.cpu.setEflagsMasked(c.flags.value, c.flags.mask);
  if (c.ds) m.cpu.setSegmentCache(Sreg.DS, 0x10, 0, c.ds.limit, c.ds.attr);
  const vector = execFault(m, c.code, c.count ?? 1);
  const actual = {
    fault: vector,
    mem: (c.outMem ?? []).map(([addr, size]) => peek(m, addr, size) >>> 0),
    regs: Object.keys(c.outRegs ?? {}).map((name) => m.cpu.reg32(REGS[name as keyof typeof REGS]) >>> 0),
    flags: c.outFlags ? m.cpu.getEflags() & c.outFlags.mask : 0,
  };
  const expected = {
    fault: c.fault ?? -1,
    mem: (c.outMem ?? []).map(([, , value]) => value >>> 0),
    regs: Object.values(c.outRegs ?? {}).map((value) => value >>> 0),
    flags: c.outFlags?.value ?? 0,
  };
  return { actual, expected };
}

/** One test per case, each on a fresh machine. */
export function insnTests(title: string, cases: readonly InsnCase[]): void {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, () => {
        const { actual, expected } = run(c);
        expect(actual).toEqual(expected);
      });
    }
  });
}
