/**
 * The benchmark workloads (bench/guests/build/) boot under the interpreter and
 * print their reference checksum (recorded from native or QEMU runs) at the
 * small iteration count the test suite uses; the translator benchmark's input
 * and the peers report's engine check. Behaviour only: no timing.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { checkJitCounts, type PeerRun, peersMarkdown } from "../bench/peers.js";
import { buildAll, collectRegions, discoverAll, Nonce } from "../bench/translator.js";
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

describe("translator micro-benchmark input", () => {
  test("the regions a JIT run leaves are found again and translate into valid modules, no two binaries alike", () => {
    const w = WORKLOADS.find((x) => x.name === "sha256");
    if (!w) throw new Error("no sha256 workload");
    const code = collectRegions(w);
    expect(code.instructions).toBeGreaterThan(100);
    expect(discoverAll([code])).toBe(code.instructions);
    const nonce = new Nonce();
    const binaries = buildAll([code]).map((b) => nonce.stamp(b));
    expect(binaries.length).toBe(code.batches.length);
    for (const b of binaries) expect(WebAssembly.validate(b)).toBe(true);
    const before = Uint8Array.from(binaries[0]);
    nonce.restamp(binaries[0]);
    expect(binaries[0]).not.toEqual(before);
    expect(WebAssembly.validate(binaries[0])).toBe(true);
  });
});

describe("peers report", () => {
  const linux = (peer: PeerRun["peer"], marker: number, poweroff: number): PeerRun => ({
    guest: "linux-boot",
    peer,
    status: "ok",
    processMs: 1000,
    markers: {
      marker: { ms: 900, instructions: marker },
      md5: { ms: 950, instructions: marker + 1 },
      workStart: { ms: 960, instructions: marker + 2 },
      sha256: { ms: 965, instructions: marker + 3 },
      workDone: { ms: 2960, instructions: marker + 2 + 4.25e9 },
      poweroff: { ms: 3000, instructions: poweroff },
    },
  });
  const report = (runs: PeerRun[]) => ({ host: { date: "2026-01-01", node: "v20", cpu: "cpu", cores: 2, memGiB: 4 }, repeat: 1, versions: {}, guests: ["linux-boot"], runs });

  test("the JIT's Linux boot counts equal to the interpreter's are stated in the table", () => {
    const runs = [linux("jit386 interp", 5e9, 6e9), linux("jit386 jit", 5e9, 6e9)];
    checkJitCounts(runs);
    expect(runs[1].countsMatchInterp).toBe(true);
    expect(peersMarkdown(report(runs))).toContain("equal the interpreter's");
  });

  test("the Linux table gives the boot and the workload apart", () => {
    const md = peersMarkdown(report([linux("jit386 jit", 5e9, 1e10)]));
    expect(md).toMatch(/\| boot to marker s \| G instr \| workload s \| G instr \|/);
    // Boot to the marker 0.9 s, 5 G; the workload 2.00 s, 4.25 G; power-off at 3.00 s.
    expect(md).toMatch(/\| jit386 jit \| ok \| 0\.900 \| 5(\.00)? \| 2\.00 \| 4\.25 \| 3\.00 \| 10(\.0)? \|/);
  });

  test("a JIT that retires a different count fails its run", () => {
    const runs = [linux("jit386 interp", 5e9, 6e9), linux("jit386 jit", 5e9, 6e9 + 1)];
    checkJitCounts(runs);
    expect(runs[1].status).toBe("failed");
    expect(runs[1].note).toContain("the interpreter");
  });
});
