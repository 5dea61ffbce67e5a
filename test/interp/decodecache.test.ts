import { describe, expect, it } from "vitest";
import { CodeOwner } from "../../src/cpu/codemap.js";
import { Reg } from "../../src/cpu/layout.js";
import { MAX_DECODED } from "../../src/interp/decodecache.js";
import { bootImage, createMachine } from "../../runtime/index.js";
import { machineCore } from "../../runtime/internal.js";
import { addressImage } from "../support/images.js";
import { CODE, load, protectedMachine, run } from "./harness.js";

/**
 * "mov byte [CODE+7], 0x42" (turning the "inc ecx" at CODE+7 into "inc edx"), then
 * "inc ecx" twice, with ECX and EDX zero and EIP at the first increment.
 */
function selfPatchingMachine(): ReturnType<typeof protectedMachine> {
  const m = protectedMachine();
  const at = CODE + 7;
  load(m, CODE, [0xc6, 0x05, at & 0xff, (at >> 8) & 0xff, (at >> 16) & 0xff, at >>> 24, 0x42, 0x41, 0x41]);
  m.cpu.setReg32(Reg.ECX, 0);
  m.cpu.setReg32(Reg.EDX, 0);
  m.cpu.eip = CODE + 7;
  return m;
}

describe("decode cache and writes to the code's page", () => {
  it("a write to data sharing the page keeps the decoded instructions", () => {
    const m = protectedMachine();
    // mov dword [CODE+0x800], eax; inc ecx; jmp back to the store (5 iterations)
    const target = CODE + 0x800;
    load(m, CODE, [0xa3, target & 0xff, (target >> 8) & 0xff, (target >> 16) & 0xff, target >>> 24, 0x41, 0xeb, 0xf8]);
    m.cpu.setReg32(Reg.ECX, 0);
    m.cpu.eip = CODE;
    run(m, 15);
    const dc = m.interp.decodeCache;
    expect(m.cpu.reg32(Reg.ECX)).toBe(5);
    expect(dc.invalidations).toBe(0);
    expect(dc.misses).toBe(3);
  });

  it("a write to a decoded instruction's bytes drops it and the new bytes run", () => {
    const m = selfPatchingMachine();
    run(m, 1); // decode "inc ecx" at CODE+7 first
    expect(m.cpu.reg32(Reg.ECX)).toBe(1);
    m.cpu.eip = CODE;
    run(m, 2);
    expect(m.cpu.reg32(Reg.EDX)).toBe(1);
    expect(m.cpu.reg32(Reg.ECX)).toBe(1);
    expect(m.interp.decodeCache.invalidations).toBe(1);
  });

  it("a write drops only the instructions it overlaps; their neighbours stay decoded", () => {
    const m = selfPatchingMachine();
    run(m, 2); // decode both increments first
    m.cpu.eip = CODE;
    run(m, 3);
    const dc = m.interp.decodeCache;
    expect(m.cpu.reg32(Reg.EDX)).toBe(1);
    expect(m.cpu.reg32(Reg.ECX)).toBe(3);
    expect(dc.invalidations).toBe(1);
    // The two increments, the store, and the rewritten increment again: the second increment hit.
    expect(dc.misses).toBe(4);
  });

  it("an instruction crossing into a new page does not leave the previous page's instructions in the fast path", () => {
    const m = protectedMachine();
    // "inc ecx" at offset 0x10 of one page, run first: the fetch fast path holds that page.
    load(m, CODE + 0x10, [0x41]);
    // "jmp rel32" crossing from the next page into the one after (so not cached), back to offset 0x10
    // of its own page, where "inc edx" is: the stale fast path would run the first page's "inc ecx".
    const jmp = CODE + 0x2000 - 3;
    const rel = CODE + 0x1010 - (jmp + 5);
    load(m, jmp, [0xe9, rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff, (rel >>> 24) & 0xff]);
    load(m, CODE + 0x1010, [0x42]);
    m.cpu.setReg32(Reg.ECX, 0);
    m.cpu.setReg32(Reg.EDX, 0);
    m.cpu.eip = CODE + 0x10;
    run(m, 1);
    m.cpu.eip = jmp;
    run(m, 2);
    expect(m.cpu.reg32(Reg.ECX)).toBe(1);
    expect(m.cpu.reg32(Reg.EDX)).toBe(1);
  });
});

describe("decode cache and sequential overwrites of code", () => {
  it("a write that overlaps no decoded instruction in a marked chunk drops the chunk and unmarks it", () => {
    const m = protectedMachine();
    // inc ecx twice, decoded; then writes into the same 64-byte chunk.
    load(m, CODE, [0x41, 0x41]);
    m.cpu.setReg32(Reg.ECX, 0);
    m.cpu.setReg32(Reg.EDX, 0);
    m.cpu.eip = CODE;
    run(m, 2);
    const dc = m.interp.decodeCache;
    const map = m.cpu.codeWrites.map;
    const before = dc.invalidations;
    expect(map.marks(CodeOwner.DECODED, CODE, 2)).toBe(true);
    // The first write overlaps the second increment: only it goes, the chunk stays marked for the first.
    m.cpu.writePhys8(CODE + 1, 0x42);
    expect(dc.invalidations - before).toBe(1);
    expect(map.marks(CodeOwner.DECODED, CODE, 1)).toBe(true);
    // A write to a byte of the chunk that holds no decoded instruction: the chunk is dropped and unmarked.
    m.cpu.writePhys8(CODE + 16, 0x90);
    expect(dc.invalidations - before).toBe(2);
    expect(map.marks(CodeOwner.DECODED, CODE, 64)).toBe(false);
    // The first increment is decoded again, and runs.
    m.cpu.eip = CODE;
    run(m, 2);
    expect(m.cpu.reg32(Reg.ECX)).toBe(3);
    expect(m.cpu.reg32(Reg.EDX)).toBe(1);
  });
});

describe("decode cache bound", () => {
  it("a guest running through zeroed RAM keeps the cache bounded and ends at the instruction limit", async () => {
    // jmp 0x200000: empty RAM decodes as "add [eax], al", two bytes each, none ever hot.
    const m = createMachine({ memMiB: 16, engine: "interp" });
    bootImage(m, addressImage([0xe9, ...le32(0x200000 - 0x100025)]));
    const limit = 3 * MAX_DECODED;
    expect(await m.run(limit)).toEqual({ reason: "limit", instructions: limit });
    const core = machineCore(m);
    if (!core) throw new Error("no machine core");
    const dc = core.interpreter.decodeCache;
    expect(dc.misses).toBe(limit);
    expect(dc.evictions).toBeGreaterThan(0);
    expect(dc.size).toBeLessThanOrEqual(MAX_DECODED + 4096);
    expect(m.stats().decodeCache.size).toBe(dc.size);
    // It ran through 1.5 MiB of empty memory past 0x200000.
    expect(core.cpu.eip >>> 0).toBe(0x200000 + 2 * (limit - 1));
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}
