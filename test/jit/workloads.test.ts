/**
 * The benchmark workloads agree under `jit386 diff` at the iteration counts the
 * test suite uses (every region exit compared, RAM and output included); one of
 * them also with a code cache small enough to evict.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadWorkloads } from "../../bench/workloads.js";
import { runDiff } from "../../runtime/diff.js";
import { testCodegen } from "./support.js";

describe("benchmark workloads in lockstep", () => {
  for (const w of loadWorkloads()) {
    it(w.name, () => {
      const r = runDiff(new Uint8Array(readFileSync(w.image)), w.image, { memMiB: 64, ramEvery: 256, boot: { cmdline: `iters=${w.testIters}` }, jit: { codegen: testCodegen } });
      expect(r.differences).toEqual([]);
      expect(r.stop).toBe("exit");
      expect(r.exitStatus).toBe(1);
    });
  }

  it("a bounded code cache evicts whole modules and the run still agrees", () => {
    const w = loadWorkloads().find((x) => x.name === "intmix");
    if (!w) throw new Error("no intmix workload");
    const r = runDiff(new Uint8Array(readFileSync(w.image)), w.image, {
      memMiB: 64,
      ramEvery: 256,
      boot: { cmdline: `iters=${w.testIters}` },
      jit: { tableSize: 24, maxInstructions: 600, batchSize: 4, codegen: testCodegen },
    });
    expect(r.differences).toEqual([]);
    expect(r.stop).toBe("exit");
    const stats = r.stats as { evictedModules: number; invalidations: { evicted: number } };
    expect(stats.evictedModules).toBeGreaterThan(0);
    expect(stats.invalidations.evicted).toBeGreaterThan(0);
  });
});
