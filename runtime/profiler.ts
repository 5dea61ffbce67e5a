/**
 * The profiler (`jit386 run --profile FILE`, `createMachine({ profile: true })`):
 * where the host's time went, split at the engine and dispatch boundaries
 * (ARCHITECTURE.md "The profiler"). Nothing here runs per guest instruction;
 * with profiling off the machine holds no Profiler and every hook is one null
 * test per dispatch, or an uninstalled wrapper.
 *
 * Time is charged to one activity at a time: `enter` charges the time since
 * the last mark to the activity in progress and makes the new one current,
 * `leave` charges the entered one and goes back. So each figure is exclusive:
 * a helper's time is not also compiled code's, a page walk's not also the
 * interpreter's.
 */
import type { Cpu } from "../src/cpu/cpu.js";
import type { PortBus } from "../src/cpu/bus.js";
import { ATTR_DB } from "../src/cpu/cpu.js";
import * as L from "../src/cpu/layout.js";
import { Sreg } from "../src/cpu/layout.js";
import { disassembleOne } from "../src/disasm/disasm.js";
import type { ProfileReport } from "./types.js";

export const enum Activity {
  RUN_LOOP,
  COMPILED,
  INTERPRETER,
  TRANSLATION,
  DISPATCHER,
  DEVICES,
  PAGE_WALKS,
  DELIVERY,
  BOOKKEEPING,
}
const ACTIVITY_NAMES = [
  "run loop",
  "compiled code",
  "interpreter",
  "translation",
  "dispatcher",
  "devices and timers",
  "page walks",
  "exception and interrupt delivery",
  "profiler bookkeeping",
];

/** Why compiled code gave control back to the engine. */
export const enum ExitCause {
  BUDGET,
  FAULT,
  CODE_WRITE,
  FAST_PATH,
  INTERRUPT_WINDOW,
  HELPER,
  PAGE_BOUNDARY,
  NOT_COMPILED,
  CHAIN_LIMIT,
}
const EXIT_NAMES = [
  "budget (device deadline or limit)",
  "fault raised by a helper",
  "SMC or device (a helper asked to leave)",
  "access off the fast path (TLB miss, MMIO, write near code)",
  "interrupt window opened",
  "after a block-ending helper (mode change, I/O, far transfer)",
  "page boundary (next EIP on another page, not in the hash)",
  "next EIP not compiled (same page)",
  "chain limit",
];

/** Time attributed to one dispatch start (CS base + EIP). */
interface Spot {
  eip: number;
  la: number;
  /**
   * Disassembled when first seen with its page in the TLB (empty until then): by the
   * end of the run the address may map other code.
   */
  instruction: string;
  ms: number;
  dispatches: number;
  compiled: boolean;
}

const HELPER_BASE = ACTIVITY_NAMES.length;

export class Profiler {
  private readonly ms: number[] = ACTIVITY_NAMES.map(() => 0);
  private readonly calls: number[] = ACTIVITY_NAMES.map(() => 0);
  private readonly helperNames: string[] = [];
  private readonly helperIds = new Map<string, number>();
  private readonly stack: number[] = [];
  private current = Activity.RUN_LOOP;
  private mark = performance.now();
  private readonly exits: number[] = EXIT_NAMES.map(() => 0);
  private readonly spots = new Map<number, Spot>();
  private readonly startedAt = this.mark;
  /** Set by byteAt when a byte's page had no TLB entry. */
  private unmapped = false;

  constructor(private readonly cpu: Cpu) {}

  /** Charge the time since the last mark to the activity in progress and start `activity`. */
  enter(activity: number): void {
    const now = performance.now();
    this.ms[this.current] += now - this.mark;
    this.mark = now;
    this.stack.push(this.current);
    this.current = activity;
    this.calls[activity]++;
  }

  /** Charge the activity entered last and go back to the one it interrupted. */
  leave(): void {
    const now = performance.now();
    this.ms[this.current] += now - this.mark;
    this.mark = now;
    this.current = this.stack.pop() ?? Activity.RUN_LOOP;
  }

  /** The activity id of helper `name` (its time is reported under "helper <name>"). */
  helper(name: string): number {
    let id = this.helperIds.get(name);
    if (id === undefined) {
      id = HELPER_BASE + this.helperNames.length;
      this.helperNames.push(name);
      this.helperIds.set(name, id);
      this.ms[id] = 0;
      this.calls[id] = 0;
    }
    return id;
  }

  /** Start the profiler's own work: what follows, up to resume(), is charged to bookkeeping. */
  pause(): void {
    const now = performance.now();
    this.ms[this.current] += now - this.mark;
    this.mark = now;
  }

  resume(): void {
    const now = performance.now();
    this.ms[Activity.BOOKKEEPING] += now - this.mark;
    this.mark = now;
  }

  exit(cause: ExitCause): void {
    this.exits[cause]++;
  }

