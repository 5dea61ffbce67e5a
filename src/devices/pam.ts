/**
 * The 440FX's Programmable Attribute Map: the legacy BIOS area 0xC0000–0xFFFFF,
 * where each segment (0xF0000 as one 64 KiB segment, 0xC0000–0xEFFFF in twelve
 * of 16 KiB) reads from shadow RAM or from the PCI bus, and writes to shadow RAM
 * or to the PCI bus, as its PAM register says (host bridge registers 0x59–0x5F:
 * bit 0/4 read enable, bit 1/5 write enable, low nibble for the lower segment;
 * PAM0's low nibble is reserved). On the PCI side, 0xE0000–0xFFFFF decodes the
 * last 128 KiB of the BIOS flash; 0xC0000–0xDFFFF floats.
 *
 * The guest's RAM at 0xC0000–0xFFFFF in the one memory always holds what reads
 * return ("Shadow RAM and the PAM registers" in ARCHITECTURE.md): a segment read
 * from the bus shows the flash there and keeps its shadow RAM aside in `hidden`,
 * so code fetches and data reads stay on the fast paths of both engines.
 * Frames whose writes do not simply land in what reads return carry
 * PAGE_BUS_WRITE; the CPU sends those writes here.
 */
import type { MemoryBus } from "../cpu/bus.js";
import type { Cpu } from "../cpu/cpu.js";
import { PAGE_BUS_WRITE, PAGE_FLAGS_BASE, RAM_BASE } from "../cpu/layout.js";
import type { StateTable } from "./state.js";

export const PAM_BASE = 0xc0000;
export const PAM_END = 0x100000;
/** First PAM register in the host bridge's configuration space. */
export const PAM_REGISTER = 0x59;
export const PAM_REGISTERS = 7;
/** Where the flash's last bytes appear below 1 MiB when a segment reads from the bus. */
const FLASH_WINDOW = 0xe0000;

const RE = 1;
const WE = 2;

/** Segment `k`: 0 is 0xF0000–0xFFFFF, 1–12 are 16 KiB from 0xC0000. */
function segmentStart(k: number): number {
  return k === 0 ? 0xf0000 : PAM_BASE + (k - 1) * 0x4000;
}
function segmentSize(k: number): number {
  return k === 0 ? 0x10000 : 0x4000;
}

export class PamShadow implements MemoryBus {
  static readonly STATE: StateTable = { fields: ["hidden", "attrs"], wiring: ["cpu", "flash", "next"] };
  /** Shadow RAM of segments whose reads go to the bus. */
  private readonly hidden = new Uint8Array(PAM_END - PAM_BASE);
  /** RE/WE per segment. */
  private readonly attrs = new Uint8Array(13).fill(0xff);

  /**
   * `flash` is the BIOS image (its last 128 KiB, or all of a smaller one, appear
   * below 1 MiB); `next` takes every other address.
   */
  constructor(
    private readonly cpu: Cpu,
    private readonly flash: Uint8Array,
    private readonly next: MemoryBus,
  ) {
    if (cpu.ramBytes < PAM_END) throw new RangeError("the PAM needs guest RAM up to 1 MiB");
    this.reset();
  }

  /** Power-on: every segment reads and writes the bus (the flash); shadow RAM keeps its contents. */
  reset(): void {
    for (let k = 0; k < 13; k++) this.setSegment(k, 0);
  }

  /** The value of PAM register `n` (0–6) as the host bridge holds it. */
  register(n: number): number {
    if (n === 0) return this.attrs[0] << 4;
    return this.attrs[2 * n - 1] | (this.attrs[2 * n] << 4);
  }

  /** The guest wrote PAM register `n`. */
  writeRegister(n: number, value: number): void {
    if (n === 0) {
      this.setSegment(0, (value >> 4) & 3);
      return;
    }
    this.setSegment(2 * n - 1, value & 3);
    this.setSegment(2 * n, (value >> 4) & 3);
  }

  private busByte(pa: number): number {
    const off = this.flash.length - (PAM_END - pa);
    return pa >= FLASH_WINDOW && off >= 0 ? this.flash[off] : 0xff;
  }

  private setSegment(k: number, attr: number): void {
    const old = this.attrs[k];
    if (old === attr) return;
    const start = segmentStart(k);
    const size = segmentSize(k);
    const u8 = this.cpu.u8;
    const view = RAM_BASE + start;
    const wasRam = old !== 0xff && (old & RE) !== 0;
    const isRam = (attr & RE) !== 0;
    if (old === 0xff) this.hidden.set(u8.subarray(view, view + size), start - PAM_BASE);
    if (wasRam !== isRam || old === 0xff) {
      if (wasRam) this.hidden.set(u8.subarray(view, view + size), start - PAM_BASE);
      if (isRam) u8.set(this.hidden.subarray(start - PAM_BASE, start - PAM_BASE + size), view);
      else for (let pa = start; pa < start + size; pa++) u8[RAM_BASE + pa] = this.busByte(pa);
      this.cpu.codeWrites.changed(start, size);
    }
    this.attrs[k] = attr;
    this.markBusWrites(k);
  }

  private markBusWrites(k: number): void {
    const start = segmentStart(k);
    const size = segmentSize(k);
    const u8 = this.cpu.u8;
    const busWrite = this.attrs[k] !== (RE | WE);
    for (let f = start >>> 12; f < (start + size) >>> 12; f++) {
      u8[PAGE_FLAGS_BASE + f] = busWrite ? u8[PAGE_FLAGS_BASE + f] | PAGE_BUS_WRITE : u8[PAGE_FLAGS_BASE + f] & ~PAGE_BUS_WRITE;
    }
  }

  /** After a snapshot is restored (RAM holds what reads return): the frames whose writes go to the bus. */
  restored(): void {
    for (let k = 0; k < 13; k++) this.markBusWrites(k);
  }

  private segmentOf(pa: number): number {
    return pa >= 0xf0000 ? 0 : ((pa - PAM_BASE) >>> 14) + 1;
  }

  read8(pa: number): number {
    return this.next.read8(pa);
  }

  write8(pa: number, value: number): void {
    if (pa < PAM_BASE || pa >= PAM_END) {
      this.next.write8(pa, value);
      return;
    }
    // Writes to the bus reach the flash, which ignores them.
    if (this.attrs[this.segmentOf(pa)] === WE) this.hidden[pa - PAM_BASE] = value;
  }
}
