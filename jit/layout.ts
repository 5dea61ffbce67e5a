/**
 * The JIT's part of the one memory (JIT_BASE .. JIT_BASE + JIT_SIZE) and its
 * page-flag bit. Compiled code, the dispatcher and runtime/ read and write
 * exactly these bytes.
 *
 *   JIT_BUDGET     i32   instructions compiled code may still retire; regions
 *                        subtract what they retired when they leave
 *   JIT_STATUS     i32   set by helpers, cleared by the engine before each dispatch:
 *                        STATUS_EXIT  leave at the next instruction boundary (a write
 *                                     hit translated code, a device was touched)
 *   JIT_CONTEXT    i32   the context id (mode key, CS base and limit) the dispatcher
 *                        looks regions up under, set by the engine
 *   JIT_A20        i32   the A20 address mask, for the dispatcher without paging
 *   JIT_LAST       i32   table index and entry of the region the dispatcher ran last
 *   JIT_CHAIN      i32   regions the dispatcher may still run before it returns
 *   JIT_RUNS       f64   region functions the dispatcher has called (a statistic)
 *   JIT_CLEAN      i32   instructions of completed blocks without translation-time
 *                        checks, when profiling (a statistic; the engine drains it)
 *   TIER_COUNTS    i32 × TIER_COUNTERS  instructions retired per (table index mod TIER_COUNTERS)
 *                        since the engine last read them: how hot a region stays, for
 *                        tier 2 (a shared counter only makes a region look hotter)
 *   DISPATCH_HASH  16-byte entries (eip, context, physical address, table index |
 *                        entry << 24), direct-mapped by `dispatchHash`; a copy of
 *                        part of the code cache, refilled by the engine on a miss
 *
 * Which parts of a page hold translated code is tracked per chunk in the CPU's
 * code map (src/cpu/codemap.ts), shared with the interpreter's decode cache.
 */
import { JIT_BASE } from "../src/cpu/layout.js";

export const JIT_BUDGET = JIT_BASE;
export const JIT_STATUS = JIT_BASE + 4;
export const JIT_CONTEXT = JIT_BASE + 8;
export const JIT_A20 = JIT_BASE + 12;
export const JIT_LAST = JIT_BASE + 16;
export const JIT_CHAIN = JIT_BASE + 20;
export const JIT_RUNS = JIT_BASE + 24;
export const JIT_CLEAN = JIT_BASE + 32;
export const STATUS_EXIT = 1;
export const TIER_COUNTS = JIT_BASE + 0x8000;
export const TIER_COUNTERS = 8192;

export const DISPATCH_HASH = JIT_BASE + 0x10000;
export const DISPATCH_BITS = 14;
export const DISPATCH_ENTRIES = 1 << DISPATCH_BITS;
/** Multiplier of the dispatch hash (Knuth's, 2^32 / golden ratio). */
export const DISPATCH_MULTIPLIER = 0x9e3779b1 | 0;

/** The dispatch-hash slot of (eip, context); compiled code computes the same. */
export function dispatchHash(eip: number, context: number): number {
  return Math.imul(eip ^ (context << 4), DISPATCH_MULTIPLIER) >>> (32 - DISPATCH_BITS);
}

/** What a region function returns to the dispatcher, and the dispatcher to the engine. */
export const enum RegionStatus {
  /** Left through a jump or branch: EIP is the next block; the mode is unchanged. */
  CHAIN = 0,
  /** Back to the engine: budget spent, an access off the fast path, a helper asked for it, or the mode may have changed. */
  RETURN = 1,
  /** Dispatcher only: no compiled code for CS:EIP in the dispatch hash. */
  MISS = 2,
  /** Dispatcher only: it ran JIT_CHAIN regions. */
  CHAINED = 3,
}
