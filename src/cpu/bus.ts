/** Port I/O as the CPU sees it. The platform installs devices behind it. */
export interface PortBus {
  in8(port: number): number;
  in16(port: number): number;
  in32(port: number): number;
  out8(port: number, value: number): void;
  out16(port: number, value: number): void;
  out32(port: number, value: number): void;
}

/** Physical addresses outside RAM (ROM, MMIO). Byte-wide; wider accesses are split. */
export interface MemoryBus {
  read8(pa: number): number;
  write8(pa: number, value: number): void;
}

/** A bus with nothing on it: reads float high, writes vanish; both are counted. */
export class EmptyBus implements PortBus, MemoryBus {
  unhandledReads = 0;
  unhandledWrites = 0;
  in8(): number {
    this.unhandledReads++;
    return 0xff;
  }
  in16(): number {
    this.unhandledReads++;
    return 0xffff;
  }
  in32(): number {
    this.unhandledReads++;
    return -1;
  }
  out8(): void {
    this.unhandledWrites++;
  }
  out16(): void {
    this.unhandledWrites++;
  }
  out32(): void {
    this.unhandledWrites++;
  }
  read8(): number {
    this.unhandledReads++;
    return 0xff;
  }
  write8(): void {
    this.unhandledWrites++;
  }
}
