/**
 * Lockstep comparison of the two engines (ARCHITECTURE.md "The JIT: jit386 diff
 * IMAGE"): two machines boot
 * the same image; the JIT machine runs until compiled code returns to its
 * dispatcher, the interpreter machine runs to the same instruction count, and
 * the whole CPU state is compared: registers, EFLAGS, segment caches, system
 * registers, counters, x87 and MSR state, guest RAM page by page, and what each
 * has written to its serial port and debug console.
 *
 * Both machines run Machine's own run loop (Machine.advance: virtual-time
 * devices, PIC interrupts, HLT skipping to the next deadline), so devices and
 * interrupts happen at the same instruction counts on both sides and as in an
 * ordinary run. The JIT compiles synchronously, which makes its run, region
 * boundaries included, reproducible: a RAM difference found by a periodic
 * check is narrowed down by replaying with a check at every exit.
 */
import type { Cpu } from "../src/cpu/cpu.js";
import * as L from "../src/cpu/layout.js";
import { disassembleOne } from "../src/disasm/disasm.js";
import type { Region } from "../jit/region.js";
import { bootFirmware, bootImage, type BootOptions } from "./image.js";
import { Dispatch, JitEngine, type JitOptions, UNLIMITED_CHAIN } from "./jit.js";
import { createMachine, type Machine } from "./machine.js";
import type { FirmwareOptions, StorageOptions } from "./pc.js";

export interface Difference {
  field: string;
  interp: string;
  jit: string;
}

const hex = (v: number, digits = 8) => `0x${(v >>> 0).toString(16).padStart(digits, "0")}`;
const REG_NAMES = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"];
const SEG_NAMES = ["ES", "CS", "SS", "DS", "FS", "GS"];

/** Named 32-bit fields of the state block, read as int32. */
function stateFields(): [string, number][] {
  const f: [string, number][] = REG_NAMES.map((n, k) => [n, L.REG_BASE + 4 * k]);
  f.push(["EIP", L.EIP]);
  SEG_NAMES.forEach((s, k) => {
    f.push([`${s}.sel`, L.SEG_SEL + 4 * k], [`${s}.base`, L.SEG_BASE + 4 * k], [`${s}.limit`, L.SEG_LIMIT + 4 * k], [`${s}.attr`, L.SEG_ATTR + 4 * k]);
  });
  f.push(["GDTR.base", L.GDTR_BASE], ["GDTR.limit", L.GDTR_LIMIT], ["IDTR.base", L.IDTR_BASE], ["IDTR.limit", L.IDTR_LIMIT]);
  f.push(["LDTR.sel", L.LDTR_SEL], ["LDTR.base", L.LDTR_BASE], ["LDTR.limit", L.LDTR_LIMIT], ["LDTR.attr", L.LDTR_ATTR]);
  f.push(["TR.sel", L.TR_SEL], ["TR.base", L.TR_BASE], ["TR.limit", L.TR_LIMIT], ["TR.attr", L.TR_ATTR]);
  for (let k = 0; k <= 4; k++) f.push([`CR${k}`, L.CR_BASE + 4 * k]);
  f.push(["CPL", L.CPL], ["HALTED", L.HALTED], ["INTERRUPT_SHADOW", L.INTERRUPT_SHADOW]);
  for (let k = 0; k < 8; k++) f.push([`DR${k}`, L.DR_BASE + 4 * k]);
  return f;
}
const FIELDS = stateFields();

const view = (c: Cpu, start: number, length: number) => Buffer.from(c.memory.buffer, start, length);

/** FNV-1a of a byte range, for naming a page's contents in a report. */
function hash(c: Cpu, start: number, length: number): number {
  let h = 0x811c9dc5;
  const u8 = c.u8;
  for (let k = start; k < start + length; k++) h = Math.imul(h ^ u8[k], 0x01000193);
  return h >>> 0;
}

/** Differences in guest RAM, by 4 KiB page (at most `max` listed). */
export function compareRam(a: Cpu, b: Cpu, max = 8): Difference[] {
  const out: Difference[] = [];
  if (view(a, L.RAM_BASE, a.ramBytes).equals(view(b, L.RAM_BASE, b.ramBytes))) return out;
  for (let page = 0; page < a.ramBytes && out.length < max; page += 0x1000) {
    const at = L.RAM_BASE + page;
    if (view(a, at, 0x1000).equals(view(b, at, 0x1000))) continue;
    let k = 0;
    while (a.u8[at + k] === b.u8[at + k]) k++;
    out.push({
      field: `RAM page ${hex(page)} (first byte ${hex(page + k)}: ${hex(a.u8[at + k], 2)} vs ${hex(b.u8[at + k], 2)})`,
      interp: `hash ${hex(hash(a, at, 0x1000))}`,
      jit: `hash ${hex(hash(b, at, 0x1000))}`,
    });
  }
  return out;
}

