/**
 * jit386's engines as the benchmarks see them. The machine grows an engine
 * option with the JIT (`createMachine({ engine: "jit" })`); this module asks for
 * it at run time and reads what the machine reports, so the suite runs on a
 * build with or without the JIT and never claims an engine it did not get.
 */
import { createMachine, type Machine, type MachineOptions } from "../runtime/machine.js";

export type EngineName = "interp" | "jit";
export const ENGINE_NAMES: readonly EngineName[] = ["interp", "jit"];

export interface EngineMachine {
  machine: Machine;
  /** The engine's own counters (the JIT's statistics), as the machine exposes them. */
  stats(): EngineStats | undefined;
}

export interface EngineStats {
  /** Main-thread milliseconds spent translating guest code. */
  translateMs: number;
  /** Guest instructions translated. */
  instructionsTranslated: number;
  /** Every counter the engine reports, kept in the results as it came. */
  all: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** The engine object a machine reports as `machine.engine`, when it has one. */
function engineOf(m: Machine): Record<string, unknown> | undefined {
  const e: unknown = Reflect.get(m, "engine");
  return isRecord(e) ? e : undefined;
}

function readStats(m: Machine): EngineStats | undefined {
  const s: unknown = engineOf(m)?.stats;
  if (!isRecord(s)) return undefined;
  const toJSON: unknown = s.toJSON;
  const all: unknown = typeof toJSON === "function" ? toJSON.call(s) : s;
  if (!isRecord(all) || typeof all.translateMs !== "number" || typeof all.instructionsTranslated !== "number") return undefined;
  return { translateMs: all.translateMs, instructionsTranslated: all.instructionsTranslated, all };
}

/** A machine running `engine`, or why this build cannot provide one. */
export function createEngineMachine(engine: EngineName, opts: MachineOptions): EngineMachine | { unavailable: string } {
  const withEngine: MachineOptions & { engine: EngineName } = { ...opts, engine };
  let m: Machine;
  try {
    m = createMachine(withEngine);
  } catch (e) {
    return { unavailable: `createMachine({ engine: "${engine}" }) failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  const name = engineOf(m)?.name;
  // A machine without an engine property predates the engine option: it always interprets.
  const actual = name === undefined ? "interp" : name;
  if (actual !== engine) return { unavailable: `this build has no ${engine} engine (createMachine gave '${String(actual)}')` };
  return { machine: m, stats: () => readStats(m) };
}
