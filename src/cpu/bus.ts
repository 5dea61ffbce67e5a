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

/**
 * Registers in a window of physical addresses outside RAM (the APICs): accessed
 * at the width the instruction used, since a 32-bit register written a byte at a
 * time would act four times. `offset` is from the window's base.
 */
export interface MmioDevice {
  mmioRead(offset: number, size: 1 | 2 | 4): number;
  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void;
}

/**
 * The processor's local APIC as the core sees it: the IA32_APIC_BASE MSR and the
 * CPUID feature bit that follows its global enable.
 */
export interface LocalApicPort {
  /** IA32_APIC_BASE low and high dwords. */
  readonly baseLo: number;
  readonly baseHi: number;
  /** WRMSR IA32_APIC_BASE; false for reserved bits set (#GP). */
  writeBase(lo: number, hi: number): boolean;
  /** IA32_APIC_BASE.EN: the APIC is there for CPUID and its registers. */
  readonly enabled: boolean;
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

/** Physical memory as a bus-master device sees it (the Cpu implements it: RAM, the bus, code invalidation). */
export interface DmaBus {
  readPhysBytes(pa: number, out: Uint8Array): void;
  writePhysBytes(pa: number, data: Uint8Array): void;
}
