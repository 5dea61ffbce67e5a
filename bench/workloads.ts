/**
 * The benchmark workloads (bench/guests/workloads.json), where their built
 * images live, and the reference checksums recorded by `bench reference`.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout's root, found from this module whether it runs bundled (dist/bench/) or from source (bench/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "bench", "guests", "workloads.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the jit386 checkout (bench/guests/workloads.json)");
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
export const GUESTS = join(ROOT, "bench", "guests");
export const BUILD = join(GUESTS, "build");
export const RESULTS = join(ROOT, "bench", "results");
export const CHECKSUMS = join(BUILD, "checksums.json");

export interface Workload {
  name: string;
  /** Source under bench/guests/ (.c or .asm). */
  source: string;
  /** Linker layout of a C workload: data on pages of its own, or on the code's page. */
  layout?: "split" | "packed";
  /** Iteration count small enough for the test suite. */
  testIters: number;
  what: string;
  /** The multiboot image. */
  image: string;
  /** The i386 Linux executable built from the same sources (C workloads only). */
  native?: string;
}

export interface Reference {
  /** Checksum at the default iteration count, and at testIters. */
  checksum: string;
  testChecksum: string;
  /** What produced it: the native build, or QEMU for workloads without one. */
  source: "native" | "qemu";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function loadWorkloads(): Workload[] {
  const raw: unknown = JSON.parse(readFileSync(join(GUESTS, "workloads.json"), "utf8"));
  if (!Array.isArray(raw)) throw new Error("workloads.json: expected an array");
  return raw.map((w: unknown) => {
    if (!isRecord(w) || typeof w.name !== "string" || typeof w.source !== "string" || typeof w.testIters !== "number" || typeof w.what !== "string") {
      throw new Error(`workloads.json: malformed entry ${JSON.stringify(w)}`);
    }
    const layout = w.layout === "split" || w.layout === "packed" ? w.layout : undefined;
    const isC = w.source.endsWith(".c");
    const base = w.source.replace(/^.*\//, "").replace(/\.(c|asm)$/, "");
    return {
      name: w.name,
      source: w.source,
      layout,
      testIters: w.testIters,
      what: w.what,
      image: join(BUILD, `${w.name}.bin`),
      native: isC ? join(BUILD, `${base}.linux`) : undefined,
    };
  });
}

export function loadReferences(): Map<string, Reference> {
  const refs = new Map<string, Reference>();
  if (!existsSync(CHECKSUMS)) return refs;
  const raw: unknown = JSON.parse(readFileSync(CHECKSUMS, "utf8"));
  if (!isRecord(raw)) throw new Error(`${CHECKSUMS}: expected an object`);
  for (const [name, r] of Object.entries(raw)) {
    if (isRecord(r) && typeof r.checksum === "string" && typeof r.testChecksum === "string" && (r.source === "native" || r.source === "qemu")) {
      refs.set(name, { checksum: r.checksum, testChecksum: r.testChecksum, source: r.source });
    }
  }
  return refs;
}

/** The checksum a workload printed on its serial console ("<name>: checksum 0123abcd"). */
export function parseChecksum(serial: string): string | undefined {
  return /: checksum ([0-9a-f]{8})\b/.exec(serial)?.[1];
}

/** Workloads whose name matches any of the comma-separated patterns (substring, or * wildcards). */
export function filterByName<T extends { name: string }>(items: T[], filter: string | undefined): T[] {
  if (!filter) return items;
  const tests = filter.split(",").map((f) => {
    const re = new RegExp(`^${f.trim().replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    return (name: string) => (f.includes("*") ? re.test(name) : name.includes(f.trim()));
  });
  return items.filter((w) => tests.some((t) => t(w.name)));
}
