/**
 * The I/O APIC (82093AA, version 0x11): 24 input pins, each with a redirection
 * entry (vector, delivery mode, destination, polarity, edge or level trigger,
 * mask, remote IRR), reached through IOREGSEL at offset 0x00 and IOWIN at 0x10.
 * An edge on a masked pin is lost; a level pin delivers while asserted and not
 * waiting for its EOI (remote IRR), which the local APIC broadcasts and which
 * switching the entry to edge also clears (the old way of acknowledging it).
 * Messages go to the one local APIC, when the destination names it.
 */
import type { MmioDevice } from "../cpu/bus.js";
import { DeliveryMode, type LocalApic } from "./lapic.js";
import type { StateTable } from "./state.js";

export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const IOAPIC_PINS = 24;
/** Version 0x11, maximum redirection entry 23. */
export const IOAPIC_VERSION = ((IOAPIC_PINS - 1) << 16) | 0x11;

const MASKED = 1 << 16;
const LEVEL = 1 << 15;
const REMOTE_IRR = 1 << 14;
const ACTIVE_LOW = 1 << 13;
const LOGICAL = 1 << 11;
/** Vector, delivery mode, destination mode, polarity, trigger mode, mask. */
const WRITABLE_LO = 0x1afff;

export class IoApic implements MmioDevice {
  static readonly STATE: StateTable = { fields: ["id", "select", "lo", "hi", "levels"], wiring: ["lapic"] };
  private id = 0;
  private select = 0;
  private readonly lo = new Int32Array(IOAPIC_PINS);
  private readonly hi = new Int32Array(IOAPIC_PINS);
  /** Input levels as driven (before polarity), one bit per pin. */
  private levels = 0;

  constructor(private readonly lapic: LocalApic) {
    this.reset();
  }

  /** Every entry masked, edge, vector 0. */
  reset(): void {
    this.id = 0;
    this.select = 0;
    this.lo.fill(MASKED);
    this.hi.fill(0);
    this.lapic.setBusExtInt(false);
  }

  /** The I/O APIC ID (bits 27:24 of register 0), which firmware assigns. */
  setId(id: number): void {
    this.id = (id & 0xf) << 24;
  }

  /** Drive input pin `pin`. */
  setPin(pin: number, level: boolean): void {
    const bit = 1 << pin;
    const before = (this.levels & bit) !== 0;
    if (level === before) return;
    this.levels = level ? this.levels | bit : this.levels & ~bit;
    const active = (this.lo[pin] & ACTIVE_LOW) !== 0 ? !level : level;
    this.service(pin, active);
    this.updateExtInt();
  }

  /** Whether the pin's input is asserted, after its polarity. */
  private asserted(pin: number): boolean {
    return (((this.levels >>> pin) & 1) !== 0) !== ((this.lo[pin] & ACTIVE_LOW) !== 0);
  }

  private targetsLapic(pin: number): boolean {
    return this.lapic.matches((this.lo[pin] & LOGICAL) !== 0, this.hi[pin] >>> 24);
  }

  /** Send the pin's interrupt when it should go: on an asserting edge, or while a level input is asserted. */
  private service(pin: number, edge: boolean): void {
    const e = this.lo[pin];
    if (e & MASKED) return;
    const mode = (e >> 8) & 7;
    if (mode === DeliveryMode.EXTINT) return;
    if (e & LEVEL) {
      if (!this.asserted(pin) || e & REMOTE_IRR) return;
    } else if (!edge) return;
    if (!this.targetsLapic(pin)) return;
    if (this.lapic.deliver(mode, e & 0xff, (e & LEVEL) !== 0) && e & LEVEL && (mode === DeliveryMode.FIXED || mode === DeliveryMode.LOWEST)) {
      this.lo[pin] = e | REMOTE_IRR;
    }
  }

  /** ExtINT entries are the 8259's wire to the core: asserted while any such unmasked pin is. */
  private updateExtInt(): void {
    let any = false;
    for (let pin = 0; pin < IOAPIC_PINS && !any; pin++) {
      const e = this.lo[pin];
      any = !(e & MASKED) && ((e >> 8) & 7) === DeliveryMode.EXTINT && this.asserted(pin) && this.targetsLapic(pin);
    }
    this.lapic.setBusExtInt(any);
  }

  /** EOI of `vector` broadcast by the local APIC: level entries with it may deliver again. */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const e = this.lo[pin];
      if (e & REMOTE_IRR && (e & 0xff) === vector) {
        this.lo[pin] = e & ~REMOTE_IRR;
        this.service(pin, false);
      }
    }
  }

  private readRegister(index: number): number {
    if (index === 0) return this.id;
    if (index === 1) return IOAPIC_VERSION;
    if (index === 2) return this.id;
    const k = index - 0x10;
    if (k < 0 || k >= 2 * IOAPIC_PINS) return 0;
    return k & 1 ? this.hi[k >> 1] : this.lo[k >> 1];
  }

  private writeRegister(index: number, v: number): void {
    if (index === 0) {
      this.id = v & 0x0f000000;
      return;
    }
    const k = index - 0x10;
    if (k < 0 || k >= 2 * IOAPIC_PINS) return;
    const pin = k >> 1;
    if (k & 1) this.hi[pin] = v & 0xff000000;
    else {
      const old = this.lo[pin];
      let e = (v & WRITABLE_LO) | (old & REMOTE_IRR);
      if (!(e & LEVEL)) e &= ~REMOTE_IRR;
      this.lo[pin] = e;
    }
    // Unmasking an asserted level input, or retargeting it, delivers it now.
    this.service(pin, false);
    this.updateExtInt();
  }

  mmioRead(offset: number, size: 1 | 2 | 4): number {
    const reg = offset & ~3;
    let v: number;
    if (reg === 0x00) v = this.select;
    else if (reg === 0x10) v = this.readRegister(this.select);
    else return 0;
    v >>>= 8 * (offset & 3);
    return size === 4 ? v | 0 : v & ((1 << (8 * size)) - 1);
  }

  mmioWrite(offset: number, _size: 1 | 2 | 4, value: number): void {
    if (offset === 0x00) this.select = value & 0xff;
    else if (offset === 0x10) this.writeRegister(this.select, value);
  }
}
