/**
 * Debian's i386 kernel with a busybox initramfs (built by `npm run guests:linux`)
 * boots to its /init, runs the workload and powers off. Run by .ci/run through
 * `npm run test:linux`; too long for `npm test`.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { bootImage } from "../runtime/image.js";
import { createMachine } from "../runtime/machine.js";

const DIR = new URL("../guests/linux/build/", import.meta.url).pathname;

function expectedMd5(): string {
  let text = "";
  for (let k = 1; k <= 20000; k++) text += `${k}\n`;
  return createHash("md5").update(text).digest("hex");
}

test("Debian Linux boots to /init, runs the workload and powers off (interpreter)", async () => {
  if (!existsSync(DIR + "vmlinuz")) throw new Error("guests/linux/build/vmlinuz is missing: run `npm run guests:linux` first");
  const m = createMachine({ memMiB: 128 });
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
  const r = await m.run(40_000_000_000);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`linux: marker at ${markerAt} instructions; ${r.reason} after ${r.instructions} instructions, ${seconds.toFixed(1)} s`);
  expect(out).toContain("JIT386-MARKER: userspace reached");
  expect(out).toContain(`JIT386-MD5: ${expectedMd5()}  -`);
  expect(out).toContain("JIT386-DONE");
  expect(r.reason).toBe("halt");
}, 3_600_000);
