/**
 * The JIT engine: the same run contract as the interpreter's loop, executing
 * compiled regions where they exist and Interpreter.step() everywhere else.
 *
 * At every block start (after a branch, a region exit or an exception) the
 * dispatcher finds the slot of (physical address, mode key, EIP, CS base and
 * limit); a compiled entry runs with the instruction budget left to the target,
 * otherwise the slot counts towards hotness and the interpreter steps. Hot slots
 * are queued and translated in batches, one Wasm module per batch, compiled with
 * WebAssembly.compile while the interpreter keeps running (or synchronously, for
 * deterministic runs), and installed when ready. Compiled code never runs while
 * single-stepping, instruction breakpoints, RF or an interrupt shadow are in play.
 */
import type { Cpu } from "../src/cpu/cpu.js";
import { FAULT } from "../src/cpu/exceptions.js";
import { RF, TF } from "../src/cpu/flags.js";
import * as L from "../src/cpu/layout.js";
import { Sreg } from "../src/cpu/layout.js";
import type { Interpreter } from "../src/interp/interpreter.js";
import { deliverException } from "../src/interp/interrupts.js";
import { JIT_BUDGET, JIT_STATUS, STATUS_EXIT } from "../jit/layout.js";
import { Mode, modeKey } from "../jit/modekey.js";
import { type BuiltModule, ModuleBuilder } from "../jit/module.js";
import { discoverRegion } from "../jit/region.js";
import type { Engine } from "./engine.js";
import { CodeCache, type EntryPoint, type Slot, SlotState, TrackedRegion } from "./codecache.js";
import { helperImports, type RunContext } from "./jithelpers.js";
import { JitStats } from "./jitstats.js";

export interface JitOptions {
  /** Block-start executions before an entry is translated (default 500: translation costs tens of microseconds per instruction). */
  hotThreshold?: number;
  /** Regions per module (default 64). */
  batchSize?: number;
  /** Instructions a partial batch may wait before it is compiled anyway (default 100000). */
  batchDelay?: number;
  /** "async" (default): WebAssembly.compile off the hot path; "sync": compile and install at once. */
  compile?: "async" | "sync";
  /** Validate every module with Binaryen (tests). */
  validate?: boolean;
}

const EFLAGS_I = L.EFLAGS >> 2;
const SHADOW_I = L.INTERRUPT_SHADOW >> 2;
const DR7_I = (L.DR_BASE >> 2) + 7;
const HALTED_I = L.HALTED >> 2;
const CR0_I = L.CR_BASE >> 2;
const CPL_I = L.CPL >> 2;
const CS_BASE_I = (L.SEG_BASE >> 2) + Sreg.CS;
const CS_LIMIT_I = (L.SEG_LIMIT >> 2) + Sreg.CS;
const TLB_I = L.TLB_ENTRIES >> 2;
const BUDGET_I = JIT_BUDGET >> 2;
const STATUS_I = JIT_STATUS >> 2;
/**
 * Instructions one region call may retire. V8 has no on-stack replacement for
 * Wasm: a loop that never returns stays in baseline (Liftoff) code. Returning
 * now and then lets dynamic tiering install the optimized code for the next call.
 */
const MAX_BUDGET = 1 << 18;

/** What one dispatch did (the lockstep comparison stops after each). */
export const enum Dispatch {
  NONE,
  INTERPRETED,
  COMPILED,
}

export class JitEngine implements Engine {
  readonly name = "jit";
  readonly stats = new JitStats();
  readonly cache: CodeCache;
  private readonly hotThreshold: number;
  private readonly batchSize: number;
  private readonly batchDelay: number;
  private readonly syncCompile: boolean;
  private readonly validate: boolean;
  private queue: Slot[] = [];
  private queuedAt = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private compileError: unknown;
  private atBlockStart = true;
  /** The entry point the last COMPILED dispatch ran. */
  lastEntry: EntryPoint | null = null;
  /** What the last dispatch of runUntil did. */
  lastDispatch = Dispatch.NONE;
  private readonly run: RunContext = { entryIcount: 0 };

