/**
 * The JIT engine: the same run contract as the interpreter's loop, executing
 * compiled regions where they exist and Interpreter.step() everywhere else.
 *
 * At every block start (after a branch, a region exit or an exception) the
 * engine finds the code-cache slot of CS:EIP under the current context. A
 * compiled slot enters the Wasm dispatcher (jit/dispatcher.ts), which runs and
 * chains compiled regions until one returns (budget spent, a helper asked, the
 * mode may have changed) or the next CS:EIP has no compiled code in its hash;
 * any other slot counts towards hotness and the interpreter runs to the next
 * control transfer. Hot slots are queued and
 * translated in batches, one Wasm module per batch, and installed in the
 * dispatcher's table: at once by default (V8 compiles Wasm functions lazily on
 * their first call, so creating the module costs only its validation), or
 * through WebAssembly.compile while interpretation goes on. Compiled code never
 * runs while single-stepping, instruction breakpoints, RF or an interrupt
 * shadow are in play, nor where a debugger holds it (CodeCache.hold).
 */
import { CodeOwner } from "../src/cpu/codemap.js";
import type { Cpu } from "../src/cpu/cpu.js";
import { CodeWriteStage } from "../src/cpu/codewrites.js";
import { FAULT } from "../src/cpu/exceptions.js";
import { RF, TF } from "../src/cpu/flags.js";
import * as L from "../src/cpu/layout.js";
import { Sreg } from "../src/cpu/layout.js";
import type { Interpreter } from "../src/interp/interpreter.js";
import { deliverException } from "../src/cpu/interrupts.js";
import { DISPATCH_RUN, DISPATCH_TABLE, dispatcherModule, ENTRY_SHIFT } from "../jit/dispatcher.js";
import { JIT_A20, JIT_BUDGET, JIT_CHAIN, JIT_CLEAN, JIT_CONTEXT, JIT_LAST, JIT_RUNS, JIT_STATUS, RegionStatus, STATUS_EXIT, TIER_COUNTERS, TIER_COUNTS } from "../jit/layout.js";
import { Mode, modeKey } from "../jit/modekey.js";
import { type BuiltModule, ModuleBuilder } from "../jit/batch.js";
import type { ModuleSnapshot } from "../jit/wasm/encoder.js";
import { discoverRegion } from "../jit/region.js";
import { binaryenThread } from "./binaryenthread.js";
import type { Engine } from "./engine.js";
import { CodeCache, type EntryPoint, type Slot, SlotState, TrackedRegion } from "./codecache.js";
import { helperImports } from "./jithelpers.js";
import { JitStats } from "./jitstats.js";
import { Activity, ExitCause, type Profiler } from "./profiler.js";
import type { JitOptions } from "./types.js";

export type { JitOptions } from "./types.js";

const EFLAGS_I = L.EFLAGS >> 2;
const SHADOW_I = L.INTERRUPT_SHADOW >> 2;
const DR7_I = (L.DR_BASE >> 2) + 7;
const HALTED_I = L.HALTED >> 2;
const CR0_I = L.CR_BASE >> 2;
const CPL_I = L.CPL >> 2;
const EIP_I = L.EIP >> 2;
const CS_BASE_I = (L.SEG_BASE >> 2) + Sreg.CS;
const CS_LIMIT_I = (L.SEG_LIMIT >> 2) + Sreg.CS;
const TLB_I = L.TLB_ENTRIES >> 2;
const BUDGET_I = JIT_BUDGET >> 2;
const STATUS_I = JIT_STATUS >> 2;
const CONTEXT_I = JIT_CONTEXT >> 2;
const A20_I = JIT_A20 >> 2;
const LAST_I = JIT_LAST >> 2;
const CHAIN_I = JIT_CHAIN >> 2;
const CLEAN_I = JIT_CLEAN >> 2;
const COUNTS_I = TIER_COUNTS >> 2;
/** Instructions between readings of the region-run counters (a reading costs TIER_COUNTERS loads). */
const TIER_SCAN = 1 << 20;
/** Instructions a region retires between two readings to be rebuilt in tier 2 (JitOptions.tierUpThreshold). */
const TIER_UP = 1 << 14;
/**
 * Instructions one dispatcher run may retire. V8 has no on-stack replacement for
 * Wasm: a loop that never returns stays in baseline (Liftoff) code. Returning
 * now and then lets dynamic tiering install the optimized code for the next call.
 */
