/**
 * What the gdb stub does to the machine (ARCHITECTURE.md, "Debugging with
 * gdb"): breakpoints and single steps through the interpreter's debug monitor,
 * watchpoints through the CPU's write and read hooks, memory by linear address
 * through the guest's page tables, and the hold that keeps compiled code away
 * from breakpoints. Everything here stops the run at an instruction boundary
 * and changes nothing the guest could observe, so a debugged run retires the
 * same instructions as an undebugged one.
 */
import { CodeWriteStage } from "../../src/cpu/codewrites.js";
import { PAGE_FLAGS_BASE, PAGE_WATCHED } from "../../src/cpu/layout.js";
import { peekTranslate } from "../../src/cpu/paging.js";
import type { DebugMonitor } from "../../src/interp/monitor.js";
import { Sreg } from "../../src/cpu/layout.js";
import { JIT_STATUS, STATUS_EXIT } from "../../jit/layout.js";
import { JitEngine } from "../jit.js";
import type { Machine } from "../machine.js";

export const SIGINT = 2;
export const SIGTRAP = 5;

/** Z packet types 2, 3, 4. */
export type WatchKind = "watch" | "rwatch" | "awatch";

export interface StopEvent {
  signal: number;
  /** What stopped it, for the stop reply: a software or hardware breakpoint, or a watchpoint on `addr`. */
  cause?: "swbreak" | "hwbreak";
  watch?: { kind: WatchKind; addr: number };
}

interface Watch {
  kind: WatchKind;
  la: number;
  len: number;
  /** The physical bytes it covers, per page: [pa, end) pairs (write detection is physical). */
  ranges: number[];
}

const HOLD_ALL = (): boolean => true;
/** Longest watched range accepted (x86 debug registers watch up to 8 bytes; gdb splits longer ones). */
export const MAX_WATCH = 8;

export class DebugTarget implements DebugMonitor {
  private readonly soft = new Set<number>();
  private readonly hard = new Set<number>();
  /** Breakpoints per linear code page: compiled code is held off these pages. */
  private readonly pages = new Map<number, number>();
  private readonly watches: Watch[] = [];
  /** Watches per physical frame marked PAGE_WATCHED. */
  private readonly frames = new Map<number, number>();
  private stepping = false;
  private stepped = false;
  /** The linear address the run resumed at: its instruction runs even with a breakpoint on it. */
  private resumeLa = -1;
  /** The debugger writing guest memory: not a guest write for watchpoints. */
  private poking = false;
  private readonly repBudget: number;
  /** Why the run stopped, once it has; the run loop reports it and clears it. */
  pending: StopEvent | null = null;

  constructor(private readonly m: Machine) {
    const c = m.cpu;
    this.repBudget = c.repBudget;
    c.codeWrites.subscribe(CodeWriteStage.DEBUGGER, (pa, size) => {
      if (this.frames.size > 0 && !this.poking) this.written(pa >>> 0, size);
    });
  }

  // ---- breakpoints and stepping ------------------------------------------

  /** The interpreter asks before every instruction while this is its monitor. */
  beforeInstruction(la: number): boolean {
    const resumed = la === this.resumeLa;
    this.resumeLa = -1;
    if (this.pending !== null) return true;
    if (!resumed && (this.soft.has(la) || this.hard.has(la))) {
      this.pending = { signal: SIGTRAP, cause: this.soft.has(la) ? "swbreak" : "hwbreak" };
      return true;
    }
    if (this.stepping) {
      if (this.stepped) {
        this.pending = { signal: SIGTRAP };
        return true;
      }
      this.stepped = true;
    }
    return false;
  }

  /** Z0/Z1 (`hardware`): a breakpoint at linear address `la`. */
  addBreakpoint(la: number, hardware: boolean): void {
    const set = hardware ? this.hard : this.soft;
    if (set.has(la)) return;
    set.add(la);
    const page = la >>> 12;
    this.pages.set(page, (this.pages.get(page) ?? 0) + 1);
  }

  removeBreakpoint(la: number, hardware: boolean): void {
    const set = hardware ? this.hard : this.soft;
    if (!set.delete(la)) return;
    const page = la >>> 12;
    const n = (this.pages.get(page) ?? 1) - 1;
    if (n > 0) this.pages.set(page, n);
    else this.pages.delete(page);
  }

  // ---- watchpoints ---------------------------------------------------------

  /** Z2/Z3/Z4: false when the range is too long or not mapped to RAM now. */
  addWatch(kind: WatchKind, la: number, len: number): boolean {
    if (len < 1 || len > MAX_WATCH) return false;
    if (this.watches.some((w) => w.kind === kind && w.la === la && w.len === len)) return true;
    const ranges: number[] = [];
    for (let at = la; at < la + len; ) {
      const n = Math.min(la + len - at, 0x1000 - (at & 0xfff));
      const pa = peekTranslate(this.m.cpu, at | 0);
      if (pa < 0 || pa + n > this.m.cpu.ramBytes) return false;
      ranges.push(pa, pa + n);
      at += n;
    }
    this.watches.push({ kind, la: la >>> 0, len, ranges });
    if (kind !== "rwatch") for (let k = 0; k < ranges.length; k += 2) this.markFrame(ranges[k] >>> 12, 1);
    return true;
  }

