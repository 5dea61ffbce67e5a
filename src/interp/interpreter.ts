/**
 * The interpreter: fetch (through the decode cache), dispatch by opcode-table
 * row, retire. Faults unwind to here, EIP goes back to the faulting instruction
 * and the exception is delivered.
 */
import { ATTR_DB, type Cpu } from "../cpu/cpu.js";
import { CodeWriteStage } from "../cpu/codewrites.js";
import * as L from "../cpu/layout.js";
import { FAULT } from "../cpu/exceptions.js";
import { IF, RF, TF } from "../cpu/flags.js";
import { DR_BASE, EFLAGS, HALTED, INTERRUPT_SHADOW, NMI_BLOCKED, Sreg } from "../cpu/layout.js";
import { Vector } from "../cpu/exceptions.js";
import { type CodeBytes, decode } from "../decode/decoder.js";
import { Insn } from "../decode/insn.js";
import { DecodeCache, type DecodedPage } from "./decodecache.js";
import { checkInstructionBreakpoint, deliverException, InterruptKind, singleStepTrap } from "../cpu/interrupts.js";
import type { DebugMonitor } from "./monitor.js";
import { HANDLERS } from "./registry.js";

const EFLAGS_I = EFLAGS >> 2;
const EIP_I = L.EIP >> 2;
const CS_BASE_I = (L.SEG_BASE >> 2) + Sreg.CS;
const CS_LIMIT_I = (L.SEG_LIMIT >> 2) + Sreg.CS;
const CS_ATTR_I = (L.SEG_ATTR >> 2) + Sreg.CS;
const CPL_I = L.CPL >> 2;
const HALTED_I = HALTED >> 2;
const ICOUNT_F = L.ICOUNT >> 3;
const DELIVERED_F = L.DELIVERED >> 3;
const SHADOW_I = INTERRUPT_SHADOW >> 2;
const NMI_BLOCKED_I = NMI_BLOCKED >> 2;
const DR7_I = (DR_BASE >> 2) + 7;

/** Instruction bytes at CS:EIP+offset, limit-checked. */
class CodeFetcher implements CodeBytes {
  eip = 0;
  constructor(private readonly c: Cpu) {}
  byte(offset: number): number {
    const c = this.c;
    const off = (this.eip + offset) | 0;
    if (off >>> 0 > c.segLimit(Sreg.CS) >>> 0) c.raiseGP(0);
    return c.readPhys8(c.translate((c.segBase(Sreg.CS) + off) | 0, false));
  }
}

export class Interpreter {
  readonly decodeCache: DecodeCache;
  private readonly fetcher: CodeFetcher;
  private readonly scratch = new Insn();
  /** The decoded page of the last fetch and what its translation depended on. */
  private codePage: DecodedPage | undefined;
  private codeLinear = -1;
  private codeEpoch = -1;
  private codeCpl = -1;
  /**
   * Set by the machine when it must look at something between instructions (a
   * guest exit or reset request); runUntil returns after the current instruction.
   */
  attention = false;
  /** Mirrors the INTR input (the PIC, or the local APIC): runUntil returns once an interrupt can be taken. */
  irqPending = false;
  /** An NMI is latched: runUntil returns once it can be taken (no shadow, not blocked by an earlier NMI). */
  nmiPending = false;
  /**
   * An external debugger (ARCHITECTURE.md, "Debugging with gdb"): while set,
   * every instruction takes stepDebug, which asks it first.
   */
  monitor: DebugMonitor | null = null;

  constructor(readonly cpu: Cpu) {
    this.decodeCache = new DecodeCache(cpu);
    this.fetcher = new CodeFetcher(cpu);
    // A write to decoded instruction bytes drops them before the write lands.
    const cache = this.decodeCache;
    cpu.codeWrites.subscribe(CodeWriteStage.DECODED, (pa, size) => cache.written(pa >>> 0, size));
  }

  get halted(): boolean {
    return this.cpu.i32[HALTED >> 2] !== 0;
  }

