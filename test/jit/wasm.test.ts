/**
 * The Wasm encoder and the structured control-flow renderer (jit/wasm/):
 * random reducible control-flow graphs, some with several entries, are rendered,
 * compiled and run; the path taken must be the graph's own. Modules translated
 * from guest programs also pass Binaryen's validator, an independent reading of
 * the binary format.
 */
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { Cfg } from "../../jit/wasm/cfg.js";
import { type I32, type Local, type Stmt, WasmModule } from "../../jit/wasm/encoder.js";
import { bootImage } from "../../runtime/image.js";
import { createMachine } from "../../runtime/machine.js";
import { ModuleBuilder } from "../../jit/batch.js";
import type { JitEngine } from "../../runtime/jit.js";

class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (Math.imul(this.s, 1103515245) + 12345) >>> 0;
    return this.s >>> 8;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

/** Successor lists of a random graph: node k branches to up to two nodes, or exits (-1). */
function randomGraph(r: Rng, n: number): number[][] {
  return Array.from({ length: n }, (_, k) => {
    const pick = () => (r.below(6) === 0 ? -1 : r.below(3) === 0 ? r.below(k + 1) : Math.min(n - 1, k + 1 + r.below(3)));
    return r.below(4) === 0 ? [pick()] : [pick(), pick()];
  });
}

/** Reducible: every retreating edge of a DFS from the entries goes to a node that dominates its source (the textbook definition). */
function reducible(succ: number[][], entries: number[]): boolean {
  const n = succ.length;
  const reach = (skip: number): boolean[] => {
    const seen = new Array<boolean>(n).fill(false);
    const stack = entries.filter((e) => e !== skip);
    for (const e of stack) seen[e] = true;
    while (stack.length) {
      const v = stack.pop() as number;
      for (const w of succ[v]) if (w >= 0 && w !== skip && !seen[w]) (seen[w] = true), stack.push(w);
    }
    return seen;
  };
  const all = reach(-1);
  const dominates = (a: number, b: number) => a === b || (all[b] && !reach(a)[b]);
  const state = new Array<number>(n).fill(0);
  let ok = true;
  const visit = (v: number) => {
    state[v] = 1;
    for (const w of succ[v]) {
      if (w < 0) continue;
      if (state[w] === 0) visit(w);
      else if (state[w] === 1 && !dominates(w, v)) ok = false;
    }
    state[v] = 2;
  };
  for (const e of entries) if (state[e] === 0) visit(e);
  return ok;
}

const TAPE = 0x1000;
const TRACE = 0x2000;
const STEPS = 200;

/**
 * One function per graph: each node appends its number to the trace and takes
 * the branch the tape says; after STEPS nodes, or at an exit, it returns.
 */
function render(succ: number[][], entries: number[]): Uint8Array<ArrayBuffer> {
  const m = new WasmModule();
  m.importMemory();
  const pos: Local<"i32"> = { index: 1, type: "i32" };
  const g = () => m.get(pos);
  const cfg = new Cfg(m);
  const exitCode = (): Stmt => m.br("done");
  const ids = succ.map((out, k) => {
    const body: Stmt[] = [
      m.store(32, m.shl(g(), m.c(2)), m.c(k), TRACE),
      m.set(pos, m.add(g(), m.c(1))),
      m.if(m.geU(g(), m.c(STEPS)), exitCode()),
    ];
    if (out.length === 1 && out[0] < 0) body.push(exitCode());
    return cfg.block(m.block(null, body));
  });
  const exitIds = new Map<number, number>();
  succ.forEach((out, k) => {
    const cond: I32 = m.load8(g(), TAPE);
    const targets = out.map((t) => {
      if (t >= 0) return ids[t];
      let e = exitIds.get(k);
      if (e === undefined) exitIds.set(k, (e = cfg.block(exitCode())));
      return e;
    });
    if (out.length === 2) {
      cfg.branch(ids[k], targets[0], cond);
      cfg.branch(ids[k], targets[1]);
    } else if (out[0] >= 0) {
      cfg.branch(ids[k], targets[0]);
    }
  });
  let entry = ids[entries[0]];
  if (entries.length > 1) {
    entry = cfg.switchBlock(m.nop(), m.get({ index: 0, type: "i32" }));
    entries.forEach((b, k) => {
      if (k > 0) cfg.switchBranch(entry, ids[b], [k]);
    });
    cfg.branch(entry, ids[entries[0]]);
  }
  const body = m.block(null, [m.block("done", [cfg.render(entry)]), m.return(g())]);
  m.addFunction("run", ["i32"], "i32", ["i32"], body);
  m.exportFunction("run");
  return m.finish();
}