  constructor(
    readonly cpu: Cpu,
    readonly interpreter: Interpreter,
    opts: JitOptions = {},
  ) {
    this.hotThreshold = opts.hotThreshold ?? 500;
    this.batchSize = opts.batchSize ?? 64;
    this.batchDelay = opts.batchDelay ?? 100_000;
    this.syncCompile = opts.compile === "sync";
    this.validate = opts.validate ?? false;
    this.cache = new CodeCache(cpu, this.stats);
    const previous = cpu.onCodeWrite;
    cpu.onCodeWrite = (pa, size) => {
      previous(pa, size);
      if (this.cache.written(pa, size) > 0) cpu.i32[STATUS_I] |= STATUS_EXIT;
    };
  }

  /**
   * The Engine contract (runtime/engine.ts). Compiled code never retires past
   * `target` and returns to this loop after every instruction that touches a
   * device or may change what `shouldStop` answers.
   */
  runUntil(target: number, shouldStop: () => boolean): void {
    const c = this.cpu;
    const i = c.i32;
    this.rethrowCompileError();
    if (c.icount >= target || c.shutdown || i[HALTED_I] !== 0) return;
    do this.lastDispatch = this.dispatch(target);
    while (c.icount < target && !c.shutdown && i[HALTED_I] === 0 && !shouldStop());
  }

  /** One dispatch: a compiled region run, or one interpreted instruction. */
  dispatch(target: number): Dispatch {
    const c = this.cpu;
    const i = c.i32;
    if (c.icount >= target) return Dispatch.NONE;
    if ((i[EFLAGS_I] & (TF | RF)) | i[SHADOW_I] | (i[DR7_I] & 0xff)) {
      this.interpret();
      return Dispatch.INTERPRETED;
    }
    if (this.atBlockStart) {
      const slot = this.slotHere();
      if (slot) {
        const entry = slot.entry;
        if (entry && this.runCompiled(entry, target)) return Dispatch.COMPILED;
        if (slot.state === SlotState.COLD && ++slot.count >= this.hotThreshold) this.enqueue(slot);
      }
    }
    this.interpret();
    if (this.queue.length > 0 && (this.queue.length >= this.batchSize || c.icount - this.queuedAt >= this.batchDelay)) this.flush();
    return Dispatch.INTERPRETED;
  }

  private interpret(): void {
    const c = this.cpu;
    const before = c.eip;
    const count = c.icount;
    this.interpreter.step();
    this.stats.interpretedInstructions += c.icount - count;
    const d = (c.eip - before) | 0;
    // Fell through to the next instruction unless EIP moved backwards or further than one instruction.
    this.atBlockStart = d <= 0 || d > 15;
  }

  /** The slot for CS:EIP, or undefined when the code is not in RAM or its page is not in the TLB. */
  private slotHere(): Slot | undefined {
    const c = this.cpu;
    const i = c.i32;
    const eip = i[L.EIP >> 2];
    const csBase = i[CS_BASE_I];
    const la = (csBase + eip) | 0;
    let pa: number;
    if (i[CR0_I] < 0) {
      const need = L.TLB_P | L.TLB_RAM | (i[CPL_I] === 3 ? L.TLB_US : 0);
      const e = i[TLB_I + (la >>> 12)];
      if ((e & need) !== need) return undefined;
      pa = (e & ~0xfff) | (la & 0xfff);
    } else {
      pa = la & c.a20Mask;
      if (pa >>> 0 >= c.ramBytes) return undefined;
    }
    return this.cache.slot(pa, modeKey(c), eip, csBase, i[CS_LIMIT_I]);
  }

