/**
 * PCI configuration mechanism #1: the address register at 0xCF8 (32-bit accesses
 * only; byte and word accesses there are ordinary I/O, not config cycles) and the
 * data window at 0xCFC–0xCFF (any width, any offset). One bus, bus 0, on which
 * functions are registered by device and function number; device 0 is an Intel
 * 440FX host bridge. A config cycle to no function, to another bus, or with the
 * enable bit clear ends in a master abort and reads all ones.
 */
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

export type ConfigSize = 1 | 2 | 4;

/** A PCI function as configuration cycles see it: a 256-byte space. */
export interface PciFunction {
  /** Read `size` bytes at `offset`; the access never crosses a dword boundary. */
  readConfig(offset: number, size: ConfigSize): number;
  writeConfig(offset: number, size: ConfigSize, value: number): void;
}

/** A configuration space held in memory, where writes change only the bits marked writable. */
export class PciConfigSpace implements PciFunction {
  static readonly STATE: StateTable = { fields: ["bytes"], wiring: ["writable", "onWrite"] };
  readonly bytes = new Uint8Array(256);
  readonly writable = new Uint8Array(256);
  /** Called after every configuration write, with the bytes written. */
  onWrite: ((offset: number, size: ConfigSize) => void) | undefined;

  /** Set a register's power-on value and which of its bits software may change. */
  define(offset: number, size: ConfigSize, value: number, writableMask = 0): void {
    for (let k = 0; k < size; k++) {
      this.bytes[offset + k] = (value >>> (8 * k)) & 0xff;
      this.writable[offset + k] = (writableMask >>> (8 * k)) & 0xff;
    }
  }

  readConfig(offset: number, size: ConfigSize): number {
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.bytes[offset + k] << (8 * k);
    return v;
  }

  writeConfig(offset: number, size: ConfigSize, value: number): void {
    for (let k = 0; k < size; k++) {
      const m = this.writable[offset + k];
      this.bytes[offset + k] = (this.bytes[offset + k] & ~m) | ((value >>> (8 * k)) & m);
    }
    this.onWrite?.(offset, size);
  }
}

/** The 82441FX PMC, host-to-PCI bridge of the 440FX chipset (bus 0, device 0). */
export function i440fxHostBridge(): PciConfigSpace {
  const s = new PciConfigSpace();
  s.define(0x00, 2, 0x8086);
  s.define(0x02, 2, 0x1237);
  // Memory space and bus mastering are hardwired on; parity and SERR# reporting are the guest's choice.
  s.define(0x04, 2, 0x0006, 0x0140);
  // Fast back-to-back capable, medium DEVSEL# timing.
  s.define(0x06, 2, 0x0280);
  // Revision 02, class 06 (bridge) subclass 00 (host), programming interface 00.
  s.define(0x08, 4, 0x06000002);
  s.define(0x0d, 1, 0x00, 0xf8);
  return s;
}

const ENABLE = 0x80000000;
/** Bits of the address register that exist: enable, bus, device, function, dword register. */
const ADDRESS_BITS = 0x80fffffc;
const DATA_PORT = 0xcfc;

function allOnes(size: ConfigSize): number {
  return size === 4 ? -1 : (1 << (8 * size)) - 1;
}

export class PciHost {
  static readonly STATE: StateTable = { fields: ["address", "functions"], wiring: ["hostBridge", "addressPort", "dataPort"] };
  private address = 0;
  /** Device 0: the host bridge, whose chipset registers (PAM, SMRAM) the platform wires up. */
  readonly hostBridge = i440fxHostBridge();
  private readonly functions = new Map<number, PciFunction>();

  /** Register at 0xCF8 alone, so byte and word accesses there reach whatever else claims those ports. */
  readonly addressPort: PortDevice = {
    read32: () => this.address,
    write32: (_port, value) => {
      this.address = value & ADDRESS_BITS;
    },
  };

  /** Register at 0xCFC, four ports. */
  readonly dataPort: PortDevice = {
    read8: (port) => this.readData(port, 1),
    read16: (port) => this.readData(port, 2),
    read32: (port) => this.readData(port, 4),
    write8: (port, value) => this.writeData(port, 1, value),
    write16: (port, value) => this.writeData(port, 2, value),
    write32: (port, value) => this.writeData(port, 4, value),
  };

  constructor() {
    this.register(0, 0, this.hostBridge);
  }

  /** The function at `device`.`fn` of bus 0, if any. */
  function(device: number, fn: number): PciFunction | undefined {
    return this.functions.get((device << 3) | fn);
  }

  /** Put a function on bus 0. */
  register(device: number, fn: number, f: PciFunction): void {
    if (!(device >= 0 && device < 32 && fn >= 0 && fn < 8)) throw new RangeError(`no PCI slot ${device}.${fn}`);
    const key = (device << 3) | fn;
    if (this.functions.has(key)) throw new Error(`PCI slot ${device}.${fn} is taken`);
    this.functions.set(key, f);
  }

  /** The function the address register selects, if a config cycle would reach one. */
  private target(): PciFunction | undefined {
    const a = this.address;
    if (!(a & ENABLE) || (a >>> 16) & 0xff) return undefined;
    return this.functions.get((a >>> 8) & 0xff);
  }

  private readData(port: number, size: ConfigSize): number {
    const o = port - DATA_PORT;
    if (o + size > 4) {
      // Bytes past 0xCFF are beyond the window: read ours one by one, the rest float.
      let v = 0;
      for (let k = 0; k < size; k++) v |= (o + k < 4 ? this.readData(port + k, 1) : 0xff) << (8 * k);
      return v;
    }
    const f = this.target();
    return f ? f.readConfig((this.address & 0xfc) + o, size) : allOnes(size);
  }

  private writeData(port: number, size: ConfigSize, value: number): void {
    const o = port - DATA_PORT;
    if (o + size > 4) {
      for (let k = 0; o + k < 4; k++) this.writeData(port + k, 1, (value >>> (8 * k)) & 0xff);
      return;
    }
    this.target()?.writeConfig((this.address & 0xfc) + o, size, value);
  }
}
