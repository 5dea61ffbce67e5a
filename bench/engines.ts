/** jit386's engines as the benchmarks name them, and the counters the JIT keeps. */
import { JitEngine } from "../runtime/jit.js";
import type { Machine, MachineOptions } from "../runtime/machine.js";

/** The interpreter, and the JIT with each code generator (ARCHITECTURE.md, "Code generators and tiers"). */
export const ENGINE_NAMES = ["interp", "direct", "binaryen", "tiered"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The machine options that select an engine. */
export function engineOptions(e: EngineName): MachineOptions {
  return e === "interp" ? { engine: "interp" } : { engine: "jit", jit: { codegen: e } };
}

/** The JIT's statistics (translateMs, instructionsTranslated, ...) as the results record them; the interpreter keeps none. */
export function engineStats(m: Machine): Record<string, unknown> | undefined {
  return m.engine instanceof JitEngine ? m.engine.stats.toJSON() : undefined;
}