  /** Run a compiled entry; false when it made no progress (the budget is below its first block). */
  private runCompiled(entry: EntryPoint, target: number): boolean {
    const c = this.cpu;
    const i = c.i32;
    const before = c.icount;
    const eip = i[L.EIP >> 2];
    const budget = Math.min(target - before, MAX_BUDGET);
    i[BUDGET_I] = budget;
    i[STATUS_I] = 0;
    this.run.entryIcount = before;
    this.stats.regionRuns++;
    this.lastEntry = entry;
    let faulted: boolean;
    try {
      // 1: a memory slow path faulted and compiled code returned with the state at the instruction.
      faulted = entry.fn(entry.index) === 1;
    } catch (e) {
      // exec and raise throw with the state synced.
      if (e !== FAULT) throw e;
      faulted = true;
    }
    if (faulted) {
      this.stats.faults++;
      this.stats.compiledInstructions += c.icount - before;
      deliverException(c, FAULT.vector, FAULT.errorCode, FAULT.hasErrorCode);
      this.atBlockStart = true;
      return true;
    }
    const done = c.icount - before;
    this.stats.compiledInstructions += done;
    if (done === 0 && i[L.EIP >> 2] === eip) {
      this.stats.budgetExits++;
      return false;
    }
    if (done >= budget) this.stats.budgetExits++;
    this.atBlockStart = true;
    return true;
  }

  /**
   * Forget every translation. For when guest RAM changes without going through
   * the CPU's write path (a loader copying an image in on reboot).
   */
  reset(): void {
    this.queue = [];
    this.cache.clear();
    this.lastEntry = null;
    this.atBlockStart = true;
  }

  // ---- translation and compilation ------------------------------------------

  private enqueue(slot: Slot): void {
    slot.state = SlotState.QUEUED;
    if (this.queue.length === 0) this.queuedAt = this.cpu.icount;
    this.queue.push(slot);
  }

  /** Translate and compile every queued entry now. */
  flush(): void {
    const slots = this.queue;
    this.queue = [];
    if (slots.length === 0) return;
    const t0 = performance.now();
    const builder = new ModuleBuilder(this.cpu.ramBytes, this.cache.chunkShift, this.validate);
    const tracked: TrackedRegion[] = [];
    for (const slot of slots) {
      if (slot.state !== SlotState.QUEUED) continue;
      const region = discoverRegion(this.cpu.u8, slot.pa, slot.eip, slot.csBase, slot.csLimit, new Mode(slot.mode));
      if (!region) {
        slot.state = SlotState.NEVER;
        this.stats.untranslatable++;
        continue;
      }
      const t = new TrackedRegion(region, slot);
      this.cache.track(t);
      builder.add(region);
      tracked.push(t);
    }
    if (tracked.length === 0) return;
    const built = builder.finish();
    const st = this.stats;
    st.translateMs += performance.now() - t0;
    st.modules++;
    st.regionsTranslated += tracked.length;
    for (const t of tracked) st.instructionsTranslated += t.region.instructions;
    for (const inf of built.info) {
      st.inlineTranslated += inf.inline;
      st.helperTranslated += inf.helper;
    }
    if (this.syncCompile) {
      this.install(new WebAssembly.Module(built.binary), built, tracked);
      return;
    }
    this.inFlight++;
    const started = performance.now();
    WebAssembly.compile(built.binary).then(
      (module) => {
        this.stats.compileLatencyMs += performance.now() - started;
        this.install(module, built, tracked);
        this.settle();
      },
      (e: unknown) => {
        this.compileError = e;
        this.settle();
      },
    );
  }

  private settle(): void {
    if (--this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when no compilation is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private rethrowCompileError(): void {
    if (this.compileError !== undefined) throw this.compileError;
  }

  private install(module: WebAssembly.Module, built: BuiltModule, tracked: TrackedRegion[]): void {
    const c = this.cpu;
    const instance = new WebAssembly.Instance(module, { env: { memory: c.memory, ...helperImports(c, built.insns, this.stats, this.run) } });
    tracked.forEach((t, k) => {
      if (!t.valid) return;
      const fn = instance.exports[built.names[k]] as (entry: number) => number;
      t.installed = true;
      const r = t.region;
      r.entries.forEach((b, index) => {
        const block = r.blocks[b];
        const pa = (r.pa & ~0xfff) | ((r.csBase + block.eip) & 0xfff);
        const slot = index === 0 ? t.origin : this.cache.slot(pa, r.mode.key, block.eip, r.csBase, r.csLimit);
        // The primary entry always takes the new code; another region's primary entry is kept.
        if (index > 0 && slot.entry !== null) return;
        slot.entry = { fn, index, region: t };
        slot.state = SlotState.COMPILED;
        t.slots.push(slot);
      });
    });
  }
}
