/**
 * Bus-master IDE (the PIIX's BMIDE registers, eight ports per channel at the
 * function's BAR4): command (start/stop, direction), status (active, error,
 * interrupt, drive DMA capable) and the physical address of the PRD table. Each
 * PRD entry is a physical base, a byte count (0 meaning 64 KiB) and an end-of-table
 * bit. A transfer runs when the guest has both issued a DMA command to a device
 * and set the start bit, in either order, and completes at once.
 */
import type { DmaBus } from "../cpu/bus.js";
import type { DmaEngine, IdeChannel } from "./ide.js";
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

const CMD_START = 0x01;
/** Direction: set when the bus master writes memory (a device read). */
const CMD_TO_MEMORY = 0x08;
const ST_ACTIVE = 0x01;
const ST_ERROR = 0x02;
const ST_INTERRUPT = 0x04;
/** Drive 0 / drive 1 DMA capable: plain read/write bits for the firmware's use. */
const ST_CAPABLE = 0x60;
const PRD_EOT = 0x8000;
const PRD_MAX = 0x10000;

export class BusMaster implements DmaEngine, PortDevice {
  static readonly STATE: StateTable = { fields: ["command", "status", "prdTable"], wiring: ["scratch", "channel", "memory"] };
  private command = 0;
  private status = 0;
  private prdTable = 0;
  private readonly scratch = new Uint8Array(PRD_MAX);

  constructor(
    private readonly channel: IdeChannel,
    private readonly memory: DmaBus,
  ) {
    channel.dma = this;
  }

  reset(): void {
    this.command = 0;
    this.status = 0;
    this.prdTable = 0;
  }

  request(ch: IdeChannel): void {
    if (this.command & CMD_START) this.run(ch);
  }

  interrupted(): void {
    this.status |= ST_INTERRUPT;
  }

  private run(ch: IdeChannel): void {
    const t = ch.dmaPending;
    if (!t) return;
    ch.dmaPending = undefined;
    const mem = this.memory;
    let remaining = t.bytes;
    let prd = this.prdTable;
    let exact = false;
    let ok = true;
    const desc = new Uint8Array(8);
    const view = new DataView(desc.buffer);
    for (;;) {
      mem.readPhysBytes(prd, desc);
      const base = view.getUint32(0, true) & ~1;
      const count = view.getUint16(4, true) || PRD_MAX;
      const eot = (view.getUint16(6, true) & PRD_EOT) !== 0;
      const n = Math.min(count, remaining);
      const data = this.scratch.subarray(0, n);
      if (t.toHost) {
        ok = t.move(data);
        if (ok) mem.writePhysBytes(base, data);
      } else {
        mem.readPhysBytes(base, data);
        ok = t.move(data);
      }
      remaining -= n;
      prd = (prd + 8) >>> 0;
      if (!ok || remaining === 0 || eot) {
        exact = eot && n === count;
        break;
      }
    }
    // The bus master stays active when its table describes more than the device moved.
    if (remaining > 0 || exact || !ok) this.status &= ~ST_ACTIVE;
    if (remaining > 0 && ok) this.status |= ST_ERROR;
    t.finish(ok && remaining === 0);
  }

  read8(port: number): number {
    switch (port & 7) {
      case 0:
        return this.command;
      case 2:
        return this.status;
      case 4:
      case 5:
      case 6:
      case 7:
        return (this.prdTable >>> (8 * ((port & 7) - 4))) & 0xff;
      default:
        return 0;
    }
  }

  write8(port: number, value: number): void {
    switch (port & 7) {
      case 0: {
        const start = (value & CMD_START) !== 0 && !(this.command & CMD_START);
        if (!(value & CMD_START)) this.status &= ~ST_ACTIVE;
        this.command = value & (CMD_START | CMD_TO_MEMORY);
        if (start) {
          this.status |= ST_ACTIVE;
          this.run(this.channel);
        }
        return;
      }
      case 2:
        // Error and interrupt are cleared by writing one; the capable bits are plain.
        this.status = (this.status & ~(ST_CAPABLE | (value & (ST_ERROR | ST_INTERRUPT)))) | (value & ST_CAPABLE);
        return;
      case 4:
      case 5:
      case 6:
      case 7: {
        const sh = 8 * ((port & 7) - 4);
        this.prdTable = ((this.prdTable & ~(0xff << sh)) | (value << sh)) & ~3;
        this.prdTable >>>= 0;
        return;
      }
    }
  }

  read32(port: number): number {
    return (port & 7) === 4 ? this.prdTable | 0 : this.read8(port) | (this.read8(port + 1) << 8) | (this.read8(port + 2) << 16) | (this.read8(port + 3) << 24);
  }

  write32(port: number, value: number): void {
    if ((port & 7) === 4) this.prdTable = (value & ~3) >>> 0;
    else for (let k = 0; k < 4; k++) this.write8(port + k, (value >>> (8 * k)) & 0xff);
  }
}
