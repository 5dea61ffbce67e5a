/**
 * Raw ROM images for guests that start from the reset vector: the image is
 * mapped so that it ends at the top of the first megabyte (copied into RAM there,
 * as a BIOS is shadowed) and at the top of the 4 GiB address space, where the
 * CPU's first fetch at 0xFFFFFFF0 finds it.
 */
import type { MemoryBus } from "../cpu/bus.js";
import type { Cpu } from "../cpu/cpu.js";
import { RAM_BASE } from "../cpu/layout.js";
import { BootError } from "./errors.js";

export const ROM_MAX = 0x100000;

/** True when `image` looks like a ROM: a power-of-two size from 4 KiB to 1 MiB. */
export function isRomImage(image: Uint8Array): boolean {
  const n = image.length;
  return n >= 0x1000 && n <= ROM_MAX && (n & (n - 1)) === 0;
}

/** Reads of the high ROM window; everything else on the bus floats. */
class HighRom implements MemoryBus {
  constructor(
    private readonly rom: Uint8Array,
    private readonly base: number,
    private readonly next: MemoryBus,
  ) {}
  read8(pa: number): number {
    const off = pa - this.base;
    return off >= 0 && off < this.rom.length ? this.rom[off] : this.next.read8(pa);
  }
  write8(pa: number, value: number): void {
    if (pa < this.base) this.next.write8(pa, value);
  }
}

/** Map `image` so that it ends at the top of the 4 GiB physical space, in front of the CPU's memory bus. */
export function mapHighRom(cpu: Cpu, image: Uint8Array): void {
  cpu.mmio = new HighRom(image.slice(), 0x100000000 - image.length, cpu.mmio);
}

export function loadRom(cpu: Cpu, image: Uint8Array): void {
  if (!isRomImage(image)) throw new BootError(`a ROM image must be a power of two from 4 KiB to 1 MiB in size (got ${image.length} bytes)`);
  if (cpu.ramBytes < 0x100000) throw new BootError("a ROM image needs at least 1 MiB of guest RAM");
  cpu.u8.set(image, RAM_BASE + 0x100000 - image.length);
  mapHighRom(cpu, image);
  cpu.reset();
}
