/** jit386's engines as the benchmarks name them, and the counters the JIT keeps. */
import { JitEngine } from "../runtime/jit.js";
import type { Machine, MachineOptions } from "../runtime/machine.js";

export type EngineName = NonNullable<MachineOptions["engine"]>;
export const ENGINE_NAMES: readonly EngineName[] = ["interp", "jit"];

/** The JIT's statistics (translateMs, instructionsTranslated, ...) as the results record them; the interpreter keeps none. */
export function engineStats(m: Machine): Record<string, unknown> | undefined {
  return m.engine instanceof JitEngine ? m.engine.stats.toJSON() : undefined;
}
