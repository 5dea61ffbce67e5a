/**
 * Region discovery. From a hot entry, the code of its page is decoded from
 * physical memory and followed through fall-through and direct branches that
 * stay in the same linear (hence physical) page; the result is a control-flow
 * graph of basic blocks with several entry points. Anything leaving the page,
 * every indirect branch and every instruction that must return to the
 * dispatcher becomes a region exit.
 */
import { type CodeBytes, decode } from "../src/decode/decoder.js";
import { Insn } from "../src/decode/insn.js";
import { RAM_BASE } from "../src/cpu/layout.js";
import { OPCODES } from "../src/isa/opcodes.js";
import type { OpRow } from "../src/isa/row.js";
import { type Classification, classify, Kind } from "./classify.js";
import type { Mode } from "./modekey.js";

/** How control leaves an instruction. */
export const enum Flow {
  FALL,
  /** Direct unconditional transfer (JMP rel, CALL rel). */
  JUMP,
  /** Direct conditional transfer (Jcc, LOOP, JCXZ): target or fall through. */
  COND,
  /** Indirect transfer computed by the emitter (RET, JMP/CALL r/m). */
  DYNAMIC,
  /** Back to the dispatcher with EIP as the helper left it, or a fault. */
  EXIT,
}

export interface RegionInsn {
  readonly insn: Insn;
  readonly row: OpRow;
  readonly eip: number;
  /** Offset in the page. */
  readonly off: number;
  readonly cls: Classification;
  readonly flow: Flow;
  /** JUMP/COND target EIP. */
  readonly target: number;
}

/** Where control goes: a block of the region, or an exit to a static EIP. */
export type Successor = { block: number } | { exit: number };

export interface RegionBlock {
  readonly eip: number;
  readonly insns: RegionInsn[];
  /** After the last instruction falls through (or a COND is not taken); null for JUMP/DYNAMIC/EXIT. */
  next: Successor | null;
  /** JUMP/COND target. */
  taken: Successor | null;
}

export interface Region {
  /** Physical address of the primary entry. */
  readonly pa: number;
  readonly eip: number;
  readonly csBase: number;
  readonly csLimit: number;
  readonly mode: Mode;
  readonly blocks: RegionBlock[];
  /** Block indices that may be entered from the dispatcher; the first is the primary entry. */
  readonly entries: number[];
  readonly instructions: number;
  /** [start, end) page offsets of the translated instruction bytes. */
  readonly ranges: [number, number][];
}

/** At most this many instructions per region. */
const MAX_REGION_INSNS = 400;
/** At most this many dispatcher entry points per region. */
const MAX_ENTRIES = 32;

/** Thrown when an instruction runs past the page end: a sentinel, never written, so one serves every discovery. */
const CROSSES = { crosses: true };

/** Instruction bytes at a page offset, from guest RAM; reading past the page end is refused. */
class PageBytes implements CodeBytes {
  start = 0;
  constructor(
    private readonly u8: Uint8Array,
    private readonly frameBase: number,
  ) {}
  byte(k: number): number {
    const o = this.start + k;
    if (o >= 0x1000) throw CROSSES;
    return this.u8[RAM_BASE + this.frameBase + o];
  }
}

function flowOf(row: OpRow, cls: Classification): Flow {
  if (cls.kind === Kind.HELPER_EXIT || cls.kind === Kind.FAULT) return Flow.EXIT;
  if (cls.kind !== Kind.INLINE) return Flow.FALL;
  const e = cls.emitter;
  if (e?.condition) return Flow.COND;
  if (e?.target) return Flow.DYNAMIC;
  if (row.exec === "control.jmp" || row.exec === "control.call") return Flow.JUMP;
  return Flow.FALL;
}

/**
 * Discover the region entered at physical `pa` (guest RAM) with EIP `eip`, or
 * undefined when not even the first instruction can be translated. Branch
 * targets are followed only where `executed` says the code has run (the engine
 * asks the interpreter's decode cache; by default everything counts): the paths never taken stay exits, so translation is
 * spent on code that runs, and a path that turns hot later gets its own region.
 */
