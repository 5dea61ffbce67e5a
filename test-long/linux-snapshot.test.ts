/**
 * Snapshots of the Debian guest (built by `npm run guests:linux`) under the JIT.
 * One boot runs to the power-off, saving on its way: mid-boot, and once
 * userspace has started. Each snapshot, restored and run to the power-off,
 * ends exactly as that boot did (serial output, CPU, devices, RAM,
 * instruction count). Across engines with one short interpreter segment:
 * restored under the interpreter for a million instructions, saved there,
 * restored under the JIT and run to the end. Also measures the snapshot's size
 * and the CPU time of a restore.
 */
import { existsSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { bootImage } from "../runtime/image.js";
import { createMachine, type Machine } from "../runtime/machine.js";
import { restoreSnapshot, saveSnapshot } from "../runtime/snapshot.js";
import { expectSameRun, finalState, type Outcome, record, runToEnd } from "../test/support/resume.js";

const DIR = new URL("../guests/linux/build/", import.meta.url).pathname;
const LIMIT = 40_000_000_000;
const MARKER = "JIT386-MARKER: userspace reached";
/** Mid-boot: the kernel is initialising (the test checks userspace comes later). */
const MID_BOOT = 300_000_000;
/** 128 MiB of RAM in userspace hold about 38 MiB of non-zero frames, 9 MiB of them incompressible (the compressed kernel image, left in memory the kernel has freed). */
const SIZE_BOUND = 24 * 2 ** 20;

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

interface Saved {
  bytes: Uint8Array;
  /** Serial output before the snapshot. */
  before: string;
}

test("Linux saved mid-boot and in userspace, restored: the same end as the boot that was never restored", async () => {
  const m = fresh();
  const rec = record(m);
  let markerAt = 0;
  m.on("serial", () => {
    if (!markerAt && rec.text().endsWith(MARKER)) {
      markerAt = m.instructionCount;
      m.stop();
    }
  });
  expect((await m.run(MID_BOOT)).reason).toBe("limit");
  const mid: Saved = { bytes: saveSnapshot(m), before: rec.text() };
  expect((await m.run(LIMIT)).reason).toBe("stopped");
  expect(markerAt).toBeGreaterThan(MID_BOOT);
  const [userBytes, saveMs] = cpuMs(() => saveSnapshot(m));
  const user: Saved = { bytes: userBytes, before: rec.text() };
  const result = await m.run(LIMIT);
  const want: Outcome = { output: rec.text(), result: { ...result, instructions: m.instructionCount }, state: finalState(m) };
  expect(want.output).toContain("JIT386-DONE");
  expect(result.reason).toBe("halt");

  const [restored, restoreMs] = cpuMs(() => restoreSnapshot(user.bytes, { engine: "jit" }));
  console.log(
    `linux: mid-boot snapshot at ${MID_BOOT}: ${(mid.bytes.length / 2 ** 20).toFixed(2)} MiB; userspace snapshot at ${markerAt}: ${(user.bytes.length / 2 ** 20).toFixed(2)} MiB for 128 MiB of RAM, saved in ${saveMs.toFixed(0)} ms CPU, restored in ${restoreMs.toFixed(0)} ms CPU; the boot: ${want.state.icount} instructions`,
  );
  const fromUser = runToEnd(restored, LIMIT, user.before);
  expectSameRun({ ...fromUser, result: { ...fromUser.result, instructions: restored.instructionCount } }, want);

  const fromMid = restoreSnapshot(mid.bytes, { engine: "jit" });
  const midEnd = runToEnd(fromMid, LIMIT, mid.before);
  expectSameRun({ ...midEnd, result: { ...midEnd.result, instructions: fromMid.instructionCount } }, want);

  // Across engines: JIT → a million instructions under the interpreter → JIT.
  const interp = restoreSnapshot(user.bytes, { engine: "interp" });
  const recInterp = record(interp);
  expect(interp.runSync(1_000_000).reason).toBe("limit");
  const back = restoreSnapshot(saveSnapshot(interp), { engine: "jit" });
  const crossEnd = runToEnd(back, LIMIT, user.before + recInterp.text());
  expectSameRun({ ...crossEnd, result: { ...crossEnd.result, instructions: back.instructionCount } }, want);

  // RAM is stored compactly: zero frames skipped, the rest compressed.
  expect(user.bytes.length).toBeLessThan(SIZE_BOUND);
});
