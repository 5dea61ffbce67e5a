/**
 * Command-line options from one definition per command: each option's name,
 * value, default, one line of help and validation drive the parsing (Node's
 * `util.parseArgs` splits the arguments), `--help` and the README's command
 * reference (runtime/help.ts). Adding an option is one entry in a command's
 * `options` table.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors.js";
import { didYouMean } from "./suggest.js";

/** One option of a command; `T` is what the command receives (with `undefined` when the option may be absent). */
export interface Option<T> {
  /** The value's placeholder in help ("MiB", "FILE", "jit|interp"); undefined for a flag. */
  readonly value: string | undefined;
  /** The value may be left out (`--stats`) or given only after "=" (`--stats=FILE`). */
  readonly optionalValue: boolean;
  /** One line of help. */
  readonly help: string;
  /** Range and default as help shows them ("2 to 3072; default 64"), or "". */
  readonly note: string;
  /** The value when the option is not given. */
  readonly absent: T;
  /** Convert and check the text given (`flag` is "--mem", for messages). */
  parse(text: string, flag: string): T;
  /** May be given more than once: the values parsed are arrays, concatenated in order. */
  readonly repeat?: boolean;
}

/** A positional argument. */
export interface Positional {
  name: string;
  optional: boolean;
  help: string;
}

type Options = Record<string, Option<unknown>>;
export type Values<O extends Options> = { [K in keyof O]: O[K] extends Option<infer T> ? T : never };

/** A command as its definition states it (generic over its options, for typed values). */
export interface CommandDef<O extends Options> {
  name: string;
  /** One line for `jit386 help`. */
  summary: string;
  args: Positional[];
  options: O;
  /** Paragraphs printed after the options (exit statuses, what the output means). */
  details?: string;
  run(values: Values<O>, args: string[]): Promise<number>;
}

/** A command with its option types erased, for the dispatcher and the help printer. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly args: readonly Positional[];
  readonly options: Readonly<Options>;
  readonly details: string | undefined;
  /** Parse `argv` and run; undefined when it asked for `--help` instead. */
  main(argv: string[]): Promise<number> | undefined;
}

export function command<O extends Options>(def: CommandDef<O>): Command {
  return {
    name: def.name,
    summary: def.summary,
    args: def.args,
    options: def.options,
    details: def.details,
    main(argv) {
      const p = parseCommand(def, argv);
      return p ? def.run(p.values, p.args) : undefined;
    },
  };
}

/** Parse `argv` against a command's definition; undefined for `--help` / `-h`. */
export function parseCommand<O extends Options>(def: CommandDef<O>, argv: string[]): { values: Values<O>; args: string[] } | undefined {
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, o] of Object.entries(def.options)) {
    // A flag, or an optional value given only after "=": never take the next argument as its value.
    config[name] = { type: o.value === undefined || o.optionalValue ? "boolean" : "string" };
  }
  const { tokens } = parseArgs({ args: argv, options: config, strict: false, allowPositionals: true, tokens: true });
  const given = new Map<string, unknown>();
  const args: string[] = [];
  let help = false;
  for (const t of tokens) {
    if (t.kind === "positional") args.push(t.value);
    if (t.kind !== "option") continue;
    const o = def.options[t.name];
    const isHelp = t.name === "help" && (t.rawName === "--help" || t.rawName === "-h");
    if (!isHelp && (o === undefined || t.rawName !== `--${t.name}`)) {
      throw new UsageError(`unknown option '${t.rawName}'${t.rawName.startsWith("--") ? didYouMean(t.name, [...Object.keys(def.options), "help"], (c) => `--${c}`) : ""}`);
    }
    if (isHelp || o.value === undefined) {
      if (t.value !== undefined) throw new UsageError(`option '${t.rawName}' takes no value`);
      if (isHelp) help = true;
      else given.set(t.name, o.parse("", t.rawName));
      continue;
    }
    // An option's value is never taken from a following "--option" (write --append=--x for that).
    if (t.value === undefined && !o.optionalValue) throw new UsageError(`option '--${t.name}' needs a value`);
    if (!t.inlineValue && t.value?.startsWith("--")) throw new UsageError(`option '--${t.name}' needs a value (got '${t.value}'; write --${t.name}=${t.value} if that is the value)`);
    const v = o.parse(t.value ?? "", `--${t.name}`);
    given.set(t.name, o.repeat ? [...((given.get(t.name) as unknown[] | undefined) ?? []), ...(v as unknown[])] : v);
  }
  if (help) return undefined;
  const max = def.args.length;
  if (args.length > max) throw new UsageError(`unexpected argument '${args[max]}'`);
  const missing = def.args.slice(args.length).find((a) => !a.optional);
  if (missing) throw new UsageError(`${def.name}: missing ${missing.name} (see 'jit386 help ${def.name}')`);
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(def.options)) values[name] = given.has(name) ? given.get(name) : o.absent;
  return { values: values as Values<O>, args };
}

