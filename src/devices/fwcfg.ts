/**
 * The QEMU firmware configuration interface (fw_cfg) on its x86 ports, the
 * interface SeaBIOS reads to learn the machine it runs on: a 16-bit selector at
 * 0x510, a byte-wide data port at 0x511 that reads the selected item from its
 * start on, and the DMA interface whose descriptor address is written big-endian
 * to 0x514 (high dword) and 0x518 (low dword; writing it starts the transfer).
 * Reading 0x514–0x51B gives the DMA signature "QEMU CFG".
 *
 * Items are numbered (the legacy ones: signature, feature bits, RAM size, CPU
 * counts, ...) or named files listed in the directory at 0x19, numbered from
 * 0x20 in the order added (QEMU sorts them by name; SeaBIOS looks them up by name).
 * Reads past an item's end, and of items that do not exist, give 0.
 */
import type { DmaBus } from "../cpu/bus.js";
import type { PortDevice } from "./portbus.js";
import type { StateTable } from "./state.js";

export const FW_CFG_PORT_SEL = 0x510;
export const FW_CFG_PORT_DATA = 0x511;
export const FW_CFG_PORT_DMA = 0x514;

export const enum FwCfgItem {
  SIGNATURE = 0x00,
  ID = 0x01,
  UUID = 0x02,
  RAM_SIZE = 0x03,
  NOGRAPHIC = 0x04,
  NB_CPUS = 0x05,
  NUMA = 0x0d,
  BOOT_MENU = 0x0e,
  MAX_CPUS = 0x0f,
  FILE_DIR = 0x19,
  FILE_FIRST = 0x20,
  ACPI_TABLES = 0x8000,
  SMBIOS_ENTRIES = 0x8001,
  IRQ0_OVERRIDE = 0x8002,
  E820_TABLE = 0x8003,
}

/** Feature bits of the ID item: the port interface, and DMA. */
const ID_TRADITIONAL = 1;
const ID_DMA = 2;
const FILE_NAME_BYTES = 56;
const DMA_SIGNATURE = new TextEncoder().encode("QEMU CFG");

// DMA control word bits (big-endian in the descriptor).
const DMA_ERROR = 1;
const DMA_READ = 2;
const DMA_SKIP = 4;
const DMA_SELECT = 8;
const DMA_WRITE = 0x10;

export function le16(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >> 8) & 0xff);
}
export function le32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
export function le64(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

export class FwCfg implements PortDevice {
  static readonly STATE: StateTable = { fields: ["selected", "offset", "dmaHigh"], wiring: ["items", "files", "dma"] };
  private readonly items = new Map<number, Uint8Array>();
  private readonly files: { name: string; select: number }[] = [];
  private selected: Uint8Array | undefined;
  private offset = 0;
  private dmaHigh = 0;

  /** `dma`: guest memory for the DMA interface; without it only the ports are offered. */
  constructor(private readonly dma?: DmaBus) {
    this.items.set(FwCfgItem.SIGNATURE, new TextEncoder().encode("QEMU"));
    this.items.set(FwCfgItem.ID, le32(ID_TRADITIONAL | (dma ? ID_DMA : 0)));
    this.updateDirectory();
  }

  /** Set a numbered item. */
  setItem(key: number, data: Uint8Array): void {
    this.items.set(key, data);
  }

  /** Add (or replace) a named file. */
  addFile(name: string, data: Uint8Array): void {
    if (new TextEncoder().encode(name).length >= FILE_NAME_BYTES) throw new RangeError(`fw_cfg file name too long: ${name}`);
    let f = this.files.find((x) => x.name === name);
    if (!f) {
      f = { name, select: FwCfgItem.FILE_FIRST + this.files.length };
      this.files.push(f);
    }
    this.items.set(f.select, data);
    this.updateDirectory();
  }

  /** The file directory: a big-endian count, then size, selector and name of each file. */
  private updateDirectory(): void {
    const dir = new Uint8Array(4 + 64 * this.files.length);
    const v = new DataView(dir.buffer);
    v.setUint32(0, this.files.length);
    this.files.forEach((f, k) => {
      const at = 4 + 64 * k;
      v.setUint32(at, this.items.get(f.select)?.length ?? 0);
      v.setUint16(at + 4, f.select);
      dir.set(new TextEncoder().encode(f.name), at + 8);
    });
    this.items.set(FwCfgItem.FILE_DIR, dir);
  }

  /** Deselect, as at reset. */
  reset(): void {
    this.select(0);
    this.dmaHigh = 0;
  }

  private select(key: number): void {
    this.selected = this.items.get(key);
    this.offset = 0;
  }

  private nextByte(): number {
    const s = this.selected;
    return s && this.offset < s.length ? s[this.offset++] : 0;
  }

  read8(port: number): number {
    if (port === FW_CFG_PORT_DATA) return this.nextByte();
    if (port >= FW_CFG_PORT_DMA && port < FW_CFG_PORT_DMA + 8 && this.dma) return DMA_SIGNATURE[port - FW_CFG_PORT_DMA];
    return 0;
  }
  read16(port: number): number {
    return this.read8(port) | (this.read8(port + 1) << 8);
  }
  read32(port: number): number {
    if (port === FW_CFG_PORT_DMA || port === FW_CFG_PORT_DMA + 4) {
      // The signature reads as a big-endian quantity: its first byte in the most significant position.
      let v = 0;
      for (let k = 0; k < 4; k++) v = (v << 8) | this.read8(port + k);
      return v;
    }
    return this.read16(port) | (this.read16(port + 2) << 16);
  }

  write8(port: number, value: number): void {
    // A byte write to the selector port selects as QEMU's does (the high byte zero).
    if (port === FW_CFG_PORT_SEL) this.select(value);
  }
  write16(port: number, value: number): void {
    if (port === FW_CFG_PORT_SEL) this.select(value);
  }
  write32(port: number, value: number): void {
    if (!this.dma) return;
    // The address is written big-endian: the dword's bytes swapped.
    const be = (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
    if (port === FW_CFG_PORT_DMA) this.dmaHigh = be;
    else if (port === FW_CFG_PORT_DMA + 4) {
      if (this.dmaHigh === 0) this.runDma(be);
      this.dmaHigh = 0;
    }
  }

  /** One DMA descriptor: control, length and address, all big-endian; control is cleared (or ERROR) when done. */
  private runDma(at: number): void {
    const dma = this.dma!;
    const desc = new Uint8Array(16);
    dma.readPhysBytes(at, desc);
    const v = new DataView(desc.buffer);
    const control = v.getUint32(0);
    const length = v.getUint32(4);
    const high = v.getUint32(8);
    const address = v.getUint32(12);
    if (control & DMA_SELECT) this.select(control >>> 16);
    let status = 0;
    if (high !== 0 || control & DMA_WRITE) status = DMA_ERROR;
    else if (control & (DMA_READ | DMA_SKIP)) {
      const out = new Uint8Array(length);
      for (let k = 0; k < length; k++) out[k] = this.nextByte();
      if (control & DMA_READ) dma.writePhysBytes(address, out);
    }
    dma.writePhysBytes(at, le32(status === 0 ? 0 : (DMA_ERROR << 24) >>> 0));
  }
}
