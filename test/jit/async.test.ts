/**
 * JitOptions.compile "async": modules go through WebAssembly.compile while the
 * interpreter keeps running, and are installed when ready; the run is the
 * interpreter's to the bit all the same.
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { compareCpus } from "../../runtime/diff.js";
import { bootImage } from "../../runtime/image.js";
import type { JitEngine } from "../../runtime/jit.js";
import { createMachine } from "../../runtime/machine.js";

it("compiles off the main thread with WebAssembly.compile and agrees with the interpreter", async () => {
  const path = new URL("../../bench/guests/build/sha256.bin", import.meta.url).pathname;
  const image = new Uint8Array(readFileSync(path));
  const run = async (engine: "interp" | "jit") => {
    const m = createMachine({ memMiB: 64, engine, jit: { compile: "async", hotThreshold: 10 } });
    let out = "";
    m.on("serial", (b) => (out += String.fromCharCode(b)));
    bootImage(m, path, image, { cmdline: "iters=8" });
    const r = await m.run();
    return { m, out, r };
  };
  const a = await run("interp");
  const b = await run("jit");
  expect(b.r).toEqual(a.r);
  expect(b.out).toBe(a.out);
  expect(compareCpus(a.m.cpu, b.m.cpu, true)).toEqual([]);
  const stats = (b.m.engine as JitEngine).stats;
  expect(stats.compileLatencyMs).toBeGreaterThan(0);
  expect(stats.compiledInstructions).toBeGreaterThan(0);
});
