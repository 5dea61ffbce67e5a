/**
 * Where the conformance data lives and what comes with it: the suites' directories,
 * the per-opcode undefined-flag masks of metadata.json and the revocation list.
 * The data is never copied into the repository; it sits in shared/conformance
 * beside the repository root, or where JIT386_CONFORMANCE_DIR says.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ENV_DIR = "JIT386_CONFORMANCE_DIR";

/** The repository root: the nearest ancestor of this module holding package.json. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("conformance: no package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function conformanceDir(): string {
  const env = process.env[ENV_DIR];
  if (env) return resolve(env);
  return resolve(repositoryRoot(), "..", "shared", "conformance");
}

export interface Suite {
  /** Short name used in reports: "80286" or "80386_sample". */
  name: string;
  dir: string;
  files: string[];
  /** Opcode-keyed entries of metadata.json, when the suite has one. */
  metadata?: OpcodeMetadata;
  revoked: Set<string>;
}

/** metadata.json "opcodes": per opcode, or per ModRM.reg for group opcodes. */
interface OpcodeEntry {
  status?: string;
  "flags-mask"?: number;
  reg?: Record<string, OpcodeEntry>;
}
export type OpcodeMetadata = Record<string, OpcodeEntry>;

function isEntry(v: unknown): v is OpcodeEntry {
  return typeof v === "object" && v !== null;
}

function readMetadata(path: string): OpcodeMetadata | undefined {
  if (!existsSync(path)) return undefined;
  const json: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!isEntry(json)) throw new Error(`${path}: not an object`);
  const opcodes = (json as { opcodes?: unknown }).opcodes;
  if (!isEntry(opcodes)) throw new Error(`${path}: no "opcodes" object`);
  return opcodes as OpcodeMetadata;
}

/** Hashes listed in revocation_list.txt (comments and blank lines ignored). */
function readRevoked(path: string): Set<string> {
  const out = new Set<string>();
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const t = line.trim().toLowerCase();
    if (t && !t.startsWith("#")) out.add(t);
  }
  return out;
}

function suite(name: string, dir: string): Suite {
  if (!existsSync(dir)) throw new Error(`conformance data not found at ${dir} (set ${ENV_DIR})`);
  const files = readdirSync(dir).filter((f) => f.endsWith(".MOO.gz")).sort();
  return {
    name,
    dir,
    files,
    metadata: readMetadata(join(dir, "metadata.json")),
    revoked: readRevoked(join(dir, "revocation_list.txt")),
  };
}

/** The suites this project runs: the 286 real-mode set and the 386 sample. */
export function suites(root = conformanceDir()): Suite[] {
  return [suite("80286", join(root, "80286", "v1_real_mode")), suite("80386_sample", join(root, "80386_sample"))];
}

/** "80.1.MOO.gz" → "80.1": the file's opcode key, and ModRM.reg for group files. */
export function fileKey(file: string): string {
  return file.replace(/\.MOO\.gz$/, "");
}

/**
 * The metadata's flags mask for a file (set bits are defined flags), 0xFFFF when
 * the opcode leaves no flag undefined.
 */
export function flagsMaskFor(meta: OpcodeMetadata | undefined, file: string): number {
  if (!meta) return 0xffff;
  const [op, reg] = fileKey(file).split(".");
  const entry = meta[op];
  const e = reg === undefined ? entry : entry?.reg?.[reg];
  return e?.["flags-mask"] ?? 0xffff;
}
