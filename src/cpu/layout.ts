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
/** Instruction slots skipped while halted (float64): virtual time = ICOUNT + IDLE_SLOTS. */
export const IDLE_SLOTS = 0x0f8;
/** DR0..DR7, 4 bytes each. */
export const DR_BASE = 0x100;
/** Non-zero from the delivery of an NMI until the next IRET: further NMIs wait. */
export const NMI_BLOCKED = 0x120;
/**
 * Exceptions and interrupts delivered (float64; ARCHITECTURE.md "Progress and the instruction
 * limit"): a faulting instruction does not retire, so runs are bounded by ICOUNT + DELIVERED.
 */
export const DELIVERED = 0x128;
/** Model-specific registers (src/cpu/msr.ts): TSC_OFFSET, then 8 bytes per MSR slot. */
export const MSR_BASE = 0x800;
export const MSR_SIZE = 0x200;
/** float64: TSC = ICOUNT + TSC_OFFSET (WRMSR to the TSC changes the offset). */
export const TSC_OFFSET = MSR_BASE;
/** x87 state (control/status/tag words, 8 registers) for the system layer. */
export const FPU_BASE = 0x200;
export const FPU_SIZE = 0x100;
/** FCW; FSW with TOP in bits 11..13; FTW by physical register, 11 empty and 00 in use (src/cpu/x87/fpu.ts). */
export const FPU_CW = 0x200;
export const FPU_SW = 0x204;
export const FPU_TW = 0x208;
/** Last non-control x87 instruction: offset, CS selector, 11-bit opcode; its memory operand: offset, selector. */
export const FPU_FIP = 0x20c;
export const FPU_FCS = 0x210;
export const FPU_FOP = 0x212;
export const FPU_FDP = 0x214;
export const FPU_FDS = 0x218;
/** Non-zero while an x87 error waits for IRQ 13 (CR0.NE = 0): the FERR# line, for the platform. */
export const FPU_FERR = 0x21c;
/** R0..R7 by physical number, 16 bytes each: significand low dword, high dword, sign/exponent word. */
export const FPU_REGS = 0x220;

/**
 * Per-physical-page flags. Bit 0: the interpreter's decode cache holds
 * instructions from the frame; bit 1: the JIT translated code from it (writes
 * to a frame with only these reach the code-write subscribers (codewrites.ts)
 * when they touch a chunk the code map marks); bit 2: the descriptor shadow decoded entries from it
 * (descshadow.ts); bit 3: writes to the frame do not land in RAM but go to
 * the memory bus (Cpu.mmio), as for firmware shadow RAM that the chipset keeps
 * read-only; bit 4: an external debugger watches writes to the frame;
 * bit 7: reserved for test harnesses that watch writes.
 * Bits 2, 4 and 7 make every write to the frame reach the subscribers. Any bit but
 * 0 and 1 keeps compiled stores and bulk string writes off the fast path.
 */
export const PAGE_FLAGS_BASE = 0x10000;
/** One byte per 4 KiB frame of a 4 GiB physical space. */
export const PAGE_FLAGS_SIZE = 0x100000;
export const PAGE_DECODED = 1;
export const PAGE_TRANSLATED = 2;
export const PAGE_BUS_WRITE = 8;
export const PAGE_WATCHED = 16;

/**
 * The legacy video window 0xA0000–0xBFFFF: never RAM on a PC, whatever the RAM
 * size; the VGA answers there through a register window (ARCHITECTURE.md, "Display").
 */
export const VIDEO_WINDOW = 0xa0000;
export const VIDEO_WINDOW_SIZE = 0x20000;

/**
 * Decoded descriptor shadows (system layer): the GDT's and the current LDT's
 * entries in decoded form, invalidated by guest writes to the table pages.
 */
export const SHADOW_BASE = 0x110000;
export const SHADOW_SIZE = 0xf0000;

