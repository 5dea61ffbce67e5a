/**
 * The JIT's part of the one memory (JIT_BASE .. JIT_BASE + JIT_SIZE) and its
 * page-flag bit. Compiled code and runtime/ read and write exactly these bytes.
 *
 *   JIT_BUDGET     i32   instructions compiled code may retire before returning
 *   JIT_STATUS     i32   set by helpers, cleared by the engine before each region run:
 *                        STATUS_EXIT  leave at the next instruction boundary (a write
 *                                     hit translated code, a device was touched)
 *                        STATUS_FAULT the access faulted: leave now; the helper has
 *                                     set EIP and the count to the faulting instruction
 *   CHUNK_MAP      bits  one bit per chunk of guest RAM that holds translated code
 *
 * Which parts of a page hold translated code is tracked per chunk (64 bytes, or
 * larger when RAM is too big for the map) so that stores to data on a code page
 * stay on the inline fast path and invalidate nothing.
 */
import { JIT_BASE, JIT_SIZE } from "../src/cpu/layout.js";

/** PAGE_FLAGS bit: the physical frame holds translated code (bit 0 is the decode cache, bit 2 descriptor tables). */
export const PAGE_JIT = 2;

export const JIT_BUDGET = JIT_BASE;
export const JIT_STATUS = JIT_BASE + 4;
export const STATUS_EXIT = 1;
export const STATUS_FAULT = 2;
export const CHUNK_MAP = JIT_BASE + 0x10000;
export const CHUNK_MAP_BYTES = JIT_SIZE - 0x10000;

/** log2 of the chunk size for a machine with `ramBytes` of RAM: 64 bytes unless the map would overflow. */
export function chunkShiftFor(ramBytes: number): number {
  let shift = 6;
  while (ramBytes / (1 << shift) / 8 > CHUNK_MAP_BYTES) shift++;
  return shift;
}
