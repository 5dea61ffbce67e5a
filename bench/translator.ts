/**
 * The translator under bench:micro. The JIT has no entry point that translates
 * arbitrary code, so the input is what it really translated: each workload is
 * run under the JIT engine and the regions in its code cache are collected.
 * They are then translated again outside the engine, step by step as
 * JitEngine.flush does it: region discovery from guest memory, translation and
 * the module's binary (ModuleBuilder), and the WebAssembly.Module.
 */
import { readFileSync } from "node:fs";
import { ModuleBuilder } from "../jit/batch.js";
import type { ModuleSnapshot } from "../jit/wasm/encoder.js";
import { discoverRegion, type Region } from "../jit/region.js";
import { bootImage } from "../runtime/image.js";
import { JitEngine } from "../runtime/jit.js";
import { createMachine } from "../runtime/machine.js";
import type { Workload } from "./workloads.js";

/** Regions per module, as the engine batches them (JitOptions.batchSize's default). */
const BATCH = 64;
/** How far each workload runs for its regions: past its start-up, into every phase of its work. */
const RUN_INSTRUCTIONS = 5_000_000;

/** A region from the code cache, and what its discovery needs to find it again. */
export interface Collected {
  region: Region;
  /**
   * Which page offsets count as run (discoverRegion follows a branch only to
   * code that has run): the region's own instructions, so that discovery
   * follows the branches the engine's did, whatever ran after it.
   */
  executed: (off: number) => boolean;
}

/** The regions one workload's run left in the code cache, and the guest memory they were discovered in. */
export interface TranslatedCode {
  workload: string;
  /** The CPU's memory (state and RAM), what discoverRegion reads. */
  u8: Uint8Array;
  ramBytes: number;
  chunkShift: number;
  /** In modules of the engine's batch size. */
  batches: Collected[][];
  instructions: number;
}

function collected(region: Region): Collected {
  const offsets = new Set(region.blocks.flatMap((b) => b.insns.map((i) => i.off)));
  return { region, executed: (off) => offsets.has(off) };
}

function rediscover(u8: Uint8Array, { region: g, executed }: Collected): Region | undefined {
  return discoverRegion(u8, g.pa, g.eip, g.csBase, g.csLimit, g.mode, executed);
}

/** Runs `w` under the JIT for RUN_INSTRUCTIONS (or to its exit) and takes the regions its code cache then holds. */
export function collectRegions(w: Workload): TranslatedCode {
  const m = createMachine({ memMiB: 64, engine: "jit" });
  const engine = m.engine;
  if (!(engine instanceof JitEngine)) throw new Error("createMachine({ engine: \"jit\" }) gave no JIT engine");
  bootImage(m, w.image, new Uint8Array(readFileSync(w.image)));
  const r = m.runSync(RUN_INSTRUCTIONS);
  if (r.reason !== "exit" && r.reason !== "limit") throw new Error(`${w.name} under the JIT ended by ${r.reason}`);
  // Hot entries still waiting for a full batch are translated too.
  engine.flush();
  const regions = [...engine.cache.regions()].filter((t) => t.valid).map((t) => t.region);
  const batches: Collected[][] = [];
  for (let k = 0; k < regions.length; k += BATCH) batches.push(regions.slice(k, k + BATCH).map(collected));
  return {
    workload: w.name,
    u8: m.cpu.u8,
    ramBytes: m.cpu.ramBytes,
    chunkShift: m.cpu.codeWrites.map.chunkShift,
    batches,
    instructions: regions.reduce((n, g) => n + g.instructions, 0),
  };
}

/** Discovers every region again from its entry; returns the instructions found. */
export function discoverAll(code: TranslatedCode[]): number {
  let n = 0;
  for (const c of code) {
    for (const batch of c.batches) {
      for (const g of batch) n += rediscover(c.u8, g)?.instructions ?? 0;
    }
  }
  return n;
}

/** Translates every batch into a module binary. */
export function buildAll(code: TranslatedCode[]): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (const c of code) {
    for (const batch of c.batches) {
      const b = new ModuleBuilder(c.ramBytes, c.chunkShift);
      for (const g of batch) b.add(g.region);
      out.push(b.finish().binary);
    }
  }
  return out;
}

/** Every batch's arena, as the Binaryen code generator takes it (ModuleBuilder.snapshot). */
export function snapshotAll(code: TranslatedCode[]): ModuleSnapshot[] {
  const out: ModuleSnapshot[] = [];
  for (const c of code) {
    for (const batch of c.batches) {
      const b = new ModuleBuilder(c.ramBytes, c.chunkShift);
      for (const g of batch) b.add(g.region);
      out.push(b.snapshot().snapshot);
    }
  }
  return out;
}

/** The whole path per batch: discovery, translation, the binary and its module. */
export function translateAll(code: TranslatedCode[], nonce: Nonce): number {
  let n = 0;
  for (const c of code) {
    for (const batch of c.batches) {
      const b = new ModuleBuilder(c.ramBytes, c.chunkShift);
      for (const g of batch) {
        const region = rediscover(c.u8, g);
        if (!region) continue;
        b.add(region);
        n += region.instructions;
      }
      new WebAssembly.Module(nonce.stamp(b.finish().binary));
    }
  }
  return n;
}

/** A custom section's start: id 0, its size (10), the name's length (5) and the name; the 4-byte counter follows. */
const NONCE_SECTION = Uint8Array.of(0, 10, 5, ...new TextEncoder().encode("nonce"));
const NONCE_BYTES = NONCE_SECTION.length + 4;

/**
 * V8 keeps compiled modules by their bytes and hands the same one back for an
 * identical binary, which would measure a cache lookup. Each module created
 * here ends in a custom section (which a module may have anywhere, and which
 * validation skips) holding a counter, so no two binaries are alike.
 */
export class Nonce {
  private count = 0;

  /** A copy of `binary` with the next counter value appended. */
  stamp(binary: Uint8Array): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(binary.length + NONCE_BYTES);
    out.set(binary);
    this.write(out, binary.length);
    return out;
  }

  /** Puts the next counter value in a binary `stamp` made, in place. */
  restamp(stamped: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    this.write(stamped, stamped.length - NONCE_BYTES);
    return stamped;
  }

  private write(out: Uint8Array, at: number): void {
    out.set(NONCE_SECTION, at);
    new DataView(out.buffer, out.byteOffset).setUint32(at + NONCE_SECTION.length, this.count++, true);
  }
}