/** "a", "a or b", "a, b or c". */
function alternatives(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
}

const decimalOrHex = (n: number, hex: boolean): string => (hex ? `0x${n.toString(16)}` : String(n));

/** A flag: true when given. */
export function flag(help: string): Option<boolean> {
  return { value: undefined, optionalValue: false, help, note: "", absent: false, parse: () => true };
}

/** Free text (a path, a command line). */
export function text(value: string, help: string): Option<string | undefined>;
export function text(value: string, help: string, dflt: string): Option<string>;
export function text(value: string, help: string, dflt?: string): Option<string | undefined> {
  return { value, optionalValue: false, help, note: dflt === undefined ? "" : `default ${dflt}`, absent: dflt, parse: (v) => v };
}

/** Free text that may be given more than once (`--disk a.img --disk b.img`): every value, in order. */
export function texts(value: string, help: string): Option<string[]> {
  return { value, optionalValue: false, help, note: "repeatable", absent: [], repeat: true, parse: (v) => [v] };
}

/** A flag that may carry a value after "=": absent undefined, bare "" (`--stats`), else the value (`--stats=FILE`). */
export function optionalText(value: string, help: string): Option<string | undefined> {
  return { value, optionalValue: true, help, note: "", absent: undefined, parse: (v) => v };
}

interface IntSpec {
  min: number;
  /** Default: no upper bound (Number.MAX_SAFE_INTEGER). */
  max?: number;
  /** Show the bounds and default in hex. */
  hex?: boolean;
}

/** An integer, decimal or 0x hex, within [min, max]. */
export function int(value: string, help: string, spec: IntSpec): Option<number | undefined>;
export function int(value: string, help: string, spec: IntSpec, dflt: number): Option<number>;
export function int(value: string, help: string, spec: IntSpec, dflt?: number): Option<number | undefined> {
  const { min, max = Number.MAX_SAFE_INTEGER, hex = false } = spec;
  // Upper bounds past a million are technical limits, not advice: help leaves them to the error message.
  const range = max >= 1e6 && !hex ? `at least ${decimalOrHex(min, hex)}` : `${decimalOrHex(min, hex)} to ${decimalOrHex(max, hex)}`;
  return {
    value,
    optionalValue: false,
    help,
    note: dflt === undefined ? range : `${range}; default ${decimalOrHex(dflt, hex)}`,
    absent: dflt,
    parse(v, name) {
      const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^[0-9]+$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        const bounds = max === Number.MAX_SAFE_INTEGER ? `of at least ${decimalOrHex(min, hex)}` : `from ${decimalOrHex(min, hex)} to ${decimalOrHex(max, hex)}`;
        throw new UsageError(`option '${name}' must be an integer ${bounds} (got '${v}')`);
      }
      return n;
    },
  };
}

/** One of fixed words. */
export function choice<const T extends string>(choices: readonly T[], help: string): Option<T | undefined>;
export function choice<const T extends string>(choices: readonly T[], help: string, dflt: T): Option<T>;
export function choice<const T extends string>(choices: readonly T[], help: string, dflt?: T): Option<T | undefined> {
  return {
    value: choices.join("|"),
    optionalValue: false,
    help,
    note: dflt === undefined ? "" : `default ${dflt}`,
    absent: dflt,
    parse(v, name) {
      if (!(choices as readonly string[]).includes(v)) throw new UsageError(`option '${name}' must be ${alternatives(choices)} (got '${v}')`);
      return v as T;
    },
  };
}