  /** Decode (or find in the cache) the instruction at CS:EIP. */
  fetch(): Insn {
    const c = this.cpu;
    const i = c.i32;
    const eip = i[EIP_I];
    const la = (i[CS_BASE_I] + eip) | 0;
    const code32 = (i[CS_ATTR_I] & ATTR_DB) !== 0;
    // Same linear code page as the last fetch, with nothing since that could change its
    // translation: index the decoded page directly.
    const page = this.codePage;
    if (
      page !== undefined &&
      la >>> 12 === this.codeLinear &&
      c.tlbEpoch === this.codeEpoch &&
      i[CPL_I] === this.codeCpl &&
      page.valid
    ) {
      const insn = page.at[la & 0xfff];
      if (insn !== undefined && insn.cs32 === code32) {
        if ((eip >>> 0) + insn.len - 1 > i[CS_LIMIT_I] >>> 0) c.raiseGP(0);
        this.decodeCache.hits++;
        return insn;
      }
    }
    const pa = c.translate(la, false);
    this.codeLinear = la >>> 12;
    this.codeEpoch = c.tlbEpoch;
    this.codeCpl = i[CPL_I];
    // Until an instruction of this page is cached, the fast path must not use the previous page's.
    this.codePage = undefined;
    const cached = this.decodeCache.lookup(pa, code32);
    if (cached) {
      this.codePage = this.decodeCache.page(pa >>> 12);
      if ((eip >>> 0) + cached.len - 1 > i[CS_LIMIT_I] >>> 0) c.raiseGP(0);
      return cached;
    }
    this.fetcher.eip = eip;
    const insn = this.scratch;
    decode(insn, this.fetcher, code32);
    // Only RAM is cached: device memory can change without passing the write path.
    if ((pa & 0xfff) + insn.len <= 0x1000 && c.isRam(pa >>> 0, insn.len)) {
      const stored = this.decodeCache.store(pa, code32, insn);
      this.codePage = this.decodeCache.page(pa >>> 12);
      return stored;
    }
    return insn;
  }

  /** Execute one instruction. A fault propagates as FAULT with EIP at the instruction. */
  executeOne(): void {
    const c = this.cpu;
    const start = c.eip;
    try {
      const insn = this.fetch();
      c.eip = (start + insn.len) | 0;
      HANDLERS[insn.row](c, insn);
      c.icount++;
    } catch (e) {
      c.eip = start;
      throw e;
    }
  }

  /** Execute one instruction; a fault is delivered as an exception. */
  step(): void {
    const i = this.cpu.i32;
    if ((i[EFLAGS_I] & (TF | RF)) | i[SHADOW_I] | (i[DR7_I] & 0xff) || this.monitor !== null) {
      this.stepDebug();
      return;
    }
    try {
      this.executeOne();
    } catch (e) {
      if (e !== FAULT) throw e;
      this.deliverFault();
    }
  }

  /**
   * step() while single-stepping, instruction breakpoints, RF, the interrupt
   * shadow or a debug monitor are in play. The monitor may stop the run before
   * the instruction, which then has not begun. TF as the instruction began
   * decides the trap (so the instruction that sets TF is not trapped, the one
   * that clears it is); an instruction that opens the interrupt shadow (MOV SS,
   * POP SS) delays it.
   */
  private stepDebug(): void {
    const c = this.cpu;
    const i = c.i32;
    const monitor = this.monitor;
    if (monitor !== null && monitor.beforeInstruction((i[CS_BASE_I] + i[EIP_I]) | 0)) {
      this.attention = true;
      return;
    }
    const flags = i[EFLAGS_I];
    const shadowBefore = i[SHADOW_I];
    if (!(flags & RF) && checkInstructionBreakpoint(c)) return;
    // RF only suppresses breakpoints for this instruction; IRET or a task switch may set it again.
    i[EFLAGS_I] = flags & ~RF;
    try {
      this.executeOne();
    } catch (e) {
      if (e !== FAULT) throw e;
      if (shadowBefore) i[SHADOW_I] = 0;
      this.deliverFault();
      return;
    }
    const opened = !shadowBefore && i[SHADOW_I] !== 0;
    if (shadowBefore) i[SHADOW_I] = 0;
    if (flags & TF && !opened && !c.shutdown) singleStepTrap(c);
  }

