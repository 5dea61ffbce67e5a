/**
 * The I/O port space: devices register handlers per port. A 16- or 32-bit access
 * to a port with no handler of that width is split into byte accesses, as the ISA
 * bus does; ports nobody claims read as all ones and are counted.
 */
import type { PortBus } from "../cpu/bus.js";
import type { StateTable } from "./state.js";

export interface PortDevice {
  read8?(port: number): number;
  write8?(port: number, value: number): void;
  read16?(port: number): number;
  write16?(port: number, value: number): void;
  read32?(port: number): number;
  write32?(port: number, value: number): void;
}

export class IoPortBus implements PortBus {
  static readonly STATE: StateTable = { fields: ["unhandledReads", "unhandledWrites"], wiring: ["devices"] };
  private readonly devices: (PortDevice | undefined)[] = new Array(0x10000);
  unhandledReads = 0;
  unhandledWrites = 0;

  /** Claim `count` ports from `first` for `dev`. */
  register(first: number, count: number, dev: PortDevice): void {
    for (let p = first; p < first + count; p++) this.devices[p & 0xffff] = dev;
  }

  /** Release the ports of `first`..`first + count - 1` that `dev` holds (a PCI BAR moving). */
  unregister(first: number, count: number, dev: PortDevice): void {
    for (let p = first; p < first + count; p++) if (this.devices[p & 0xffff] === dev) this.devices[p & 0xffff] = undefined;
  }

  in8(port: number): number {
    const d = this.devices[port & 0xffff];
    if (d?.read8) return d.read8(port & 0xffff) & 0xff;
    this.unhandledReads++;
    return 0xff;
  }
  in16(port: number): number {
    const d = this.devices[port & 0xffff];
    if (d?.read16) return d.read16(port & 0xffff) & 0xffff;
    return this.in8(port) | (this.in8(port + 1) << 8);
  }
  in32(port: number): number {
    const d = this.devices[port & 0xffff];
    if (d?.read32) return d.read32(port & 0xffff) | 0;
    return this.in16(port) | (this.in16(port + 2) << 16);
  }
  out8(port: number, value: number): void {
    const d = this.devices[port & 0xffff];
    if (d?.write8) d.write8(port & 0xffff, value & 0xff);
    else this.unhandledWrites++;
  }
  out16(port: number, value: number): void {
    const d = this.devices[port & 0xffff];
    if (d?.write16) d.write16(port & 0xffff, value & 0xffff);
    else {
      this.out8(port, value);
      this.out8(port + 1, value >> 8);
    }
  }
  out32(port: number, value: number): void {
    const d = this.devices[port & 0xffff];
    if (d?.write32) d.write32(port & 0xffff, value);
    else {
      this.out16(port, value);
      this.out16(port + 2, value >>> 16);
    }
  }
}