/** Every difference between two CPUs' architectural state; RAM too when `ram` is set. */
export function compareCpus(a: Cpu, b: Cpu, ram: boolean): Difference[] {
  const out: Difference[] = [];
  const cmp = (field: string, x: number, y: number, fmt = hex) => {
    if (x !== y) out.push({ field, interp: fmt(x), jit: fmt(y) });
  };
  for (const [name, off] of FIELDS) cmp(name, a.i32[off >> 2], b.i32[off >> 2]);
  cmp("EFLAGS", a.getEflags(), b.getEflags());
  cmp("icount", a.icount, b.icount, String);
  cmp("delivered", a.delivered, b.delivered, String);
  cmp("idle slots", a.f64[L.IDLE_SLOTS >> 3], b.f64[L.IDLE_SLOTS >> 3], String);
  cmp("shutdown", Number(a.shutdown), Number(b.shutdown), String);
  cmp("A20 mask", a.a20Mask, b.a20Mask);
  for (const [name, start, size] of [["x87", L.FPU_BASE, L.FPU_SIZE], ["MSR", L.MSR_BASE, L.MSR_SIZE]] as const) {
    if (!view(a, start, size).equals(view(b, start, size))) out.push({ field: `${name} state`, interp: hex(hash(a, start, size)), jit: hex(hash(b, start, size)) });
  }
  if (ram) out.push(...compareRam(a, b));
  return out;
}

/** How a run ended: the guest's stop reason, or the instruction limit. */
export type RunStop = "exit" | "halt" | "shutdown" | "reset" | "stopped" | "limit";

/** What a lockstep comparison uses where DiffOptions leave a value out. */
export const DIFF_DEFAULTS = { memMiB: 64, chain: 1, hotThreshold: 2, batchDelay: 1000, ramEvery: 64 } as const;

export interface DiffOptions {
  memMiB?: number;
  boot?: BootOptions;
  maxInstructions?: number;
  /** Run both machines on their own to this count first (the JIT chaining freely), then compare and go on in lockstep. */
  from?: number;
  /** Compare RAM at every n-th region exit (registers are compared at every one). */
  ramEvery?: number;
  jit?: JitOptions;
  /** The drives of each machine (called once per machine, so each has its own overlay). */
  storage?: () => StorageOptions;
  /** Boot through this firmware instead of loading the image. */
  firmware?: FirmwareOptions;
}

export interface DiffResult {
  agree: boolean;
  stop: RunStop;
  exitStatus?: number;
  instructions: number;
  /** Region exits compared. */
  exits: number;
  differences: Difference[];
  /** The region the JIT machine ran last before the difference, disassembled. */
  region: string[];
  /** The JIT's statistics at the end. */
  stats: Record<string, unknown>;
}

/** The guest code of a region, one line per instruction, block starts marked. */
export function listRegion(c: Cpu, r: Region): string[] {
  const bits = r.mode.cs32 ? 32 : 16;
  const frame = r.pa & ~0xfff;
  const out: string[] = [];
  r.blocks.forEach((b, k) => {
    const entry = r.entries.indexOf(k);
    out.push(`block ${k} at ${hex(b.eip)}${entry === 0 ? " (primary entry)" : entry > 0 ? " (entry)" : ""}:`);
    for (const ri of b.insns) {
      const read = (a: number) => c.u8[L.RAM_BASE + frame + ((ri.off + (a - ri.eip)) & 0xfff)];
      const d = disassembleOne(read, ri.eip, bits);
      const bytes = [...d.bytes].map((x) => x.toString(16).padStart(2, "0")).join(" ");
      out.push(`  ${hex(ri.eip)}  ${bytes.padEnd(30)} ${d.text}`);
    }
  });
  return out;
}

interface Pass {
  result: DiffResult;
  /** Index of the last region exit whose RAM compared equal (-1: none). */
  lastGoodRam: number;
  ramFailed: boolean;
}

/** What a machine writes to its serial port and debug console, as text. */
function watchOutput(m: Machine): { serial: string; debugcon: string } {
  const out = { serial: "", debugcon: "" };
  m.on("serial", (b) => (out.serial += String.fromCharCode(b)));
  m.on("debugcon", (b) => (out.debugcon += String.fromCharCode(b)));
  return out;
}

