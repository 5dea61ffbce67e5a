/**
 * How the harness runs one guest in a child process and what comes back. Every
 * measured run gets a process of its own, so peak memory and JIT state are the
 * run's alone, and the parent can time the whole process from spawn to exit.
 */
import { spawn } from "node:child_process";

/** A line of the serial console that marks a point in the run (matched as a regular expression). */
export interface Marker {
  name: string;
  pattern: string;
}

export interface GuestRequest {
  /** A multiboot image, or a Linux bzImage with `initrd`. */
  image: string;
  initrd?: string;
  cmdline?: string;
  memMiB: number;
  /** jit386's engine (jit386 workers only). */
  engine?: string;
  /** Serial lines to time; a run stops at the first marker named in `stopAt`. */
  markers?: Marker[];
  stopAt?: string[];
  /** Wall-clock limit for the guest, in milliseconds. */
  timeoutMs?: number;
  /** BIOS images (v86's Linux boot). */
  bios?: string;
  vgaBios?: string;
}

export interface MarkerHit {
  /** Milliseconds from the start of the process running the VM. */
  ms: number;
  /** Guest instructions retired by then, where the VM counts them. */
  instructions?: number;
}

export interface GuestResult {
  /** Why the run ended: the exit port, a halt, a stop marker, a timeout, a failure. */
  reason: string;
  exitStatus?: number;
  /** Guest instructions retired, where the VM counts them. */
  instructions?: number;
  /** Milliseconds from VM creation (before loading the image) to the end of the run. */
  vmMs: number;
  /** Milliseconds the guest ran (after loading; what MIPS is computed from). */
  runMs: number;
  serialTail: string;
  checksum?: string;
  markers: Record<string, MarkerHit>;
  /** Peak resident set of the child process, where it can be read. */
  maxRssBytes?: number;
  /** The engine's own counters (jit386's JIT statistics). */
  engineStats?: Record<string, unknown>;
  error?: string;
  /** Set when the VM could not provide what was asked (e.g. an engine this build lacks). */
  unavailable?: string;
}

export interface ChildOutcome {
  result?: GuestResult;
  /** Milliseconds from spawn to process exit. */
  processMs: number;
  exitCode: number | null;
  stderrTail: string;
}

/** Where a child writes its GuestResult: the last line of stdout that starts with this. */
export const RESULT_PREFIX = "@@bench-result ";

function tail(s: string, n: number): string {
  return s.length > n ? s.slice(s.length - n) : s;
}

/** Runs `node script request` and collects its result, timing the whole process. */
export function runChild(script: string, request: GuestRequest, killAfterMs: number): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [script, JSON.stringify(request)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err = tail(err + d, 4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const processMs = performance.now() - t0;
      const line = out.split("\n").filter((l) => l.startsWith(RESULT_PREFIX)).pop();
      const result = line ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as GuestResult) : undefined;
      resolve({ result, processMs, exitCode: code, stderrTail: err });
    });
  });
}

/** Splits serial bytes into lines and reports each completed line once. */
export class LineSplitter {
  private line = "";
  private all = "";
  constructor(private readonly onLine: (line: string) => void) {}
  push(byte: number): void {
    const ch = String.fromCharCode(byte);
    this.all = this.all.length > 8192 ? this.all.slice(-4096) + ch : this.all + ch;
    if (ch === "\n") {
      this.onLine(this.line);
      this.line = "";
    } else if (ch !== "\r") {
      this.line += ch;
    }
  }
  get tail(): string {
    return tail(this.all, 2000);
  }
}

/** Tracks markers over serial lines: records first hits, says when a stop marker appeared. */
export class MarkerWatch {
  readonly hits: Record<string, MarkerHit> = {};
  private readonly compiled: { name: string; re: RegExp }[];
  private stopped = false;
  constructor(
    markers: Marker[] | undefined,
    private readonly stopAt: string[] | undefined,
  ) {
    this.compiled = (markers ?? []).map((m) => ({ name: m.name, re: new RegExp(m.pattern) }));
  }
  line(text: string, hit: () => MarkerHit): void {
    for (const m of this.compiled) {
      if (this.hits[m.name] === undefined && m.re.test(text)) {
        this.hits[m.name] = hit();
        if (this.stopAt?.includes(m.name)) this.stopped = true;
      }
    }
  }
  get shouldStop(): boolean {
    return this.stopped;
  }
}
