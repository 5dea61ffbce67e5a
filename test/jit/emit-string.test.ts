/**
 * MOVS STOS LODS SCAS CMPS without REP, and RDTSC, inline against the
 * interpreter: every size, both directions, 32- and 16-bit addresses (the
 * 16-bit index wraps and keeps the high word), segment overrides, the flags of
 * SCAS and CMPS read afterwards.
 */
import { describe as suite, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { Asm, consumer, OUTS, producer, runCases, SLOTS, Values } from "./emit-harness.js";
import { DATA, type GuestMode } from "./support.js";

/** Opcodes of the byte forms; +1 is the word/dword form. */
const OPS = [0xa4, 0xaa, 0xac, 0xae, 0xa6];

function strings(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    a.regs(v.registers());
    const op = OPS[k % OPS.length] + (v.int(3) === 0 ? 0 : 1);
    const word = op & 1;
    const prefixes: number[] = [];
    if (word && v.int(3) === 0) prefixes.push(0x66);
    if (v.int(4) === 0 && op !== 0xaa && op !== 0xab) prefixes.push(0x3e); // ds: on the source (STOS has none)
    // 32-bit code indexes the data area; 16-bit code offsets in DS = ES = the data area, with random
    // high words (a 16-bit index keeps them) and now and then SI = 0xFFFF for a byte, which wraps.
    const slot = SLOTS + 32 * (k % 40);
    const high = code32 ? 0 : v.value() & 0xffff0000;
    const wrap = !code32 && !word && v.int(4) === 0;
    a.mov(Reg.ESI, (code32 ? DATA + slot : high | slot) ^ (wrap ? slot ^ 0xffff : 0));
    a.mov(Reg.EDI, code32 ? DATA + slot + 16 : high | (slot + 16));
    for (let w = 0; w < 8; w += 4) a.store(slot + w, v.value()).store(slot + 16 + w, v.int(2) ? v.value() : 0x01020304);
    producer(a, k >> 2, v);
    a.emit(v.int(2) ? 0xfd : 0xfc); // std / cld
    a.probe(...prefixes, op);
    if (v.int(2)) a.probe(...prefixes, op);
    a.emit(0xfc);
    consumer(a, (k >> 1) + v.int(7), OUTS + 2 * (k % 400));
    cases.push(a.check());
  }
  return cases;
}

const MODES: GuestMode[] = ["flat", "real", "paged"];

suite("string instructions without REP inline", () => {
  for (const mode of MODES) {
    it(`every form, size and direction, ${mode}`, () => {
      runCases(mode, strings(mode !== "real", 71 + mode.length, 400));
    });
  }
});

/** REP MOVS / REP STOS with counts around the inline limit (32), both directions, overlapping copies. */
function repeats(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    a.regs(v.registers());
    const stos = k & 1;
    const op = (stos ? 0xaa : 0xa4) + (v.int(4) === 0 ? 0 : 1);
    const sz = op & 1 ? (v.int(3) === 0 ? 16 : 32) : 8;
    const prefixes = sz === 16 ? [0x66] : [];
    const slot = SLOTS + 0x100 * (k % 8);
    const down = v.int(3) === 0;
    // Up to 40 elements of up to 4 bytes: 160 bytes from the slot's middle either way stay in the area.
    const src = slot + 0x80 + v.int(8);
    const dst = v.int(3) === 0 ? src + (v.int(9) - 4) : slot + 0x80 + v.int(16);
    const base = code32 ? DATA : 0;
    a.mov(Reg.ESI, base + src).mov(Reg.EDI, base + dst).mov(Reg.ECX, v.int(4) === 0 ? 0 : v.int(41));
    for (let w = 0; w < 0x100; w += 4) a.store(slot + w, v.value());
    producer(a, k >> 2, v);
    a.emit(down ? 0xfd : 0xfc);
    a.probe(...prefixes, 0xf3, op);
    a.emit(0xfc);
    cases.push(a.check());
  }
  return cases;
}

/** REP MOVSD / STOSD whose run crosses a page part-way: that element leaves the fast path, the handler does the rest. */
function crossings(seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(true);
    a.regs(v.registers());
    const edge = DATA + 0x3000;
    a.mov(Reg.ESI, DATA + 0x2100 + v.int(64)).mov(Reg.EDI, edge - 2 - 4 * v.int(4) - v.int(3)).mov(Reg.ECX, 2 + v.int(12));
    a.probe(0xf3, k & 1 ? 0xab : 0xa5);
    a.helpers++; // the handler finishes the REP from the crossing element
    cases.push(a.check());
  }
  return cases;
}

suite("REP MOVS and REP STOS inline", () => {
  for (const mode of MODES) {
    it(`counts around the inline limit, both directions, overlapping, ${mode}`, () => {
      runCases(mode, repeats(mode !== "real", 97 + mode.length, 200), { faults: true });
    });
  }
  for (const mode of ["flat", "paged"] as const) {
    it(`an element crossing a page part-way, ${mode}`, () => {
      runCases(mode, crossings(41, 40));
    });
  }
});

suite("RDTSC inline", () => {
  for (const mode of MODES) {
    it(`EDX:EAX from the count, ${mode}`, () => {
      const v = new Values(5);
      const cases: Asm[] = [];
      for (let k = 0; k < 40; k++) {
        const a = new Asm(mode !== "real");
        a.regs(v.registers());
        a.probe(0x0f, 0x31);
        if (k & 1) a.probe(0x0f, 0x31);
        cases.push(a.check());
      }
      runCases(mode, cases);
    });
  }
});
