/**
 * The local APIC of a P6 processor (SDM Vol. 3 ch. 10; integrated APIC version
 * 0x11): IA32_APIC_BASE with global enable and relocation, the register page
 * (ID, version, TPR/APR/PPR, EOI, LDR/DFR, SVR, ISR/TMR/IRR, ESR, ICR, the LVT
 * entries timer, performance counter, LINT0, LINT1 and error), interrupt
 * acceptance by priority class, EOI broadcast of level-triggered vectors to the
 * I/O APIC, IPIs to this processor (fixed, lowest priority, NMI, INIT), and the
 * timer in one-shot and periodic modes, counting a bus clock derived from virtual
 * time (clock.ts), so it fires at the same instruction in both engines.
 *
 * It is the core's interrupt front end: with IA32_APIC_BASE.EN clear, LINT0 is the
 * INTR pin and LINT1 the NMI pin, as on a processor without an APIC.
 */
import type { LocalApicPort, MmioDevice } from "../cpu/bus.js";
import type { TimedDevice, VirtualClock } from "./clock.js";
import type { StateTable } from "./state.js";

export const APIC_DEFAULT_BASE = 0xfee00000;
/** The bus clock the timer divides (any rate works: guests calibrate it). */
export const APIC_BUS_HZ = 100_000_000;
/** Version 0x11 (integrated APIC), 5 LVT entries (max LVT entry 4). */
export const APIC_VERSION = 0x00040011;

export const enum DeliveryMode {
  FIXED = 0,
  LOWEST = 1,
  SMI = 2,
  NMI = 4,
  INIT = 5,
  STARTUP = 6,
  EXTINT = 7,
}

/** IA32_APIC_BASE bits. */
const BASE_BSP = 1 << 8;
const BASE_EN = 1 << 11;
const BASE_RESERVED_LO = 0x6ff;
/** Above bit 35 (a 36-bit physical address space). */
const BASE_RESERVED_HI = ~0xf;

/** LVT bits. */
const LVT_MASK = 1 << 16;
const LVT_PERIODIC = 1 << 17;
const LVT_LEVEL = 1 << 15;
const LVT_REMOTE_IRR = 1 << 14;
const LVT_POLARITY = 1 << 13;

/** LVT entries, in register order. */
const enum Lvt {
  TIMER,
  PMC,
  LINT0,
  LINT1,
  ERROR,
}
/** Writable bits of each LVT entry (delivery status and remote IRR are read-only). */
const LVT_WRITABLE = [0x300ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];
/** LVT register offset → entry. */
const LVT_AT = new Map<number, Lvt>([
  [0x320, Lvt.TIMER],
  [0x340, Lvt.PMC],
  [0x350, Lvt.LINT0],
  [0x360, Lvt.LINT1],
  [0x370, Lvt.ERROR],
]);

/** ESR bits (P6). */
const ESR_SEND_ILLEGAL = 1 << 5;
const ESR_RECEIVE_ILLEGAL = 1 << 6;

const enum Reg {
  ID = 0x20,
  VERSION = 0x30,
  TPR = 0x80,
  APR = 0x90,
  PPR = 0xa0,
  EOI = 0xb0,
  LDR = 0xd0,
  DFR = 0xe0,
  SVR = 0xf0,
  ISR = 0x100,
  TMR = 0x180,
  IRR = 0x200,
  ESR = 0x280,
  ICR_LO = 0x300,
  ICR_HI = 0x310,
  TIMER_INITIAL = 0x380,
  TIMER_CURRENT = 0x390,
  TIMER_DIVIDE = 0x3e0,
}

const SVR_ENABLE = 1 << 8;

/** Highest set bit of a 256-bit vector set, or -1. */
function highest(set: Uint32Array): number {
  for (let w = 7; w >= 0; w--) if (set[w]) return w * 32 + 31 - Math.clz32(set[w]);
  return -1;
}
const has = (set: Uint32Array, v: number): boolean => (set[v >> 5] & (1 << (v & 31))) !== 0;
const add = (set: Uint32Array, v: number): void => void (set[v >> 5] |= 1 << (v & 31));
const remove = (set: Uint32Array, v: number): void => void (set[v >> 5] &= ~(1 << (v & 31)));

export interface LocalApicWiring {
  clock: VirtualClock;
  /** Maps the APIC's register page at `base` (size 0: unmapped). */
  mapWindow: (apic: MmioDevice, base: number, size: number) => void;
  /** The INTA cycle of an ExtINT interrupt: the 8259's vector. */
  extIntAcknowledge: () => number;
  /** EOI of a level-triggered vector, broadcast to the I/O APIC. */
  eoiBroadcast: (vector: number) => void;
  /** INIT delivered to this processor. */
  init: () => void;
}