export function discoverRegion(
  u8: Uint8Array,
  pa: number,
  eip: number,
  csBase: number,
  csLimit: number,
  mode: Mode,
  executed: (off: number) => boolean = () => true,
): Region | undefined {
  const frameBase = pa & ~0xfff;
  const entryOff = pa & 0xfff;
  const pageLa = (csBase + eip) & ~0xfff;
  const eipAt = (off: number) => (eip + (off - entryOff)) | 0;
  const offOf = (target: number) => {
    const la = (csBase + target) | 0;
    return (la & ~0xfff) === pageLa ? la & 0xfff : -1;
  };
  const bytes = new PageBytes(u8, frameBase);
  /** Decoded instruction per offset; null where translation stops before the offset. */
  const decoded = new Map<number, RegionInsn | null>();

  const decodeAt = (off: number): RegionInsn | null => {
    const known = decoded.get(off);
    if (known !== undefined) return known;
    const insn = new Insn();
    bytes.start = off;
    let ri: RegionInsn | null = null;
    try {
      decode(insn, bytes, mode.cs32);
      const at = eipAt(off);
      // The fetch itself would fault past the CS limit: the interpreter raises that.
      if (((at + insn.len - 1) | 0) >>> 0 <= csLimit >>> 0) {
        const row = OPCODES[insn.row];
        const cls = classify(row, insn, mode);
        const flow = flowOf(row, cls);
        const next = (at + insn.len) | 0;
        const target = flow === Flow.JUMP || flow === Flow.COND ? (insn.o32 ? (next + insn.imm) | 0 : (next + insn.imm) & 0xffff) : 0;
        // A direct target past the CS limit faults when taken: the helper raises it.
        const beyond = (flow === Flow.JUMP || flow === Flow.COND) && target >>> 0 > csLimit >>> 0;
        ri = beyond
          ? { insn, row, eip: at, off, cls: { kind: Kind.HELPER_EXIT }, flow: Flow.EXIT, target: 0 }
          : { insn, row, eip: at, off, cls, flow, target };
      }
    } catch (e) {
      if (e !== CROSSES) throw e;
    }
    decoded.set(off, ri);
    return ri;
  };

  const leaders = new Set<number>([entryOff]);
  const work = [entryOff];
  const seen = new Set<number>();
  let count = 0;
  while (work.length > 0 && count < MAX_REGION_INSNS) {
    let off = work.pop() as number;
    while (count < MAX_REGION_INSNS) {
      if (seen.has(off)) {
        leaders.add(off);
        break;
      }
      const ri = decodeAt(off);
      if (!ri) break;
      seen.add(off);
      count++;
      const next = off + ri.insn.len;
      if (ri.flow === Flow.JUMP || ri.flow === Flow.COND) {
        const t = offOf(ri.target);
        if (t >= 0 && !seen.has(t) && executed(t)) work.push(t);
        if (t >= 0) leaders.add(t);
        if (ri.flow === Flow.COND && next < 0x1000) {
          leaders.add(next);
          if (executed(next)) work.push(next);
        }
        break;
      }
      if (ri.flow !== Flow.FALL || next >= 0x1000) break;
      off = next;
    }
  }
  if (!seen.has(entryOff)) return undefined;

  // Blocks: from each decoded leader through fall-through until a leader or a transfer.
  const starts = [...leaders].filter((o) => seen.has(o)).sort((a, b) => a - b);
  const index = new Map<number, number>();
  starts.forEach((o, k) => index.set(o, k));
  const successor = (off: number): Successor => {
    const k = off < 0x1000 ? index.get(off) : undefined;
    return k !== undefined ? { block: k } : { exit: eipAt(off) };
  };
  const ranges: [number, number][] = [];
  const blocks: RegionBlock[] = starts.map((start) => {
    const insns: RegionInsn[] = [];
    let off = start;
    for (;;) {
      const ri = decoded.get(off) as RegionInsn;
      insns.push(ri);
      ranges.push([off, off + ri.insn.len]);
      const next = off + ri.insn.len;
      if (ri.flow !== Flow.FALL || !seen.has(next) || index.has(next)) break;
      off = next;
    }
    const last = insns[insns.length - 1];
    const end = last.off + last.insn.len;
    const block: RegionBlock = { eip: eipAt(start), insns, next: null, taken: null };
    if (last.flow === Flow.FALL || last.flow === Flow.COND) block.next = successor(end);
    if (last.flow === Flow.JUMP || last.flow === Flow.COND) {
      const t = offOf(last.target);
      block.taken = t >= 0 ? successor(t) : { exit: last.target };
    }
    return block;
  });
  const primary = index.get(entryOff) as number;
  makeReducible(blocks, primary);
  let entries = entryPoints(blocks, primary);
  if (!isReducible(successors(blocks), entries)) entries = [primary];
  return { pa, eip, csBase, csLimit, mode, blocks, entries, instructions: count, ranges };
}

function successors(blocks: RegionBlock[]): number[][] {
  return blocks.map((b) => [b.next, b.taken].flatMap((s) => (s && "block" in s ? [s.block] : [])));
}

/**
 * Depth-first order from `roots` (a virtual root reaching each): reverse
 * postorder, and the retreating edges (to a block still on the DFS stack).
 */
function depthFirst(succ: number[][], roots: readonly number[]): { rpo: number[]; retreating: [number, number][] } {
  const state = new Uint8Array(succ.length); // 0 unvisited, 1 on stack, 2 done
  const post: number[] = [];
  const retreating: [number, number][] = [];
  const visit = (v: number) => {
    state[v] = 1;
    for (const w of succ[v]) {
      if (state[w] === 0) visit(w);
      else if (state[w] === 1) retreating.push([v, w]);
    }
    state[v] = 2;
    post.push(v);
  };
  for (const r of roots) if (state[r] === 0) visit(r);
  return { rpo: post.reverse(), retreating };
}

