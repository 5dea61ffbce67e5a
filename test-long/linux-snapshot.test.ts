/**
 * Snapshots of the Debian guest (built by `npm run guests:linux`) under the JIT:
 * saved mid-boot and after userspace has started, restored, and run to the
 * power-off, the run ends exactly as the uninterrupted boot does (serial
 * output, CPU, devices, RAM, instruction count). Across engines with one short
 * interpreter segment: saved under the JIT, restored under the interpreter for
 * a million instructions, saved there, restored under the JIT, run to the end.
 * Also measures the snapshot's size and the CPU time of a restore.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { bootImage } from "../runtime/image.js";
import { createMachine, type Machine } from "../runtime/machine.js";
import { restoreSnapshot, saveSnapshot } from "../runtime/snapshot.js";
import { expectSameRun, finalState, type Outcome, record, runToEnd } from "../test/support/resume.js";

const DIR = new URL("../guests/linux/build/", import.meta.url).pathname;
const LIMIT = 40_000_000_000;
const MARKER = "JIT386-MARKER: userspace reached";

function fresh(): Machine {
  if (!existsSync(DIR + "vmlinuz")) throw new Error("guests/linux/build/vmlinuz is missing: run `npm run guests:linux` first");
  const m = createMachine({ memMiB: 128, engine: "jit" });
  bootImage(m, DIR + "vmlinuz", new Uint8Array(readFileSync(DIR + "vmlinuz")), {
    cmdline: readFileSync(DIR + "cmdline.txt", "utf8").trim(),
    initrd: new Uint8Array(readFileSync(DIR + "initramfs.cpio")),
  });
  return m;
}

/** CPU milliseconds (user + system) `fn` takes. */
function cpuMs<T>(fn: () => T): [T, number] {
  const t = process.cpuUsage();
  const v = fn();
  const d = process.cpuUsage(t);
  return [v, (d.user + d.system) / 1000];
}

describe("Linux, saved and restored under the JIT", () => {
  let want: Outcome;
  let markerAt = 0;

  test("the uninterrupted boot powers off", async () => {
    const m = fresh();
    const rec = record(m);
    m.on("serial", () => {
      if (!markerAt && rec.text().endsWith(MARKER)) markerAt = m.instructionCount;
    });
    const result = await m.run(LIMIT);
    want = { output: rec.text(), result, state: finalState(m) };
    expect(want.output).toContain("JIT386-DONE");
    expect(result.reason).toBe("halt");
    expect(markerAt).toBeGreaterThan(0);
  });

  /** Run a fresh boot to `at` and save it. */
  async function saveAt(at: number): Promise<{ bytes: Uint8Array; before: string }> {
    const m = fresh();
    const rec = record(m);
    expect((await m.run(at)).reason).toBe("limit");
    return { bytes: saveSnapshot(m), before: rec.text() };
  }

  test("saved mid-boot (a third of the way), restored: the same end", async () => {
    const { bytes, before } = await saveAt(Math.floor(want.state.icount / 3));
    const m = restoreSnapshot(bytes, { engine: "jit" });
    expectSameRun(runToEnd(m, LIMIT, before), want);
  });

  test("saved once userspace has started, restored in well under a second of CPU: the same end", async () => {
    const { bytes, before } = await saveAt(markerAt + 1_000_000);
    const [m, ms] = cpuMs(() => restoreSnapshot(bytes, { engine: "jit" }));
    console.log(`linux snapshot after userspace started: ${(bytes.length / 2 ** 20).toFixed(2)} MiB for 128 MiB of RAM; restore ${ms.toFixed(0)} ms CPU`);
    expect(bytes.length).toBeLessThan(16 * 2 ** 20);
    expectSameRun(runToEnd(m, LIMIT, before), want);
  });

  test("across engines: JIT → a million instructions under the interpreter → JIT, the same end", async () => {
    const { bytes, before } = await saveAt(Math.floor(want.state.icount * 0.8));
    const interp = restoreSnapshot(bytes, { engine: "interp" });
    const rec = record(interp);
    expect(interp.runSync(1_000_000).reason).toBe("limit");
    const back = restoreSnapshot(saveSnapshot(interp), { engine: "jit" });
    expectSameRun(runToEnd(back, LIMIT, before + rec.text()), want);
  });
});
