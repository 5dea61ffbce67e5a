/**
 * The disassembler against GNU objdump -M intel, line by line, after the listed
 * legitimate syntax differences (test/support/objdump.ts DIFFERENCES):
 * - a committed fixture from a real i386 binary (scripts/disasm-fixture.mjs);
 * - every generated instance of every table row (test/support/instances.ts),
 *   in 16- and 32-bit code, disassembled by the objdump on this machine.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type DisasmLine, disassemble, disassembleOne } from "../src/disasm/disasm.js";
import { allInstances } from "./support/instances.js";
import { APPLIED, type Bits, DIFFERENCES, normalizeObjdump, type ObjdumpInsn, objdumpBytes, parseObjdump } from "./support/objdump.js";

const FIXTURES = new URL("./fixtures/disasm/", import.meta.url);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/**
 * Mismatches between our lines and objdump's: an address objdump did not list
 * (a length disagreement), or different text after normalisation.
 */
function compare(ours: DisasmLine[], theirs: ObjdumpInsn[], bits: Bits): string[] {
  const byAddress = new Map(theirs.map((o) => [o.address, o.text]));
  const problems: string[] = [];
  for (const l of ours) {
    const o = byAddress.get(l.address);
    const where = `${l.address.toString(16)}: ${hex(l.bytes)}`;
    if (o === undefined) problems.push(`${where}: objdump has no instruction here (ours: ${l.text})`);
    else if (normalizeObjdump(o, l.bytes, bits) !== l.text) problems.push(`${where}: ours '${l.text}', objdump '${o}'`);
  }
  return problems;
}

function requireObjdump(): void {
  try {
    execFileSync("objdump", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error("GNU objdump (binutils) is required by this test and was not found on PATH");
  }
}

describe("disassembler vs objdump: busybox-static i386 fixture", () => {
  const bin = readFileSync(new URL("busybox.bin", FIXTURES));
  const listing = parseObjdump(readFileSync(new URL("busybox.objdump.txt", FIXTURES), "utf8"));
  const windows: { address: number; bytes: Uint8Array }[] = [];
  for (let off = 0; off < bin.length; ) {
    const address = bin.readUInt32LE(off);
    const length = bin.readUInt32LE(off + 4);
    windows.push({ address, bytes: new Uint8Array(bin.subarray(off + 8, off + 8 + length)) });
    off += 8 + length;
  }

  it("holds several windows and a few thousand instructions", () => {
    expect(windows.length).toBeGreaterThanOrEqual(4);
    expect(listing.length).toBeGreaterThanOrEqual(3000);
  });

  it.each(windows.map((w) => [w.address.toString(16), w] as const))("window at 0x%s", (_a, w) => {
    const ours = [...disassemble(w.bytes, w.address, 32)];
    const end = w.address + w.bytes.length;
    const theirs = listing.filter((o) => o.address >= w.address && o.address < end);
    expect(compare(ours, theirs, 32)).toEqual([]);
    // Same instruction boundaries: as many instructions on both sides.
    expect(ours.length).toBe(theirs.length);
  });
});

describe("disassembler vs objdump: generated instances of every table row", () => {
  const ORG = 0x1000;
  for (const bits of [32, 16] as const) {
    it(`${bits}-bit code`, () => {
      requireObjdump();
      // A NOP after each instance keeps objdump from fusing FWAIT with a following FN* instruction.
      const instances = allInstances().filter((t) => t.bits === bits);
      const buf: number[] = [];
      const starts: number[] = [];
      for (const t of instances) {
        starts.push(ORG + buf.length);
        buf.push(...t.bytes, 0x90);
      }
      const bytes = Uint8Array.from(buf);
      const ours = starts.map((a) => disassembleOne((x) => bytes[x - ORG], a, bits));
      const theirs = objdumpBytes(bytes, ORG, bits);
      const problems = compare(ours, theirs, bits);
      const listed = new Set(theirs.map((o) => o.address));
      ours.forEach((d, k) => {
        if (!listed.has(d.address + d.length)) problems.push(`${instances[k].what}: objdump's length differs from ${d.length}`);
      });
      expect(problems).toEqual([]);
    });
  }
});

describe("the list of differences", () => {
  it("has no rule that no comparison needed", () => {
    const unused = DIFFERENCES.map((d) => d.name).filter((n) => !APPLIED.has(n));
    expect(unused).toEqual([]);
  });
});