  private deliverFault(): void {
    deliverException(this.cpu, FAULT.vector, FAULT.errorCode, FAULT.hasErrorCode);
  }

  /** An external interrupt would be taken now: IF = 1 and no interrupt shadow open. */
  get interruptible(): boolean {
    const i = this.cpu.i32;
    return (i[EFLAGS_I] & IF) !== 0 && i[SHADOW_I] === 0;
  }

  /** A latched NMI would be taken now: no interrupt shadow open and no NMI handler awaiting its IRET. */
  get nmiDeliverable(): boolean {
    const i = this.cpu.i32;
    return this.nmiPending && i[SHADOW_I] === 0 && i[NMI_BLOCKED_I] === 0;
  }

  /** Deliver an NMI (vector 2, whatever IF says), waking the CPU from HLT; NMIs are blocked until the next IRET. */
  nmi(): void {
    const c = this.cpu;
    c.i32[HALTED >> 2] = 0;
    c.i32[NMI_BLOCKED_I] = 1;
    deliverException(c, Vector.NMI, 0, false, InterruptKind.EXTERNAL);
  }

  /**
   * Raise external interrupt `vector` (the PIC's INTR): delivered when IF = 1 and
   * no interrupt shadow is open, waking the CPU from HLT. Returns whether it was.
   */
  interrupt(vector: number): boolean {
    const c = this.cpu;
    const i = c.i32;
    if (!this.interruptible) return false;
    i[HALTED >> 2] = 0;
    deliverException(c, vector, 0, false, InterruptKind.EXTERNAL);
    return true;
  }

  /**
   * Run until progress (Cpu.progress: retired + delivered) reaches `target`, the CPU halts or shuts
   * down, an interrupt becomes deliverable (irqPending and interruptible), or
   * `attention` is raised; with `toTransfer`, also after an instruction that did
   * not fall through to the next one (a branch, a fault). This is step() in a
   * loop without the per-instruction call overhead. Returns false when it ran
   * to the target with the last instruction falling through.
   */
  runUntil(target: number, toTransfer = false): boolean {
    const c = this.cpu;
    const i = c.i32;
    const f = c.f64;
    // `target` bounds retired + delivered; the loop compares the retired count alone, against
    // an end that moves back with every delivery (only the slow paths deliver).
    let end = target - f[DELIVERED_F];
    while (f[ICOUNT_F] < end) {
      const start = i[EIP_I];
      let next: number;
      if ((i[EFLAGS_I] & (TF | RF)) | i[SHADOW_I] | (i[DR7_I] & 0xff) || this.monitor !== null) {
        this.stepDebug();
        end = target - f[DELIVERED_F];
        next = start;
      } else {
        try {
          const insn = this.fetch();
          next = (start + insn.len) | 0;
          i[EIP_I] = next;
          HANDLERS[insn.row](c, insn);
          f[ICOUNT_F]++;
        } catch (e) {
          if (e !== FAULT) throw e;
          i[EIP_I] = start;
          this.deliverFault();
          end = target - f[DELIVERED_F];
          next = start;
        }
      }
      if (this.attention || i[HALTED_I] !== 0 || c.shutdown) return true;
      if (this.irqPending && i[EFLAGS_I] & IF && i[SHADOW_I] === 0) return true;
      if (this.nmiPending && i[SHADOW_I] === 0 && i[NMI_BLOCKED_I] === 0) return true;
      if (toTransfer && i[EIP_I] !== next) return true;
    }
    return false;
  }

  /** Run until HLT, shutdown, or `limit` instructions retired or exceptions delivered. Returns instructions retired. */
  run(limit: number): number {
    const c = this.cpu;
    const start = c.icount;
    this.runUntil(c.progress + limit);
    return c.icount - start;
  }
}
