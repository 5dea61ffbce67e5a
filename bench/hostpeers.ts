/**
 * The peers that are host programs: QEMU (TCG) and the native i386 Linux
 * executables. Each is timed from spawn to exit by the harness, as the jit386
 * and v86 children are, and runs under GNU time for its peak resident set
 * (the Node children read theirs from process.resourceUsage()).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildOutcome, GuestRequest, GuestResult } from "./protocol.js";
import { LineSplitter, MarkerWatch } from "./protocol.js";
import { parseChecksum } from "./workloads.js";

export const QEMU = "qemu-system-i386";

/** QEMU's version line, or undefined when it is not installed. */
export function qemuVersion(): string | undefined {
  const r = spawnSync(QEMU, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n")[0] : undefined;
}

/**
 * QEMU with TCG, no display, COM1 on stdout, isa-debug-exit on port 0xF4 (so the
 * guest's exit status becomes QEMU's), and no reboot, so a guest reset ends it.
 */
export function qemuArgs(req: GuestRequest): string[] {
  const args = ["-accel", "tcg", "-m", String(req.memMiB), "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"];
  args.push("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", req.image);
  if (req.initrd) args.push("-initrd", req.initrd);
  if (req.cmdline) args.push("-append", req.cmdline);
  return args;
}

/** GNU time: with -f %M it writes the peak resident set (KiB) of the program it ran, killed or not. */
const GNU_TIME = "/usr/bin/time";
let rssFiles = 0;

/** The program GNU time runs: its only child (read from /proc, so it can be killed while time stays to report). */
function wrappedPid(timePid: number): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(`/proc/${timePid}/task/${timePid}/children`, "utf8"), 10);
    return Number.isNaN(pid) ? undefined : pid;
  } catch {
    return undefined;
  }
}

/** Ends the program, leaving a GNU time wrapper alive to write what it measured. */
function killProgram(child: ChildProcess, wrapped: boolean): void {
  const pid = wrapped && child.pid !== undefined ? wrappedPid(child.pid) : undefined;
  if (pid === undefined) child.kill("SIGKILL");
  else process.kill(pid, "SIGKILL");
}

/** The last line of GNU time's output file (after any "Command terminated by signal" line), in bytes. */
function readPeak(file: string): number | undefined {
  try {
    const kib = Number.parseInt(readFileSync(file, "utf8").trim().split("\n").pop() ?? "", 10);
    return Number.isNaN(kib) ? undefined : kib * 1024;
  } catch {
    return undefined;
  } finally {
    rmSync(file, { force: true });
  }
}

/** Runs a host program whose stdout is the guest's console; markers are timed by arrival. */
function runHost(cmd: string, args: string[], req: GuestRequest, killAfterMs: number): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const rssFile = existsSync(GNU_TIME) ? join(tmpdir(), `jit386-bench-rss-${process.pid}-${rssFiles++}`) : undefined;
    const t0 = performance.now();
    const child = rssFile
      ? spawn(GNU_TIME, ["-f", "%M", "-o", rssFile, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] })
      : spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const watch = new MarkerWatch(req.markers, req.stopAt);
    let reason = "failed";
    const serial = new LineSplitter((line) => {
      watch.line(line, () => ({ ms: performance.now() - t0 }));
      if (watch.shouldStop && reason === "failed") {
        reason = "marker";
        killProgram(child, rssFile !== undefined);
      }
    });
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      for (const b of d) serial.push(b);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err = (err + d).slice(-4000)));
    const timer = setTimeout(() => {
      reason = "timeout";
      killProgram(child, rssFile !== undefined);
    }, killAfterMs);
    child.on("error", (e) => (err += e.message));
    child.on("close", (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (reason === "failed" && code !== null) reason = "exit";
      const result: GuestResult = {
        reason,
        exitStatus: code ?? undefined,
        vmMs: ms,
        runMs: ms,
        serialTail: serial.tail,
        checksum: parseChecksum(serial.tail),
        markers: watch.hits,
        maxRssBytes: rssFile ? readPeak(rssFile) : undefined,
      };
      resolve({ result, processMs: ms, exitCode: code, stderrTail: err });
    });
  });
}

export function runQemu(req: GuestRequest, killAfterMs: number): Promise<ChildOutcome> {
  return runHost(QEMU, qemuArgs(req), req, killAfterMs);
}

/** The native build: the command line's "iters=N" is its first argument. */
export function runNative(executable: string, req: GuestRequest, killAfterMs: number): Promise<ChildOutcome> {
  return runHost(executable, req.cmdline ? [req.cmdline] : [], req, killAfterMs);
}