function pass(image: Uint8Array | undefined, path: string, opts: DiffOptions, ramFrom: number, ramEvery: number): Pass {
  const make = (engine: "interp" | "jit", jit?: JitOptions) => {
    const m = createMachine({ memMiB: opts.memMiB ?? DIFF_DEFAULTS.memMiB, engine, jit }, opts.storage?.());
    if (opts.firmware) bootFirmware(m, opts.firmware);
    else bootImage(m, path, image!, opts.boot);
    return m;
  };
  const a = make("interp");
  const outA = watchOutput(a);
  const b = make("jit", {
    ...opts.jit,
    compile: "sync",
    chain: opts.jit?.chain ?? DIFF_DEFAULTS.chain,
    hotThreshold: opts.jit?.hotThreshold ?? DIFF_DEFAULTS.hotThreshold,
    batchDelay: opts.jit?.batchDelay ?? DIFF_DEFAULTS.batchDelay,
  });
  const outB = watchOutput(b);
  const jit = b.engine as JitEngine;
  const limit = opts.maxInstructions ?? Infinity;
  const never = () => false;
  /** Run `m` to `until` (or until `pause`); its stop reason, undefined when it may go on. */
  const advance = (m: Machine, until: number, pause: () => boolean): RunStop | undefined => {
    const r = m.advance(until, 0, pause);
    if (r) return r.reason;
    return m.cpu.progress >= limit ? "limit" : undefined;
  };
  let exits = 0;
  let lastGoodRam = -1;
  const finish = (stop: RunStop, differences: Difference[], ramFailed: boolean): Pass => ({
    result: {
      agree: differences.length === 0,
      stop,
      exitStatus: b.exitStatus,
      instructions: b.cpu.icount,
      exits,
      differences,
      region: differences.length > 0 && jit.lastEntry ? listRegion(b.cpu, jit.lastEntry.region.region) : [],
      stats: jit.stats.toJSON(),
    },
    lastGoodRam,
    ramFailed,
  });
  if (opts.from !== undefined) {
    const lockstepChain = jit.chain;
    jit.chain = UNLIMITED_CHAIN;
    const stopB = advance(b, Math.min(opts.from, limit), never);
    jit.chain = lockstepChain;
    let stopA = advance(a, b.cpu.progress, never);
    if (stopB !== undefined && stopA === undefined) stopA = advance(a, a.cpu.progress + 1, never);
    const diffs = [...compareCpus(a.cpu, b.cpu, true)];
    if (stopA !== stopB) diffs.push({ field: "run ended", interp: String(stopA), jit: String(stopB) });
    if (diffs.length > 0) return finish(stopB ?? "limit", diffs, false);
    if (stopB !== undefined) return finish(stopB, [], false);
  }
  for (;;) {
    const stopB = advance(b, limit, () => jit.lastDispatch === Dispatch.COMPILED);
    // Progress counts the exception a helper in compiled code raised: the interpreter delivers it too.
    let stopA = advance(a, b.cpu.progress, never);
    // The interpreter reached the count with the stopping instruction retired (a HLT): one more
    // turn of its loop sees that it has stopped, without running anything else if it has.
    if (stopB !== undefined && stopA === undefined) stopA = advance(a, a.cpu.progress + 1, never);
    const checkRam = stopB !== undefined || (exits >= ramFrom && (exits - ramFrom) % ramEvery === 0);
    const diffs = compareCpus(a.cpu, b.cpu, false);
    const ramDiffs = checkRam ? compareRam(a.cpu, b.cpu) : [];
    if (stopB !== undefined && stopA !== stopB) diffs.push({ field: "run ended", interp: String(stopA), jit: stopB });
    if (a.exitStatus !== b.exitStatus) diffs.push({ field: "exit status", interp: String(a.exitStatus), jit: String(b.exitStatus) });
    for (const k of ["serial", "debugcon"] as const) {
      if (outA[k] !== outB[k]) diffs.push({ field: `${k} output`, interp: JSON.stringify(outA[k].slice(-60)), jit: JSON.stringify(outB[k].slice(-60)) });
    }
    if (diffs.length > 0 || ramDiffs.length > 0) return finish(stopB ?? "limit", [...diffs, ...ramDiffs], diffs.length === 0);
    if (checkRam) lastGoodRam = exits;
    if (stopB !== undefined) return finish(stopB, [], false);
    exits++;
  }
}

/**
 * Run `image` (or, with `opts.firmware`, the firmware and the drives) on both engines in lockstep. A RAM difference seen by a periodic
 * check is located exactly by a second, deterministic pass that checks RAM at
 * every region exit from the last good check on.
 */
export function runDiff(image: Uint8Array | undefined, path: string, opts: DiffOptions = {}): DiffResult {
  const every = opts.ramEvery ?? DIFF_DEFAULTS.ramEvery;
  const first = pass(image, path, opts, 0, every);
  if (!first.ramFailed || every === 1) return first.result;
  return pass(image, path, opts, Math.max(0, first.lastGoodRam), 1).result;
}
