/**
 * The benchmark workloads (bench/guests/build/) boot under the interpreter and
 * print their reference checksum (recorded from native or QEMU runs) at the
 * small iteration count the test suite uses. Behaviour only: no timing.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseChecksum, loadReferences, loadWorkloads } from "../bench/workloads.js";
import { bootImage } from "../runtime/image.js";
import { createMachine } from "../runtime/machine.js";

const WORKLOADS = loadWorkloads();
const REFS = loadReferences();

describe("benchmark workloads (interpreter, test iteration counts)", () => {
  test("every workload has a reference checksum", () => {
    expect(WORKLOADS.filter((w) => !REFS.has(w.name)).map((w) => w.name)).toEqual([]);
  });
  test.each(WORKLOADS.map((w) => [w.name, w] as const))("%s", (_name, w) => {
    const m = createMachine({ memMiB: 64 });
    let out = "";
    m.on("serial", (b) => (out += String.fromCharCode(b)));
    bootImage(m, w.image, new Uint8Array(readFileSync(w.image)), { cmdline: `iters=${w.testIters}` });
    const r = m.runSync(20_000_000);
    expect(r.reason, out).toBe("exit");
    expect(r.exitStatus).toBe(1);
    expect(parseChecksum(out)).toBe(REFS.get(w.name)?.testChecksum);
  });
});
