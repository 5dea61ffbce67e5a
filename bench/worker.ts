/**
 * Child process: boots one guest on jit386 with the requested engine and
 * prints a GuestResult. Run by the harness, one process per measured run.
 */
import { readFileSync } from "node:fs";
import { bootImage } from "../runtime/image.js";
import { createMachine, type RunResult } from "../runtime/machine.js";
import { type EngineName, ENGINE_NAMES, engineOptions, engineStats } from "./engines.js";
import { type GuestRequest, type GuestResult, LineSplitter, MarkerWatch, RESULT_PREFIX } from "./protocol.js";
import { parseChecksum } from "./workloads.js";

function report(r: GuestResult): void {
  process.stdout.write(RESULT_PREFIX + JSON.stringify(r) + "\n");
}

function maxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

async function main(req: GuestRequest): Promise<void> {
  const engine = (ENGINE_NAMES as readonly string[]).includes(req.engine ?? "interp") ? ((req.engine ?? "interp") as EngineName) : undefined;
  const base = { reason: "failed", vmMs: 0, runMs: 0, serialTail: "", markers: {}, maxRssBytes: 0 };
  if (!engine) return report({ ...base, error: `unknown engine '${req.engine}'` });
  const t0 = performance.now();
  const m = createMachine({ memMiB: req.memMiB, ...engineOptions(engine) });
  const watch = new MarkerWatch(req.markers, req.stopAt);
  const serial = new LineSplitter((line) => {
    watch.line(line, () => ({ ms: performance.now(), instructions: m.instructionCount }));
    if (watch.shouldStop) m.stop();
  });
  m.on("serial", (b) => serial.push(b));
  const image = new Uint8Array(readFileSync(req.image));
  const initrd = req.initrd ? new Uint8Array(readFileSync(req.initrd)) : undefined;
  bootImage(m, req.image, image, { cmdline: req.cmdline ?? "", initrd });
  const timer = req.timeoutMs ? setTimeout(() => m.stop(), req.timeoutMs) : undefined;
  const t1 = performance.now();
  let r: RunResult;
  try {
    r = await m.run();
  } catch (e) {
    const t2 = performance.now();
    return report({
      ...base,
      reason: "crashed",
      error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      instructions: m.instructionCount,
      vmMs: t2 - t0,
      runMs: t2 - t1,
      serialTail: serial.tail,
      markers: watch.hits,
      maxRssBytes: maxRss(),
    });
  } finally {
    clearTimeout(timer);
  }
  const t2 = performance.now();
  const stoppedByMarker = r.reason === "stopped" && watch.shouldStop;
  report({
    reason: stoppedByMarker ? "marker" : r.reason === "stopped" ? "timeout" : r.reason,
    exitStatus: r.exitStatus,
    instructions: r.instructions,
    vmMs: t2 - t0,
    runMs: t2 - t1,
    serialTail: serial.tail,
    checksum: parseChecksum(serial.tail),
    markers: watch.hits,
    maxRssBytes: maxRss(),
    engineStats: engineStats(m),
  });
}

const arg = process.argv[2];
if (arg === undefined) {
  process.stderr.write("usage: worker.js REQUEST-JSON (run by the benchmark harness)\n");
  process.exit(2);
}
await main(JSON.parse(arg) as GuestRequest);
