/**
 * Argument checks for the embedding API: every value a caller passes is checked
 * before anything happens, and a bad one is a one-line UsageError naming it.
 */
import { UsageError } from "./errors.js";
import { didYouMean } from "./suggest.js";
import type { JitOptions, MachineOptions, RestoreOptions } from "./types.js";

/** A value as an error message shows it. */
export function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "an invalid Date" : v.toISOString();
  if (typeof v === "object" && v !== null) return `an object (${v.constructor?.name ?? "null prototype"})`;
  return String(v);
}

const hexOrDecimal = (n: number): string => (n >= 0x10000 ? `0x${n.toString(16)}` : String(n));

/** `value` as an integer in [min, max]. */
export function checkInt(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${hexOrDecimal(min)} to ${hexOrDecimal(max)}`;
    throw new UsageError(`${what} must be an integer ${range} (got ${shown(value)})`);
  }
  return value;
}

/** An instruction limit: a non-negative integer or Infinity. */
export function checkLimit(value: unknown, what: string): number {
  if (value === Infinity) return value;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new UsageError(`${what} must be a non-negative integer or Infinity (got ${shown(value)})`);
  }
  return value;
}

type Check = (v: unknown, what: string) => void;

const integer =
  (min: number, max?: number): Check =>
  (v, what) =>
    void checkInt(v, what, min, max);

const oneOf =
  (...choices: string[]): Check =>
  (v, what) => {
    if (typeof v !== "string" || !choices.includes(v)) throw new UsageError(`${what} must be ${choices.map((c) => `"${c}"`).join(" or ")} (got ${shown(v)})${typeof v === "string" ? didYouMean(v, choices, (c) => `"${c}"`) : ""}`);
  };

const boolean: Check = (v, what) => {
  if (typeof v !== "boolean") throw new UsageError(`${what} must be true or false (got ${shown(v)})`);
};

const date: Check = (v, what) => {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw new UsageError(`${what} must be a valid Date (got ${shown(v)})`);
};

/** An options object: known keys only (a misspelt one is named with the closest), each checked; undefined values are absent. */
function checkObject<T extends object>(value: unknown, what: string, schema: { [K in keyof Required<T>]: Check }): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`${what} must be an object (got ${shown(value)})`);
  const known = Object.keys(schema);
  for (const [k, v] of Object.entries(value)) {
    const check = (schema as Record<string, Check>)[k];
    if (check === undefined) throw new UsageError(`${what}: unknown option '${k}'${didYouMean(k, known)}`);
    if (v !== undefined) check(v, `${what}.${k}`);
  }
}

/** Guest RAM bounds (MiB), shared with the command line. */
export const MEM_MIB = { min: 2, max: 3072 } as const;
/** Virtual instructions per second, shared with the command line. */
export const IPS = { min: 1000, max: 1e12 } as const;

/** The --codegen option's help (runtime/types.ts JitOptions.codegen). */
export const CODEGEN_HELP = "how the JIT makes Wasm: direct (its own encoder), tiered (direct, hot regions rebuilt through Binaryen in a worker thread), binaryen (every module through Binaryen)";

const JIT_SCHEMA: { [K in keyof Required<JitOptions>]: Check } = {
  hotThreshold: integer(1, 1 << 30),
  batchSize: integer(1, 1 << 16),
  batchDelay: integer(0),
  compile: oneOf("sync", "async"),
  chain: integer(1, 0x7fffffff),
  tableSize: integer(1, 1 << 20),
  maxInstructions: integer(1),
  profile: boolean,
  codegen: oneOf("direct", "binaryen", "tiered"),
  tierUpThreshold: integer(1, 1 << 30),
};

const MACHINE_SCHEMA: { [K in keyof Required<MachineOptions>]: Check } = {
  memMiB: integer(MEM_MIB.min, MEM_MIB.max),
  ips: integer(IPS.min, IPS.max),
  startTime: date,
  realtime: boolean,
  reboot: boolean,
  profile: boolean,
  engine: oneOf("jit", "interp"),
  jit: (v, what) => checkObject<JitOptions>(v, what, JIT_SCHEMA),
};

const RESTORE_SCHEMA: { [K in keyof Required<RestoreOptions>]: Check } = {
  engine: MACHINE_SCHEMA.engine,
  jit: MACHINE_SCHEMA.jit,
};

export function checkRestoreOptions(opts: unknown): void {
  checkObject<RestoreOptions>(opts, "restoreState() options", RESTORE_SCHEMA);
}

export function checkMachineOptions(opts: unknown): void {
  checkObject<MachineOptions>(opts, "createMachine options", MACHINE_SCHEMA);
  const jit = (opts as MachineOptions | undefined)?.jit;
  if (jit?.batchSize !== undefined && jit.batchSize > (jit.tableSize ?? 32768)) {
    throw new UsageError(`createMachine options.jit.batchSize (${jit.batchSize}) must not exceed jit.tableSize (${jit.tableSize ?? 32768})`);
  }
}

/** One of `names` (an event name, say). */
export function checkName<T extends string>(value: unknown, what: string, names: readonly T[]): T {
  if (typeof value !== "string" || !(names as readonly string[]).includes(value)) {
    throw new UsageError(`${what} must be one of ${names.map((n) => `"${n}"`).join(", ")} (got ${shown(value)})${typeof value === "string" ? didYouMean(value, names, (c) => `"${c}"`) : ""}`);
  }
  return value as T;
}

export function checkFunction(value: unknown, what: string): void {
  if (typeof value !== "function") throw new UsageError(`${what} must be a function (got ${shown(value)})`);
}

export function checkBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new UsageError(`${what} must be a Uint8Array (got ${shown(value)})`);
  return value;
}
