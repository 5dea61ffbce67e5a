/**
 * An IDE channel: the ATA task file at its command block (0x1F0–0x1F7 or
 * 0x170–0x177) and control block (0x3F6 or 0x376), up to two devices (master and
 * slave), PIO data transfers through the data port, and the bus-master DMA
 * engine of idedma.ts. The command sets are the devices' (ata.ts for hard disks,
 * atapi.ts for the CD-ROM); this file holds what they share.
 *
 * Commands complete at once: a device is never seen busy except while the
 * guest holds SRST, and the interrupt of a completed command or data block is
 * raised during the OUT (or IN) that caused it, so the guest takes it at the
 * next instruction boundary in both engines. Writes to the command block go to
 * both devices' registers, as on the cable; reads come from the selected device.
 * A channel with no device floats (reads all ones); the absent device of a pair
 * reads status 0 and ignores commands.
 */
import { type BlockBackend, BlockIoError } from "./block.js";
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

export const enum St {
  ERR = 0x01,
  DRQ = 0x08,
  DSC = 0x10,
  DF = 0x20,
  DRDY = 0x40,
  BSY = 0x80,
}

export const enum Err {
  AMNF = 0x01,
  ABRT = 0x04,
  MCR = 0x08,
  IDNF = 0x10,
  MC = 0x20,
  UNC = 0x40,
  ICRC = 0x80,
}

/** Device control register bits. */
const CTL_NIEN = 0x02;
const CTL_SRST = 0x04;
const CTL_HOB = 0x80;

/** Device register bits. */
export const DEV_LBA = 0x40;
const DEV_SELECT = 0x10;

/** Command block register offsets. */
const REG_DATA = 0;
const REG_ERROR = 1;
const REG_COUNT = 2;
const REG_LBA_LOW = 3;
const REG_LBA_MID = 4;
const REG_LBA_HIGH = 5;
const REG_DEVICE = 6;
const REG_STATUS = 7;

/**
 * A data transfer a device starts: PIO through the data port, or DMA by the bus
 * master. `move` carries the next bytes (filling `data` for a read, taking them
 * for a write) and answers false on a medium error; `finish` sets the device's
 * final state (and raises the completion interrupt when the protocol has one).
 */
export interface Transfer {
  /** Device to host (a read). */
  readonly toHost: boolean;
  /** Bytes in all. */
  readonly bytes: number;
  /** Bytes per PIO data block (DRQ): a sector, a READ MULTIPLE block, the ATAPI byte count limit. */
  readonly block: number;
  move(data: Uint8Array): boolean;
  /** Before each PIO block is offered: ATAPI sets its byte count and interrupt reason. */
  beginBlock?(bytes: number): void;
  finish(ok: boolean): void;
}

/** What a channel needs of a device. */
export interface IdeDevice {
  /** Status and error registers as this device presents them. */
  status: number;
  error: number;
  /** A command was written while this device is selected. */
  command(ch: IdeChannel, cmd: number): void;
  /** Hardware or software reset: the device's signature into the task file, its status set. */
  reset(ch: IdeChannel): void;
  /** For ATAPI devices: the PIO data-out block carrying the command packet arrived. */
  packet?(ch: IdeChannel, bytes: Uint8Array): void;
}

/** The bus-master side of a channel (idedma.ts): told when a device has a DMA transfer ready. */
export interface DmaEngine {
  request(ch: IdeChannel): void;
  /** The channel interrupt rose (the bus master's status records it). */
  interrupted(): void;
}

