/**
 * CMPXCHG and XADD inline against the interpreter: register and memory forms,
 * every size, LOCK, equal and unequal comparisons, the accumulator as r/m, and
 * a failing CMPXCHG on a read-only page, which faults because the destination
 * is written either way.
 */
import { describe as suite, expect, it } from "vitest";
import { CR0_WP } from "../../src/cpu/cpu.js";
import { Reg } from "../../src/cpu/layout.js";
import { Asm, B, consumer, M, type Operand, OUTS, producer, R, runCases, SLOTS, Values } from "./emit-harness.js";
import type { GuestMode } from "./support.js";

function atomics(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    const regs = v.registers();
    a.regs(regs);
    const size = [8, 16, 32][v.int(3)];
    const memory = v.int(2) === 0;
    const slot = SLOTS + 8 * k;
    const pick = () => (size === 8 ? v.int(8) : [0, 1, 2, 3, 5, 6, 7][v.int(7)]);
    const reg = pick();
    const e: Operand = memory ? M(slot) : R(pick());
    // Equal comparisons half the time: the destination holds the accumulator's value.
    const equal = v.int(2) === 0;
    if (memory) a.store(slot, equal ? regs[0] : v.value());
    else if (equal && "r" in e) a.emit(...a.osz(size), size === 8 ? 0x88 : 0x89, 0xc0 | e.r); // mov r/m, al/ax/eax
    producer(a, k, v);
    const lock = memory && v.int(2) ? [0xf0] : [];
    const op = k & 1 ? 0xc0 : 0xb0; // XADD, CMPXCHG
    a.probe(...lock, ...a.osz(size), 0x0f, op + (size === 8 ? 0 : 1), ...a.modrm(reg, e));
    consumer(a, k >> 1, OUTS + 2 * k);
    cases.push(a.check());
  }
  return cases;
}

const MODES: GuestMode[] = ["flat", "real", "paged"];

suite("CMPXCHG and XADD inline", () => {
  for (const mode of MODES) {
    it(`register and memory forms, ${mode}`, () => {
      runCases(mode, atomics(mode !== "real", 17 + mode.length, 240));
    });
  }

  it("an unequal CMPXCHG on a read-only page faults: the destination is written either way", () => {
    const POINTER = 0x48;
    const v = new Values(2);
    const a = new Asm(true);
    a.regs(v.registers());
    producer(a, 3, v);
    a.mov(Reg.EAX, 1).load(Reg.ESI, POINTER).probe(0x0f, 0xb1, ...a.modrm(Reg.EBX, B(Reg.ESI)));
    const r = runCases("paged", [a.check()], {
      passes: 2,
      faults: true,
      setup: (w) => {
        // Page 0x66 is present and read-only, and CR0.WP makes that count at CPL 0.
        w.cpu.writePhys32(0xa000 + 4 * 0x66, 0x66000 | 5);
        w.cpu.writePhys32(0x66010, 2);
        w.cpu.cr0 = w.cpu.cr0 | CR0_WP;
      },
      // The first pass also reads the read-only page, so that its TLB entry is there for compiled code.
      before: (pass) => [...(pass === 0 ? [0xa1, 0x10, 0x60, 0x06, 0x00] : []), ...new Asm(true).store(POINTER, pass === 0 ? 0x65000 : 0x66010).bytes],
    });
    expect(r.jit.cpu.cr2).toBe(0x66010);
    expect(r.jit.cpu.readPhys32(0x66010)).toBe(2);
    expect(r.logs.jit.length).toBe(1);
  });
});
