/**
 * The PC memory map the direct loaders report (Linux's e820, multiboot's mmap):
 * conventional memory, the EBDA and the BIOS area (where the MP tables are) as
 * reserved, and all RAM above 1 MiB.
 */

export const enum MemoryType {
  RAM = 1,
  RESERVED = 2,
}

/** [base, length, type] ranges in address order. */
export function pcMemoryMap(ramBytes: number): [number, number, MemoryType][] {
  return [
    [0, 0x9fc00, MemoryType.RAM],
    [0x9fc00, 0x400, MemoryType.RESERVED],
    [0xf0000, 0x10000, MemoryType.RESERVED],
    [0x100000, Math.max(0, ramBytes - 0x100000), MemoryType.RAM],
  ];
}
