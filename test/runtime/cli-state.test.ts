/**
 * `jit386 run --save-state / --save-at / --load-state`, and SIGUSR1: a run cut in
 * two through a snapshot file prints what the whole run prints and retires the
 * same instructions, under either engine.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DELIVERED, ICOUNT } from "../../src/cpu/layout.js";
import { snapshotRecord } from "../../runtime/snapshot.js";
import { CLI, expectOneLineError, jit386 } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "jit386-state-"));
const file = (name: string) => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function instructions(statsFile: string): number {
  return (JSON.parse(readFileSync(statsFile, "utf8")) as { instructions: number }).instructions;
}

/** The instructions retired, and the progress (retired plus delivered), a snapshot file was taken at. */
function savedAt(path: string): { retired: number; progress: number } {
  const r = snapshotRecord(new Uint8Array(readFileSync(path))) as { cpu: Uint8Array };
  const v = new DataView(r.cpu.buffer, r.cpu.byteOffset);
  const retired = v.getFloat64(ICOUNT, true);
  return { retired, progress: retired + v.getFloat64(DELIVERED, true) };
}

describe("a run cut in two through a snapshot file", () => {
  const whole = jit386("run", "--stats=" + file("whole.json"));
  test("the demo guest runs to its halt", () => {
    expect(whole.status).toBe(0);
    expect(whole.stdout).toContain("primes below 65536: 6542");
  });

  test.each([
    ["jit", "interp"],
    ["interp", "jit"],
  ])("saved under %s at --save-at, resumed under %s", (from, to) => {
    const snap = file(`${from}.snap`);
    const at = Math.floor(instructions(file("whole.json")) / 2);
    const first = jit386("run", "--engine", from, "--save-state", snap, "--save-at", String(at), "--max-instructions", String(at), "--stats=" + file(`${from}-1.json`));
    expect(first.status).toBe(4);
    expect(savedAt(snap).retired).toBe(instructions(file(`${from}-1.json`)));
    expect(savedAt(snap).progress).toBeGreaterThanOrEqual(at);
    const second = jit386("run", "--engine", to, "--load-state", snap, "--stats=" + file(`${from}-2.json`));
    expect(second.stderr).toBe("");
    expect(second.status).toBe(0);
    expect(first.stdout + second.stdout).toBe(whole.stdout);
    expect(instructions(file(`${from}-1.json`)) + instructions(file(`${from}-2.json`))).toBe(instructions(file("whole.json")));
  });

  test("without --save-at the state is saved at the end of the run, and resumes there", () => {
    const snap = file("end.snap");
    expect(jit386("run", "--save-state", snap, "--max-instructions", "300000").status).toBe(4);
    expect(savedAt(snap).progress).toBeGreaterThanOrEqual(300000);
    const rest = jit386("run", "--load-state", snap);
    expect(rest.status).toBe(0);
    expect(whole.stdout.endsWith(rest.stdout)).toBe(true);
  });
});

/** A 4 KiB ROM: from the reset vector, a loop that writes '.' to COM1 every 65536 iterations, for ever. */
function dotsRom(): Uint8Array {
  const rom = new Uint8Array(0x1000);
  rom.set([0xba, 0xf8, 0x03, 0x41, 0x75, 0xfd, 0xb0, 0x2e, 0xee, 0xeb, 0xf8], 0);
  rom.set([0xea, 0x00, 0xf0, 0x00, 0xf0], 0xff0);
  return rom;
}

test("SIGUSR1 saves the state and the run goes on; the snapshot resumes from where it was taken", async () => {
  const rom = file("dots.rom");
  writeFileSync(rom, dotsRom());
  const snap = file("usr1.snap");
  const limit = 3_000_000_000;
  const child = spawn(process.execPath, [CLI, "run", rom, "--serial", file("usr1.out"), "--save-state", snap, "--save-at", String(limit), "--max-instructions", String(limit)]);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  // Signal once the guest is running (its output has begun).
  for (let k = 0; k < 600; k++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      if (readFileSync(file("usr1.out")).length > 10) break;
    } catch {
      // not created yet
    }
  }
  child.kill("SIGUSR1");
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGTERM");
  await new Promise((r) => child.on("close", r));
  expect(stderr).toBe("");
  const n = savedAt(snap).progress;
  expect(n).toBeGreaterThan(0);
  // The snapshot's machine goes on exactly as a fresh run through the same count.
  const upTo = n + 2_000_000;
  const fresh = jit386("run", rom, "--engine", "interp", "--max-instructions", String(upTo));
  const resumed = jit386("run", "--load-state", snap, "--max-instructions", String(upTo - n));
  const head = jit386("run", rom, "--max-instructions", String(n));
  expect(resumed.status).toBe(4);
  expect(head.stdout.length + resumed.stdout.length).toBe(fresh.stdout.length);
  expect(fresh.stdout.length).toBeGreaterThan(10);
});

describe("bad state files and options: one line, status 2", () => {
  writeFileSync(file("garbage.snap"), "not a snapshot at all");
  const good = file("good.snap");
  jit386("run", "--save-state", good, "--max-instructions", "1000");
  const bytes = readFileSync(good);
  writeFileSync(file("cut.snap"), bytes.subarray(0, bytes.length - 10));
  writeFileSync(file("flipped.snap"), bytes.map((b, k) => (k === bytes.length - 5 ? b ^ 1 : b)));
  writeFileSync(file("disk.img"), new Uint8Array(64 * 512));
  test.each([
    [["run", "--load-state", file("garbage.snap")], /'.*garbage.snap' is not a jit386 snapshot$/],
    [["run", "--load-state", file("cut.snap")], /cut.snap' is truncated/],
    [["run", "--load-state", file("flipped.snap")], /flipped.snap' is damaged \(checksum mismatch\)$/],
    [["run", "--load-state", file("missing.snap")], /cannot read state '.*missing.snap': no such file or directory$/],
    [["run", "--load-state", good, "--disk", file("disk.img")], /was taken with no drives; this machine has disk of 64 sectors \(give the same --disk and --cdrom images\)$/],
    [["run", "--load-state", good, "--mem", "128"], /--load-state resumes the machine the snapshot holds: --mem cannot change it$/],
    [["run", "--load-state", good, CLI], /an IMAGE cannot change it$/],
    [["run", "--load-state", good, "--clock", "realtime", "--reboot"], /--reboot, --clock cannot change it$/],
    [["run", "--save-at", "5"], /--save-at needs --save-state FILE$/],
    [["run", "--save-state", join(dir, "no/such/dir.snap")], /cannot write state file .*: no such file or directory$/],
  ])("%j", (args, pattern) => {
    const r = jit386(...(args as string[]));
    expectOneLineError(r, pattern);
    expect(r.status).toBe(2);
  });
});
