/**
 * The PIIX3 south bridge's function 0 (PCI-to-ISA bridge, 82371SB, bus 0 device 1)
 * and its edge/level control registers (ELCR) at ports 0x4D0/0x4D1. The IDE
 * function (1.1) is in piixide.ts.
 *
 * The bridge's configuration space holds the registers firmware programs (PIRQ
 * routing at 0x60–0x63, top of memory, the APIC base, SMI control) with their
 * reset values; the ELCR records which ISA interrupts the firmware made
 * level-triggered. The 8259 model stays edge-triggered whatever it says: every
 * interrupt source jit386 has is an ISA device that pulses or holds its line as
 * the edge-triggered PIC expects.
 */
import { PciConfigSpace } from "./pci.js";
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

export const PIIX_DEVICE = 1;
export const ELCR_PORT = 0x4d0;

/** PIRQ route control: bit 7 disables the route, bits 0–3 name the ISA IRQ. */
const PIRQ_DISABLED = 0x80;

export function piix3IsaBridge(): PciConfigSpace {
  const s = new PciConfigSpace();
  s.define(0x00, 2, 0x8086);
  s.define(0x02, 2, 0x7000);
  // I/O, memory and bus-master enable are hardwired on; special cycles are the guest's.
  s.define(0x04, 2, 0x0007, 0x0008);
  // Medium DEVSEL# timing.
  s.define(0x06, 2, 0x0200);
  // Class 06 (bridge) subclass 01 (ISA), revision 00.
  s.define(0x08, 4, 0x06010000);
  // Multi-function: the IDE controller is function 1.
  s.define(0x0e, 1, 0x80);
  // ISA I/O recovery timer, X-bus chip select.
  s.define(0x4c, 1, 0x4d, 0xff);
  s.define(0x4e, 2, 0x0003, 0xffff);
  for (let k = 0; k < 4; k++) s.define(0x60 + k, 1, PIRQ_DISABLED, 0x8f);
  // Top of memory, misc. status, motherboard IRQ and DMA routes, APIC base, deterministic latency.
  s.define(0x69, 1, 0x02, 0xfe);
  s.define(0x6a, 2, 0x0000, 0x0080);
  s.define(0x70, 1, 0x80, 0xcf);
  s.define(0x76, 2, 0x0c0c, 0x8f8f);
  s.define(0x80, 1, 0x00, 0x7f);
  s.define(0x82, 1, 0x00, 0x0f);
  // SMI control and enables, system event enables.
  s.define(0xa0, 2, 0x0008, 0x001f);
  s.define(0xa2, 2, 0x0000, 0x00ff);
  s.define(0xa4, 4, 0x00000000, 0x00ffffff);
  s.define(0xa8, 1, 0x0f, 0xff);
  s.define(0xaa, 2, 0x0000, 0xffff);
  return s;
}

/** ELCR1 (IRQ 0–7) and ELCR2 (IRQ 8–15); IRQ 0, 1, 2, 8 and 13 are always edge-triggered. */
export class Elcr implements PortDevice {
  static readonly STATE: StateTable = { fields: ["regs"], wiring: [] };
  private readonly regs = new Uint8Array(2);
  private static readonly WRITABLE = [0xf8, 0xde];

  read8(port: number): number {
    return this.regs[port - ELCR_PORT];
  }
  write8(port: number, value: number): void {
    const k = port - ELCR_PORT;
    this.regs[k] = value & Elcr.WRITABLE[k];
  }
  /** Whether the firmware made ISA interrupt `irq` level-triggered. */
  level(irq: number): boolean {
    return ((this.regs[irq >> 3] >> (irq & 7)) & 1) !== 0;
  }
}

export const RESET_CONTROL_PORT = 0xcf9;
/** Reset control register bits: system reset (full, not just the CPU) and reset CPU, which starts it. */
const RC_SYS_RST = 0x02;
const RC_RST_CPU = 0x04;

/** The PIIX3's reset control register at 0xCF9: setting RST_CPU resets the machine. */
export class ResetControl implements PortDevice {
  static readonly STATE: StateTable = { fields: ["value"], wiring: ["reset"] };
  private value = 0;
  constructor(private readonly reset: () => void) {}
  read8(): number {
    return this.value;
  }
  write8(_port: number, value: number): void {
    this.value = value & RC_SYS_RST;
    if (value & RC_RST_CPU) this.reset();
  }
}
