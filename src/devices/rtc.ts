/**
 * MC146818A real-time clock and CMOS RAM at ports 0x70 (index; bit 7 masks NMI)
 * and 0x71 (data), on virtual time. The 32.768 kHz crystal is counted from the
 * virtual clock, so the calendar, the update cycle (UIP, update-ended and alarm
 * interrupts) and the periodic interrupt all follow the retired-instruction count.
 * The calendar starts at a time given at construction: a fixed date by default so
 * that runs repeat exactly, or the host's time for a real-time mode.
 *
 * The time registers are kept in binary 24-hour form and converted to the data
 * mode of register B on every access, so a guest that flips BCD/binary or 12/24
 * hours sees the same time in the new format. Daylight-saving adjustment (DSE)
 * is not performed.
 */
import type { TimedDevice, VirtualClock } from "./clock.js";
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

const XTAL_HZ = 32768;
/**
 * UIP rises 244 µs before the update cycle, which lasts 1984 µs with a 32.768 kHz
 * time base; the time registers change at its end.
 */
const UIP_TICKS = Math.round(((244 + 1984) * XTAL_HZ) / 1e6);
/**
 * Periodic interrupt period in crystal ticks by rate select (register A bits 0–3).
 * With a 32.768 kHz time base, rates 1 and 2 give 256 and 128 Hz like rates 8 and 9.
 */
const PERIOD_TICKS = [0, 128, 256, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];

// Time registers, which are also the indices into `time`.
const SEC = 0x00;
const MIN = 0x02;
const HOUR = 0x04;
const DOW = 0x06;
const DAY = 0x07;
const MONTH = 0x08;
const YEAR = 0x09;
const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;

const A_UIP = 0x80;
const A_DV = 0x70;
/** Divider setting for a 32.768 kHz crystal; any other value stops the clock (11x is the divider reset). */
const DV_32K = 0x20;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_DM_BINARY = 0x04;
const B_24H = 0x02;
/** PIE/AIE/UIE in register B sit at the same bits as PF/AF/UF in register C. */
const INT_BITS = 0x70;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;
const D_VRT = 0x80;
/** An alarm byte with both top bits set matches every value. */
const ALARM_ANY = 0xc0;

// Bytes of the AT CMOS layout that a BIOS (or a loader acting as one) reads.
const CMOS_EQUIPMENT = 0x14;
const CMOS_BASE_KIB = 0x15;
const CMOS_EXT_KIB = 0x17;
const CMOS_CHECKSUM = 0x2e;
const CMOS_EXT_KIB_POST = 0x30;
const CMOS_CENTURY = 0x32;
const CMOS_ABOVE_16M = 0x34;
/** Math coprocessor present, primary display EGA/VGA, no floppy drives. */
const EQUIPMENT = 0x02;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const SECONDS_PER_DAY = 86400;

/** 2026-01-01 00:00:00 UTC. */
export const DEFAULT_RTC_START = new Date(Date.UTC(2026, 0, 1));

export interface RtcOptions {
  /** Guest RAM size, reported in the CMOS memory-size bytes. */
  ramBytes: number;
  /** Calendar time at virtual time zero (read in UTC); default DEFAULT_RTC_START. */
  startTime?: Date;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

export class Rtc146818 implements PortDevice, TimedDevice {
  static readonly STATE: StateTable = {
    fields: ["ram", "time", "index", "regA", "regB", "flags", "origin", "last", "irqLevel"],
    wiring: ["clock", "setIrq8"],
  };
  private readonly ram = new Uint8Array(128);
  /** Binary 24-hour calendar, indexed by time register. */
  private readonly time = new Uint8Array(10);
  private index = 0;
  private regA = 0x26;
  private regB = B_24H;
  /** PF, AF and UF as register C reports them (IRQF is derived). */
  private flags = 0;
  /** A crystal tick on which a second ends; the divider's phase. */
  private origin: number;
  /** Crystal tick up to which the divider's events have been applied. */
  private last: number;
  private irqLevel = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly setIrq8: (level: boolean) => void,
    opts: RtcOptions,
  ) {
    const start = opts.startTime ?? DEFAULT_RTC_START;
    const t = this.time;
    t[SEC] = start.getUTCSeconds();
    t[MIN] = start.getUTCMinutes();
    t[HOUR] = start.getUTCHours();
    t[DOW] = start.getUTCDay() + 1;
    t[DAY] = start.getUTCDate();
    t[MONTH] = start.getUTCMonth() + 1;
    t[YEAR] = start.getUTCFullYear() % 100;
    this.ram[CMOS_CENTURY] = this.encode(Math.floor(start.getUTCFullYear() / 100) % 100);
    this.last = clock.ticks(XTAL_HZ);
    // A start time with milliseconds puts the next second boundary that much sooner.
    this.origin = this.last - Math.round((mod(start.getTime(), 1000) * XTAL_HZ) / 1000);
    this.fillMemorySize(opts.ramBytes);
  }

