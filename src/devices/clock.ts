/**
 * Virtual time (ARCHITECTURE.md "The machine and virtual time"). Devices see time as a count of instruction
 * slots: retired instructions plus the slots skipped while the CPU was halted.
 * Nothing reads the wall clock unless the user asked for real-time mode, so a
 * guest's run is the same, instruction for instruction, every time and in both
 * engines. In real-time mode (interactive use) a slot is 1/ips of a wall-clock
 * second since the clock was made, and runs are no longer reproducible.
 */
import type { Cpu } from "../cpu/cpu.js";
import { IDLE_SLOTS } from "../cpu/layout.js";

/** Default rate: virtual instruction slots per virtual second. */
export const DEFAULT_IPS = 200_000_000;

/** A device with timed behaviour: it reports when it next needs to run. */
export interface TimedDevice {
  /** Absolute virtual time (slots) of the device's next event, or Infinity. */
  nextEvent(now: number): number;
  /** Process everything due up to and including `now`. */
  advance(now: number): void;
}

export class VirtualClock {
  private readonly devices: TimedDevice[] = [];
  private cachedDeadline = Infinity;
  private dirty = true;

  private readonly wallStart = performance.now();

  constructor(
    private readonly cpu: Cpu,
    /** Instruction slots per virtual second. */
    readonly ips: number = DEFAULT_IPS,
    /** Follow the wall clock instead of the instruction count. */
    readonly realtime = false,
  ) {
    if (!(ips >= 1000 && ips <= 1e12)) throw new RangeError(`instructions per second must be from 1000 to 1e12 (got ${ips})`);
  }

  add(dev: TimedDevice): void {
    this.devices.push(dev);
    this.dirty = true;
  }

  /** Current virtual time in instruction slots. */
  now(): number {
    if (this.realtime) return Math.floor(((performance.now() - this.wallStart) * this.ips) / 1000);
    return this.cpu.icount + this.cpu.f64[IDLE_SLOTS >> 3];
  }

  /** Wall-clock milliseconds until slot `slot` in real-time mode. */
  msUntil(slot: number): number {
    return Math.max(0, ((slot - this.now()) * 1000) / this.ips);
  }

  /** Virtual time in units of a device clock of `hz` (e.g. the PIT's 1193182 Hz). */
  ticks(hz: number): number {
    return Math.floor((this.now() * hz) / this.ips);
  }

  /** First slot at which a `hz` clock has reached `tick`. */
  slotForTick(tick: number, hz: number): number {
    let slot = Math.ceil((tick * this.ips) / hz);
    while (Math.floor((slot * hz) / this.ips) < tick) slot++;
    while (slot > 0 && Math.floor(((slot - 1) * hz) / this.ips) >= tick) slot--;
    return slot;
  }

  /** Called when a device's timing changed: the run loop must look at the deadline again. */
  onReschedule: () => void = () => {};

  /** Devices call this when a register write changed their timing (and, in real time, as time passes). */
  reschedule(): void {
    this.dirty = true;
    this.onReschedule();
  }

  /** Earliest pending device event (virtual slots). */
  deadline(): number {
    if (this.dirty || this.realtime) {
      const now = this.now();
      let d = Infinity;
      for (const dev of this.devices) d = Math.min(d, dev.nextEvent(now));
      this.cachedDeadline = d;
      this.dirty = false;
    }
    return this.cachedDeadline;
  }

  /** Run every device whose time has come. */
  runDue(): void {
    const now = this.now();
    if (now < this.deadline()) return;
    for (const dev of this.devices) dev.advance(now);
    this.dirty = true;
  }

  /** Halted CPU: jump virtual time forward to the next event. */
  skipTo(slot: number): void {
    if (this.realtime) return;
    const now = this.now();
    if (slot > now) this.cpu.f64[IDLE_SLOTS >> 3] += slot - now;
  }
}
