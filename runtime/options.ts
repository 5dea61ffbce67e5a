/**
 * Strict command-line option parsing: every option is declared, unknown ones and
 * missing or malformed values are one-line usage errors.
 */
import { UsageError } from "./errors.js";

export interface OptionSpec {
  /**
   * true: takes a value (`--mem 64`, `--mem=64`); false: a flag; "optional": a flag
   * that may carry a value only with "=" (`--stats`, `--stats=run.json`).
   */
  value: boolean | "optional";
}

export interface ParsedArgs {
  options: Map<string, string>;
  positional: string[];
}

export function parseArgs(args: string[], specs: Record<string, OptionSpec>, maxPositional: number): ParsedArgs {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = specs[name];
      if (!spec) throw new UsageError(`unknown option '--${name}'`);
      if (spec.value === "optional") {
        options.set(name, eq >= 0 ? a.slice(eq + 1) : "");
      } else if (spec.value) {
        const v = eq >= 0 ? a.slice(eq + 1) : args[++k];
        if (v === undefined) throw new UsageError(`option '--${name}' needs a value`);
        options.set(name, v);
      } else {
        if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
        options.set(name, "");
      }
    } else if (a.startsWith("-") && a !== "-") {
      throw new UsageError(`unknown option '${a}'`);
    } else {
      positional.push(a);
    }
  }
  if (positional.length > maxPositional) throw new UsageError(`unexpected argument '${positional[maxPositional]}'`);
  return { options, positional };
}

/** A choice among fixed words. */
export function choiceOption<T extends string>(p: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const v = p.options.get(name);
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) throw new UsageError(`option '--${name}' must be one of ${choices.join(", ")} (got '${v}')`);
  return v as T;
}

/** An integer option (decimal or 0x hex) within [min, max]. */
export function intOption(p: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = p.options.get(name);
  if (v === undefined) return undefined;
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`option '--${name}' must be an integer from ${min} to ${max} (got '${v}')`);
  }
  return n;
}
