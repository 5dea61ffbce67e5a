/**
 * The VGA's PCI function, as QEMU's stdvga presents it (vendor 1234, device
 * 1111: what SeaBIOS and its vgabios-stdvga recognise): BAR0 is the linear
 * framebuffer (prefetchable memory, the whole video memory), and the expansion
 * ROM BAR holds the VGA BIOS, which SeaBIOS copies to 0xC0000 and runs.
 * Decoding follows the command register's memory space bit and the ROM BAR's
 * enable bit; the legacy ports and window answer whatever the command register
 * says, as on QEMU.
 */
import type { Cpu } from "../cpu/cpu.js";
import type { MmioDevice } from "../cpu/bus.js";
import { PciConfigSpace } from "./pci.js";
import type { StateTable } from "./state.js";
import { VRAM_BYTES, type Vga } from "./vga.js";

const COMMAND = 0x04;
const CMD_MEMORY = 0x02;
const BAR0 = 0x10;
const ROM_BAR = 0x30;
const ROM_ENABLE = 1;
/** QEMU puts its VGA at bus 0, device 2. */
export const VGA_PCI_DEVICE = 2;

export class VgaPci {
  /** The configuration bytes are the PCI host's to save (its functions); the ROM is this function's. */
  static readonly STATE: StateTable = { fields: ["rom"], wiring: ["config", "romWindow", "cpu", "vga"] };
  readonly config = new PciConfigSpace();
  private rom: Uint8Array = new Uint8Array(0);
  private readonly romWindow: MmioDevice = {
    mmioRead: (offset, size) => {
      let v = 0;
      for (let k = 0; k < size; k++) v |= (offset + k < this.rom.length ? this.rom[offset + k] : 0xff) << (8 * k);
      return v;
    },
    mmioWrite: () => {},
  };

  constructor(
    private readonly cpu: Cpu,
    private readonly vga: Vga,
  ) {
    const s = this.config;
    s.define(0x00, 2, 0x1234);
    s.define(0x02, 2, 0x1111);
    s.define(COMMAND, 2, 0x0000, 0x0003);
    // Revision 2, class 03 (display) subclass 00 (VGA).
    s.define(0x08, 4, 0x03000002);
    s.define(0x0d, 1, 0x00, 0xf8);
    // Memory, 32-bit, prefetchable; the writable bits give its size.
    s.define(BAR0, 4, 0x00000008, -VRAM_BYTES);
    s.define(0x2c, 2, 0x1af4);
    s.define(0x2e, 2, 0x1100);
    s.define(ROM_BAR, 4, 0, 0);
    s.onWrite = () => this.remap();
  }

  /** Put a VGA BIOS in the ROM BAR (its size rounded up to a power of two, at least 2 KiB). */
  setRom(rom: Uint8Array): void {
    this.rom = rom;
    this.config.define(ROM_BAR, 4, 0, this.romMask());
    this.remap();
  }

  /** The ROM BAR's writable bits: its size rounded up to a power of two, at least 2 KiB, and the enable bit. */
  private romMask(): number {
    if (this.rom.length === 0) return 0;
    let size = 0x800;
    while (size < this.rom.length) size *= 2;
    return -size | ROM_ENABLE;
  }

  /** After a snapshot put the ROM back (the PCI host restores the BARs): its BAR's size bits, and the mappings. */
  restored(): void {
    const mask = this.romMask();
    for (let k = 0; k < 4; k++) this.config.writable[ROM_BAR + k] = (mask >>> (8 * k)) & 0xff;
    this.remap();
  }

  /** Map the framebuffer and the ROM where their BARs say, when memory decoding is on. */
  private remap(): void {
    const b = this.config.bytes;
    const read32 = (at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
    const memory = (b[COMMAND] & CMD_MEMORY) !== 0;
    const lfb = read32(BAR0) & ~0xf;
    this.cpu.mapMmio(this.vga.linear, lfb, memory && lfb !== 0 ? VRAM_BYTES : 0);
    const rom = read32(ROM_BAR);
    const romBase = (rom & ~0x7ff) >>> 0;
    this.cpu.mapMmio(this.romWindow, romBase, memory && rom & ROM_ENABLE && romBase !== 0 && this.rom.length ? this.rom.length : 0);
  }

  reset(): void {
    this.config.define(COMMAND, 2, 0x0000, 0x0003);
    this.config.define(BAR0, 4, 0x00000008, -VRAM_BYTES);
    const romMask = this.config.writable[ROM_BAR] | (this.config.writable[ROM_BAR + 1] << 8) | (this.config.writable[ROM_BAR + 2] << 16) | (this.config.writable[ROM_BAR + 3] << 24);
    this.config.define(ROM_BAR, 4, 0, romMask);
    this.remap();
  }
}