export class LocalApic implements MmioDevice, LocalApicPort, TimedDevice {
  static readonly STATE: StateTable = {
    fields: ["irr", "isr", "tmr", "lvt", "id", "tpr", "ldr", "dfr", "svr", "esr", "esrPending", "icrLo", "icrHi", "base", "baseHigh", "globalEnable", "lint", "busExtInt", "nmiPending", "timerInitial", "divideConfig", "startTick", "startCount", "lastTick"],
    wiring: ["wire", "onChange"],
  };
  private readonly irr = new Uint32Array(8);
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private readonly lvt = new Int32Array(5);
  private id = 0;
  private tpr = 0;
  private ldr = 0;
  private dfr = -1;
  private svr = 0xff;
  private esr = 0;
  private esrPending = 0;
  private icrLo = 0;
  private icrHi = 0;
  private base = APIC_DEFAULT_BASE;
  private baseHigh = 0;
  private globalEnable = true;
  /** LINT0, LINT1 input levels. */
  private readonly lint = [false, false];
  /** An ExtINT request from the I/O APIC (its pin wired to the 8259). */
  private busExtInt = false;
  /** An NMI waits for the core. */
  nmiPending = false;

  // Timer: the count started at bus tick `startTick` from `startCount` (initial, or what was left at a divide change).
  private timerInitial = 0;
  private divideConfig = 0;
  private startTick = 0;
  private startCount = 0;
  /** Bus tick up to which expiries have been seen to. */
  private lastTick = 0;

  /** Called when what the core sees (INTR, NMI) may have changed. */
  onChange: () => void = () => {};

  constructor(private readonly wire: LocalApicWiring) {
    this.reset();
  }

  /** Power-up state, and the state IA32_APIC_BASE.EN going 0 → 1 gives. */
  reset(): void {
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.lvt.fill(LVT_MASK);
    // LINT0 as ExtINT, unmasked: the virtual-wire setting firmware leaves on the
    // bootstrap processor, so the 8259 reaches the core with the APIC enabled.
    this.lvt[Lvt.LINT0] = DeliveryMode.EXTINT << 8;
    this.id = 0;
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = -1;
    this.svr = 0xff;
    this.esr = 0;
    this.esrPending = 0;
    this.icrLo = 0;
    this.icrHi = 0;
    this.timerInitial = 0;
    this.divideConfig = 0;
    this.busExtInt = false;
    this.nmiPending = false;
    this.lastTick = this.ticks();
    this.mapWindow();
    this.wire.clock.reschedule();
    this.onChange();
  }

  /** After a snapshot is restored: the register window where the base puts it. */
  restored(): void {
    this.mapWindow();
  }

  /** The register page where IA32_APIC_BASE puts it while enabled; a base above 4 GiB is out of reach. */
  private mapWindow(): void {
    const on = this.globalEnable && this.baseHigh === 0;
    this.wire.mapWindow(this, on ? this.base : 0, on ? 0x1000 : 0);
  }

  /** A machine reset: the MSR back to its power-up value, then the registers. */
  powerOn(): void {
    this.base = APIC_DEFAULT_BASE;
    this.baseHigh = 0;
    this.globalEnable = true;
    this.reset();
  }

  // ---- the core's side -------------------------------------------------------

  get enabled(): boolean {
    return this.globalEnable;
  }
  get baseLo(): number {
    return this.base | BASE_BSP | (this.globalEnable ? BASE_EN : 0);
  }
  get baseHi(): number {
    return this.baseHigh;
  }

  writeBase(lo: number, hi: number): boolean {
    if (lo & BASE_RESERVED_LO || hi & BASE_RESERVED_HI) return false;
    const enable = (lo & BASE_EN) !== 0;
    const wasEnabled = this.globalEnable;
    this.base = lo & ~0xfff;
    this.baseHigh = hi;
    this.globalEnable = enable;
    // Disabling the APIC resets it; it comes back software-disabled, as after power-up.
    if (wasEnabled !== enable) this.reset();
    else this.mapWindow();
    this.onChange();
    return true;
  }

  private get softwareEnabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  /** The 8259's request through LINT0 or the I/O APIC, delivered as ExtINT. */
  private get extIntRequest(): boolean {
    const l0 = this.lvt[Lvt.LINT0];
    return (!(l0 & LVT_MASK) && ((l0 >> 8) & 7) === DeliveryMode.EXTINT && this.lint[0]) || this.busExtInt;
  }