/** The path the graph takes from `start` under the tape, as the rendered code records it. */
function walk(succ: number[][], start: number, tape: Uint8Array): number[] {
  const path: number[] = [];
  let v = start;
  for (;;) {
    path.push(v);
    if (path.length >= STEPS) return path;
    const out = succ[v];
    const t = out.length === 2 ? (tape[path.length] ? out[0] : out[1]) : out[0];
    if (t < 0) return path;
    v = t;
  }
}

describe("structured control flow from random reducible graphs", () => {
  it("takes the graph's own path for 3000 graphs and tapes", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const u8 = new Uint8Array(memory.buffer);
    const i32 = new Int32Array(memory.buffer);
    const r = new Rng(12345);
    let graphs = 0;
    let multiEntry = 0;
    for (let trial = 0; graphs < 3000 && trial < 100_000; trial++) {
      const n = 2 + r.below(24);
      const succ = randomGraph(r, n);
      const entries = [0];
      for (let k = 1; k < n && entries.length < 4; k++) if (r.below(5) === 0) entries.push(k);
      if (!reducible(succ, entries)) continue;
      graphs++;
      if (entries.length > 1) multiEntry++;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(render(succ, entries)), { env: { memory } });
      const run = instance.exports.run as (entry: number) => number;
      for (let t = 0; t < 3; t++) {
        for (let k = 0; k < STEPS + 1; k++) u8[TAPE + k] = r.below(2);
        const e = r.below(entries.length);
        const expected = walk(succ, entries[e], u8.subarray(TAPE, TAPE + STEPS + 1));
        const steps = run(e);
        const got = Array.from(i32.subarray(TRACE >> 2, (TRACE >> 2) + steps));
        expect(got).toEqual(expected);
      }
    }
    expect(graphs).toBe(3000);
    expect(multiEntry).toBeGreaterThan(300);
  });
});

describe("modules translated from guest programs", () => {
  it("pass Binaryen's validator and keep every region function", () => {
    for (const image of ["guests/default/default.bin", "bench/guests/build/sha256.bin", "bench/guests/build/realmode.bin", "bench/guests/build/bytecode.bin"]) {
      const path = new URL(`../../${image}`, import.meta.url).pathname;
      const m = createMachine({ memMiB: 64, engine: "jit", jit: { hotThreshold: 2 } });
      bootImage(m, path, new Uint8Array(readFileSync(path)), {});
      m.runSync(3_000_000);
      const regions = [...(m.engine as JitEngine).cache.regions()].map((t) => t.region);
      expect(regions.length, image).toBeGreaterThan(5);
      const b = new ModuleBuilder(m.cpu.ramBytes, m.cpu.codeWrites.map.chunkShift);
      for (const region of regions) b.add(region);
      const built = b.finish();
      const mod = binaryen.readBinary(built.binary);
      // The translator may use the sign-extension operators on top of the MVP, nothing else.
      mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SignExt);
      expect(mod.validate()).toBeTruthy();
      const exported = new WebAssembly.Module(built.binary);
      expect(WebAssembly.Module.exports(exported).length).toBe(regions.length);
      mod.dispose();
    }
  });
});
