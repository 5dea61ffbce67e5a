/**
 * The snapshot promise, as tests check it: a run saved at instruction N and
 * restored (under either engine) ends with the same output, state and count as
 * the run that was never interrupted.
 */
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { EFLAGS, LAZY_MASK, RAM_BASE, STATE_SIZE } from "../../src/cpu/layout.js";
import { saveDevice } from "../../src/devices/state.js";
import type { Machine } from "../../runtime/machine.js";
import { restoreSnapshot, type RestoreSnapshotOptions, saveSnapshot, unsavableReason } from "../../runtime/snapshot.js";
import type { RunResult } from "../../runtime/types.js";

export type EngineName = "jit" | "interp";

/** Serial and debug-console output of a machine, from the moment this is called. */
export function record(m: Machine): { text: () => string } {
  let out = "";
  m.on("serial", (b) => (out += String.fromCharCode(b)));
  m.on("debugcon", (b) => (out += String.fromCharCode(b | 0x100)));
  return { text: () => out };
}

/** The debug-console part of what record() recorded. */
export function debugconOf(output: string): string {
  return Array.from(output, (c) => c.charCodeAt(0))
    .filter((b) => b >= 0x100)
    .map((b) => String.fromCharCode(b - 0x100))
    .join("");
}

/**
 * What a run ends in: the CPU's state block (EFLAGS materialised, the lazy-flag
 * record left out: the engines may keep flags in different forms), a digest of
 * RAM, every device's state.
 */
export function finalState(m: Machine): { cpu: string; ram: string; devices: string; icount: number } {
  const c = m.cpu;
  const block = c.u8.slice(0, STATE_SIZE);
  new DataView(block.buffer).setInt32(EFLAGS, c.getEflags(), true);
  block.fill(0, LAZY_MASK, LAZY_MASK + 24);
  const hash = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  const devices: Record<string, unknown> = {};
  for (const [name, dev] of Object.entries(m.devices())) devices[name] = saveDevice(dev, name);
  return {
    cpu: Buffer.from(block).toString("hex"),
    ram: hash(c.u8.subarray(RAM_BASE, RAM_BASE + c.ramBytes)),
    devices: hash(new TextEncoder().encode(canonical(devices))),
    icount: c.icount,
  };
}

/** A saved state as text that is equal exactly when the states are (typed arrays by digest, Maps spelt out). */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    // A digest keeps large buffers (RAM-sized video memory) cheap to compare, and exact.
    if (ArrayBuffer.isView(x)) return { [x.constructor.name]: [x.byteLength, createHash("sha256").update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)).digest("hex")] };
    if (x instanceof Map) return { Map: [...x.entries()] };
    if (x === undefined) return "(undefined)";
    if (typeof x === "number" && !Number.isFinite(x)) return String(x);
    return x;
  });
}

export interface Outcome {
  output: string;
  result: RunResult;
  state: ReturnType<typeof finalState>;
}

/** Run `m` to its end (or `limit` instructions) recording its output. */
export function runToEnd(m: Machine, limit: number, before = ""): Outcome {
  const rec = record(m);
  const r = m.runSync(limit - m.instructionCount);
  return { output: before + rec.text(), result: r, state: finalState(m) };
}

/**
 * Run `fresh()` to instruction `at` (or the end of a disk transfer in flight there), save, restore under `to` (with `restore`'s
 * drives), and run the restored machine to the end. The run saved from must not
 * have ended before `at`.
 */
export function resumed(fresh: () => Machine, at: number, limit: number, to: EngineName, restore: RestoreSnapshotOptions = {}): Outcome & { snapshotBytes: number } {
  const first = fresh();
  const rec = record(first);
  const r = first.runSync(at);
  expect(r.reason).toBe("limit");
  // Past the end of a disk transfer in flight, as jit386 run's save points do.
  while (unsavableReason(first)) expect(first.runSync(1).reason).toBe("limit");
  const bytes = saveSnapshot(first);
  const second = restoreSnapshot(bytes, { ...restore, engine: to });
  // A run stops when its progress (retired plus delivered) reaches the limit, or just past it inside a REP string.
  expect(second.instructionCount).toBe(first.instructionCount);
  expect(second.cpu.progress).toBe(first.cpu.progress);
  expect(first.cpu.progress).toBeGreaterThanOrEqual(at);
  return { ...runToEnd(second, limit, rec.text()), snapshotBytes: bytes.length };
}

/** The restored run matches the uninterrupted one in everything. */
export function expectSameRun(got: Outcome, want: Outcome): void {
  expect(got.output).toBe(want.output);
  expect(got.result.reason).toBe(want.result.reason);
  expect(got.result.exitStatus).toBe(want.result.exitStatus);
  expect(got.state.icount).toBe(want.state.icount);
  expect(got.state.cpu).toBe(want.state.cpu);
  expect(got.state.ram).toBe(want.state.ram);
  expect(got.state.devices).toBe(want.state.devices);
}
