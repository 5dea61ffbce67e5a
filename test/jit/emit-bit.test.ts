/**
 * BT BTS BTR BTC and BSF BSR inline against the interpreter: register and
 * immediate bit offsets, register and memory operands, memory bit strings
 * addressed beyond the operand (negative offsets, 16-bit wrap), zero sources of
 * the scans, flags read afterwards, and bit strings that run into a missing
 * page or past a segment limit.
 */
import { describe as suite, expect, it } from "vitest";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { Asm, B, consumer, M, OUTS, producer, R, runCases, SLOTS, Values } from "./emit-harness.js";
import { type GuestMode, unmap } from "./support.js";

const DEST = [0, 1, 2, 3, 5, 6, 7];
/** Bit strings live here; register offsets reach 256 bytes either side. */
const STRING = 0x400;

function bitTests(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    a.regs(v.registers());
    const at = STRING + 4 * v.int(64);
    a.store(at, v.value()).store(at - 0x80, v.value()).store(at + 0x80, v.value());
    producer(a, k, v);
    const size = v.int(3) ? 32 : 16;
    const op = k & 3; // BT BTS BTR BTC
    const memory = v.int(2) === 0;
    const e = memory ? M(at) : R(DEST[v.int(7)]);
    if ((k >> 2) & 1) {
      a.probe(...a.osz(size), 0x0f, 0xba, ...a.modrm(4 + op, e), v.int(256));
    } else {
      const src = DEST[v.int(7)];
      // Memory offsets stay within the bit strings around `at`; register ones are any value.
      a.mov(src, memory ? v.int(0x800) - 0x400 : v.value());
      a.probe(...a.osz(size), 0x0f, 0xa3 + 8 * op, ...a.modrm(src, e));
    }
    consumer(a, k >> 3, OUTS + 2 * k);
    cases.push(a.check());
  }
  return cases;
}

function scans(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    a.regs(v.registers());
    const size = v.int(2) ? 32 : 16;
    const source = v.int(4) === 0 ? 0 : v.int(2) ? 1 << v.int(32) : v.value();
    const memory = v.int(3) === 0;
    const e = memory ? M(SLOTS + 4 * k) : R(DEST[v.int(7)]);
    if (memory) a.store(SLOTS + 4 * k, source);
    else a.mov((e as { r: number }).r, source);
    producer(a, k, v);
    a.probe(...a.osz(size), 0x0f, 0xbc + (k & 1), ...a.modrm(DEST[v.int(7)], e));
    consumer(a, k >> 1, OUTS + 2 * k);
    cases.push(a.check());
  }
  return cases;
}

const MODES: GuestMode[] = ["flat", "real", "paged"];

suite("bit tests and scans inline", () => {
  for (const mode of MODES) {
    it(`BT BTS BTR BTC, register and immediate offsets, ${mode}`, () => {
      runCases(mode, bitTests(mode !== "real", 5 + mode.length, 180));
    });
    it(`BSF BSR, ${mode}`, () => {
      runCases(mode, scans(mode !== "real", 8 + mode.length, 200));
    });
  }

  it("a 16-bit bit-string address wraps in the address size", () => {
    const v = new Values(3);
    const cases: Asm[] = [];
    for (const [at, offset] of [[0x10, -0x400], [0x4, -0x21], [0xfff0, 0x200], [0xfffc, 0x11], [0xfffc, 0x31]]) {
      for (const op of [0, 1]) {
        const a = new Asm(false);
        a.regs(v.registers());
        a.store(at & ~1, v.value(), 16);
        a.mov(Reg.ECX, offset).probe(...a.osz(op ? 32 : 16), 0x0f, 0xab, ...a.modrm(Reg.ECX, M(at)));
        cases.push(a.check());
      }
    }
    runCases("real", cases);
  });

  it("a bit string reaching a page that is not present faults exactly", () => {
    const OFFSET = 0x48;
    const v = new Values(6);
    const a = new Asm(true);
    a.regs(v.registers());
    producer(a, 1, v);
    a.mov(Reg.ESI, 0x65ff0).load(Reg.EDX, OFFSET).probe(0x0f, 0xab, ...a.modrm(Reg.EDX, B(Reg.ESI)));
    const r = runCases("paged", [a.check()], {
      passes: 2,
      faults: true,
      setup: (w) => unmap(w, 0x66),
      // Pass 1 sets bit 100 (byte 0x65ffc); pass 2 bit 200 (the dword at 0x66008).
      before: (pass) => new Asm(true).store(OFFSET, pass === 0 ? 100 : 200).bytes,
    });
    expect(r.jit.cpu.cr2).toBe(0x66008);
  });

  it("a bit string past the DS limit raises #GP exactly", () => {
    const OFFSET = 0x48;
    const v = new Values(7);
    const a = new Asm(true);
    a.regs(v.registers());
    producer(a, 2, v);
    a.mov(Reg.ESI, 0x1fff0).load(Reg.EDX, OFFSET).probe(0x0f, 0xa3, ...a.modrm(Reg.EDX, B(Reg.ESI)));
    const r = runCases("flat", [a.check()], {
      passes: 2,
      faults: true,
      setup: (w) => w.cpu.setSegmentCache(Sreg.DS, 0x10, 0, 0x1ffff, 0xc093),
      before: (pass) => new Asm(true).store(OFFSET, pass === 0 ? 64 : 128).bytes,
    });
    expect(r.logs.jit.length).toBe(1);
    // #GP(0): the error code, then the EIP of the BT.
    const c = r.jit.cpu;
    expect(c.readPhys32(c.reg32(Reg.ESP))).toBe(0);
    expect(c.readPhys8(c.readPhys32(c.reg32(Reg.ESP) + 4) + 1)).toBe(0xa3);
  });
});
