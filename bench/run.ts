/**
 * `npm run bench`: every workload under each of jit386's engines, one child
 * process per run. Checks that the engines print the same checksum and that it
 * is the reference one, and reports instructions, time, MIPS, the JIT's speedup
 * and compile time, and peak memory.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../runtime/errors.js";
import { choice, command, int, text } from "../runtime/options.js";
import { type EngineName, ENGINE_NAMES } from "./engines.js";
import { type HostInfo, hostInfo, hostLine } from "./host.js";
import { JIT386_WORKER } from "./paths.js";
import { runChild } from "./protocol.js";
import { markdownTable, Progress, sig, svgBarChart } from "./report.js";
import { max, median } from "./stats.js";
import { filterByName, loadReferences, loadWorkloads, type Reference, RESULTS, type Workload } from "./workloads.js";


export type RunStatus = "ok" | "failed" | "wrong checksum";

export interface EngineRun {
  workload: string;
  engine: EngineName;
  status: RunStatus;
  note?: string;
  instructions?: number;
  /** Guest run time of each repetition (after boot loading), in milliseconds. */
  runMs: number[];
  /** Median run time and the MIPS it gives. */
  medianMs?: number;
  mips?: number;
  /** The JIT's main-thread translation time (median over repetitions) and its share of the run. */
  translateMs?: number;
  compileShare?: number;
  maxRssBytes?: number;
  checksum?: string;
  engineStats?: Record<string, unknown>;
}

export interface EnginesReport {
  host: HostInfo;
  repeat: number;
  engines: EngineName[];
  workloads: { name: string; what: string; reference?: Reference }[];
  runs: EngineRun[];
}

const MEM_MIB = 64;

/** The problem with a run's outcome, if any: how it ended, and its checksum against the reference. */
function judge(reason: string, exitStatus: number | undefined, checksum: string | undefined, ref: Reference | undefined): string | undefined {
  if (reason !== "exit" || exitStatus !== 1) return `ended by ${reason}${exitStatus !== undefined ? ` (status ${exitStatus})` : ""}`;
  if (checksum === undefined) return "printed no checksum";
  if (ref && checksum !== ref.checksum) return `checksum ${checksum}, ${ref.source} gives ${ref.checksum}`;
  return undefined;
}

async function runEngine(w: Workload, engine: EngineName, repeat: number, timeoutMs: number, ref: Reference | undefined, progress: Progress): Promise<EngineRun> {
  const run: EngineRun = { workload: w.name, engine, status: "ok", runMs: [] };
  const translate: number[] = [];
  const rss: number[] = [];
  for (let k = 0; k < repeat; k++) {
    progress.start(`${w.name} (${engine}${repeat > 1 ? `, run ${k + 1}` : ""})`);
    const o = await runChild(JIT386_WORKER, { image: w.image, engine, memMiB: MEM_MIB, timeoutMs }, timeoutMs + 30_000);
    const r = o.result;
    if (!r) {
      run.status = "failed";
      run.note = `worker died (exit ${o.exitCode}): ${o.stderrTail.trim().split("\n").pop() ?? ""}`;
      progress.finish(run.note);
      return run;
    }
    // Virtual time makes a run deterministic: a repetition that retires a different count is a bug.
    const varies = run.instructions !== undefined && r.instructions !== run.instructions ? `retired ${r.instructions} instructions, an earlier run ${run.instructions}` : undefined;
    const problem = r.error ?? judge(r.reason, r.exitStatus, r.checksum, ref) ?? varies;
    run.checksum = r.checksum;
    run.instructions = r.instructions;
    run.engineStats = r.engineStats;
    if (problem) {
      run.status = r.checksum !== undefined && ref && r.checksum !== ref.checksum && r.reason === "exit" ? "wrong checksum" : "failed";
      run.note = problem.split("\n")[0];
      progress.finish(run.note);
      return run;
    }
    run.runMs.push(r.runMs);
    if (r.maxRssBytes !== undefined) rss.push(r.maxRssBytes);
    const t = r.engineStats?.translateMs;
    if (typeof t === "number") translate.push(t);
    progress.finish(`${(r.runMs / 1000).toFixed(2)} s, ${sig((r.instructions ?? 0) / r.runMs / 1000)} MIPS, checksum ${r.checksum}`);
  }
  run.medianMs = median(run.runMs);
  if (run.medianMs !== undefined && run.instructions !== undefined) run.mips = run.instructions / run.medianMs / 1000;
  run.translateMs = median(translate);
  if (run.translateMs !== undefined && run.medianMs) run.compileShare = run.translateMs / run.medianMs;
  run.maxRssBytes = max(rss);
  return run;
}

/** The engines must agree with each other to the instruction (ARCHITECTURE.md "The machine and virtual time"), checksums included. */
function crossCheck(runs: EngineRun[]): void {
  const ok = runs.filter((r) => r.status === "ok");
  for (const r of ok) {
    const other = ok.find((o) => o.workload === r.workload && o.checksum !== r.checksum);
    const count = ok.find((o) => o.workload === r.workload && o.instructions !== r.instructions);
    if (other) {
      r.status = "wrong checksum";
      r.note = `${r.engine} printed ${r.checksum}, ${other.engine} printed ${other.checksum}`;
    } else if (count) {
      r.status = "failed";
      r.note = `${r.engine} retired ${r.instructions} instructions, ${count.engine} ${count.instructions}`;
    }
  }
}

const fmtS = (ms: number | undefined) => (ms === undefined ? undefined : (ms / 1000).toFixed(2));
const fmtMiB = (b: number | undefined) => (b === undefined ? undefined : (b / 2 ** 20).toFixed(0));

