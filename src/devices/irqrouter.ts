/**
 * The PC's interrupt wiring: the 8259 pair, the local APIC and the I/O APIC.
 * Devices drive ISA IRQ lines here and never a controller: each line goes to
 * its 8259 input and to the I/O APIC pin wired to it (IRQ 0, the PIT, to pin 2,
 * as the MP table's interrupt source override says; the others to the pin of
 * their number). The 8259's INTR goes to LINT0 of the local APIC (virtual-wire
 * mode: ExtINT) and to I/O APIC pin 0. The core takes its interrupts from the
 * local APIC, which asks the 8259 for the vector of an ExtINT interrupt.
 */
import type { Cpu } from "../cpu/cpu.js";
import type { VirtualClock } from "./clock.js";
import { IOAPIC_DEFAULT_BASE, IOAPIC_PINS, IOAPIC_VERSION, IoApic } from "./ioapic.js";
import { APIC_DEFAULT_BASE, APIC_VERSION, LocalApic } from "./lapic.js";
import { DualPic } from "./pic8259.js";
import type { StateTable } from "./state.js";

/** ISA IRQ → I/O APIC pin (IRQ 2 is the cascade: no device drives it). */
export const ISA_IOAPIC_PIN: readonly number[] = [2, 1, -1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/** The I/O APIC ID firmware assigns: distinct from the processor's APIC ID 0. */
export const IOAPIC_ID = 1;

/** What the MP table (src/boot/mptable.ts) describes of this wiring. */
export interface ApicTopology {
  lapicBase: number;
  lapicVersion: number;
  ioapicId: number;
  ioapicBase: number;
  ioapicVersion: number;
  ioapicPins: number;
  /** ISA IRQ → I/O APIC pin, -1 for none. */
  isaPins: readonly number[];
  /** The I/O APIC pin carrying the 8259's INTR (ExtINT). */
  extIntPin: number;
}

export const PC_APIC_TOPOLOGY: ApicTopology = {
  lapicBase: APIC_DEFAULT_BASE,
  lapicVersion: APIC_VERSION & 0xff,
  ioapicId: IOAPIC_ID,
  ioapicBase: IOAPIC_DEFAULT_BASE,
  ioapicVersion: IOAPIC_VERSION & 0xff,
  ioapicPins: IOAPIC_PINS,
  isaPins: ISA_IOAPIC_PIN,
  extIntPin: 0,
};

export interface InterruptRouterWiring {
  cpu: Cpu;
  clock: VirtualClock;
  /** INIT delivered to the processor. */
  init: () => void;
}

export class InterruptRouter {
  static readonly STATE: StateTable = { fields: ["pic", "lapic", "ioapic"], wiring: ["topology", "onChange"] };
  readonly pic = new DualPic();
  readonly lapic: LocalApic;
  readonly ioapic: IoApic;
  readonly topology = PC_APIC_TOPOLOGY;
  /** Called when what the core sees (INTR, a latched NMI) may have changed. */
  onChange: () => void = () => {};

  constructor(wire: InterruptRouterWiring) {
    const { cpu, clock } = wire;
    this.lapic = new LocalApic({
      clock,
      mapWindow: (apic, base, size) => cpu.mapMmio(apic, base, size),
      extIntAcknowledge: () => this.pic.acknowledge(),
      eoiBroadcast: (v) => this.ioapic.eoi(v),
      init: wire.init,
    });
    this.ioapic = new IoApic(this.lapic);
    this.ioapic.setId(IOAPIC_ID);
    cpu.mapMmio(this.ioapic, IOAPIC_DEFAULT_BASE, 0x20);
    cpu.localApic = this.lapic;
    clock.add(this.lapic);
    this.lapic.onChange = () => this.onChange();
    this.pic.onChange = () => {
      const intr = this.pic.interruptPending;
      this.lapic.setLint(0, intr);
      this.ioapic.setPin(0, intr);
    };
  }

  /** Drive ISA IRQ line `irq` (0-15). */
  setIrq(irq: number, level: boolean): void {
    this.pic.setIrq(irq, level);
    const pin = ISA_IOAPIC_PIN[irq];
    if (pin >= 0) this.ioapic.setPin(pin, level);
  }

  /** An edge on ISA IRQ line `irq`: raised, then lowered. */
  pulseIrq(irq: number): void {
    this.setIrq(irq, true);
    this.setIrq(irq, false);
  }

  /** Drive I/O APIC pin `pin` directly (16-23: PCI interrupt lines). */
  setPin(pin: number, level: boolean): void {
    if (pin < 0 || pin >= IOAPIC_PINS) throw new RangeError(`I/O APIC pin ${pin} does not exist`);
    this.ioapic.setPin(pin, level);
  }

  /** INTR: the core should take a maskable interrupt. */
  get intr(): boolean {
    return this.lapic.intr;
  }

  /** An NMI is latched for the core. */
  get nmi(): boolean {
    return this.lapic.nmiPending;
  }

  /** The INTA cycle: the vector the core takes. */
  acknowledge(): number {
    return this.lapic.acknowledge();
  }

  /** The core takes the latched NMI. */
  takeNmi(): void {
    this.lapic.takeNmi();
  }

  /** A machine reset: both APICs to their power-up state (the 8259s are left to the guest's initialisation). */
  reset(): void {
    this.lapic.powerOn();
    this.ioapic.reset();
    this.ioapic.setId(IOAPIC_ID);
  }
}
