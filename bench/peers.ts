/**
 * `npm run bench:peers`: the same guests, in one invocation, on jit386 (both
 * engines), v86, QEMU (TCG) and natively (the C workloads' i386
 * Linux executables), plus the Debian Linux boot. Every number is the time
 * from starting the peer's process to the guest's exit, and the peak resident
 * set of that process; peers that are not installed are reported as missing.
 * jit386's two engines must retire the same instruction count on every guest.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../runtime/errors.js";
import { command, int, text } from "../runtime/options.js";
import { type HostInfo, hostInfo, hostLine } from "./host.js";
import { qemuVersion, runNative, runQemu } from "./hostpeers.js";
import { JIT386_WORKER, V86_WORKER } from "./paths.js";
import { type ChildOutcome, type GuestRequest, type Marker, type MarkerHit, runChild } from "./protocol.js";
import { markdownTable, Progress, sig, svgBarChart } from "./report.js";
import { max, median } from "./stats.js";
import { filterByName, loadReferences, loadWorkloads, RESULTS, ROOT } from "./workloads.js";


type PeerName = "jit386 interp" | "jit386 jit" | "v86" | "qemu" | "native";
const PEERS: PeerName[] = ["jit386 interp", "jit386 jit", "v86", "qemu", "native"];

export interface PeerRun {
  guest: string;
  peer: PeerName;
  status: "ok" | "missing" | "failed" | "wrong checksum";
  note?: string;
  /** Median milliseconds from process start to the guest's exit. */
  processMs?: number;
  /** Median milliseconds from VM creation to the exit, where the peer runs in a process the harness controls. */
  vmMs?: number;
  instructions?: number;
  checksum?: string;
  /** Linux boot: time from process start and instructions to each marker. */
  markers?: Record<string, MarkerHit>;
  /** Peak resident set of the peer's process (the largest over repetitions), where it could be read. */
  maxRssBytes?: number;
  /** jit386 jit: whether it retired what the interpreter did (to each marker, for the Linux boot); unset when not compared. */
  countsMatchInterp?: boolean;
}

export interface PeersReport {
  host: HostInfo;
  repeat: number;
  versions: Record<string, string>;
  guests: string[];
  runs: PeerRun[];
}

const LINUX_DIR = join(ROOT, "guests", "linux", "build");
const LINUX_GUEST = "linux-boot";
/** `seq 1 n` as /init (scripts/linux/init.sh) writes it. */
function seqText(n: number): string {
  let text = "";
  for (let k = 1; k <= n; k++) text += `${k}\n`;
  return text;
}

/** Makes /init run its user-space workload after the boot marker (scripts/linux/init.sh). */
const WORKLOAD_FLAG = "jit386.workload";

/**
 * The first line userspace prints, its boot check (the MD5 of `seq 1 20000`), the
 * workload's start, one of its results (the SHA-256 of `seq 1 30000`) and end, and
 * the kernel's last words before it halts or powers off.
 */
export const LINUX_MARKERS: Marker[] = [
  { name: "marker", pattern: "JIT386-MARKER" },
  { name: "md5", pattern: `JIT386-MD5: ${createHash("md5").update(seqText(20000)).digest("hex")}` },
  { name: "workStart", pattern: "JIT386-WORK-START" },
  { name: "sha256", pattern: `JIT386-SHA256: ${createHash("sha256").update(seqText(30000)).digest("hex")}` },
  { name: "workDone", pattern: "JIT386-WORK-DONE" },
  { name: "poweroff", pattern: "reboot: (System halted|Power down)" },
];
const SEABIOS = "/usr/share/seabios/bios.bin";
const SEAVGABIOS = "/usr/share/seabios/vgabios-stdvga.bin";

type Runner = (t: Task, killAfterMs: number) => Promise<ChildOutcome>;