export class IdeChannel {
  static readonly STATE: StateTable = { fields: ["feature", "count", "lbaLow", "lbaMid", "lbaHigh", "hobFeature", "hobCount", "hobLbaLow", "hobLbaMid", "hobLbaHigh", "device", "control", "intrq", "line", "transfer", "buf", "pos", "end", "remaining", "firstBlock", "dmaPending", "devices"], wiring: ["dma", "setIrq", "commandBlock", "controlBlock"] };
  // The task file. Each 48-bit register keeps the previous byte written (HOB).
  feature = 0;
  count = 0;
  lbaLow = 0;
  lbaMid = 0;
  lbaHigh = 0;
  hobFeature = 0;
  hobCount = 0;
  hobLbaLow = 0;
  hobLbaMid = 0;
  hobLbaHigh = 0;
  device = 0;
  private control = 0;

  /** INTRQ as the selected device drives it, before nIEN. */
  private intrq = false;
  private line = false;

  // The PIO transfer in progress.
  private transfer: Transfer | undefined;
  private buf = new Uint8Array(512);
  private pos = 0;
  private end = 0;
  private remaining = 0;
  private firstBlock = false;
  /** A DMA transfer waiting for the bus master to be started. */
  dmaPending: Transfer | undefined;
  dma: DmaEngine | undefined;

  constructor(
    readonly devices: [IdeDevice | undefined, IdeDevice | undefined],
    private readonly setIrq: (level: boolean) => void,
  ) {
    this.resetAll();
  }

  /** A data transfer is under way (PIO, or DMA awaiting the bus master): its bytes are in flight, not in the device's state. */
  get busy(): boolean {
    return this.transfer !== undefined || this.dmaPending !== undefined;
  }

  get selected(): IdeDevice | undefined {
    return this.devices[(this.device & DEV_SELECT) >> 4];
  }

  /** Whether the selected device is the slave. */
  get slave(): boolean {
    return (this.device & DEV_SELECT) !== 0;
  }

  private get empty(): boolean {
    return !this.devices[0] && !this.devices[1];
  }

  /** Hardware reset (and the end of SRST): both devices reset, device 0 selected. */
  resetAll(): void {
    this.transfer = undefined;
    this.dmaPending = undefined;
    this.end = this.pos = 0;
    this.device = 0;
    this.feature = this.hobFeature = 0;
    for (let k = 1; k >= 0; k--) {
      this.device = k << 4;
      this.devices[k]?.reset(this);
    }
    this.device = 0;
    this.setIntrq(false);
  }

  // ---- interrupts --------------------------------------------------------

  /** Assert INTRQ (a command or data block completed). */
  raiseIrq(): void {
    this.dma?.interrupted();
    this.setIntrq(true);
  }

  private setIntrq(level: boolean): void {
    this.intrq = level;
    const line = level && !(this.control & CTL_NIEN);
    if (line !== this.line) {
      this.line = line;
      this.setIrq(line);
    }
  }

  // ---- what devices use ----------------------------------------------------