  /** Attribute `ms` to the dispatch that started at CS:`eip`. */
  spot(eip: number, ms: number, compiled: boolean): void {
    const c = this.cpu;
    const base = c.segBase(Sreg.CS);
    const la = (base + eip) | 0;
    const key = la * 2 + (compiled ? 1 : 0);
    let s = this.spots.get(key);
    if (!s) {
      s = { eip, la, instruction: "", ms: 0, dispatches: 0, compiled };
      this.spots.set(key, s);
    }
    if (s.instruction === "") {
      this.unmapped = false;
      const text = disassembleOne((a) => this.byteAt(a), la, (c.segAttr(Sreg.CS) & ATTR_DB) !== 0 ? 32 : 16).text;
      if (!this.unmapped) s.instruction = text;
    }
    s.ms += ms;
    s.dispatches++;
  }

  /** Port accesses timed as device work. */
  ports(bus: PortBus): PortBus {
    const timed =
      <A extends number[], R>(fn: (...a: A) => R) =>
      (...a: A): R => {
        this.enter(Activity.DEVICES);
        try {
          return fn(...a);
        } finally {
          this.leave();
        }
      };
    return {
      in8: timed((p: number) => bus.in8(p)),
      in16: timed((p: number) => bus.in16(p)),
      in32: timed((p: number) => bus.in32(p)),
      out8: timed((p: number, v: number) => bus.out8(p, v)),
      out16: timed((p: number, v: number) => bus.out16(p, v)),
      out32: timed((p: number, v: number) => bus.out32(p, v)),
    };
  }

  /**
   * Guest-linear bytes for the disassembler, through the TLB only (0 where it has
   * no entry): a page walk would set accessed bits the guest can see.
   */
  private byteAt(la: number): number {
    const c = this.cpu;
    const i = c.i32;
    let pa: number;
    if (i[L.CR_BASE >> 2] >= 0) pa = la & c.a20Mask;
    else {
      const e = i[(L.TLB_ENTRIES >> 2) + (la >>> 12)];
      if (!(e & L.TLB_P)) {
        this.unmapped = true;
        return 0;
      }
      pa = (e & ~0xfff) | (la & 0xfff);
    }
    return pa >>> 0 < c.ramBytes ? c.readPhys8(pa) : 0;
  }

  report(retired: { compiled: number; interpreted: number }, delivered: number, demotions: number, top = 20): ProfileReport {
    const now = performance.now();
    this.ms[this.current] += now - this.mark;
    this.mark = now;
    const totalMs = now - this.startedAt;
    const activities = ACTIVITY_NAMES.map((name, k) => ({ name, ms: this.ms[k], share: totalMs ? this.ms[k] / totalMs : 0, calls: this.calls[k] }));
    const helpers = this.helperNames
      .map((name, k) => ({ name, ms: this.ms[HELPER_BASE + k], share: totalMs ? this.ms[HELPER_BASE + k] / totalMs : 0, calls: this.calls[HELPER_BASE + k] }))
      .sort((a, b) => b.ms - a.ms);
    const exits = EXIT_NAMES.map((cause, k) => ({ cause, count: this.exits[k] }));
    exits.push({ cause: "demotions (regions sent back to the interpreter)", count: demotions });
    const hot = [...this.spots.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
    const hottest = hot.map((s) => {
      return {
        eip: s.eip >>> 0,
        linear: s.la >>> 0,
        engine: s.compiled ? ("compiled" as const) : ("interpreter" as const),
        ms: s.ms,
        share: totalMs ? s.ms / totalMs : 0,
        dispatches: s.dispatches,
        instruction: s.instruction || "(not mapped when seen)",
      };
    });
    return { totalMs, activities, helpers, retired: { ...retired, total: retired.compiled + retired.interpreted }, delivered, exits, hottest };
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1).padStart(5)}%`;
const hex = (x: number) => x.toString(16).padStart(8, "0");

/** The readable summary `jit386 run --profile` prints on the terminal. */
export function formatProfile(p: ProfileReport): string {
  const out: string[] = [`profile: ${p.totalMs.toFixed(0)} ms of host time`];
  for (const a of [...p.activities].sort((x, y) => y.ms - x.ms)) {
    if (a.ms > 0) out.push(`  ${pct(a.share)}  ${a.ms.toFixed(1).padStart(9)} ms  ${a.name}`);
  }
  if (p.helpers.length > 0) out.push("helpers called by compiled code (their time is in none of the activities above):");
  for (const h of p.helpers.filter((x) => x.calls > 0).slice(0, 12)) out.push(`  ${pct(h.share)}  ${h.ms.toFixed(1).padStart(9)} ms  ${String(h.calls).padStart(10)} calls  ${h.name}`);
  const r = p.retired;
  out.push(`instructions retired: ${r.total} (compiled ${r.compiled}, interpreter ${r.interpreted}); exceptions and interrupts delivered: ${p.delivered}`);
  out.push("region exits to the engine:");
  for (const e of p.exits) if (e.count > 0) out.push(`  ${String(e.count).padStart(10)}  ${e.cause}`);
  out.push("hottest dispatch starts (time attributed to where each dispatch began):");
  for (const h of p.hottest.slice(0, 10)) {
    out.push(`  ${pct(h.share)}  ${hex(h.linear)}  ${h.engine.padEnd(11)}  ${String(h.dispatches).padStart(9)}×  ${h.instruction}`);
  }
  return out.join("\n") + "\n";
}
