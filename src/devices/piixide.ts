/**
 * The PIIX3 IDE function (82371SB, bus 0 device 1 function 1): two channels in
 * legacy (compatibility) mode at 0x1F0/0x3F6 on IRQ 14 and 0x170/0x376 on IRQ 15,
 * and the bus-master registers at the I/O BAR (BAR4) the firmware assigns, which
 * decode while the command register's I/O space bit is set.
 *
 * The legacy ports decode whatever the IDE timing registers (0x40–0x43) say; the
 * timing registers themselves are kept for the guest to read back.
 */
import type { DmaBus } from "../cpu/bus.js";
import { BusMaster } from "./idedma.js";
import { IdeChannel, type IdeDevice } from "./ide.js";
import { PciConfigSpace } from "./pci.js";
import type { IoPortBus } from "./portbus.js";
import type { StateTable } from "./state.js";

export const IDE_FUNCTION = 1;
const BAR4 = 0x20;
const CMD_IO = 0x01;

const LEGACY = [
  { command: 0x1f0, control: 0x3f6, irq: 14 },
  { command: 0x170, control: 0x376, irq: 15 },
] as const;

export class PiixIde {
  static readonly STATE: StateTable = { fields: ["config", "channels", "busMasters", "bmBase"], wiring: ["ports"] };
  readonly config = new PciConfigSpace();
  readonly channels: [IdeChannel, IdeChannel];
  readonly busMasters: [BusMaster, BusMaster];
  private bmBase = 0;

  /** `devices`: [primary master, primary slave, secondary master, secondary slave]. */
  constructor(
    private readonly ports: IoPortBus,
    memory: DmaBus,
    devices: (IdeDevice | undefined)[],
    setIrq: (irq: number, level: boolean) => void,
  ) {
    const s = this.config;
    s.define(0x00, 2, 0x8086);
    s.define(0x02, 2, 0x7010);
    // I/O space and bus mastering are the guest's to enable.
    s.define(0x04, 2, 0x0000, 0x0005);
    s.define(0x06, 2, 0x0280);
    // Class 01 (mass storage) subclass 01 (IDE), programming interface 0x80: bus master, both channels legacy.
    s.define(0x08, 4, 0x01018000);
    s.define(0x0d, 1, 0x00, 0xf8);
    // BAR4: 16 I/O ports. All address bits above them are writable, so sizing reads back 0xFFFFFFF1.
    s.define(BAR4, 4, 0x00000001, 0xfffffff0);
    // Primary and secondary IDE timing, slave timing.
    s.define(0x40, 2, 0x0000, 0xf3ff);
    s.define(0x42, 2, 0x0000, 0xf3ff);
    s.define(0x44, 1, 0x00, 0xff);
    s.onWrite = () => this.mapBusMaster();

    this.channels = [0, 1].map((k) => {
      const ch = new IdeChannel([devices[2 * k], devices[2 * k + 1]], (level) => setIrq(LEGACY[k].irq, level));
      ports.register(LEGACY[k].command, 8, ch.commandBlock);
      ports.register(LEGACY[k].control, 1, ch.controlBlock);
      return ch;
    }) as [IdeChannel, IdeChannel];
    this.busMasters = [new BusMaster(this.channels[0], memory), new BusMaster(this.channels[1], memory)];
  }

  /** Hardware reset: both channels and bus masters, the configuration back to its reset values. */
  reset(): void {
    for (const bm of this.busMasters) bm.reset();
    for (const ch of this.channels) ch.resetAll();
    this.config.writeConfig(0x04, 2, 0);
    this.config.writeConfig(BAR4, 4, 0);
    this.config.writeConfig(0x40, 4, 0);
  }

  /** After a snapshot is restored into a new machine: the bus-master ports where the restored BAR puts them. */
  restored(): void {
    this.bmBase = 0;
    this.mapBusMaster();
  }

  /** Follow the BAR and the I/O enable bit with the bus-master ports. */
  private mapBusMaster(): void {
    const cmd = this.config.readConfig(0x04, 2);
    const base = cmd & CMD_IO ? this.config.readConfig(BAR4, 4) & 0xfff0 : 0;
    if (base === this.bmBase) return;
    if (this.bmBase) {
      this.ports.unregister(this.bmBase, 8, this.busMasters[0]);
      this.ports.unregister(this.bmBase + 8, 8, this.busMasters[1]);
    }
    this.bmBase = base;
    if (base) {
      this.ports.register(base, 8, this.busMasters[0]);
      this.ports.register(base + 8, 8, this.busMasters[1]);
    }
  }
}