/** What a peer needs before it can run anything, or why it cannot. */
function peerRunner(peer: PeerName, versions: Record<string, string>): Runner | string {
  switch (peer) {
    case "jit386 interp":
    case "jit386 jit": {
      const engine = peer === "jit386 jit" ? "tiered" : "interp";
      return (t, kill) => runChild(JIT386_WORKER, { ...t.req, engine }, kill);
    }
    case "v86": {
      const pkg = join(ROOT, "node_modules", "v86", "package.json");
      if (!existsSync(pkg)) return "the v86 package is not installed (npm install)";
      const v: unknown = JSON.parse(readFileSync(pkg, "utf8")).version;
      versions.v86 = String(v);
      return (t, kill) => runChild(V86_WORKER, t.req, kill);
    }
    case "qemu": {
      const v = qemuVersion();
      if (!v) return "qemu-system-i386 is not installed (apt-get install qemu-system-x86)";
      versions.qemu = v;
      return (t, kill) => runQemu(t.req, kill);
    }
    case "native":
      if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "ia32")) return "native runs need an x86 Linux host";
      return (t, kill) => runNative(t.native ?? "", t.req, kill);
  }
}

interface Task {
  guest: string;
  req: GuestRequest;
  /** The native build of the guest's sources, when it has one. */
  native?: string;
  expected?: string;
  linux: boolean;
}

/** A native executable exits 0; multiboot guests exit through port 0xF4 with status 1. */
function judge(t: Task, peer: PeerName, o: ChildOutcome): { status: PeerRun["status"]; note?: string } {
  const r = o.result;
  if (!r) return { status: "failed", note: o.stderrTail.trim().split("\n").pop() ?? `exit ${o.exitCode}` };
  if (r.unavailable) return { status: "missing", note: r.unavailable };
  if (r.error) return { status: "failed", note: r.error.split("\n")[0] };
  if (t.linux) {
    if (r.markers.marker === undefined) {
      const reached = r.instructions === undefined ? "" : `, ${sig(r.instructions / 1e9)} G instructions`;
      const last = r.serialTail.trim().split("\n").pop();
      return { status: "failed", note: `no ${LINUX_MARKERS[0].pattern}: ended by ${r.reason} after ${secs(r.vmMs)} s${reached}${last ? `; last output: ${last.trim()}` : ""}` };
    }
    if (r.markers.md5 === undefined) return { status: "wrong checksum", note: "userspace ran, but its MD5 line is missing or wrong" };
    if (r.markers.workDone === undefined) return { status: "failed", note: `the workload did not finish: ended by ${r.reason}; last output: ${r.serialTail.trim().split("\n").pop() ?? ""}` };
    if (r.markers.sha256 === undefined) return { status: "wrong checksum", note: "the workload's SHA-256 line is missing or wrong" };
    return { status: "ok" };
  }
  const want = peer === "native" ? 0 : 1;
  if (r.exitStatus !== want) return { status: "failed", note: `ended by ${r.reason}, status ${r.exitStatus}; last output: ${r.serialTail.trim().split("\n").pop() ?? ""}` };
  if (t.expected !== undefined && r.checksum !== t.expected) return { status: "wrong checksum", note: `checksum ${r.checksum}, expected ${t.expected}` };
  return { status: "ok" };
}

function linuxTask(timeoutMs: number): Task | string {
  const kernel = join(LINUX_DIR, "vmlinuz");
  const initrd = join(LINUX_DIR, "initramfs.cpio");
  const cmdline = join(LINUX_DIR, "cmdline.txt");
  if (![kernel, initrd, cmdline].every(existsSync)) return "guests/linux/build is missing (npm run guests:linux)";
  return {
    guest: LINUX_GUEST,
    linux: true,
    req: {
      image: kernel,
      initrd,
      cmdline: `${readFileSync(cmdline, "utf8").trim()} ${WORKLOAD_FLAG}`,
      memMiB: 128,
      markers: LINUX_MARKERS,
      stopAt: ["poweroff"],
      timeoutMs,
      bios: existsSync(SEABIOS) ? SEABIOS : undefined,
      vgaBios: existsSync(SEAVGABIOS) ? SEAVGABIOS : undefined,
    },
  };
}

