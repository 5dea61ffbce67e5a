/**
 * 8259A programmable interrupt controllers, master and slave cascaded on IRQ 2,
 * as on the PC/AT: edge-triggered (ISA, no ELCR), fully nested priority with
 * rotation, specific and non-specific EOI, automatic EOI, special mask mode,
 * polling, IRR/ISR reads, and spurious IRQ 7 / 15 when a request vanishes
 * before it is acknowledged.
 */
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

class Pic8259 {
  static readonly STATE: StateTable = {
    fields: ["irr", "isr", "imr", "lines", "vectorBase", "lowest", "autoEoi", "rotateOnAutoEoi", "specialMask", "readIsr", "poll", "initStep", "expectIcw4", "single", "cascade", "spurious"],
    wiring: ["isSlave"],
  };
  irr = 0;
  isr = 0;
  imr = 0;
  /** Input line levels, for rising-edge detection. */
  lines = 0;
  vectorBase = 0;
  /** IRQ with the lowest priority (rotation); priority order starts at lowest+1. */
  lowest = 7;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialMask = false;
  readIsr = false;
  poll = false;
  /** Which ICW comes next (0 = initialised, OCWs apply). */
  initStep = 0;
  expectIcw4 = false;
  single = false;
  cascade = 0;
  spurious = 0;

  constructor(readonly isSlave: boolean) {}

  setLine(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (level) {
      if (!(this.lines & bit)) this.irr |= bit;
      this.lines |= bit;
    } else {
      this.lines &= ~bit;
    }
  }

  /** Priority rank of an IRQ: 0 is the highest. */
  private rank(irq: number): number {
    return (irq - this.lowest - 1) & 7;
  }

  /** Highest-priority bit of `mask` by the current rotation, or -1. */
  private highest(mask: number): number {
    for (let r = 0; r < 8; r++) {
      const irq = (this.lowest + 1 + r) & 7;
      if (mask & (1 << irq)) return irq;
    }
    return -1;
  }

  /** The IRQ this controller would present now, or -1. */
  pending(): number {
    const req = this.irr & ~this.imr;
    const irq = this.highest(req);
    if (irq < 0) return -1;
    const inService = this.specialMask ? this.isr & ~this.imr : this.isr;
    // A cascaded slave's in-service IRQ 2 does not block further slave requests
    // only in special fully nested mode, which the PC does not use.
    const current = this.highest(inService);
    if (current >= 0 && this.rank(current) <= this.rank(irq)) return -1;
    return irq;
  }

  /** INTA: move the request to in-service and return the IRQ, or 7 if it vanished (spurious). */
  acknowledge(): number {
    const irq = this.pending();
    if (irq < 0) {
      this.spurious++;
      return 7;
    }
    const bit = 1 << irq;
    this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowest = irq;
    } else {
      this.isr |= bit;
    }
    return irq;
  }

  private eoi(irq: number, rotate: boolean): void {
    if (irq < 0) return;
    this.isr &= ~(1 << irq);
    if (rotate) this.lowest = irq;
  }

  write(port: number, v: number): void {
    if ((port & 1) === 0) {
      if (v & 0x10) {
        // ICW1 restarts initialisation.
        this.initStep = 2;
        this.expectIcw4 = (v & 1) !== 0;
        this.single = (v & 2) !== 0;
        this.imr = 0;
        this.isr = 0;
        this.irr = 0;
        this.lines = 0;
        this.lowest = 7;
        this.specialMask = false;
        this.readIsr = false;
        this.autoEoi = false;
        return;
      }
      if (v & 0x08) {
        // OCW3
        if (v & 0x02) this.readIsr = (v & 0x01) !== 0;
        this.poll = (v & 0x04) !== 0;
        if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
        return;
      }
      // OCW2
      const level = v & 7;
      switch (v >> 5) {
        case 1: this.eoi(this.highest(this.isr), false); break;
        case 3: this.eoi(level, false); break;
        case 5: this.eoi(this.highest(this.isr), true); break;
        case 4: this.rotateOnAutoEoi = true; break;
        case 0: this.rotateOnAutoEoi = false; break;
        case 7: this.eoi(level, true); break;
        case 6: this.lowest = level; break;
      }
      return;
    }
    switch (this.initStep) {
      case 2:
        this.vectorBase = v & 0xf8;
        this.initStep = this.single ? (this.expectIcw4 ? 4 : 0) : 3;
        return;
      case 3:
        this.cascade = v;
        this.initStep = this.expectIcw4 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (v & 0x02) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = v;
    }
  }

  read(port: number): number {
    if (this.poll) {
      this.poll = false;
      const irq = this.pending();
      if (irq < 0) return 0;
      this.acknowledge();
      return 0x80 | irq;
    }
    if (port & 1) return this.imr;
    return this.readIsr ? this.isr : this.irr;
  }
}

export class DualPic implements PortDevice {
  static readonly STATE: StateTable = { fields: ["master", "slave"], wiring: ["onChange"] };
  private readonly master = new Pic8259(false);
  private readonly slave = new Pic8259(true);
  /** Called whenever the INTR output to the CPU may have changed. */
  onChange: () => void = () => {};

  /** Drive ISA IRQ line `irq` (0..15). */
  setIrq(irq: number, level: boolean): void {
    if (irq < 8) this.master.setLine(irq, level);
    else {
      this.slave.setLine(irq - 8, level);
      this.syncCascade();
    }
    this.onChange();
  }

  /** Pulse an edge-triggered line: raise then lower. */
  pulseIrq(irq: number): void {
    this.setIrq(irq, true);
    this.setIrq(irq, false);
  }

  private syncCascade(): void {
    this.master.setLine(2, this.slave.pending() >= 0);
  }

  /** INTR: the CPU should take an interrupt. */
  get interruptPending(): boolean {
    return this.master.pending() >= 0;
  }

  /** INTA cycle: the vector for the CPU. */
  acknowledge(): number {
    const irq = this.master.acknowledge();
    let vector: number;
    if (irq === 2 && !this.master.single) {
      const s = this.slave.acknowledge();
      // The slave's INT output drops during INTA; a further slave request is a new edge.
      this.master.setLine(2, false);
      vector = this.slave.vectorBase + s;
    } else {
      vector = this.master.vectorBase + irq;
    }
    this.syncCascade();
    this.onChange();
    return vector;
  }

  get spuriousCount(): number {
    return this.master.spurious + this.slave.spurious;
  }

  read8(port: number): number {
    const v = port >= 0xa0 ? this.slave.read(port) : this.master.read(port);
    this.syncCascade();
    return v;
  }

  write8(port: number, value: number): void {
    if (port >= 0xa0) this.slave.write(port, value);
    else this.master.write(port, value);
    this.syncCascade();
    this.onChange();
  }
}
