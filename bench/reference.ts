/**
 * `bench reference` (run by `npm run bench:build`): records each workload's
 * reference checksum, at the default iteration count and at the test suite's,
 * from an implementation other than jit386: the native build for the C
 * workloads, QEMU for the assembly ones.
 */
import { writeFileSync } from "node:fs";
import { command } from "../runtime/options.js";
import { qemuVersion, runNative, runQemu } from "./hostpeers.js";
import type { ChildOutcome, GuestRequest } from "./protocol.js";
import { CHECKSUMS, loadReferences, loadWorkloads, type Reference, type Workload } from "./workloads.js";

const KILL_MS = 600_000;

async function checksumOf(w: Workload, cmdline: string | undefined): Promise<{ checksum?: string; source: Reference["source"] } | string> {
  const req: GuestRequest = { image: w.image, memMiB: 64, cmdline };
  let o: ChildOutcome;
  let source: Reference["source"];
  if (w.native) {
    source = "native";
    o = await runNative(w.native, req, KILL_MS);
  } else {
    if (!qemuVersion()) return "QEMU is not installed";
    source = "qemu";
    o = await runQemu(req, KILL_MS);
  }
  const want = source === "native" ? 0 : 1;
  if (o.exitCode !== want || !o.result?.checksum) return `${source} run failed (exit ${o.exitCode}): ${o.result?.serialTail.trim() ?? o.stderrTail}`;
  return { checksum: o.result.checksum, source };
}

export const benchReference = command({
  name: "reference",
  summary: "record each workload's reference checksum from the native build or QEMU (npm run bench:build)",
  args: [],
  options: {},
  run: recordReferences,
});

async function recordReferences(): Promise<number> {
  const refs = loadReferences();
  let failures = 0;
  for (const w of loadWorkloads()) {
    const full = await checksumOf(w, undefined);
    const test = await checksumOf(w, `iters=${w.testIters}`);
    if (typeof full === "string" || typeof test === "string" || !full.checksum || !test.checksum) {
      failures++;
      process.stderr.write(`${w.name}: no reference checksum: ${typeof full === "string" ? full : typeof test === "string" ? test : "none printed"}\n`);
      continue;
    }
    refs.set(w.name, { checksum: full.checksum, testChecksum: test.checksum, source: full.source });
    process.stdout.write(`${w.name}: ${full.checksum} (iters=${w.testIters}: ${test.checksum}), from ${full.source}\n`);
  }
  writeFileSync(CHECKSUMS, JSON.stringify(Object.fromEntries([...refs].sort(([a], [b]) => a.localeCompare(b))), null, 2) + "\n");
  return failures ? 1 : 0;
}