/** Immediate dominators (Cooper, Harvey, Kennedy) over the graph with a virtual root before `roots`; -1 is that root. */
function dominators(succ: number[][], roots: readonly number[], rpo: number[]): Int32Array {
  const n = succ.length;
  const order = new Int32Array(n).fill(-1);
  rpo.forEach((v, k) => (order[v] = k));
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let v = 0; v < n; v++) for (const w of succ[v]) preds[w].push(v);
  const idom = new Int32Array(n).fill(-2); // -2 undefined
  for (const r of roots) idom[r] = -1;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      if (a === -1 || b === -1) return -1;
      while (a !== -1 && b !== -1 && order[a] > order[b]) a = idom[a];
      while (a !== -1 && b !== -1 && order[b] > order[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of rpo) {
      if (roots.includes(v)) continue;
      let d = -2;
      for (const p of preds[v]) if (idom[p] !== -2) d = d === -2 ? p : intersect(p, d);
      if (d !== idom[v]) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  return idom;
}

function dominates(idom: Int32Array, a: number, b: number): boolean {
  for (let v = b; v >= 0; v = idom[v]) if (v === a) return true;
  return false;
}

/**
 * The renderer (jit/wasm/cfg.ts) takes reducible graphs only (ARCHITECTURE.md
 * "The JIT: Regions"): an edge that enters a loop anywhere but at its header
 * becomes a region exit.
 */
function makeReducible(blocks: RegionBlock[], primary: number): void {
  const succ = successors(blocks);
  const { rpo, retreating } = depthFirst(succ, [primary]);
  const idom = dominators(succ, [primary], rpo);
  for (const [u, v] of retreating) {
    if (dominates(idom, v, u)) continue;
    const b = blocks[u];
    const exit = { exit: blocks[v].eip };
    if (b.taken && "block" in b.taken && b.taken.block === v) b.taken = exit;
    if (b.next && "block" in b.next && b.next.block === v) b.next = exit;
  }
}

/** Every retreating edge of a depth-first walk from the entries goes to a block that dominates its source. */
function isReducible(succ: number[][], roots: readonly number[]): boolean {
  const { rpo, retreating } = depthFirst(succ, roots);
  const idom = dominators(succ, roots, rpo);
  return retreating.every(([u, v]) => dominates(idom, v, u));
}

/**
 * Entry points that keep the graph reducible: the primary entry, every block on
 * no cycle, and every block that is the only way into its strongly connected
 * component. Entering a loop anywhere else would make the graph irreducible,
 * which the renderer (jit/wasm/cfg.ts) refuses.
 */
function entryPoints(blocks: RegionBlock[], primary: number): number[] {
  const n = blocks.length;
  const succ = successors(blocks);
  const comp = sccs(succ);
  const size = new Array<number>(n).fill(0);
  for (let b = 0; b < n; b++) size[comp[b]]++;
  const selfLoop = (b: number) => succ[b].includes(b);
  // Per component, the blocks entered from outside it (the primary entry counts as entered).
  const entered = new Map<number, Set<number>>();
  const enter = (b: number) => {
    let s = entered.get(comp[b]);
    if (!s) entered.set(comp[b], (s = new Set()));
    s.add(b);
  };
  enter(primary);
  for (let b = 0; b < n; b++) for (const t of succ[b]) if (comp[t] !== comp[b]) enter(t);
  const out = [primary];
  for (let b = 0; b < n && out.length < MAX_ENTRIES; b++) {
    if (b === primary) continue;
    const cyclic = size[comp[b]] > 1 || selfLoop(b);
    const ins = entered.get(comp[b]);
    if (!cyclic || (ins !== undefined && ins.size === 1 && ins.has(b))) out.push(b);
  }
  return out;
}

/** Tarjan's strongly connected components: component id per node. */
function sccs(succ: number[][]): number[] {
  const n = succ.length;
  const idx = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const comp = new Array<number>(n).fill(-1);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  let next = 0;
  let comps = 0;
  const visit = (v: number) => {
    idx[v] = low[v] = next++;
    stack.push(v);
    onStack[v] = true;
    for (const w of succ[v]) {
      if (idx[w] < 0) {
        visit(w);
        low[v] = Math.min(low[v], low[w]);
      } else if (onStack[w]) {
        low[v] = Math.min(low[v], idx[w]);
      }
    }
    if (low[v] === idx[v]) {
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = false;
        comp[w] = comps;
      } while (w !== v);
      comps++;
    }
  };
  for (let v = 0; v < n; v++) if (idx[v] < 0) visit(v);
  return comp;
}