  /** Processor priority: the TPR or the class of the highest vector in service, whichever is higher. */
  private get ppr(): number {
    const isrv = Math.max(highest(this.isr), 0);
    return this.tpr >> 4 >= isrv >> 4 ? this.tpr : isrv & 0xf0;
  }

  /** Arbitration priority: the TPR, unless a vector requested or in service has a higher class. */
  private get apr(): number {
    const t = this.tpr >> 4;
    const irrv = Math.max(highest(this.irr), 0) >> 4;
    const isrv = Math.max(highest(this.isr), 0) >> 4;
    return t >= irrv && t > isrv ? this.tpr : Math.max(t, irrv, isrv) << 4;
  }

  /** INTR to the core: an ExtINT request, or the highest requested vector above the processor priority. */
  get intr(): boolean {
    if (!this.globalEnable) return this.lint[0];
    if (this.extIntRequest) return true;
    if (!this.softwareEnabled) return false;
    const v = highest(this.irr);
    return v >= 0 && (v & 0xf0) > (this.ppr & 0xf0);
  }

  /** The INTA cycle: the vector the core takes (the spurious vector when the request has gone). */
  acknowledge(): number {
    if (!this.globalEnable || this.extIntRequest) return this.wire.extIntAcknowledge();
    const v = highest(this.irr);
    if (!this.softwareEnabled || v < 0 || (v & 0xf0) <= (this.ppr & 0xf0)) return this.svr & 0xff;
    remove(this.irr, v);
    add(this.isr, v);
    this.onChange();
    return v;
  }

  /** The core takes the latched NMI. */
  takeNmi(): void {
    this.nmiPending = false;
    this.onChange();
  }

  private raiseNmi(): void {
    this.nmiPending = true;
    this.onChange();
  }

  // ---- interrupt sources ---------------------------------------------------

  /** Drive LINT0 (the 8259's INTR) or LINT1. */
  setLint(n: 0 | 1, level: boolean): void {
    const before = this.lint[n];
    this.lint[n] = level;
    if (!this.globalEnable) {
      if (n === 1 && level && !before) this.raiseNmi();
      else this.onChange();
      return;
    }
    const e = this.lvt[Lvt.LINT0 + n];
    const pol = (e & LVT_POLARITY) !== 0;
    const now = level !== pol;
    const was = before !== pol;
    if (!(e & LVT_MASK)) {
      switch ((e >> 8) & 7) {
        case DeliveryMode.FIXED:
          if (e & LVT_LEVEL) {
            if (now && !(e & LVT_REMOTE_IRR)) {
              this.lvt[Lvt.LINT0 + n] = e | LVT_REMOTE_IRR;
              this.accept(e & 0xff, true);
            }
          } else if (now && !was) this.accept(e & 0xff, false);
          break;
        case DeliveryMode.NMI:
          if (now && !was) this.raiseNmi();
          break;
        case DeliveryMode.INIT:
          if (now && !was) this.wire.init();
          break;
      }
    }
    this.onChange();
  }

  /** The I/O APIC's ExtINT request (a level: its 8259 pin while asserted). */
  setBusExtInt(level: boolean): void {
    if (this.busExtInt === level) return;
    this.busExtInt = level;
    this.onChange();
  }

  /** Whether a message with this destination reaches this processor (P6: 4-bit physical IDs). */
  matches(logical: boolean, dest: number): boolean {
    dest &= 0xff;
    if (!logical) return (dest & 0xf) === 0xf || (dest & 0xf) === this.id >>> 24;
    if (dest === 0xff) return true;
    const mine = this.ldr >>> 24;
    // DFR model 1111b is flat, 0000b cluster.
    if (this.dfr >>> 28 === 0xf) return (dest & mine) !== 0;
    return dest >> 4 === mine >> 4 && (dest & mine & 0xf) !== 0;
  }

  /** A message from the I/O APIC (already matched to this processor). Returns whether it was accepted. */
  deliver(mode: DeliveryMode, vector: number, level: boolean): boolean {
    switch (mode) {
      case DeliveryMode.FIXED:
      case DeliveryMode.LOWEST:
        return this.accept(vector, level);
      case DeliveryMode.NMI:
        this.raiseNmi();
        return true;
      case DeliveryMode.INIT:
        this.wire.init();
        return true;
      default:
        return false;
    }
  }