/** Median of the repetitions that succeeded, carrying the first one's other fields. */
function summarize(t: Task, peer: PeerName, outcomes: ChildOutcome[]): PeerRun {
  const run: PeerRun = { guest: t.guest, peer, status: "ok" };
  const vm: number[] = [];
  const proc: number[] = [];
  const rss: (number | undefined)[] = [];
  for (const o of outcomes) {
    const j = judge(t, peer, o);
    rss.push(o.result?.maxRssBytes);
    if (j.status !== "ok") return { ...run, ...j, checksum: o.result?.checksum, markers: o.result?.markers, instructions: o.result?.instructions, maxRssBytes: max(rss) };
    proc.push(t.linux ? (o.result?.markers.poweroff?.ms ?? o.processMs) : o.processMs);
    if (peer !== "qemu" && peer !== "native" && o.result) vm.push(o.result.vmMs);
  }
  const first = outcomes[0]?.result;
  run.processMs = median(proc);
  run.vmMs = median(vm);
  run.instructions = first?.instructions;
  run.checksum = first?.checksum;
  run.markers = first?.markers;
  run.maxRssBytes = max(rss);
  return run;
}

/** The counts the engines must agree on: retired instructions, or for the Linux boot those at each marker. */
function counts(r: PeerRun): (number | undefined)[] {
  return r.guest === LINUX_GUEST ? LINUX_MARKERS.map((m) => r.markers?.[m.name]?.instructions) : [r.instructions];
}

/** The JIT must retire exactly what the interpreter does (virtual time makes both deterministic); a difference fails the JIT's run. */
export function checkJitCounts(runs: PeerRun[]): void {
  for (const j of runs.filter((r) => r.peer === "jit386 jit" && r.status === "ok")) {
    const i = runs.find((r) => r.guest === j.guest && r.peer === "jit386 interp" && r.status === "ok");
    if (!i) continue;
    const [ci, cj] = [counts(i), counts(j)];
    j.countsMatchInterp = ci.every((c, k) => c === cj[k]);
    if (!j.countsMatchInterp) {
      j.status = "failed";
      j.note = `retired ${cj.join(" / ")} instructions, the interpreter ${ci.join(" / ")}`;
    }
  }
}

/** What the ratios divide by: jit386's JIT, or its interpreter where the JIT's run failed. */
function reference(runs: PeerRun[], guest: string): PeerRun | undefined {
  const ok = (p: PeerName) => runs.find((r) => r.guest === guest && r.peer === p && r.status === "ok");
  return ok("jit386 jit") ?? ok("jit386 interp");
}

const secs = (ms: number | undefined) => (ms === undefined ? undefined : (ms / 1000).toFixed(ms < 1000 ? 3 : 2));
const mib = (b: number | undefined) => (b === undefined ? undefined : sig(b / 2 ** 20, 3));

/** What the Linux table says about the JIT's instruction counts, or why a run is not ok. */
function linuxNote(r: PeerRun | undefined): string | undefined {
  if (r?.status !== "ok") return r?.note;
  if (r.countsMatchInterp === true) return "instruction counts to every marker (boot, workload, power-off) equal the interpreter's";
  if (r.peer === "jit386 jit") return "instruction counts not compared: the interpreter's boot did not complete";
  return undefined;
}

