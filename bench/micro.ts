/**
 * `npm run bench:micro`: benchmark.js measurements of the front end in guest
 * instructions per second. The decoder runs over the machine code of the
 * workloads' native builds (real compiler output); the translator over the
 * regions the JIT translated while running the workloads (bench/translator.ts).
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Benchmark from "benchmark";
import { parseElf32 } from "../src/boot/elf.js";
import { type CodeBytes, decode } from "../src/decode/decoder.js";
import { Insn } from "../src/decode/insn.js";
import { command, int } from "../runtime/options.js";
import { type HostInfo, hostInfo, hostLine } from "./host.js";
import { markdownTable, sig } from "./report.js";
import { binaryenBytes } from "../jit/binaryen/lower.js";
import { TIER2_PASSES } from "../runtime/jit.js";
import { buildAll, collectRegions, discoverAll, Nonce, snapshotAll, translateAll } from "./translator.js";
import { loadWorkloads, RESULTS } from "./workloads.js";


/** A stream of instruction bytes read from an offset the decoder advances. */
class Stream implements CodeBytes {
  at = 0;
  constructor(readonly code: Uint8Array) {}
  byte(offset: number): number {
    return this.code[this.at + offset] ?? 0;
  }
}

/** The executable segment of each native build, from its entry point on. */
function codeStreams(): { name: string; code: Uint8Array }[] {
  const seen = new Set<string>();
  const out: { name: string; code: Uint8Array }[] = [];
  for (const w of loadWorkloads()) {
    if (!w.native || seen.has(w.native)) continue;
    seen.add(w.native);
    const image = new Uint8Array(readFileSync(w.native));
    const elf = parseElf32(image);
    const seg = elf.segments.find((s) => elf.entry >= s.paddr && elf.entry < s.paddr + s.fileSize);
    if (!seg) continue;
    const from = seg.fileOffset + (elf.entry - seg.paddr);
    out.push({ name: w.native.replace(/^.*\//, ""), code: image.subarray(from, seg.fileOffset + seg.fileSize) });
  }
  return out;
}

/** Decodes a whole stream; returns the instruction count. */
function decodeAll(s: Stream, insn: Insn): number {
  let n = 0;
  for (s.at = 0; s.at < s.code.length; n++) {
    decode(insn, s, true);
    s.at += insn.len;
  }
  return n;
}

export interface MicroResult {
  name: string;
  note?: string;
  /** Guest instructions per second, and benchmark.js's relative margin of error (%). */
  instructionsPerSecond: number;
  rme: number;
  instructionsPerOp: number;
}

export interface MicroReport {
  host: HostInfo;
  results: MicroResult[];
}

function measure(name: string, instructionsPerOp: number, fn: () => void, maxTime: number): MicroResult {
  const b = new Benchmark(name, fn, { maxTime, minSamples: 5 }).run({ async: false });
  if (b.error) throw b.error;
  return { name, instructionsPerSecond: b.hz * instructionsPerOp, rme: b.stats.rme, instructionsPerOp };
}

/** The translator, from the regions the workloads' JIT runs left in their code caches. */
function translatorResults(maxTime: number, binaryen: Binaryen): MicroResult[] {
  const code = loadWorkloads().map((w) => {
    process.stderr.write(`translator: running ${w.name} under the JIT for its regions\n`);
    return collectRegions(w);
  });
  const regions = code.reduce((n, c) => n + c.batches.reduce((k, b) => k + b.length, 0), 0);
  const perOp = code.reduce((n, c) => n + c.instructions, 0);
  const modules = code.reduce((n, c) => n + c.batches.length, 0);
  process.stderr.write(`translator: ${perOp} instructions in ${regions} regions, ${modules} modules of up to 64 regions, per operation\n`);
  const nonce = new Nonce();
  const binaries = buildAll(code).map((b) => nonce.stamp(b));
  const wasmBytes = binaries.reduce((n, b) => n + b.length, 0);
  const per = `${modules} modules, ${(wasmBytes / perOp).toFixed(0)} Wasm bytes per instruction`;
  // Discovery runs on the memory as the workload left it: code it rewrote after translating may give other regions.
  const found = discoverAll(code);
  const snapshots = snapshotAll(code);
  return [
    measure("translator: region discovery", found, () => discoverAll(code), maxTime),
    measure("translator: translation and module binary (ModuleBuilder)", perOp, () => buildAll(code), maxTime),
    { ...measure("translator: new WebAssembly.Module (validation; V8 compiles lazily)", perOp, () => {
      for (const b of binaries) new WebAssembly.Module(nonce.restamp(b));
    }, maxTime), note: per },
    { ...measure("translator: the whole path (discovery to module)", found, () => translateAll(code, nonce), maxTime), note: "as JitEngine.flush, without instantiation" },
    // The Binaryen code generator from the same arenas (in the engine it runs in the Binaryen thread).
    { ...measure("binaryen: module binary from the arena (--codegen binaryen)", perOp, () => {
      for (const s of snapshots) binaryenBytes(binaryen, s, []);
    }, maxTime), note: "beside 'translation and module binary', which includes building the arena" },
    { ...measure("binaryen: the same with tier 2's passes", perOp, () => {
      for (const s of snapshots) binaryenBytes(binaryen, s, TIER2_PASSES);
    }, maxTime), note: TIER2_PASSES.join(", ") },
  ];
}

export const benchMicro = command({
  name: "micro",
  summary: "benchmark.js: decoder and translator throughput (npm run bench:micro)",
  args: [],
  options: {
    "max-time": int("SECONDS", "time spent measuring each benchmark", { min: 1, max: 600 }, 3),
  },
  run: runMicro,
});

type Binaryen = typeof import("binaryen").default;

async function runMicro(o: { "max-time": number }): Promise<number> {
  const maxTime = o["max-time"];
  const streams = codeStreams().map((s) => new Stream(s.code));
  const insn = new Insn();
  const perOp = streams.reduce((n, s) => n + decodeAll(s, insn), 0);
  const results: MicroResult[] = [];
  process.stderr.write(`decoder: ${perOp} instructions from ${streams.length} native builds per operation\n`);
  results.push(
    measure("decoder (32-bit code)", perOp, () => {
      for (const s of streams) decodeAll(s, insn);
    }, maxTime),
  );
  // Loaded here only: Binaryen takes ~220 ms to load.
  const binaryen = (await import("binaryen")).default;
  results.push(...translatorResults(maxTime, binaryen));
  const report: MicroReport = { host: hostInfo(), results };
  const md =
    `Measured ${hostLine(report.host)} with benchmark.js.\n\n` +
    markdownTable(
      ["benchmark", "M instructions/s", "µs per instruction", "± %", "instructions per op", "note"],
      results.map((r) => [
        r.name,
        sig(r.instructionsPerSecond / 1e6),
        sig(1e6 / r.instructionsPerSecond),
        r.rme.toFixed(1),
        r.instructionsPerOp,
        r.note,
      ]),
    );
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, "micro.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(RESULTS, "micro.md"), md);
  process.stdout.write("\n" + md + "\nResults: bench/results/micro.{json,md}\n");
  return 0;
}