  /** 28-bit LBA, or CHS through `chs` when the device register's LBA bit is clear. */
  lba28(chs: (cyl: number, head: number, sector: number) => number): number {
    if (this.device & DEV_LBA) return ((this.device & 0x0f) << 24) | (this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow;
    return chs((this.lbaHigh << 8) | this.lbaMid, this.device & 0x0f, this.lbaLow);
  }

  lba48(): number {
    return (this.hobLbaHigh * 2 ** 40 + this.hobLbaMid * 2 ** 32 + this.hobLbaLow * 2 ** 24) + ((this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow);
  }

  /** A device's signature in the task file after a reset or diagnostic (ATA 0/0, ATAPI 0x14/0xEB); diagnostics passed. */
  signature(dev: IdeDevice, mid: number, high: number): void {
    this.count = 1;
    this.lbaLow = 1;
    this.lbaMid = mid;
    this.lbaHigh = high;
    this.device &= DEV_SELECT;
    dev.error = 0x01;
  }

  /** Put a 28- or 48-bit address back in the task file (the sector where a command stopped). */
  setLba(lba: number, ext: boolean): void {
    this.lbaLow = lba & 0xff;
    this.lbaMid = (lba >>> 8) & 0xff;
    this.lbaHigh = (lba >>> 16) & 0xff;
    if (ext) {
      const hi = Math.floor(lba / 2 ** 24);
      this.hobLbaLow = hi & 0xff;
      this.hobLbaMid = (hi >>> 8) & 0xff;
      this.hobLbaHigh = (hi >>> 16) & 0xff;
    } else if (this.device & DEV_LBA) {
      this.device = (this.device & 0xf0) | ((lba >>> 24) & 0x0f);
    }
  }

  /** End a command: the device's status (and error), with the completion interrupt. */
  complete(dev: IdeDevice, status: number, error = 0): void {
    this.transfer = undefined;
    this.end = this.pos = 0;
    dev.status = status;
    dev.error = error;
    this.raiseIrq();
  }

  /** Start a PIO transfer: reads offer their first block with an interrupt; writes ask for theirs without one. */
  startPio(dev: IdeDevice, t: Transfer): void {
    this.transfer = t;
    this.remaining = t.bytes;
    this.firstBlock = true;
    this.nextBlock(dev);
  }

  /** Wait for the bus master with a DMA transfer; the device sets DRQ meanwhile. */
  startDma(dev: IdeDevice, t: Transfer): void {
    dev.status = (dev.status & ~St.ERR) | St.DRQ;
    this.dmaPending = t;
    this.dma?.request(this);
  }

  private nextBlock(dev: IdeDevice): void {
    const t = this.transfer!;
    const n = Math.min(t.block, this.remaining);
    if (this.buf.length < n) this.buf = new Uint8Array(n);
    const data = this.buf.subarray(0, n);
    if (t.toHost && !t.move(data)) {
      this.transfer = undefined;
      t.finish(false);
      return;
    }
    this.pos = 0;
    this.end = n;
    t.beginBlock?.(n);
    dev.status = (dev.status & ~(St.BSY | St.ERR)) | St.DRQ;
    if (t.toHost || !this.firstBlock) this.raiseIrq();
    this.firstBlock = false;
  }

  /** The guest moved the last byte of a block. */
  private blockDone(): void {
    const t = this.transfer!;
    const dev = this.selected!;
    const n = this.end;
    this.end = this.pos = 0;
    this.remaining -= n;
    const last = this.remaining <= 0;
    if (last) {
      this.transfer = undefined;
      dev.status &= ~St.DRQ;
    }
    // A write block goes to the device now; it may start the next command phase (an ATAPI packet does).
    if (!t.toHost && !t.move(this.buf.subarray(0, n))) {
      this.transfer = undefined;
      t.finish(false);
      return;
    }
    if (last) t.finish(true);
    else this.nextBlock(dev);
  }

  /** Take a command packet of `bytes` by PIO data-out (no interrupt), for the device's packet(). */
  receivePacket(dev: IdeDevice, bytes: number): void {
    this.startPio(dev, {
      toHost: false,
      bytes,
      block: bytes,
      move: (data) => {
        dev.packet?.(this, data.slice());
        return true;
      },
      finish: () => {},
    });
  }

  // ---- the data port -------------------------------------------------------

  private readData(bytes: number): number {
    if (this.pos >= this.end || !this.transfer?.toHost) return 0;
    let v = 0;
    for (let k = 0; k < bytes && this.pos < this.end; k++) v |= this.buf[this.pos++] << (8 * k);
    if (this.pos >= this.end) this.blockDone();
    return v;
  }

  private writeData(bytes: number, value: number): void {
    if (this.pos >= this.end || !this.transfer || this.transfer.toHost) return;
    for (let k = 0; k < bytes && this.pos < this.end; k++) this.buf[this.pos++] = (value >>> (8 * k)) & 0xff;
    if (this.pos >= this.end) this.blockDone();
  }

  // ---- port access ---------------------------------------------------------

  /** Command block register `reg` (0–7). */
  readRegister(reg: number): number {
    if (this.empty) return 0xff;
    const dev = this.selected;
    const hob = (this.control & CTL_HOB) !== 0;
    switch (reg) {
      case REG_ERROR:
        return hob ? this.hobFeature : (dev?.error ?? 0);
      case REG_COUNT:
        return hob ? this.hobCount : this.count;
      case REG_LBA_LOW:
        return hob ? this.hobLbaLow : this.lbaLow;
      case REG_LBA_MID:
        return hob ? this.hobLbaMid : this.lbaMid;
      case REG_LBA_HIGH:
        return hob ? this.hobLbaHigh : this.lbaHigh;
      case REG_DEVICE:
        return this.device;
      case REG_STATUS:
        if (!dev) return 0;
        this.setIntrq(false);
        return dev.status;
      default:
        return this.readData(1);
    }
  }

  writeRegister(reg: number, value: number): void {
    if (this.control & CTL_SRST) return;
    // A write to the command block clears HOB.
    this.control &= ~CTL_HOB;
    switch (reg) {
      case REG_ERROR:
        this.hobFeature = this.feature;
        this.feature = value;
        return;
      case REG_COUNT:
        this.hobCount = this.count;
        this.count = value;
        return;
      case REG_LBA_LOW:
        this.hobLbaLow = this.lbaLow;
        this.lbaLow = value;
        return;
      case REG_LBA_MID:
        this.hobLbaMid = this.lbaMid;
        this.lbaMid = value;
        return;
      case REG_LBA_HIGH:
        this.hobLbaHigh = this.lbaHigh;
        this.lbaHigh = value;
        return;
      case REG_DEVICE:
        this.device = value;
        return;
      case REG_STATUS: {
        const dev = this.selected;
        if (!dev) return;
        // A new command ends whatever transfer was in progress and clears a pending interrupt.
        this.transfer = undefined;
        this.dmaPending = undefined;
        this.end = this.pos = 0;
        this.setIntrq(false);
        dev.error = 0;
        dev.command(this, value);
        return;
      }
      default:
        this.writeData(1, value);
    }
  }

  /** Alternate status: the status without clearing the interrupt. */
  readAltStatus(): number {
    if (this.empty) return 0xff;
    return this.selected?.status ?? 0;
  }

  writeControl(value: number): void {
    const was = this.control;
    this.control = value;
    if (was & CTL_SRST && !(value & CTL_SRST)) this.resetAll();
    else if (value & CTL_SRST && !(was & CTL_SRST)) {
      this.transfer = undefined;
      this.dmaPending = undefined;
      for (const d of this.devices) if (d) d.status = St.BSY;
    }
    this.setIntrq(this.intrq);
  }

  /** Port device for the command block (register at base, 8 ports). */
  readonly commandBlock: PortDevice = {
    read8: (port) => this.readRegister(port & 7),
    write8: (port, v) => this.writeRegister(port & 7, v),
    read16: (port) => ((port & 7) === REG_DATA ? (this.empty ? 0xffff : this.readData(2)) : this.readRegister(port & 7) | (this.readRegister((port + 1) & 7) << 8)),
    write16: (port, v) => {
      if ((port & 7) === REG_DATA) this.writeData(2, v);
      else {
        this.writeRegister(port & 7, v & 0xff);
        this.writeRegister((port + 1) & 7, v >> 8);
      }
    },
    // The PIIX passes 32-bit data port accesses as two 16-bit transfers.
    read32: (port) => ((port & 7) === REG_DATA ? (this.empty ? -1 : this.readData(2) | (this.readData(2) << 16)) : -1),
    write32: (port, v) => {
      if ((port & 7) !== REG_DATA) return;
      this.writeData(2, v & 0xffff);
      this.writeData(2, v >>> 16);
    },
  };

  /** Port device for the control block (one port: alternate status / device control). */
  readonly controlBlock: PortDevice = {
    read8: () => this.readAltStatus(),
    write8: (_port, v) => this.writeControl(v),
  };
}

/**
 * A transfer of whole sectors of a block backend, moved in pieces of any size
 * (PIO blocks, PRD entries): one sector buffered at a time.
 */
export class SectorTransfer implements Transfer {
  readonly bytes: number;
  private readonly sector: Uint8Array;
  private lba: number;
  private at = 0;

  constructor(
    private readonly backend: BlockBackend,
    lba: number,
    count: number,
    readonly toHost: boolean,
    readonly block: number,
    readonly finish: (ok: boolean) => void,
  ) {
    this.lba = lba;
    this.bytes = count * backend.sectorSize;
    this.sector = new Uint8Array(backend.sectorSize);
  }

  /** The sector the transfer has reached (where a medium error happened). */
  get position(): number {
    return this.lba;
  }

  move(data: Uint8Array): boolean {
    const size = this.sector.length;
    try {
      for (let k = 0; k < data.length; ) {
        if (this.toHost && this.at === 0) this.backend.read(this.lba, this.sector);
        const n = Math.min(size - this.at, data.length - k);
        if (this.toHost) data.set(this.sector.subarray(this.at, this.at + n), k);
        else this.sector.set(data.subarray(k, k + n), this.at);
        this.at += n;
        k += n;
        if (this.at === size) {
          if (!this.toHost) this.backend.write(this.lba, this.sector);
          this.at = 0;
          this.lba++;
        }
      }
    } catch (e) {
      if (e instanceof BlockIoError) return false;
      throw e;
    }
    return true;
  }
}

/** Put `text` into IDENTIFY words [at, at + words) as ATA strings are: space-padded, two characters a word, first in the high byte. */
export function identifyString(id: Uint16Array, at: number, words: number, text: string): void {
  const s = text.padEnd(2 * words, " ");
  for (let k = 0; k < words; k++) id[at + k] = (s.charCodeAt(2 * k) << 8) | s.charCodeAt(2 * k + 1);
}

/**
 * IDENTIFY words both kinds of device fill alike: serial number, firmware
 * revision, model; DMA, LBA and IORDY; PIO modes 3–4, multiword DMA 0–2 and
 * Ultra DMA 0–5 with their cycle times; device 0 passed diagnostics on an
 * 80-conductor cable.
 */
export function identifyCommon(serial: string, model: string): Uint16Array {
  const id = new Uint16Array(256);
  identifyString(id, 10, 10, serial);
  identifyString(id, 23, 4, "1.0");
  identifyString(id, 27, 20, model);
  id[49] = 0x0b00;
  id[53] = 0x0007;
  id[63] = 0x0007;
  id[64] = 0x0003;
  id[65] = id[66] = id[67] = id[68] = 120;
  id[84] = 0x4000;
  id[87] = 0x4000;
  id[88] = 0x003f;
  id[93] = 0x6001;
  return id;
}

/** Word 255: the integrity signature 0xA5 and a checksum making all 512 bytes sum to zero. */
export function identifyChecksum(id: Uint16Array): Uint8Array {
  id[255] = 0xa5;
  const bytes = new Uint8Array(id.buffer, id.byteOffset, 512);
  let sum = 0;
  for (let k = 0; k < 511; k++) sum += bytes[k];
  id[255] = 0xa5 | (((256 - (sum & 0xff)) & 0xff) << 8);
  return new Uint8Array(bytes);
}

/** A transfer of bytes held in memory (IDENTIFY data, ATAPI replies). */
export function bufferTransfer(data: Uint8Array, block: number, finish: (ok: boolean) => void, beginBlock?: (n: number) => void): Transfer {
  let at = 0;
  return {
    toHost: true,
    bytes: data.length,
    block,
    move(out) {
      out.set(data.subarray(at, at + out.length));
      at += out.length;
      return true;
    },
    beginBlock,
    finish,
  };
}