/**
 * Software TLB (src/cpu/paging.ts), used while CR0.PG = 1. Compiled code does the
 * same lookup inline:
 *
 *   entry = i32[(TLB_ENTRIES >> 2) + (la >>> 12)]
 *   if ((entry & need) === need) pa = (entry & ~0xfff) | (la & 0xfff)
 *   else call the slow path (page walk, A/D updates, #PF)
 *
 * One int32 entry per 4 KiB linear page; 0 = no translation cached. Bits 31..12 hold
 * the physical frame (A20 mask already applied); the low bits reuse the page-table
 * bit positions:
 *
 *   TLB_P   (0x001) valid
 *   TLB_RW  (0x002) writable: R/W of the PDE AND R/W of the PTE
 *   TLB_US  (0x004) user-accessible: U/S of the PDE AND U/S of the PTE
 *   TLB_D   (0x040) the dirty bit is already set in the guest's entry; while clear a
 *                   write takes the slow path, which sets it
 *   TLB_PS  (0x080) derived from a 4 MiB page (INVLPG then drops the whole 4 MiB)
 *   TLB_G   (0x100) global (G bit with CR4.PGE): survives CR3 loads
 *   TLB_RAM (0x200) the frame is guest RAM, so u8[RAM_BASE + pa] is the byte; MMIO
 *                   frames lack it. The interpreter ignores it (readPhys/writePhys
 *                   route MMIO); compiled code adds it to `need`
 *   bits 10..11     zero outside flushTlb (bit 11 marks entries it keeps)
 *
 * `need` is built per access from the mode, never stored in entries:
 *   read:  P, plus US for a user access
 *   write: P | D, plus US | RW for a user access, plus RW for a supervisor access
 *          when CR0.WP = 1
 * A user access is CPL 3 outside implicit system accesses. Code fetches are reads.
 *
 * Flushing walks a list of the linear page numbers filled since the last flush
 * instead of the 1M entries; an INVLPG'd page may stay listed with a 0 entry.
 */
export const TLB_BASE = 0x200000;
export const TLB_SIZE = 0xa00000;
/** 1M int32 entries, indexed by linear page number. */
export const TLB_ENTRIES = TLB_BASE;
/** int32: how many linear page numbers TLB_LIST holds. */
export const TLB_COUNT = TLB_BASE + 0x400000;
/** One byte per 4 MiB of linear space: non-zero when entries from a 4 MiB page may be cached there. */
export const TLB_LARGE = TLB_BASE + 0x400400;
/** int32 linear page numbers of filled entries, up to TLB_LIST_CAPACITY. */
export const TLB_LIST = TLB_BASE + 0x401000;
export const TLB_LIST_CAPACITY = 0x100000;

export const TLB_P = 0x001;
export const TLB_RW = 0x002;
export const TLB_US = 0x004;
export const TLB_D = 0x040;
export const TLB_PS = 0x080;
export const TLB_G = 0x100;
export const TLB_RAM = 0x200;

/** Guest RAM starts here; everything below is machine state. */
export const RAM_BASE = 0x1000000;

/** Reserved for the JIT (dispatcher state, the dispatch hash). */
export const JIT_BASE = 0xc00000;
export const JIT_SIZE = 0x50000;

/**
 * The code map: one bit per chunk of guest RAM (64 bytes, larger when RAM is too
 * big for the map) that holds instruction bytes some engine decoded or
 * translated (src/cpu/codemap.ts). Writes to a code page outside these chunks
 * are plain data writes: nothing is invalidated and compiled stores stay inline.
 */
export const CODE_MAP = JIT_BASE + JIT_SIZE;
export const CODE_MAP_BYTES = RAM_BASE - CODE_MAP;

/** log2 of the code map's chunk size for `ramBytes` of RAM: 64 bytes unless the map would overflow. */
export function codeChunkShift(ramBytes: number): number {
  let shift = 6;
  while (ramBytes / (1 << shift) / 8 > CODE_MAP_BYTES) shift++;
  return shift;
}


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
