/**
 * 8254 programmable interval timer on virtual time: three counters at 1.193182
 * MHz, modes 0–5, LSB/MSB/word access, counter latch and read-back commands.
 * Counter 0 drives IRQ 0; counter 2's gate and output are on port 0x61 (with the
 * speaker bits and the refresh toggle), which is how Linux calibrates its TSC.
 */
import type { TimedDevice, VirtualClock } from "./clock.js";
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

export const PIT_HZ = 1193182;
/** DRAM refresh request toggles every 15.085 µs on the AT (port 0x61 bit 4). */
const REFRESH_HZ = 66288;

class Counter {
  static readonly STATE: StateTable = {
    fields: ["mode", "access", "bcd", "reload", "start", "gate", "writeLow", "latched", "latchedHigh", "status", "readHigh", "nullCount", "idleOut"],
    wiring: [],
  };
  mode = 0;
  /** 1: LSB, 2: MSB, 3: LSB then MSB. */
  access = 3;
  bcd = false;
  /** Initial count as loaded (65536 for 0). */
  reload = 0x10000;
  /** PIT tick at which counting started (after the load), or -1 while waiting for a count or trigger. */
  start = -1;
  gate = true;
  /** Partial count write in progress (LSB written, MSB awaited). */
  writeLow = -1;
  latched = -1;
  latchedHigh = false;
  status = -1;
  readHigh = false;
  nullCount = true;
  /** OUT level for modes that are not a function of time (before a count is loaded). */
  idleOut = true;

  /** Ticks since counting started; negative before the first tick or while waiting. */
  private elapsed(tick: number): number {
    return this.start < 0 ? -1 : tick - this.start;
  }

  /** Counter value at `tick`. */
  count(tick: number): number {
    const e = this.elapsed(tick);
    const n = this.reload;
    if (e < 0) return n & 0xffff;
    switch (this.mode) {
      case 2:
        return n - (e % n);
      case 3: {
        const half = Math.ceil(n / 2);
        const p = e % n;
        // The count runs down by two per tick, through each half period.
        return (p < half ? n - 2 * p : n - 2 * (p - half)) & 0xfffe;
      }
      default:
        return (((n - e) % 0x10000) + 0x10000) % 0x10000;
    }
  }

  /** OUT level at `tick`. */
  out(tick: number): boolean {
    const e = this.elapsed(tick);
    if (e < 0) return this.idleOut;
    const n = this.reload;
    switch (this.mode) {
      case 0:
        return e >= n;
      case 1:
        return e >= n;
      case 2:
        return e % n !== n - 1;
      case 3:
        return e % n < Math.ceil(n / 2);
      case 4:
      case 5:
        return e !== n;
    }
    return true;
  }

  /** First tick > `tick` at which OUT rises, or Infinity. */
  nextRise(tick: number): number {
    if (this.start < 0) return Infinity;
    // Before the first tick, edges are computed from the start of counting.
    const e = Math.max(0, tick - this.start);
    const n = this.reload;
    switch (this.mode) {
      case 0:
      case 1:
        return e < n ? this.start + n : Infinity;
      case 2: {
        // Low during the last tick of each period; rises at the reload.
        const k = Math.floor(e / n) + 1;
        return this.start + k * n;
      }
      case 3: {
        const k = Math.floor(e / n) + 1;
        return this.start + k * n;
      }
      case 4:
      case 5:
        return e <= n ? this.start + n + 1 : Infinity;
    }
    return Infinity;
  }
}