  /** A fixed interrupt into the IRR (TMR set for level-triggered ones); vectors 0-15 are refused. */
  private accept(vector: number, level: boolean): boolean {
    vector &= 0xff;
    if (vector < 16) {
      this.error(ESR_RECEIVE_ILLEGAL);
      return false;
    }
    add(this.irr, vector);
    if (level) add(this.tmr, vector);
    else remove(this.tmr, vector);
    this.onChange();
    return true;
  }

  /** A local interrupt from an LVT entry (timer, error): fixed, or NMI where the entry allows it. */
  private local(k: Lvt): void {
    const e = this.lvt[k];
    if (e & LVT_MASK) return;
    if (k === Lvt.PMC && ((e >> 8) & 7) === DeliveryMode.NMI) this.raiseNmi();
    else this.accept(e & 0xff, false);
  }

  /** An error into the ESR's pending bits, and the error interrupt (an illegal error vector raises none). */
  private error(bits: number): void {
    this.esrPending |= bits;
    const e = this.lvt[Lvt.ERROR];
    if (!(e & LVT_MASK) && (e & 0xff) >= 16) this.accept(e & 0xff, false);
  }

  private eoi(): void {
    const v = highest(this.isr);
    if (v < 0) return;
    remove(this.isr, v);
    if (has(this.tmr, v)) {
      remove(this.tmr, v);
      this.wire.eoiBroadcast(v);
      // A level-triggered LINT input with this vector may be asserted again.
      for (const n of [0, 1] as const) {
        const e = this.lvt[Lvt.LINT0 + n];
        if (e & LVT_REMOTE_IRR && (e & 0xff) === v) {
          this.lvt[Lvt.LINT0 + n] = e & ~LVT_REMOTE_IRR;
          this.setLint(n, this.lint[n]);
        }
      }
    }
    this.onChange();
  }

  /** ICR low written: send the IPI. Only this processor exists, so only messages that reach it do anything. */
  private sendIpi(): void {
    const lo = this.icrLo;
    const mode = (lo >> 8) & 7;
    const vector = lo & 0xff;
    const shorthand = (lo >> 18) & 3;
    const toSelf = shorthand === 1 || shorthand === 2 || (shorthand === 0 && this.matches((lo & (1 << 11)) !== 0, this.icrHi >>> 24));
    if ((mode === DeliveryMode.FIXED || mode === DeliveryMode.LOWEST) && vector < 16) {
      this.error(shorthand === 1 ? ESR_RECEIVE_ILLEGAL : ESR_SEND_ILLEGAL);
      return;
    }
    if (!toSelf) return;
    switch (mode) {
      case DeliveryMode.FIXED:
      case DeliveryMode.LOWEST:
        this.accept(vector, false);
        break;
      case DeliveryMode.NMI:
        this.raiseNmi();
        break;
      case DeliveryMode.INIT:
        // Level de-assert (trigger level, level 0) only synchronises arbitration IDs.
        if (!(lo & LVT_LEVEL) || lo & (1 << 14)) this.wire.init();
        break;
    }
  }

  // ---- the timer -------------------------------------------------------------

  private ticks(): number {
    return this.wire.clock.ticks(APIC_BUS_HZ);
  }

  private get divisor(): number {
    const d = this.divideConfig;
    return 1 << ((((d & 3) | ((d & 8) >> 1)) + 1) & 7);
  }

  private get periodic(): boolean {
    return (this.lvt[Lvt.TIMER] & LVT_PERIODIC) !== 0;
  }

  /** The first expiry strictly after bus tick `after`, or Infinity. */
  private nextExpiry(after: number): number {
    if (this.timerInitial === 0) return Infinity;
    const div = this.divisor;
    const first = this.startTick + div * this.startCount;
    if (first > after) return first;
    if (!this.periodic) return Infinity;
    const period = div * this.timerInitial;
    return first + (Math.floor((after - first) / period) + 1) * period;
  }

  private currentCount(): number {
    if (this.timerInitial === 0) return 0;
    const e = Math.floor((this.ticks() - this.startTick) / this.divisor);
    if (e < this.startCount) return this.startCount - e;
    if (!this.periodic) return 0;
    return this.timerInitial - ((e - this.startCount) % this.timerInitial);
  }

  /** Restart counting from `count` at the current tick. */
  private restart(count: number): void {
    this.startTick = this.ticks();
    this.startCount = count;
    this.lastTick = this.startTick;
    this.wire.clock.reschedule();
  }

  nextEvent(): number {
    if (this.lvt[Lvt.TIMER] & LVT_MASK || !this.globalEnable) return Infinity;
    const t = this.nextExpiry(this.lastTick);
    return t === Infinity ? Infinity : this.wire.clock.slotForTick(t, APIC_BUS_HZ);
  }

