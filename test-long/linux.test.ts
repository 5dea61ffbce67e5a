/**
 * Debian's i386 kernel with a busybox initramfs (built by `npm run guests:linux`)
 * boots to its /init, runs the workload and powers off, under the interpreter
 * and under the JIT: the serial output and the instruction counts (at the
 * marker and at power-off) must be identical. Run by .ci/run through
 * `npm run test:linux`; too long for `npm test`.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { bootImage } from "../runtime/image.js";
import { createMachine, type RunResult } from "../runtime/machine.js";

const DIR = new URL("../guests/linux/build/", import.meta.url).pathname;

function expectedMd5(): string {
  let text = "";
  for (let k = 1; k <= 20000; k++) text += `${k}\n`;
  return createHash("md5").update(text).digest("hex");
}

interface Boot {
  out: string;
  markerAt: number;
  result: RunResult;
}

async function boot(engine: "interp" | "jit"): Promise<Boot> {
  if (!existsSync(DIR + "vmlinuz")) throw new Error("guests/linux/build/vmlinuz is missing: run `npm run guests:linux` first");
  const m = createMachine({ memMiB: 128, engine });
  let out = "";
  let markerAt = 0;
  m.on("serial", (b) => {
    out += String.fromCharCode(b);
    if (!markerAt && out.endsWith("JIT386-MARKER")) markerAt = m.instructionCount;
  });
  const cmdline = readFileSync(DIR + "cmdline.txt", "utf8").trim();
  bootImage(m, DIR + "vmlinuz", new Uint8Array(readFileSync(DIR + "vmlinuz")), {
    cmdline,
    initrd: new Uint8Array(readFileSync(DIR + "initramfs.cpio")),
  });
  const t0 = performance.now();
  const result = await m.run(40_000_000_000);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`linux (${engine}): marker at ${markerAt} instructions; ${result.reason} after ${result.instructions} instructions, ${seconds.toFixed(1)} s`);
  return { out, markerAt, result };
}

const boots = new Map<string, Boot>();

test("Debian Linux boots to /init, runs the workload and powers off (interpreter)", async () => {
  const b = await boot("interp");
  boots.set("interp", b);
  expect(b.out).toContain("JIT386-MARKER: userspace reached");
  expect(b.out).toContain(`JIT386-MD5: ${expectedMd5()}  -`);
  expect(b.out).toContain("JIT386-DONE");
  expect(b.result.reason).toBe("halt");
}, 3_600_000);

test("the same boot under the JIT: identical serial output and instruction counts", async () => {
  const b = await boot("jit");
  expect(b.out).toContain("JIT386-DONE");
  expect(b.result.reason).toBe("halt");
  const ref = boots.get("interp");
  if (!ref) throw new Error("the interpreter boot did not complete");
  expect(b.out).toBe(ref.out);
  expect(b.markerAt).toBe(ref.markerAt);
  expect(b.result.instructions).toBe(ref.result.instructions);
}, 3_600_000);