  /** Set a CMOS RAM byte outside the clock registers, as the platform's setup leaves it (boot order, for the firmware). */
  setCmos(index: number, value: number): void {
    if (index <= REG_D || index >= 0x80) throw new RangeError(`CMOS byte 0x${index.toString(16)} is not plain RAM`);
    this.ram[index] = value & 0xff;
  }

  /** NMI mask: bit 7 of the last index written to port 0x70. */
  get nmiMasked(): boolean {
    return (this.index & 0x80) !== 0;
  }

  private fillMemorySize(ramBytes: number): void {
    const r = this.ram;
    const put16 = (at: number, v: number): void => {
      r[at] = v & 0xff;
      r[at + 1] = v >> 8;
    };
    const extKib = Math.min(0xffff, Math.max(0, Math.floor(ramBytes / 1024) - 1024));
    r[CMOS_EQUIPMENT] = EQUIPMENT;
    put16(CMOS_BASE_KIB, 640);
    put16(CMOS_EXT_KIB, extKib);
    put16(CMOS_EXT_KIB_POST, extKib);
    put16(CMOS_ABOVE_16M, Math.min(0xffff, Math.max(0, Math.floor((ramBytes - (16 << 20)) / 0x10000))));
    let sum = 0;
    for (let k = 0x10; k <= 0x2d; k++) sum += r[k];
    r[CMOS_CHECKSUM] = (sum >> 8) & 0xff;
    r[CMOS_CHECKSUM + 1] = sum & 0xff;
  }

  // ---- timing --------------------------------------------------------------

  private get running(): boolean {
    return (this.regA & A_DV) === DV_32K;
  }

  /** Boundaries of a `period`-tick divider output in the ticks (a, b]. */
  private crossings(a: number, b: number, period: number): number {
    return Math.floor((b - this.origin) / period) - Math.floor((a - this.origin) / period);
  }

  private boundaryAfter(tick: number, period: number): number {
    return this.origin + (Math.floor((tick - this.origin) / period) + 1) * period;
  }