export function enginesMarkdown(rep: EnginesReport): string {
  const find = (w: string, e: EngineName) => rep.runs.find((r) => r.workload === w && r.engine === e);
  const cell = (r: EngineRun | undefined, f: (r: EngineRun) => string | undefined) => (r === undefined ? undefined : r.status === "ok" ? f(r) : r.status);
  const header = ["workload", "M instr"];
  for (const e of rep.engines) header.push(`${e} s`, `${e} MIPS`);
  const both = rep.engines.includes("interp") && rep.engines.includes("tiered");
  if (both) header.push("JIT speedup");
  const tiers = rep.engines.includes("direct") && rep.engines.includes("tiered");
  if (tiers) header.push("tiered / direct");
  if (rep.engines.includes("tiered")) header.push("compile ms", "compile share", "tier-2 share");
  for (const e of rep.engines) header.push(`${e} peak MiB`);
  header.push("checksum");
  const rows = rep.workloads.map((w) => {
    const runs = rep.engines.map((e) => find(w.name, e));
    const ok = runs.filter((r): r is EngineRun => r?.status === "ok");
    const row: (string | undefined)[] = [w.name, sig((ok[0]?.instructions ?? NaN) / 1e6)];
    for (const r of runs) row.push(cell(r, (x) => fmtS(x.medianMs)), cell(r, (x) => sig(x.mips)));
    const i = find(w.name, "interp");
    const j = find(w.name, "tiered");
    const d = find(w.name, "direct");
    const ratio = (a: EngineRun | undefined, b: EngineRun | undefined) => (a?.status === "ok" && b?.status === "ok" && a.medianMs && b.medianMs ? `${sig(a.medianMs / b.medianMs)}×` : undefined);
    if (both) row.push(ratio(i, j));
    if (tiers) row.push(ratio(d, j));
    if (rep.engines.includes("tiered")) {
      const share = (x: EngineRun) => (typeof x.engineStats?.tier2Share === "number" ? `${(x.engineStats.tier2Share * 100).toFixed(1)}%` : undefined);
      row.push(cell(j, (x) => sig(x.translateMs)), cell(j, (x) => (x.compileShare === undefined ? undefined : `${(x.compileShare * 100).toFixed(1)}%`)), cell(j, share));
    }
    for (const r of runs) row.push(cell(r, (x) => fmtMiB(x.maxRssBytes)));
    const checksum = ok[0]?.checksum;
    row.push(checksum === undefined ? undefined : `${checksum}${w.reference?.checksum === checksum ? ` (= ${w.reference.source})` : ""}`);
    return row;
  });
  const notes = rep.runs.filter((r) => r.status !== "ok").map((r) => `- ${r.workload} (${r.engine}): ${r.status}${r.note ? `: ${r.note}` : ""}`);
  return (
    `Measured ${hostLine(rep.host)}; median of ${rep.repeat} run${rep.repeat > 1 ? "s" : ""}.\n\n` +
    markdownTable(header, rows) +
    (notes.length ? `\n${notes.join("\n")}\n` : "")
  );
}

export function enginesChart(rep: EnginesReport): string {
  const colors: Record<EngineName, string> = { interp: "#8da0cb", direct: "#66c2a5", binaryen: "#e78ac3", tiered: "#fc8d62" };
  return svgBarChart({
    title: "jit386: guest MIPS per workload and engine",
    subtitle: `${hostLine(rep.host)}; median of ${rep.repeat}`,
    axis: "guest MIPS (millions of guest instructions per second of run time, log scale)",
    series: rep.engines.map((e) => ({ name: e, color: colors[e] })),
    groups: rep.workloads.map((w) => ({
      label: w.name,
      values: rep.engines.map((e) => {
        const r = rep.runs.find((x) => x.workload === w.name && x.engine === e);
        return r?.status === "ok" ? r.mips : undefined;
      }),
    })),
  });
}

export const benchRun = command({
  name: "run",
  summary: "every workload under each of jit386's engines (npm run bench)",
  args: [],
  options: {
    filter: text("NAMES", "workloads to run: comma-separated substrings or * patterns"),
    repeat: int("N", "runs of each workload per engine; the median is reported", { min: 1, max: 100 }, 1),
    engine: choice([...ENGINE_NAMES, "all"], "engines to run", "all"),
    timeout: int("SECONDS", "time limit per run", { min: 1, max: 86400 }, 600),
  },
  run: runEngines,
});

async function runEngines(o: { filter: string | undefined; repeat: number; engine: EngineName | "all"; timeout: number }): Promise<number> {
  const { repeat, engine: engineOpt } = o;
  const timeoutMs = o.timeout * 1000;
  const workloads = filterByName(loadWorkloads(), o.filter);
  if (workloads.length === 0) throw new UsageError(`no workload matches '${o.filter}'`);
  const refs = loadReferences();
  const engines: EngineName[] = engineOpt === "all" ? [...ENGINE_NAMES] : [engineOpt];
  const progress = new Progress(workloads.length * engines.length * repeat);
  const runs: EngineRun[] = [];
  for (const w of workloads) {
    for (const e of engines) runs.push(await runEngine(w, e, repeat, timeoutMs, refs.get(w.name), progress));
  }
  crossCheck(runs);
  const report: EnginesReport = {
    host: hostInfo(),
    repeat,
    engines,
    workloads: workloads.map((w) => ({ name: w.name, what: w.what, reference: refs.get(w.name) })),
    runs,
  };
  mkdirSync(RESULTS, { recursive: true });
  const md = enginesMarkdown(report);
  writeFileSync(join(RESULTS, "engines.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(RESULTS, "engines.md"), md);
  writeFileSync(join(RESULTS, "engines.svg"), enginesChart(report));
  process.stdout.write("\n" + md + `\nResults: bench/results/engines.{json,md,svg}\n`);
  return runs.some((r) => r.status !== "ok") ? 1 : 0;
}