  advance(): void {
    const now = this.ticks();
    if (!(this.lvt[Lvt.TIMER] & LVT_MASK) && this.globalEnable && this.nextExpiry(this.lastTick) <= now) this.local(Lvt.TIMER);
    this.lastTick = now;
  }

  // ---- registers -------------------------------------------------------------

  private readRegister(reg: number): number {
    switch (reg) {
      case Reg.ID: return this.id;
      case Reg.VERSION: return APIC_VERSION;
      case Reg.TPR: return this.tpr;
      case Reg.APR: return this.apr;
      case Reg.PPR: return this.ppr;
      case Reg.LDR: return this.ldr;
      case Reg.DFR: return this.dfr;
      case Reg.SVR: return this.svr;
      case Reg.ESR: return this.esr;
      case Reg.ICR_LO: return this.icrLo;
      case Reg.ICR_HI: return this.icrHi;
      case Reg.TIMER_INITIAL: return this.timerInitial;
      case Reg.TIMER_CURRENT: return this.currentCount();
      case Reg.TIMER_DIVIDE: return this.divideConfig;
    }
    if (reg >= Reg.ISR && reg < Reg.ISR + 0x80) return this.isr[(reg - Reg.ISR) >> 4];
    if (reg >= Reg.TMR && reg < Reg.TMR + 0x80) return this.tmr[(reg - Reg.TMR) >> 4];
    if (reg >= Reg.IRR && reg < Reg.IRR + 0x80) return this.irr[(reg - Reg.IRR) >> 4];
    const k = LVT_AT.get(reg);
    return k === undefined ? 0 : this.lvt[k];
  }

  private writeRegister(reg: number, v: number): void {
    switch (reg) {
      case Reg.ID:
        this.id = v & 0x0f000000;
        return;
      case Reg.TPR:
        this.tpr = v & 0xff;
        this.onChange();
        return;
      case Reg.EOI:
        this.eoi();
        return;
      case Reg.LDR:
        this.ldr = v & 0xff000000;
        return;
      case Reg.DFR:
        this.dfr = v | 0x0fffffff;
        return;
      case Reg.SVR:
        // Bits 0-3 of the spurious vector are hardwired to 1 on P6.
        this.svr = (v & 0x3f0) | 0x0f;
        if (!this.softwareEnabled) for (let k = 0; k < 5; k++) this.lvt[k] |= LVT_MASK;
        this.wire.clock.reschedule();
        this.onChange();
        return;
      case Reg.ESR:
        this.esr = this.esrPending;
        this.esrPending = 0;
        return;
      case Reg.ICR_LO:
        this.icrLo = v & 0xccfff;
        this.sendIpi();
        return;
      case Reg.ICR_HI:
        this.icrHi = v & 0xff000000;
        return;
      case Reg.TIMER_INITIAL:
        this.timerInitial = v >>> 0;
        this.restart(this.timerInitial);
        return;
      case Reg.TIMER_DIVIDE: {
        const left = this.currentCount();
        this.divideConfig = v & 0xb;
        if (this.timerInitial !== 0) this.restart(left);
        return;
      }
    }
    const k = LVT_AT.get(reg);
    if (k === undefined) return;
    const old = this.lvt[k];
    let e = (v & LVT_WRITABLE[k]) | (old & LVT_REMOTE_IRR);
    if (!this.softwareEnabled) e |= LVT_MASK;
    this.lvt[k] = e;
    if (k === Lvt.TIMER) {
      // Expiries while masked are lost.
      if (old & LVT_MASK && !(e & LVT_MASK)) this.lastTick = this.ticks();
      this.wire.clock.reschedule();
    }
    if (k === Lvt.LINT0 || k === Lvt.LINT1) this.setLint(k === Lvt.LINT0 ? 0 : 1, this.lint[k - Lvt.LINT0]);
    this.onChange();
  }

  /**
   * Registers are 32 bits at 16-byte strides. A narrower read gives the bytes it
   * covers; a narrower write at a register's offset writes it zero-extended;
   * anything else is ignored (reserved offsets read 0).
   */
  mmioRead(offset: number, size: 1 | 2 | 4): number {
    const within = offset & 0xf;
    if (within + size > 4) return 0;
    const v = this.readRegister(offset & 0xff0) >>> (8 * within);
    return size === 4 ? v | 0 : v & ((1 << (8 * size)) - 1);
  }

  mmioWrite(offset: number, _size: 1 | 2 | 4, value: number): void {
    if ((offset & 0xf) !== 0) return;
    this.writeRegister(offset & 0xff0, value);
  }
}