export class Pit8254 implements PortDevice, TimedDevice {
  static readonly STATE: StateTable = { fields: ["counters", "speakerData", "irqTick", "irqsRaised"], wiring: ["clock", "raiseIrq0"] };
  private readonly counters = [new Counter(), new Counter(), new Counter()];
  private speakerData = false;
  /** Tick up to which counter 0's OUT edges have been delivered. */
  private irqTick = 0;
  irqsRaised = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly raiseIrq0: () => void,
  ) {
    this.counters[2].gate = false;
  }

  private tick(): number {
    return this.clock.ticks(PIT_HZ);
  }

  nextEvent(): number {
    const rise = this.counters[0].nextRise(this.irqTick);
    return rise === Infinity ? Infinity : this.clock.slotForTick(rise, PIT_HZ);
  }

  advance(): void {
    const now = this.tick();
    const c0 = this.counters[0];
    let rise = c0.nextRise(this.irqTick);
    // Deliver at most one edge per advance: an edge-triggered PIC latches one request anyway.
    if (rise <= now) {
      this.raiseIrq0();
      this.irqsRaised++;
      while (rise <= now) {
        this.irqTick = rise;
        rise = c0.nextRise(this.irqTick);
      }
    }
    this.irqTick = Math.max(this.irqTick, now);
  }

  private load(k: number, value: number): void {
    const c = this.counters[k];
    c.reload = value === 0 ? (c.bcd ? 10000 : 0x10000) : value;
    c.nullCount = false;
    const now = this.tick();
    // Modes 1 and 5 wait for a gate trigger; the others start on the next tick
    // (or on the gate for counter 2 while its gate is low).
    if (c.mode === 1 || c.mode === 5) return;
    if (!c.gate && c.mode !== 0 && c.mode !== 4) return;
    c.start = now + 1;
    if (k === 0) {
      this.irqTick = now;
      this.clock.reschedule();
    }
  }

  read8(port: number): number {
    if (port === 0x61) return this.readPort61();
    const k = port & 3;
    if (k === 3) return 0xff;
    const c = this.counters[k];
    if (c.status >= 0) {
      const s = c.status;
      c.status = -1;
      return s;
    }
    let v: number;
    if (c.latched >= 0) {
      v = c.latched;
      if (c.access === 3 && !c.latchedHigh) {
        c.latchedHigh = true;
        return v & 0xff;
      }
      c.latched = -1;
      c.latchedHigh = false;
      return c.access === 2 || c.access === 3 ? (v >> 8) & 0xff : v & 0xff;
    }
    v = this.toBcd(c, c.count(this.tick()));
    if (c.access === 1) return v & 0xff;
    if (c.access === 2) return (v >> 8) & 0xff;
    c.readHigh = !c.readHigh;
    return c.readHigh ? v & 0xff : (v >> 8) & 0xff;
  }

  private toBcd(c: Counter, v: number): number {
    if (!c.bcd) return v & 0xffff;
    v %= 10000;
    return (v % 10) | (Math.floor(v / 10) % 10 << 4) | (Math.floor(v / 100) % 10 << 8) | (Math.floor(v / 1000) << 12);
  }

  private fromBcd(c: Counter, v: number): number {
    if (!c.bcd) return v;
    return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
  }

  write8(port: number, value: number): void {
    if (port === 0x61) {
      this.writePort61(value);
      return;
    }
    const k = port & 3;
    if (k === 3) {
      this.control(value);
      return;
    }
    const c = this.counters[k];
    switch (c.access) {
      case 1:
        this.load(k, this.fromBcd(c, value));
        break;
      case 2:
        this.load(k, this.fromBcd(c, value << 8));
        break;
      default:
        if (c.writeLow < 0) {
          c.writeLow = value;
          // Mode 0 stops counting while a new count is half written.
          if (c.mode === 0) c.start = -1;
        } else {
          this.load(k, this.fromBcd(c, c.writeLow | (value << 8)));
          c.writeLow = -1;
        }
    }
  }

  private control(v: number): void {
    const sel = v >> 6;
    if (sel === 3) {
      // Read-back: bit 5 clear latches counts, bit 4 clear latches status.
      for (let k = 0; k < 3; k++) {
        if (!(v & (2 << k))) continue;
        const c = this.counters[k];
        const tick = this.tick();
        if (!(v & 0x20) && c.latched < 0) c.latched = this.toBcd(c, c.count(tick));
        if (!(v & 0x10) && c.status < 0) {
          c.status = (c.out(tick) ? 0x80 : 0) | (c.nullCount ? 0x40 : 0) | (c.access << 4) | (c.mode << 1) | (c.bcd ? 1 : 0);
        }
      }
      return;
    }
    const c = this.counters[sel];
    const access = (v >> 4) & 3;
    if (access === 0) {
      if (c.latched < 0) {
        c.latched = this.toBcd(c, c.count(this.tick()));
        c.latchedHigh = false;
      }
      return;
    }
    c.access = access;
    c.mode = (v >> 1) & 7;
    if (c.mode > 5) c.mode -= 4;
    c.bcd = (v & 1) !== 0;
    c.start = -1;
    c.writeLow = -1;
    c.readHigh = false;
    c.latched = -1;
    c.nullCount = true;
    // OUT after a control word: low in mode 0, high otherwise.
    c.idleOut = c.mode !== 0;
    if (sel === 0) this.clock.reschedule();
  }

  private readPort61(): number {
    const tick = this.tick();
    const c2 = this.counters[2];
    const refresh = Math.floor(this.clock.ticks(REFRESH_HZ)) & 1;
    return (c2.gate ? 1 : 0) | (this.speakerData ? 2 : 0) | (refresh << 4) | (c2.out(tick) ? 0x20 : 0);
  }

  private writePort61(v: number): void {
    const c2 = this.counters[2];
    const gate = (v & 1) !== 0;
    this.speakerData = (v & 2) !== 0;
    if (gate && !c2.gate) {
      // A rising gate (re)starts counter 2 in every mode but 0 and 4, which only resume.
      if (c2.mode !== 0 && c2.mode !== 4 && !c2.nullCount) c2.start = this.tick() + 1;
      else if ((c2.mode === 0 || c2.mode === 4) && c2.start < 0 && !c2.nullCount) c2.start = this.tick() + 1;
    }
    c2.gate = gate;
  }
}
