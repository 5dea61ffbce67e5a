/**
 * The Linux guest's user-space workload (scripts/linux/init.sh with
 * jit386.workload on the command line): gzip, sha256sum, awk and sort on
 * `seq 1 30000`, whose results the host computes here. JIT only: the
 * interpreter's agreement on the boot is test-long/linux.test.ts's, and the
 * workload under the interpreter is bench:peers' (too long for CI).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { bootImage } from "../runtime/image.js";
import { createMachine } from "../runtime/machine.js";

const DIR = new URL("../guests/linux/build/", import.meta.url).pathname;
const N = 30000;

function seqText(): string {
  let text = "";
  for (let k = 1; k <= N; k++) text += `${k}\n`;
  return text;
}

/** The line /init printed after `label: `. */
function line(out: string, label: string): string {
  const m = new RegExp(`^${label}: (.*?)\\r?$`, "m").exec(out);
  if (!m) throw new Error(`no ${label} line in the guest's output`);
  return m[1];
}

test("the Linux guest's workload runs under the JIT and its results are right", async () => {
  if (!existsSync(DIR + "vmlinuz")) throw new Error("guests/linux/build/vmlinuz is missing: run `npm run guests:linux` first");
  const m = createMachine({ memMiB: 128, engine: "jit" });
  let out = "";
  const at: Record<string, number> = {};
  m.on("serial", (b) => {
    out += String.fromCharCode(b);
    for (const mark of ["JIT386-MARKER", "JIT386-WORK-START", "JIT386-WORK-DONE"]) if (at[mark] === undefined && out.endsWith(mark)) at[mark] = m.instructionCount;
  });
  const cmdline = `${readFileSync(DIR + "cmdline.txt", "utf8").trim()} jit386.workload`;
  bootImage(m, DIR + "vmlinuz", new Uint8Array(readFileSync(DIR + "vmlinuz")), { cmdline, initrd: new Uint8Array(readFileSync(DIR + "initramfs.cpio")) });
  const result = await m.run(200_000_000_000);
  const work = at["JIT386-WORK-DONE"] - at["JIT386-WORK-START"];
  console.log(`linux workload (jit): marker at ${at["JIT386-MARKER"]}, workload ${work} instructions; ${result.reason} after ${result.instructions}`);

  expect(result.reason).toBe("halt");
  expect(at["JIT386-MARKER"]).toBeLessThan(at["JIT386-WORK-START"]);
  // Real work: hundreds of millions of instructions between the two lines.
  expect(work).toBeGreaterThan(3e8);
  const text = seqText();
  const sha = createHash("sha256").update(text).digest("hex");
  expect(line(out, "JIT386-SHA256")).toBe(`${sha}  -`);
  expect(line(out, "JIT386-GUNZIP-SHA256")).toBe(`${sha}  -`);
  const gz = Number(line(out, "JIT386-GZIP-BYTES"));
  expect(gz).toBeGreaterThan(0);
  expect(gz).toBeLessThan(text.length / 2);
  const sorted = Array.from({ length: N }, (_, k) => ((k + 1) * 7919) % 100003).sort((a, b) => a - b);
  expect(line(out, "JIT386-AWK-SORT-MD5")).toBe(`${createHash("md5").update(sorted.map((v) => `${v}\n`).join("")).digest("hex")}  -`);
  let sum = 0;
  for (let k = 1; k <= N; k++) sum += k % 1000;
  expect(line(out, "JIT386-AWK-SUM")).toBe(String(sum));
  expect(out).toContain("JIT386-WORK-DONE");
  expect(out).toContain("JIT386-DONE");
}, 3_600_000);
