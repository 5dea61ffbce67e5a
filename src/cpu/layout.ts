/**
 * Fixed byte offsets of everything that lives in the one WebAssembly.Memory.
 *
 * The interpreter reads and writes these through typed-array views; compiled code
 * loads and stores the same bytes. Offsets are part of the contract between
 * `src/` and `jit/`: changing one changes both engines. ARCHITECTURE.md documents
 * the same map.
 */

/** CPU state block: registers, segment caches, control registers, counters. */
export const STATE_BASE = 0;
export const STATE_SIZE = 0x1000;

/** General registers in ModRM encoding order: EAX ECX EDX EBX ESP EBP ESI EDI. */
export const REG_BASE = 0x000;
export const EIP = 0x020;
/** Stored EFLAGS bits; arithmetic bits named in LAZY_MASK are derived from the lazy fields instead. */
export const EFLAGS = 0x024;
export const LAZY_MASK = 0x028;
export const LAZY_OP = 0x02c;
export const LAZY_A = 0x030;
export const LAZY_B = 0x034;
export const LAZY_RES = 0x038;
export const LAZY_SIZE = 0x03c;

/** Segment registers in SDM Sreg encoding order: ES CS SS DS FS GS. */
export const SEG_SEL = 0x040;
export const SEG_BASE = 0x058;
export const SEG_LIMIT = 0x070;
/** Descriptor bits 40..55 (access byte in 0..7, AVL/L/DB/G in 12..15). */
export const SEG_ATTR = 0x088;

export const GDTR_BASE = 0x0a0;
export const GDTR_LIMIT = 0x0a4;
export const IDTR_BASE = 0x0a8;
export const IDTR_LIMIT = 0x0ac;
export const LDTR_SEL = 0x0b0;
export const LDTR_BASE = 0x0b4;
export const LDTR_LIMIT = 0x0b8;
export const LDTR_ATTR = 0x0bc;
export const TR_SEL = 0x0c0;
export const TR_BASE = 0x0c4;
export const TR_LIMIT = 0x0c8;
export const TR_ATTR = 0x0cc;

/** CR0..CR4, 4 bytes each (CR1 is reserved and reads as 0). */
export const CR_BASE = 0x0d0;
export const CPL = 0x0e4;
/** Non-zero while the CPU is halted (HLT) waiting for an interrupt. */
export const HALTED = 0x0e8;
/** Non-zero for one instruction after STI / MOV SS / POP SS: external interrupts and traps wait. */
export const INTERRUPT_SHADOW = 0x0ec;
/** Retired-instruction counter, a float64 (exact to 2^53). */
export const ICOUNT = 0x0f0;
/** DR0..DR7, 4 bytes each. */
export const DR_BASE = 0x100;
/** x87 state (control/status/tag words, 8 registers) for the system layer. */
export const FPU_BASE = 0x200;
export const FPU_SIZE = 0x100;

/** Per-physical-page flags: bit 0 = page holds decoded or translated code. */
export const PAGE_FLAGS_BASE = 0x10000;
/** One byte per 4 KiB frame of a 4 GiB physical space. */
export const PAGE_FLAGS_SIZE = 0x100000;

/**
 * Decoded descriptor shadows (system layer): the GDT's and the current LDT's
 * entries in decoded form, invalidated by guest writes to the table pages.
 */
export const SHADOW_BASE = 0x110000;
export const SHADOW_SIZE = 0xf0000;

/** Software TLB and paging structures (system layer). */
export const TLB_BASE = 0x200000;
export const TLB_SIZE = 0xa00000;

/** Reserved for the JIT (dispatcher state, region counters). */
export const JIT_BASE = 0xc00000;
export const JIT_SIZE = 0x400000;

/** Guest RAM starts here; everything below is machine state. */
export const RAM_BASE = 0x1000000;

export const WASM_PAGE = 0x10000;

/** Bytes of WebAssembly.Memory needed for `ramBytes` of guest RAM. */
export function memoryBytesFor(ramBytes: number): number {
  return RAM_BASE + Math.ceil(ramBytes / WASM_PAGE) * WASM_PAGE;
}

export const enum Reg {
  EAX = 0,
  ECX = 1,
  EDX = 2,
  EBX = 3,
  ESP = 4,
  EBP = 5,
  ESI = 6,
  EDI = 7,
}

export const enum Sreg {
  ES = 0,
  CS = 1,
  SS = 2,
  DS = 3,
  FS = 4,
  GS = 5,
}
