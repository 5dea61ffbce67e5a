/**
 * The code generators and tier 2 (ARCHITECTURE.md, "Code generators and tiers"):
 * the binaryen code generator runs guests as the direct one does, and tier-2 code
 * swapped in, late or never changes no result and no instruction count; a region
 * dropped while its rebuild is in flight never gets the rebuilt code.
 */
import { readFileSync } from "node:fs";
import { beforeAll, expect, it } from "vitest";
import { ModuleBuilder } from "../../jit/batch.js";
import { binaryenThread } from "../../runtime/binaryenthread.js";
import { compareCpus, runDiff } from "../../runtime/diff.js";
import { bootImage } from "../../runtime/image.js";
import { JitEngine, type JitOptions } from "../../runtime/jit.js";
import { createMachine } from "../../runtime/machine.js";
import { CODE, jitOptions, load, makeWorld } from "./support.js";

const SHA = new URL("../../bench/guests/build/sha256.bin", import.meta.url).pathname;

beforeAll(async () => {
  // Start the thread (and load Binaryen) before the runs, so that tier-2 code arrives during them.
  const thread = binaryenThread();
  if (!thread) throw new Error("the Binaryen thread cannot start: npm run build first");
  const r = await thread.build(new ModuleBuilder(1 << 20, 8).snapshot().snapshot, []);
  expect(r.error).toBeNull();
}, 60_000);

/** sha256 to its end; with `pause`, stopped after that many instructions until every tier-2 rebuild asked for has arrived. */
async function runSha(jit: JitOptions, pause?: number) {
  const m = createMachine({ memMiB: 64, engine: "jit", jit });
  let out = "";
  m.on("serial", (b) => (out += String.fromCharCode(b)));
  const image = new Uint8Array(readFileSync(SHA));
  bootImage(m, SHA, image, { cmdline: "iters=8" });
  const engine = m.engine as JitEngine;
  let done = 0;
  if (pause !== undefined) {
    const first = await m.run(pause);
    expect(first.reason).toBe("limit");
    done = first.instructions;
    await engine.tier2Idle();
  }
  const r = await m.run();
  r.instructions += done;
  await engine.tier2Idle();
  return { m, out, r, engine };
}

it("the binaryen code generator agrees with the interpreter in lockstep", () => {
  const r = runDiff(new Uint8Array(readFileSync(SHA)), SHA, { memMiB: 64, ramEvery: 256, boot: { cmdline: "iters=1" }, jit: { codegen: "binaryen" } });
  expect(r.differences).toEqual([]);
  expect(r.stats.binaryenMs).toBeGreaterThan(0);
}, 120_000);

it("tier-2 code swapped in changes neither results nor instruction counts", async () => {
  const direct = await runSha({ codegen: "direct" });
  const tiered = await runSha({ codegen: "tiered", tierUpThreshold: 2 }, 5_000_000);
  const binaryen = await runSha({ codegen: "binaryen" });
  for (const other of [tiered, binaryen]) {
    expect(other.r).toEqual(direct.r);
    expect(other.out).toBe(direct.out);
    expect(compareCpus(direct.m.cpu, other.m.cpu, true)).toEqual([]);
  }
  const t2 = tiered.engine.stats.tier2;
  expect(t2.requested).toBeGreaterThan(0);
  expect(t2.swaps).toBeGreaterThan(0);
  expect(tiered.engine.stats.tier2Instructions).toBeGreaterThan(0);
  expect(direct.engine.stats.tier2.requested).toBe(0);
}, 120_000);

// A loop of 5000 iterations entered once: mov ecx, 5000; add eax, ecx; dec ecx; jnz -5; hlt.
const LOOP = [0xb9, 0x88, 0x13, 0x00, 0x00, 0x01, 0xc8, 0x49, 0x75, 0xfb, 0xf4];

function loopEngine(opts: JitOptions) {
  const w = makeWorld("flat");
  load(w, CODE, LOOP);
  const engine = new JitEngine(w.cpu, w.interp, { ...jitOptions, ...opts });
  return { w, engine };
}

it("a region dropped while its rebuild is in flight is not installed when it arrives", async () => {
  const { w, engine } = loopEngine({ codegen: "tiered", tierUpThreshold: 1 });
  // Translated at its first block start, then entered from the engine: the rebuild is asked for.
  engine.runUntil(3, () => false);
  engine.runUntil(20, () => false);
  expect(engine.stats.tier2.requested).toBe(1);
  const [t] = [...engine.cache.regions()];
  const index = t.tableIndex;
  engine.reset();
  await engine.tier2Idle();
  expect(engine.stats.tier2.drops).toBe(1);
  expect(engine.stats.tier2.swaps).toBe(0);
  expect(t.tier).toBe(1);
  expect(engine.cache.regionAt(index)).toBeNull();
  // The run goes on (retranslated) to the same end as a run with the direct encoder.
  engine.runUntil(100_000, () => false);
  const direct = loopEngine({ codegen: "direct" });
  direct.engine.runUntil(100_000, () => false);
  expect(compareCpus(direct.w.cpu, w.cpu, true)).toEqual([]);
});

it("a rebuild that arrives after the run (a slow thread) leaves the run as the direct encoder's", async () => {
  const { w, engine } = loopEngine({ codegen: "tiered", tierUpThreshold: 1 });
  engine.runUntil(100_000, () => false);
  const direct = loopEngine({ codegen: "direct" });
  direct.engine.runUntil(100_000, () => false);
  expect(compareCpus(direct.w.cpu, w.cpu, true)).toEqual([]);
  expect(w.cpu.icount).toBe(direct.w.cpu.icount);
  await engine.tier2Idle();
  expect(engine.stats.tier2.built).toBe(engine.stats.tier2.requested);
});
