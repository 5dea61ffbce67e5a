/** Running `jit386 run --gdb 0` with the real gdb (Debian's /usr/bin/gdb) driving it in batch mode. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "./cli.js";

export const GDB = "/usr/bin/gdb";
export const COUNTER_ELF = new URL("../../guests/gdb/counter.elf", import.meta.url).pathname;

export interface DebuggedRun {
  /** What gdb printed (stdout and stderr). */
  gdb: string;
  /** jit386's exit status. */
  status: number | null;
  stderr: string;
  /** What the guest wrote to port 0xE9. */
  debugcon: string;
  /** Instructions the run retired (from --stats). */
  instructions: number;
}

interface Exit {
  status: number | null;
  output: string;
}

function spawnCollect(cmd: string, args: string[], onStderr?: (text: string) => void): { done: Promise<Exit>; kill: () => void } {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr.on("data", (b: Buffer) => {
    output += b.toString();
    onStderr?.(output);
  });
  const done = new Promise<Exit>((resolve) => child.on("close", (status) => resolve({ status, output })));
  return { done, kill: () => child.kill("SIGKILL") };
}

/**
 * Boot `image` under `jit386 run --gdb 0 --engine ENGINE`, wait for its port,
 * and run gdb on `script` (after `target remote`), with `image`'s symbols.
 */
export async function debugRun(engine: "interp" | "jit", script: string[], image = COUNTER_ELF): Promise<DebuggedRun> {
  if (!existsSync(GDB)) throw new Error(`${GDB} is needed (apt-get install gdb)`);
  const dir = mkdtempSync(join(tmpdir(), "jit386-gdb-"));
  try {
    const stats = join(dir, "stats.json");
    const debugcon = join(dir, "debugcon.txt");
    let announced: (port: number) => void = () => {};
    const port = new Promise<number>((resolve) => (announced = resolve));
    const emulator = spawnCollect(process.execPath, [CLI, "run", "--engine", engine, "--gdb", "0", `--stats=${stats}`, "--debugcon", debugcon, "--serial", "none", image], (text) => {
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(text);
      if (m) announced(Number(m[1]));
    });
    const timer = setTimeout(() => emulator.kill(), 90_000);
    const p = await Promise.race([port, emulator.done.then(() => -1)]);
    if (p < 0) throw new Error(`jit386 ended before listening: ${(await emulator.done).output}`);
    const file = join(dir, "script.gdb");
    writeFileSync(file, ["set pagination off", "set confirm off", `target remote 127.0.0.1:${p}`, ...script, ""].join("\n"));
    const gdb = await spawnCollect(GDB, ["-batch", "-nx", "-x", file, image]).done;
    const run = await emulator.done;
    clearTimeout(timer);
    const figures = existsSync(stats) ? (JSON.parse(readFileSync(stats, "utf8")) as { instructions: number }) : { instructions: -1 };
    return {
      gdb: gdb.output,
      status: run.status,
      stderr: run.output,
      debugcon: existsSync(debugcon) ? readFileSync(debugcon, "utf8") : "",
      instructions: figures.instructions,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `jit386 ...args` without blocking the event loop (a test's own server must answer meanwhile). */
export async function jit386Async(...args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { status, stderr };
}
