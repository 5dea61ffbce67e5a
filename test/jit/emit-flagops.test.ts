/**
 * CLC STC CMC CLD STD LAHF SAHF SALC inline against the interpreter, after every
 * kind of flag producer and before every kind of reader, in regions where
 * nothing else touches the flags (the record then neither lives in locals nor
 * is written back at exits), and with DF read by a string instruction.
 */
import { describe as suite, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { Asm, consumer, OUTS, producer, runCases, SLOTS, Values } from "./emit-harness.js";
import type { GuestMode } from "./support.js";

const OPS = [0xf8, 0xf9, 0xf5, 0xfc, 0xfd, 0x9f, 0x9e, 0xd6];

function flagOps(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    a.regs(v.registers());
    producer(a, k >> 3, v);
    a.probe(OPS[k & 7]);
    if (v.int(3) === 0) a.probe(OPS[v.int(8)]);
    consumer(a, (k >> 2) + v.int(7), OUTS + 2 * (k % 400));
    cases.push(a.check());
  }
  return cases;
}

const MODES: GuestMode[] = ["flat", "real", "paged"];

suite("flag instructions inline", () => {
  for (const mode of MODES) {
    it(`after every producer, before every reader, ${mode}`, () => {
      runCases(mode, flagOps(mode !== "real", 13 + mode.length, 300));
    });
  }

  it("CLD and STD in regions with and without a flag record, then a string instruction", () => {
    const v = new Values(31);
    const cases: Asm[] = [];
    for (let k = 0; k < 48; k++) {
      const a = new Asm(true);
      a.regs(v.registers()).mov(Reg.ESI, 0x10000 + SLOTS + 4 * k);
      // No flags at all; flags read only (SETC); flags produced (ADD).
      const kind = k % 3;
      if (kind === 2) producer(a, 1 + (k >> 2), v);
      a.probe(k & 1 ? 0xfd : 0xfc);
      if (kind === 1) a.emit(0x0f, 0x92, 0xc3); // setc bl
      if (k & 2) a.probe(0xac); // lodsb, reading DF
      if (k & 4) a.probe(k & 1 ? 0xfc : 0xfd);
      cases.push(a.check());
    }
    runCases("flat", cases);
  });

  it("LAHF where nothing else in the region reads or writes flags", () => {
    const v = new Values(41);
    const cases: Asm[] = [];
    for (let k = 0; k < 40; k++) {
      const a = new Asm(true);
      a.regs(v.registers());
      // A record from the region before (ended by the checkpoint) or from this one.
      producer(a, 1 + v.int(9), v);
      if (k % 4 !== 3) a.check();
      // Half leave the region by RET right after LAHF, with no helper to write the record back.
      if (k & 1) a.emit(0xe8, 2, 0, 0, 0, 0xeb, 2).probe(0x9f).emit(0xc3);
      else a.probe(0x9f);
      cases.push(a.check());
    }
    runCases("flat", cases);
  });

  it("SAHF with every AH value", () => {
    const v = new Values(43);
    const cases: Asm[] = [];
    for (let ah = 0; ah < 256; ah += 3) {
      const a = new Asm(true);
      a.regs(v.registers());
      producer(a, ah, v);
      a.mov(Reg.EAX, ah << 8).probe(0x9e);
      consumer(a, ah, OUTS + 2 * ah);
      cases.push(a.check());
    }
    runCases("flat", cases);
  });
});
