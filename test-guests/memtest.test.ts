/**
 * memtest86+ (Debian's 32-bit image, fetched by `npm run guests:bios`) booted by
 * the Linux loader with its console on COM1: it sizes memory from the E820 map,
 * runs its first pass of every test over the guest's RAM and reports it with no
 * errors. The JIT runs the whole pass; the engines agree in lockstep over its
 * start (memory sizing, the switch to its own page tables, the first tests).
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runDiff } from "../runtime/diff.js";
import { bootImage } from "../runtime/image.js";
import { createMachine } from "../runtime/machine.js";

const MEMTEST = new URL("../guests/bios/build/memtest86+ia32.bin", import.meta.url).pathname;
const CMDLINE = "console=ttyS0,115200";
const MEM_MIB = 8;

function image(): Uint8Array {
  if (!existsSync(MEMTEST)) throw new Error("guests/bios/build/memtest86+ia32.bin is missing: run `npm run guests:bios` first");
  return new Uint8Array(readFileSync(MEMTEST));
}

/** memtest86+ draws its screen with ANSI sequences; the text between them is what a terminal shows. */
function screenText(out: string): string {
  return out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, " ");
}

describe("memtest86+", () => {
  it("completes its first pass over the guest's RAM with no errors (JIT)", async () => {
    const m = createMachine({ memMiB: MEM_MIB, engine: "jit" });
    let out = "";
    let passAt = 0;
    m.on("serial", (b) => {
      out += String.fromCharCode(b);
      if (!passAt && /Pass:\s+1\s/.test(screenText(out.slice(-200)))) {
        passAt = m.instructionCount;
        m.stop();
      }
    });
    bootImage(m, MEMTEST, image(), { cmdline: CMDLINE });
    const r = await m.run(120_000_000_000);
    const text = screenText(out);
    console.log(`memtest86+ (${MEM_MIB} MiB): first pass done after ${passAt} instructions`);
    expect(r.reason).toBe("stopped");
    expect(passAt).toBeGreaterThan(0);
    expect(text).toMatch(/Memtest86\+ v6/);
    expect(text).toMatch(new RegExp(`Memory\\s+:\\s+${MEM_MIB}MB`));
    // The first pass runs the quick selection of tests, bit fade last; the status line shows each one's number and name.
    for (const name of ["Address test, walking ones", "Moving inversions, 1s & 0s", "Moving inversions, 8 bit pattern", "Moving inversions, random pattern", "Moving inversions, 32 bit pattern", "Random number sequence", "Modulo 20, random pattern", "Bit fade test"]) {
      expect(text).toContain(name);
    }
    // Its last range reaches the top of the RAM the E820 map gave it (a little under MEM_MIB).
    expect(text).toMatch(new RegExp(`\\d+[KM]B - ${MEM_MIB}MB \\[\\d+MB of ${MEM_MIB - 1}\\.\\d+MB\\]`));
    expect(text).toMatch(/Errors:\s+0\s/);
    expect(text).not.toMatch(/Errors:\s+[1-9]/);
    // About 42 G instructions: a minute or two of the JIT on a quiet machine.
  }, 1_800_000);

  it("runs in lockstep under both engines through its start", () => {
    const r = runDiff(image(), MEMTEST, { memMiB: MEM_MIB, boot: { cmdline: CMDLINE }, maxInstructions: 60_000_000, ramEvery: 256 });
    expect(r.differences).toEqual([]);
    expect(r.agree).toBe(true);
    expect(r.instructions).toBe(60_000_000);
    expect(r.exits).toBeGreaterThan(1000);
  });
});