  removeWatch(kind: WatchKind, la: number, len: number): void {
    const k = this.watches.findIndex((w) => w.kind === kind && w.la === la >>> 0 && w.len === len);
    if (k < 0) return;
    const [w] = this.watches.splice(k, 1);
    if (kind !== "rwatch") for (let j = 0; j < w.ranges.length; j += 2) this.markFrame(w.ranges[j] >>> 12, -1);
  }

  private markFrame(frame: number, delta: number): void {
    const u8 = this.m.cpu.u8;
    const n = (this.frames.get(frame) ?? 0) + delta;
    if (n > 0) {
      this.frames.set(frame, n);
      u8[PAGE_FLAGS_BASE + frame] |= PAGE_WATCHED;
    } else {
      this.frames.delete(frame);
      u8[PAGE_FLAGS_BASE + frame] &= ~PAGE_WATCHED;
    }
  }

  /** A write of `size` bytes at physical `pa` is about to land in a watched frame. */
  private written(pa: number, size: number): void {
    for (const w of this.watches) {
      if (w.kind === "rwatch") continue;
      for (let k = 0; k < w.ranges.length; k += 2) {
        if (pa < w.ranges[k + 1] && pa + size > w.ranges[k]) return this.hit(w);
      }
    }
  }

  /** A data read of `bytes` at linear `la` (Cpu.watchRead, installed while a read or access watch exists). */
  private readonly read = (la: number, bytes: number): void => {
    const a = la >>> 0;
    for (const w of this.watches) {
      if (w.kind !== "watch" && a < w.la + w.len && a + bytes > w.la) return this.hit(w);
    }
  };

  /**
   * Stop after the instruction doing the access: the interpreter returns after
   * it, compiled code at its next instruction boundary (the write came through
   * a helper: inline stores to watched frames leave compiled code first), and a
   * REP string after this iteration.
   */
  private hit(w: Watch): void {
    if (this.pending !== null) return;
    this.pending = { signal: SIGTRAP, watch: { kind: w.kind, addr: w.la } };
    this.raiseAttention();
  }

  private raiseAttention(): void {
    const c = this.m.cpu;
    this.m.interpreter.attention = true;
    c.i32[JIT_STATUS >> 2] |= STATUS_EXIT;
    c.repBudget = 0;
  }

  /** Ctrl-C: stop at the next instruction boundary the run loop sees. */
  interrupt(): void {
    if (this.pending === null) this.pending = { signal: SIGINT };
    this.raiseAttention();
  }

  // ---- running -------------------------------------------------------------

  /**
   * Before the run resumes (`step`: for one instruction): install the hooks
   * the breakpoints, watchpoints and stepping need, and nothing else, so a run
   * without them goes at full speed.
   */
  resume(step: boolean): void {
    const m = this.m;
    const c = m.cpu;
    this.pending = null;
    this.stepping = step;
    this.stepped = false;
    this.resumeLa = (c.segBase(Sreg.CS) + c.eip) | 0;
    // A step is one iteration of a REP string, as the trap flag makes it.
    c.repBudget = step ? 0 : this.repBudget;
    const breakpoints = this.soft.size + this.hard.size > 0;
    m.interpreter.monitor = step || breakpoints ? this : null;
    const reads = this.watches.some((w) => w.kind !== "watch");
    c.watchRead = reads ? this.read : null;
    if (m.engine instanceof JitEngine) {
      const pages = this.pages;
      // Compiled loads do not report reads; compiled code never runs a single step.
      m.engine.cache.setHold(step || reads ? HOLD_ALL : breakpoints ? (la) => pages.has(la >>> 12) : null);
    }
  }

  /** Forget every breakpoint and watchpoint and take the hooks away (detach). */
  release(): void {
    this.soft.clear();
    this.hard.clear();
    this.pages.clear();
    for (const w of [...this.watches]) this.removeWatch(w.kind, w.la, w.len);
    this.resume(false);
  }

  // ---- memory --------------------------------------------------------------

  /** Up to `len` bytes at linear `la`, as far as they are mapped to RAM (none: an empty array). */
  readMemory(la: number, len: number): Uint8Array {
    const c = this.m.cpu;
    const out: number[] = [];
    for (let k = 0; k < len; k++) {
      const pa = peekTranslate(c, (la + k) | 0);
      if (pa < 0 || pa >= c.ramBytes) break;
      out.push(c.readPhys8(pa));
    }
    return Uint8Array.from(out);
  }

  /**
   * Write `data` at linear `la` through the CPU's physical write path (so
   * decoded and compiled code of the bytes is dropped); false, with nothing
   * written, when any byte is not mapped to RAM.
   */
  writeMemory(la: number, data: Uint8Array): boolean {
    const c = this.m.cpu;
    const pas: number[] = [];
    for (let k = 0; k < data.length; k++) {
      const pa = peekTranslate(c, (la + k) | 0);
      if (pa < 0 || pa >= c.ramBytes) return false;
      pas.push(pa);
    }
    this.poking = true;
    try {
      for (let k = 0; k < data.length; k++) c.writePhys8(pas[k], data[k]);
    } finally {
      this.poking = false;
    }
    return true;
  }
}