  /** Apply every divider event up to the current virtual time. */
  private sync(): void {
    const now = this.clock.ticks(XTAL_HZ);
    const last = this.last;
    if (now <= last) return;
    this.last = now;
    if (!this.running) return;
    const period = PERIOD_TICKS[this.regA & 15];
    if (period && this.crossings(last, now, period)) this.flags |= C_PF;
    const seconds = this.crossings(last, now, XTAL_HZ);
    if (seconds && !(this.regB & B_SET)) {
      this.flags |= C_UF;
      if (this.addSeconds(seconds)) this.flags |= C_AF;
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.flags & this.regB & INT_BITS) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.setIrq8(level);
    }
  }

  nextEvent(): number {
    // With IRQ 8 already asserted nothing can change the line before register C is read.
    if (!this.running || this.irqLevel) return Infinity;
    let next = Infinity;
    const period = PERIOD_TICKS[this.regA & 15];
    if (this.regB & B_PIE && period) next = this.boundaryAfter(this.last, period);
    // The alarm is compared at each update, so both wait for the next second.
    if (this.regB & (B_AIE | B_UIE) && !(this.regB & B_SET)) next = Math.min(next, this.boundaryAfter(this.last, XTAL_HZ));
    return next === Infinity ? Infinity : this.clock.slotForTick(next, XTAL_HZ);
  }

  advance(): void {
    this.sync();
  }

  private uip(): boolean {
    return this.running && !(this.regB & B_SET) && mod(this.last - this.origin, XTAL_HZ) >= XTAL_HZ - UIP_TICKS;
  }

  // ---- calendar --------------------------------------------------------------

  /** Advance field `reg` through first..last; true when it wraps (a carry into the next field). */
  private bump(reg: number, first: number, last: number): boolean {
    if (this.time[reg] >= last) {
      this.time[reg] = first;
      return true;
    }
    this.time[reg]++;
    return false;
  }

  private daysInMonth(): number {
    const m = this.time[MONTH];
    // The chip knows only the two-digit year: every fourth year is a leap year.
    if (m === 2) return this.time[YEAR] % 4 === 0 ? 29 : 28;
    return m >= 1 && m <= 12 ? DAYS_IN_MONTH[m - 1] : 31;
  }

  private nextDay(): void {
    this.bump(DOW, 1, 7);
    if (this.bump(DAY, 1, this.daysInMonth()) && this.bump(MONTH, 1, 12) && this.bump(YEAR, 0, 99)) {
      this.ram[CMOS_CENTURY] = this.encode((this.decode(this.ram[CMOS_CENTURY]) + 1) % 100);
    }
  }

  private nextSecond(): void {
    if (this.bump(SEC, 0, 59) && this.bump(MIN, 0, 59) && this.bump(HOUR, 0, 23)) this.nextDay();
  }

  private alarmHit(reg: number): boolean {
    const a = this.ram[reg + 1];
    return a >= ALARM_ANY || this.decodeField(reg, a) === this.time[reg];
  }

  /** Advance the calendar by `n` seconds; true if the alarm matched on any of them. */
  private addSeconds(n: number): boolean {
    // The alarm repeats daily, so stepping the last whole day second by second sees every match.
    const days = Math.max(0, Math.floor(n / SECONDS_PER_DAY) - 1);
    for (let d = 0; d < days; d++) this.nextDay();
    let hit = false;
    for (let s = n - days * SECONDS_PER_DAY; s > 0; s--) {
      this.nextSecond();
      if (this.alarmHit(SEC) && this.alarmHit(MIN) && this.alarmHit(HOUR)) hit = true;
    }
    return hit;
  }

  // ---- data formats --------------------------------------------------------

  private get binary(): boolean {
    return (this.regB & B_DM_BINARY) !== 0;
  }

  private encode(v: number): number {
    return this.binary ? v : ((Math.floor(v / 10) << 4) | v % 10) & 0xff;
  }

  private decode(v: number): number {
    return this.binary ? v : (v >> 4) * 10 + (v & 15);
  }

  private encodeField(reg: number, v: number): number {
    if (reg !== HOUR || this.regB & B_24H) return this.encode(v);
    return this.encode(v % 12 || 12) | (v >= 12 ? 0x80 : 0);
  }

  private decodeField(reg: number, v: number): number {
    if (reg !== HOUR || this.regB & B_24H) return this.decode(v);
    return (this.decode(v & 0x7f) % 12) + (v & 0x80 ? 12 : 0);
  }

  // ---- registers -----------------------------------------------------------

  private readRegister(r: number): number {
    this.sync();
    if (r <= YEAR) return r & 1 && r < DOW ? this.ram[r] : this.encodeField(r, this.time[r]);
    switch (r) {
      case REG_A:
        return this.regA | (this.uip() ? A_UIP : 0);
      case REG_B:
        return this.regB;
      case REG_C: {
        const v = this.flags | (this.irqLevel ? C_IRQF : 0);
        this.flags = 0;
        this.updateIrq();
        this.clock.reschedule();
        return v;
      }
      case REG_D:
        return D_VRT;
      default:
        return this.ram[r];
    }
  }

  private writeRegister(r: number, v: number): void {
    this.sync();
    if (r <= YEAR) {
      if (r & 1 && r < DOW) this.ram[r] = v;
      else this.time[r] = this.decodeField(r, v);
      return;
    }
    switch (r) {
      case REG_A: {
        const wasRunning = this.running;
        this.regA = v & ~A_UIP;
        // Out of divider reset, the first update comes half a second later.
        if (this.running && !wasRunning) this.origin = this.last - XTAL_HZ / 2;
        break;
      }
      case REG_B:
        // Setting SET stops updates and clears UIE.
        this.regB = v & B_SET ? v & ~B_UIE : v;
        this.updateIrq();
        break;
      case REG_C:
      case REG_D:
        return;
      default:
        this.ram[r] = v;
        return;
    }
    this.clock.reschedule();
  }

  read8(port: number): number {
    // The index register is write-only on the AT.
    if ((port & 1) === 0) return 0xff;
    return this.readRegister(this.index & 0x7f);
  }

  write8(port: number, value: number): void {
    if ((port & 1) === 0) this.index = value;
    else this.writeRegister(this.index & 0x7f, value);
  }
}