export function peersMarkdown(rep: PeersReport): string {
  const workloads = rep.guests.filter((g) => g !== LINUX_GUEST);
  const cell = (r: PeerRun | undefined, ref: PeerRun | undefined) => {
    if (!r) return undefined;
    if (r.status !== "ok") return r.status;
    const ratio = ref?.processMs && r.processMs !== undefined && r !== ref ? ` (${sig(r.processMs / ref.processMs, 2)}×)` : "";
    return `${secs(r.processMs)}${ratio}`;
  };
  const find = (g: string, p: PeerName) => rep.runs.find((r) => r.guest === g && r.peer === p);
  const rows = workloads.map((g) => {
    const ref = reference(rep.runs, g);
    return [g, ...PEERS.map((p) => cell(find(g, p), ref))];
  });
  const peak = (r: PeerRun | undefined) => (r?.status === "ok" ? mib(r.maxRssBytes) : r?.status);
  const rssRows = workloads.map((g) => [g, ...PEERS.map((p) => peak(find(g, p)))]);
  let md = `Measured ${hostLine(rep.host)}; ${Object.entries(rep.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}; median of ${rep.repeat}.\n\n`;
  if (workloads.length) {
    md += "Seconds from process start to the guest's exit; in parentheses the time relative to jit386's JIT (the interpreter where the JIT's run failed): below 1 means the peer is faster.\n\n";
    md += markdownTable(["workload", ...PEERS.map((p) => `${p} s`)], rows);
    md += "\nPeak resident set of the peer's process, MiB (Node included for jit386 and v86; QEMU and native as GNU time reports them):\n\n";
    md += markdownTable(["workload", ...PEERS.map((p) => `${p} MiB`)], rssRows);
  }
  if (rep.guests.includes(LINUX_GUEST)) {
    const lrows = PEERS.filter((p) => p !== "native").map((p) => {
      const r = rep.runs.find((x) => x.guest === LINUX_GUEST && x.peer === p);
      const m = r?.markers;
      const instr = (h: MarkerHit | undefined) => (h?.instructions === undefined ? undefined : sig(h.instructions / 1e9, 3));
      const ok = r?.status === "ok";
      const span = (a: MarkerHit | undefined, b: MarkerHit | undefined) => (a && b ? { ms: b.ms - a.ms, instructions: a.instructions !== undefined && b.instructions !== undefined ? b.instructions - a.instructions : undefined } : undefined);
      const work = span(m?.workStart, m?.workDone);
      return [
        p,
        r?.status,
        secs(m?.marker?.ms),
        instr(m?.marker),
        secs(work?.ms),
        instr(work),
        secs(m?.poweroff?.ms ?? (ok ? r.processMs : undefined)),
        instr(m?.poweroff),
        ok ? mib(r.maxRssBytes) : undefined,
        linuxNote(r),
      ];
    });
    md += `\nDebian Linux (busybox initramfs): the boot to the marker line (seconds from process start), the user-space workload (gzip, sha256sum, awk and sort on \`seq 1 30000\`, from JIT386-WORK-START to JIT386-WORK-DONE), and the whole run to the kernel's power-off message; G instructions where the VM counts them; peak resident set of the process:\n\n`;
    md += markdownTable(["peer", "status", "boot to marker s", "G instr", "workload s", "G instr", "to power-off s", "G instr", "peak MiB", "note"], lrows);
  }
  const notes = new Set(
    rep.runs
      .filter((r) => r.status !== "ok" && r.guest !== LINUX_GUEST)
      .map((r) => (r.status === "missing" ? `- ${r.peer}: missing: ${r.note ?? ""}` : `- ${r.guest} on ${r.peer}: ${r.status}${r.note ? `: ${r.note}` : ""}`)),
  );
  if (notes.size) md += `\n${[...notes].join("\n")}\n`;
  return md;
}

export function peersChart(rep: PeersReport): string {
  const colors: Record<PeerName, string> = { "jit386 interp": "#8da0cb", "jit386 jit": "#fc8d62", v86: "#66c2a5", qemu: "#e78ac3", native: "#a6d854" };
  const guests = rep.guests;
  return svgBarChart({
    title: "Peers: time relative to jit386's JIT (log scale)",
    subtitle: `${hostLine(rep.host)}; process start to guest exit (Linux: to power-off)`,
    axis: "time ÷ jit386 JIT's time (below 1: faster than jit386's JIT)",
    series: PEERS.map((p) => ({ name: p, color: colors[p] })),
    groups: guests.map((g) => {
      const ref = reference(rep.runs, g);
      return {
        label: g,
        values: PEERS.map((p) => {
          const r = rep.runs.find((x) => x.guest === g && x.peer === p);
          return r?.status === "ok" && r.processMs !== undefined && ref?.processMs ? r.processMs / ref.processMs : undefined;
        }),
      };
    }),
    reference: { value: 1, label: "jit386 jit" },
  });
}