const MAX_BUDGET = 1 << 18;
export const UNLIMITED_CHAIN = 0x7fffffff;
/** Instructions below which a dispatch that ran one region counts as short. */
const SHORT_RUN = 8;
/** Dispatches of one region before it may be demoted for running short. */
const DEMOTE_AFTER = 256;
/**
 * Binaryen passes a tier-2 rebuild runs (ARCHITECTURE.md, "Code generators and tiers"). Measured
 * on the sha256 and intmix regions: no pass or pass list made the code measurably faster under V8
 * (which already does what they do), and each costs 20-80 µs per guest instruction in the Binaryen
 * thread on top of ~20 µs to build the module; these two are the cheapest that shrink it (~5%).
 */
export const TIER2_PASSES = ["simplify-locals", "vacuum"];

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
  /** Regions the dispatcher may chain before returning (JitOptions.chain). */
  chain: number;
  private readonly runDispatcher: () => number;
  private readonly profile: boolean;
  readonly codegen: "direct" | "binaryen" | "tiered";
  private readonly tierUpThreshold: number;
  /** Compiled instructions at which the hotness counters are read next: the first reading as soon as compiled code ran. */
  private nextTierScan = 1;
  /** Tier-2 rebuilds in flight. */
  private readonly tier2Pending = new Set<Promise<void>>();
  private queue: Slot[] = [];
  private queuedAt = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private compileError: unknown;
  private atBlockStart = true;
  /** The entry point the last COMPILED dispatch ran last. */
  lastEntry: EntryPoint | null = null;
  /** What the last dispatch of runUntil did. */
  lastDispatch = Dispatch.NONE;
  /** Set by the machine when profiling (runtime/profiler.ts); checked once per dispatch, never per instruction. */
  profiler: Profiler | undefined;

  constructor(
    readonly cpu: Cpu,
    readonly interpreter: Interpreter,
    opts: JitOptions = {},
  ) {
    this.hotThreshold = opts.hotThreshold ?? 50;
    this.batchSize = opts.batchSize ?? 64;
    this.batchDelay = opts.batchDelay ?? 200_000;
    this.syncCompile = (opts.compile ?? "sync") === "sync";
    this.chain = opts.chain ?? UNLIMITED_CHAIN;
    this.profile = opts.profile ?? false;
    this.codegen = opts.codegen ?? "direct";
    this.tierUpThreshold = opts.tierUpThreshold ?? TIER_UP;
    const tableSize = opts.tableSize ?? 32768;
    const dispatcher = new WebAssembly.Instance(new WebAssembly.Module(dispatcherModule(tableSize)), { env: { memory: cpu.memory } });
    this.runDispatcher = dispatcher.exports[DISPATCH_RUN] as () => number;
    const table = dispatcher.exports[DISPATCH_TABLE] as WebAssembly.Table;
    this.cache = new CodeCache(cpu, this.stats, table, { tableSize, maxInstructions: opts.maxInstructions ?? 1 << 20 });
    // Writes reach here for every chunk any engine marked, and for descriptor-table pages.
    cpu.codeWrites.subscribe(CodeWriteStage.TRANSLATED, (pa, size) => {
      if (cpu.codeWrites.map.marks(CodeOwner.TRANSLATED, pa >>> 0, size) && this.cache.written(pa, size) > 0) cpu.i32[STATUS_I] |= STATUS_EXIT;
    });
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
    if (c.progress >= target || c.shutdown || i[HALTED_I] !== 0) return;
    const t0 = performance.now();
    this.profiler?.enter(Activity.DISPATCHER);
    try {
      do this.lastDispatch = this.dispatch(target);
      while (c.progress < target && !c.shutdown && i[HALTED_I] === 0 && !shouldStop());
    } finally {
      this.profiler?.leave();
    }
    if (this.codegen === "tiered" && this.stats.compiledInstructions >= this.nextTierScan) this.scanHotness();
    this.stats.runMs += performance.now() - t0;
  }

  /**
   * One dispatch: compiled regions run by the dispatcher, or interpreted
   * instructions up to the next control transfer (or the target, a halt, an
   * interrupt that can be taken, attention: the interpreter's own stops).
   */
  dispatch(target: number): Dispatch {
    const c = this.cpu;
    const i = c.i32;
    if (c.progress >= target) return Dispatch.NONE;
    if ((i[EFLAGS_I] & (TF | RF)) | i[SHADOW_I] | (i[DR7_I] & 0xff)) {
      this.interpret();
      return Dispatch.INTERPRETED;
    }
    if (this.atBlockStart) {
      const mode = modeKey(c);
      const csBase = i[CS_BASE_I];
      const csLimit = i[CS_LIMIT_I];
      const context = this.cache.context(mode, csBase, csLimit);
      const slot = this.slotHere(context, mode, csBase, csLimit);
      if (slot) {
        if (slot.entry && (this.cache.hold === null || !this.cache.hold((csBase + i[EIP_I]) | 0))) {
          // The dispatch hash may hold another entry in this one's place.
          this.cache.publish(slot);
          if (this.runCompiled(context, target)) return Dispatch.COMPILED;
        } else if (slot.state === SlotState.COLD && ++slot.count >= this.hotThreshold) {
          this.enqueue(slot);
        }
      }
    }
    if ((i[EFLAGS_I] & (TF | RF)) | i[SHADOW_I] | (i[DR7_I] & 0xff)) this.interpret();
    else {
      // To the next control transfer, with the interpreter's own checks after every instruction.
      const count = c.icount;
      if (this.profiler) this.atBlockStart = this.interpretProfiled(this.profiler, target);
      else this.atBlockStart = this.interpreter.runUntil(target, true);
      this.stats.interpretedInstructions += c.icount - count;
    }
    if (this.queue.length > 0 && (this.queue.length >= this.batchSize || c.icount - this.queuedAt >= this.batchDelay)) this.flush();
    return Dispatch.INTERPRETED;
  }

  private interpretProfiled(p: Profiler, target: number): boolean {
    const eip = this.cpu.eip;
    const t0 = performance.now();
    p.enter(Activity.INTERPRETER);
    try {
      return this.interpreter.runUntil(target, true);
    } finally {
      p.leave();
      p.pause();
      p.spot(eip, performance.now() - t0, false);
      p.resume();
    }
  }

  private interpret(): void {
    const c = this.cpu;
    const before = c.eip;
    const count = c.icount;
    this.profiler?.enter(Activity.INTERPRETER);
    try {
      this.interpreter.step();
    } finally {
      this.profiler?.leave();
    }
    this.stats.interpretedInstructions += c.icount - count;
    const d = (c.eip - before) | 0;
    // Fell through to the next instruction unless EIP moved backwards or further than one instruction.
    this.atBlockStart = d <= 0 || d > 15;
  }

  /** The slot for CS:EIP, or undefined when the code is not in RAM or its page is not in the TLB. */
  private slotHere(context: number, mode: number, csBase: number, csLimit: number): Slot | undefined {
    const c = this.cpu;
    const i = c.i32;
    const eip = i[EIP_I];
    const la = (csBase + eip) | 0;
    let pa: number;
    if (i[CR0_I] < 0) {
      const need = L.TLB_P | L.TLB_RAM | (i[CPL_I] === 3 ? L.TLB_US : 0);
      const e = i[TLB_I + (la >>> 12)];
      if ((e & need) !== need) return undefined;
      pa = (e & ~0xfff) | (la & 0xfff);
    } else {
      pa = la & c.a20Mask;
      if (!c.isRam(pa >>> 0, 1)) return undefined;
    }
    return this.cache.slot(pa, context, mode, eip, csBase, csLimit);
  }

  /** Enter the dispatcher; false when no compiled code ran (a hash miss at CS:EIP, or a budget below the first block). */
  private runCompiled(context: number, target: number): boolean {
    const c = this.cpu;
    const i = c.i32;
    const before = c.icount;
    const eip = i[EIP_I];
    i[BUDGET_I] = Math.min(target - c.progress, MAX_BUDGET);
    i[STATUS_I] = 0;
    i[CONTEXT_I] = context;
    i[A20_I] = c.a20Mask;
    i[CHAIN_I] = this.chain;
    i[LAST_I] = -1;
    let faulted = false;
    let status = RegionStatus.RETURN;
    const p = this.profiler;
    const t0 = p ? performance.now() : 0;
    p?.enter(Activity.COMPILED);
    try {
      status = this.runDispatcher();
    } catch (e) {
      // exec and raise throw with the state synced.
      if (e !== FAULT) throw e;
      faulted = true;
    } finally {
      p?.leave();
    }
    const last = i[LAST_I];
    if (p && last !== -1) this.profileExit(p, status, faulted, eip, performance.now() - t0);
    if (last === -1) return false;
    this.noteLast(last);
    this.stats.dispatches++;
    const runs = c.f64[JIT_RUNS >> 3];
    const solo = runs - this.stats.regionRuns === 1;
    this.stats.regionRuns = runs;
    this.stats.compiledInstructions += c.icount - before;
    if (solo && this.lastEntry) this.noteSoloRun(this.lastEntry.region, c.icount - before);
    if (this.profile) {
      this.stats.cleanInstructions += i[CLEAN_I];
      i[CLEAN_I] = 0;
    }
    this.atBlockStart = true;
    if (faulted) {
      this.stats.faults++;
      p?.enter(Activity.DELIVERY);
      deliverException(c, FAULT.vector, FAULT.errorCode, FAULT.hasErrorCode);
      p?.leave();
      return true;
    }
    if (i[BUDGET_I] <= 0) this.stats.budgetExits++;
    // A region that left before its first instruction (an access off the fast path, a budget below its first block).
    return c.icount !== before || i[EIP_I] !== eip;
  }

  /** Why compiled code returned (ARCHITECTURE.md "The profiler"), and the time of this dispatch for its start EIP. */
  private profileExit(p: Profiler, status: number, faulted: boolean, startEip: number, ms: number): void {
    const i = this.cpu.i32;
    p.pause();
    p.spot(startEip, ms, true);
    const region = this.cache.regionAt(i[LAST_I] & ((1 << ENTRY_SHIFT) - 1))?.region;
    const eip = i[EIP_I];
    let cause: ExitCause;
    if (faulted) cause = ExitCause.FAULT;
    else if (status === RegionStatus.CHAINED) cause = ExitCause.CHAIN_LIMIT;
    else if (status === RegionStatus.MISS) {
      const samePage = region !== undefined && ((region.csBase + eip) ^ (region.csBase + region.eip)) >>> 12 === 0;
      cause = samePage ? ExitCause.NOT_COMPILED : ExitCause.PAGE_BOUNDARY;
    } else if (i[BUDGET_I] <= 0) cause = ExitCause.BUDGET;
    else if (i[STATUS_I] & STATUS_EXIT) cause = ExitCause.CODE_WRITE;
    else if (region?.blocks.some((b) => b.insns.some((x) => x.eip === eip))) cause = ExitCause.FAST_PATH;
    else if (this.interpreter.irqPending && this.interpreter.interruptible) cause = ExitCause.INTERRUPT_WINDOW;
    else cause = ExitCause.HELPER;
    p.exit(cause);
    p.resume();
  }

  /**
   * A region that nearly always gives control back to JavaScript after a few
   * instructions (a trap gate's entry, a stub between segment loads) costs a
   * round trip each time and saves nothing: its entries go back to the
   * interpreter.
   */
  private noteSoloRun(t: TrackedRegion, retired: number): void {
    t.soloRuns++;
    if (retired < SHORT_RUN) t.shortRuns++;
    if (t.soloRuns >= DEMOTE_AFTER && t.shortRuns * 4 >= t.soloRuns * 3) this.cache.demote(t);
  }

  private noteLast(last: number): void {
    const region = this.cache.regionAt(last & ((1 << ENTRY_SHIFT) - 1));
    this.lastEntry = region ? { region, index: last >>> ENTRY_SHIFT } : null;
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
    this.profiler?.enter(Activity.TRANSLATION);
    try {
      this.translate(slots);
    } finally {
      this.profiler?.leave();
    }
  }

  private translate(slots: Slot[]): void {
    const t0 = performance.now();
    const builder = new ModuleBuilder(this.cpu.ramBytes, this.cpu.codeWrites.map.chunkShift, this.profile, this.cpu.videoWindow);
    const tracked: TrackedRegion[] = [];
    for (const slot of slots) {
      if (slot.state !== SlotState.QUEUED) continue;
      const mode = new Mode(slot.mode);
      const page = this.interpreter.decodeCache.page(slot.pa >>> 12);
      const code32 = mode.cs32 ? 1 : 0;
      const executed = (off: number) => page !== undefined && page.slot[off] >= 0 && page.code32[off] === code32;
      const region = discoverRegion(this.cpu.u8, slot.pa, slot.eip, slot.csBase, slot.csLimit, mode, executed);
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
    const built = builder.finish(this.codegen === "binaryen" ? (s) => this.binaryenBuild(s) : undefined);
    const st = this.stats;
    st.modules++;
    st.regionsTranslated += tracked.length;
    for (const t of tracked) st.instructionsTranslated += t.region.instructions;
    for (const inf of built.info) {
      st.inlineTranslated += inf.inline;
      st.helperTranslated += inf.helper;
    }
    st.wasmBytes += built.binary.length;
    if (this.syncCompile) {
      this.install(new WebAssembly.Module(built.binary), built, tracked);
      st.translateMs += performance.now() - t0;
      return;
    }
    st.translateMs += performance.now() - t0;
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

  /** The binaryen code generator: the module built in the Binaryen thread while the guest waits. */
  private binaryenBuild(s: ModuleSnapshot): Uint8Array<ArrayBuffer> {
    const thread = binaryenThread();
    if (!thread) throw new Error("jit386: the Binaryen thread cannot start (dist/binaryen-worker.js is missing: npm run build)");
    const r = thread.buildSync(s, []);
    this.stats.binaryenMs += r.ms;
    if (!r.binary) throw new Error(`jit386: Binaryen could not build a module: ${r.error}`);
    return r.binary;
  }

  /**
   * Read and clear the dispatcher's hotness counters: a tier-1 region that retired
   * `tierUpThreshold` instructions since the last reading (about TIER_SCAN
   * instructions ago) is rebuilt in tier 2.
   */
  private scanHotness(): void {
    this.nextTierScan = this.stats.compiledInstructions + TIER_SCAN;
    const i = this.cpu.i32;
    const tableSize = this.cache.limits.tableSize;
    const st = this.stats;
    for (let k = 0; k < TIER_COUNTERS; k++) {
      const retired = i[COUNTS_I + k];
      if (retired === 0) continue;
      i[COUNTS_I + k] = 0;
      st.countedInstructions += retired;
      for (let index = k; index < tableSize; index += TIER_COUNTERS) {
        const t = this.cache.regionAt(index);
        if (!t) continue;
        if (t.tier === 2) st.tier2Instructions += retired;
        else if (retired >= this.tierUpThreshold && !t.tierUpAsked) this.tierUp(t);
      }
    }
  }

  /**
   * Tier 2: rebuild a hot region through Binaryen in its thread. The guest goes
   * on with the tier-1 code; the rebuilt function replaces it in the table when
   * it arrives (between dispatches: replies are handled on the event loop), unless
   * the region was dropped or its table slot reused meanwhile.
   */
  private tierUp(t: TrackedRegion): void {
    t.tierUpAsked = true;
    const thread = binaryenThread();
    const st = this.stats;
    if (!thread) {
      st.tier2.failed++;
      return;
    }
    const builder = new ModuleBuilder(this.cpu.ramBytes, this.cpu.codeWrites.map.chunkShift, this.profile);
    builder.add(t.region);
    const built = builder.snapshot();
    const tableIndex = t.tableIndex;
    st.tier2.requested++;
    const arrival = thread.build(built.snapshot, TIER2_PASSES).then(({ binary, ms }) => {
      this.tier2Pending.delete(arrival);
      st.binaryenMs += ms;
      if (!binary) {
        st.tier2.failed++;
        return;
      }
      st.tier2.built++;
      if (!t.valid || t.tableIndex !== tableIndex || this.cache.regionAt(tableIndex) !== t) {
        st.tier2.drops++;
        return;
      }
      const c = this.cpu;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), { env: { memory: c.memory, ...helperImports(c, built.insns, st) } });
      this.cache.swap(t, instance.exports[built.names[0]]);
      t.tier = 2;
      st.tier2.swaps++;
    });
    this.tier2Pending.add(arrival);
  }

  /** Resolves when no tier-2 rebuild is in flight (its reply handled: swapped in or dropped). */
  async tier2Idle(): Promise<void> {
    while (this.tier2Pending.size > 0) await Promise.all(this.tier2Pending);
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
    const instance = new WebAssembly.Instance(module, { env: { memory: c.memory, ...helperImports(c, built.insns, this.stats, this.profiler) } });
    let instructions = 0;
    for (const t of tracked) instructions += t.region.instructions;
    this.cache.reserve(tracked.length, instructions);
    this.cache.install(
      tracked,
      tracked.map((t, k) => (t.valid ? instance.exports[built.names[k]] : null)),
    );
    for (const t of tracked) {
      if (t.tableIndex < 0) continue;
      const r = t.region;
      r.entries.forEach((b, index) => {
        const block = r.blocks[b];
        const pa = (r.pa & ~0xfff) | ((r.csBase + block.eip) & 0xfff);
        const o = t.origin;
        const slot = index === 0 ? o : this.cache.slot(pa, o.context, o.mode, block.eip, r.csBase, r.csLimit);
        // The primary entry always takes the new code; another region's primary entry is kept.
        if (index > 0 && slot.entry !== null) return;
        slot.entry = { region: t, index };
        slot.state = SlotState.COMPILED;
        t.slots.push(slot);
        this.cache.publish(slot);
      });
    }
  }
}
