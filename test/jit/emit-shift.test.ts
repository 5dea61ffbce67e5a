/**
 * Shifts and rotates inline against the interpreter: all eight group-2
 * operations by 1, an immediate and CL, SHLD and SHRD by an immediate and CL,
 * in every size, on registers and memory, for the counts where the rules
 * change (0, 1, the operand size and around it, 31, and counts masked to those),
 * with flags read afterwards; and a count of 0 on a memory operand that faults.
 */
import { describe as suite, expect, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { Asm, B, consumer, M, type Operand, OUTS, producer, R, runCases, SLOTS, Values } from "./emit-harness.js";
import { type GuestMode, unmap } from "./support.js";

const COUNTS = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 24, 31, 32, 33, 40, 63, 255];

function operand(v: Values, k: number, size: number): Operand {
  if (v.int(3) === 0) return M(SLOTS + 8 * k);
  const regs = size === 8 ? [0, 1, 2, 3, 4, 5, 6, 7] : [0, 1, 2, 3, 5, 6, 7];
  return R(regs[v.int(regs.length)]);
}

/** One case per (count form, operation): a register or memory destination, CL set to the count. */
function group2(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    a.regs(v.registers());
    a.store(SLOTS + 8 * k, v.value());
    producer(a, k, v);
    const size = [8, 16, 32][v.int(3)];
    const op = k & 7;
    const form = (k >> 3) % 3; // 1, Ib, CL
    const n = COUNTS[v.int(COUNTS.length)];
    const e = operand(v, k, size);
    if (form === 2) a.emit(0xb1, n); // mov cl, n
    const opcode = [0xd0, 0xc0, 0xd2][form] + (size === 8 ? 0 : 1);
    a.probe(...a.osz(size), opcode, ...a.modrm(op, e), ...(form === 1 ? [n] : []));
    consumer(a, k >> 2, OUTS + 2 * k);
    cases.push(a.check());
  }
  return cases;
}

function double(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    a.regs(v.registers());
    a.store(SLOTS + 8 * k, v.value());
    producer(a, k + 3, v);
    const size = v.int(2) ? 32 : 16;
    const cl = (k & 1) === 1;
    const n = COUNTS[v.int(COUNTS.length)];
    const e = operand(v, k, size);
    if (cl) a.emit(0xb1, n);
    const base = (k & 2) === 0 ? 0xa4 : 0xac; // SHLD, SHRD
    a.probe(...a.osz(size), 0x0f, base + (cl ? 1 : 0), ...a.modrm([0, 1, 2, 3, 5, 6, 7][v.int(7)], e), ...(cl ? [] : [n]));
    consumer(a, k >> 2, OUTS + 2 * k);
    cases.push(a.check());
  }
  return cases;
}

const MODES: GuestMode[] = ["flat", "real", "paged"];

suite("shifts and rotates inline", () => {
  for (const mode of MODES) {
    it(`ROL ROR RCL RCR SHL SHR SAL SAR by 1, Ib and CL, ${mode}`, () => {
      runCases(mode, group2(mode !== "real", 3 + mode.length, mode === "real" ? 200 : 240));
    });
    it(`SHLD SHRD by Ib and CL, ${mode}`, () => {
      runCases(mode, double(mode !== "real", 9 + mode.length, 200));
    });
  }

  it("every count of every operation on each size", () => {
    // Exhaustive over the masked counts 0..31 (and CL values above 31), register destination.
    const v = new Values(99);
    const cases: Asm[] = [];
    for (let op = 0; op < 8; op++) {
      for (const size of [8, 16, 32]) {
        for (let n = 0; n < 34; n += op === 2 || op === 3 ? 1 : 3) {
          const a = new Asm(true);
          a.regs(v.registers());
          producer(a, n + op, v);
          a.emit(0xb1, n).probe(...a.osz(size), size === 8 ? 0xd2 : 0xd3, ...a.modrm(op, R(Reg.EBX)));
          cases.push(a.check());
        }
      }
    }
    runCases("flat", cases.slice(0, cases.length >> 1));
    runCases("flat", cases.slice(cases.length >> 1));
  });

  for (const form of [0xd3, 0xc1, 0xd2]) {
    it(`a count of 0 still checks and reads a memory destination (${form.toString(16)}): the fault is the interpreter's`, () => {
      // Pass 1 shifts [ESI] in a mapped page by 0; pass 2 points ESI at a page that is not present.
      const POINTER = 0x48;
      const v = new Values(form);
      const a = new Asm(true);
      a.regs(v.registers());
      producer(a, form, v);
      a.load(Reg.ESI, POINTER).emit(0xb1, 0x20);
      a.probe(form, ...a.modrm(4, B(Reg.ESI)), ...(form === 0xc1 ? [0x40] : []));
      const r = runCases("paged", [a.check()], {
        passes: 2,
        faults: true,
        setup: (w) => unmap(w, 0x66),
        before: (pass) => new Asm(true).store(POINTER, pass === 0 ? 0x65000 : 0x66ffe).bytes,
      });
      expect(r.jit.cpu.cr2).toBe(0x66ffe);
      expect(r.logs.jit.length).toBe(1);
    });
  }
});