export const benchPeers = command({
  name: "peers",
  summary: "the workloads and the Linux boot on jit386, v86, QEMU and natively (npm run bench:peers)",
  args: [],
  options: {
    filter: text("NAMES", "guests to run: comma-separated substrings or * patterns (linux-boot for the Linux boot)"),
    repeat: int("N", "runs of each guest per peer; the median is reported", { min: 1, max: 100 }, 1),
    timeout: int("SECONDS", "time limit per run", { min: 1, max: 86400 }, 300),
    "linux-timeout": int("SECONDS", "time limit per Linux boot", { min: 1, max: 86400 }, 900),
  },
  run: runPeers,
});

async function runPeers(o: { filter: string | undefined; repeat: number; timeout: number; "linux-timeout": number }): Promise<number> {
  const { repeat, filter } = o;
  const timeoutMs = o.timeout * 1000;
  const linuxTimeoutMs = o["linux-timeout"] * 1000;
  const refs = loadReferences();
  const tasks: Task[] = filterByName(loadWorkloads(), filter).map((w) => ({
    guest: w.name,
    linux: false,
    expected: refs.get(w.name)?.checksum,
    native: w.native,
    req: { image: w.image, memMiB: 64, timeoutMs },
  }));
  const runs: PeerRun[] = [];
  const guests = tasks.map((t) => t.guest);
  if (filterByName([{ name: LINUX_GUEST }], filter).length) {
    const lt = linuxTask(linuxTimeoutMs);
    guests.push(LINUX_GUEST);
    if (typeof lt === "string") for (const peer of PEERS) runs.push({ guest: LINUX_GUEST, peer, status: "missing", note: lt });
    else tasks.push(lt);
  }
  if (guests.length === 0) throw new UsageError(`no guest matches '${filter}'`);
  const versions: Record<string, string> = {};
  const runners = new Map(PEERS.map((peer) => [peer, peerRunner(peer, versions)]));
  const planned = tasks.flatMap((t) => PEERS.filter((peer) => !(peer === "native" && !t.native)).map((peer) => ({ t, peer })));
  const progress = new Progress(planned.length * repeat);
  const gone = new Map<PeerName, string>();
  for (const { t, peer } of planned) {
    const runner = runners.get(peer);
    const missing = typeof runner === "string" ? runner : gone.get(peer);
    if (missing !== undefined || runner === undefined || typeof runner === "string") {
      runs.push({ guest: t.guest, peer, status: "missing", note: missing });
      for (let k = 0; k < repeat; k++) {
        progress.start(`${t.guest} on ${peer}`);
        progress.finish(`missing: ${missing}`);
      }
      continue;
    }
    const outcomes: ChildOutcome[] = [];
    for (let k = 0; k < repeat; k++) {
      progress.start(`${t.guest} on ${peer}${repeat > 1 ? `, run ${k + 1}` : ""}`);
      const o = await runner(t, (t.req.timeoutMs ?? timeoutMs) + 30_000);
      outcomes.push(o);
      const j = judge(t, peer, o);
      progress.finish(j.status === "ok" ? `${secs(o.processMs)} s` : `${j.status}${j.note ? `: ${j.note}` : ""}`);
      if (j.status !== "ok") break;
    }
    const run = summarize(t, peer, outcomes);
    // A peer that found itself missing (v86 without its package) is missing for every guest.
    if (run.status === "missing" && run.note) gone.set(peer, run.note);
    runs.push(run);
  }
  checkJitCounts(runs);
  const report: PeersReport = { host: hostInfo(), repeat, versions, guests, runs };
  mkdirSync(RESULTS, { recursive: true });
  const md = peersMarkdown(report);
  writeFileSync(join(RESULTS, "peers.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(RESULTS, "peers.md"), md);
  writeFileSync(join(RESULTS, "peers.svg"), peersChart(report));
  process.stdout.write("\n" + md + `\nResults: bench/results/peers.{json,md,svg}\n`);
  // A missing peer is not a failure; a failed run (a JIT count unlike the interpreter's included) is.
  return runs.some((r) => r.status === "failed" || r.status === "wrong checksum") ? 1 : 0;
}
