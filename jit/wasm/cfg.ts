/**
 * A control-flow graph of code blocks rendered into structured Wasm. For a
 * reducible graph every edge becomes a plain `br` or inlined code, with no
 * label variable dispatching at run time: the dominator-tree method of Ramsey,
 * "Beyond Relooper" (ICFP 2022). A block that is the target of a back edge
 * heads a Wasm `loop`; a block with two or more forward predecessors (a merge
 * point) gets a Wasm `block` ending just before its code, so forward branches
 * to it are `br`s out of that block; every other block has exactly one
 * predecessor and its code is written where that predecessor branches to it.
 */
import type { I32, Stmt, WasmModule } from "./encoder.js";

interface Edge {
  to: number;
  /** Taken when non-zero; the edge without a condition is the default. */
  cond: I32 | null;
}

interface Node {
  code: Stmt;
  edges: Edge[];
  /** A switch block: br_table on `selector` over `cases` (value → target), `edges[0]` the default. */
  selector: I32 | null;
  cases: Map<number, number>;
}

export class Cfg {
  private readonly nodes: Node[] = [];

  constructor(private readonly m: WasmModule) {}

  /** A block whose code ends by falling into its edges. */
  block(code: Stmt): number {
    this.nodes.push({ code, edges: [], selector: null, cases: new Map() });
    return this.nodes.length - 1;
  }

  /** A block that leaves through `switchBranch` edges chosen by `selector`, or its default edge. */
  switchBlock(code: Stmt, selector: I32): number {
    this.nodes.push({ code, edges: [], selector, cases: new Map() });
    return this.nodes.length - 1;
  }

  /** An edge, tried in the order added; with no condition it is the default, taken when no other is. */
  branch(from: number, to: number, condition?: I32): void {
    this.nodes[from].edges.push({ to, cond: condition ?? null });
  }

  switchBranch(from: number, to: number, values: readonly number[]): void {
    for (const v of values) this.nodes[from].cases.set(v, to);
  }

  /** The structured code of the graph entered at `entry`; blocks not reachable from it are left out. */
  render(entry: number): Stmt {
    const m = this.m;
    const nodes = this.nodes;
    const n = nodes.length;
    const succ = nodes.map((x) => {
      const out: number[] = [];
      for (const e of x.edges) if (!out.includes(e.to)) out.push(e.to);
      for (const t of x.cases.values()) if (!out.includes(t)) out.push(t);
      return out;
    });

    // Reverse postorder from the entry (iterative DFS).
    const order = new Int32Array(n).fill(-1);
    const post: number[] = [];
    const state = new Uint8Array(n);
    const stack: [number, number][] = [[entry, 0]];
    state[entry] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [v, k] = top;
      if (k < succ[v].length) {
        top[1]++;
        const w = succ[v][k];
        if (state[w] === 0) {
          state[w] = 1;
          stack.push([w, 0]);
        }
      } else {
        stack.pop();
        post.push(v);
      }
    }
    const rpo = post.reverse();
    rpo.forEach((v, k) => (order[v] = k));

    // Immediate dominators (Cooper, Harvey, Kennedy).
    const preds: number[][] = Array.from({ length: n }, () => []);
    for (const v of rpo) for (const w of succ[v]) preds[w].push(v);
    const idom = new Int32Array(n).fill(-1);
    idom[entry] = entry;
    const intersect = (a: number, b: number): number => {
      while (a !== b) {
        while (order[a] > order[b]) a = idom[a];
        while (order[b] > order[a]) b = idom[b];
      }
      return a;
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (const v of rpo) {
        if (v === entry) continue;
        let d = -1;
        for (const p of preds[v]) if (idom[p] >= 0) d = d < 0 ? p : intersect(p, d);
        if (d !== idom[v]) {
          idom[v] = d;
          changed = true;
        }
      }
    }
    const dominates = (a: number, b: number): boolean => {
      for (let v = b; ; v = idom[v]) {
        if (v === a) return true;
        if (v === entry) return false;
      }
    };

    const loopHeader = new Uint8Array(n);
    const forwardPreds = new Int32Array(n);
    const merge = new Uint8Array(n);
    for (const v of rpo) {
      for (const w of succ[v]) {
        if (order[w] > order[v]) continue;
        if (!dominates(w, v)) throw new Error("jit: irreducible control flow");
        loopHeader[w] = 1;
      }
      // Per edge, not per successor: two edges to one block would otherwise write its code twice.
      for (const e of nodes[v].edges) if (order[e.to] > order[v]) forwardPreds[e.to]++;
      // br_table needs a label for each of its targets.
      if (nodes[v].selector !== null) for (const w of succ[v]) merge[w] = 1;
    }
    for (const v of rpo) if (forwardPreds[v] >= 2) merge[v] = 1;
    const children: number[][] = Array.from({ length: n }, () => []);
    for (const v of rpo) if (v !== entry) children[idom[v]].push(v);
    const blockLabel = new Int32Array(n);
    const loopLabel = new Int32Array(n);
    for (const v of rpo) {
      blockLabel[v] = m.label();
      loopLabel[v] = m.label();
    }

    const goto = (from: number, to: number): Stmt => {
      if (order[to] <= order[from]) return m.br(loopLabel[to]);
      if (merge[to]) return m.br(blockLabel[to]);
      return tree(to);
    };
    const branches = (x: number): Stmt[] => {
      const node = nodes[x];
      if (node.selector !== null) {
        const max = Math.max(-1, ...node.cases.keys());
        const fallback = node.edges.length > 0 ? node.edges[0].to : -1;
        const targets: number[] = [];
        for (let v = 0; v <= max; v++) targets.push(blockLabel[node.cases.get(v) ?? fallback]);
        return [m.brTable(targets, blockLabel[fallback], node.selector)];
      }
      const out: Stmt[] = [];
      let hasDefault = false;
      for (const e of node.edges) {
        if (e.cond === null) {
          out.push(goto(x, e.to));
          hasDefault = true;
          break;
        }
        const labelled = order[e.to] <= order[x] || merge[e.to];
        out.push(labelled ? m.br(order[e.to] <= order[x] ? loopLabel[e.to] : blockLabel[e.to], e.cond) : m.if(e.cond, goto(x, e.to)));
      }
      if (!hasDefault && node.edges.length > 0) out.push(m.unreachable());
      return out;
    };
    // x's code, wrapped in one block per merge child (the latest in reverse postorder outermost).
    const within = (x: number, ys: number[], k: number): Stmt => {
      if (k === ys.length) return m.block(null, [nodes[x].code, ...branches(x)]);
      const y = ys[k];
      return m.block(null, [m.block(blockLabel[y], [within(x, ys, k + 1)]), tree(y)]);
    };
    const tree = (x: number): Stmt => {
      const ys = children[x].filter((y) => merge[y]).sort((a, b) => order[b] - order[a]);
      const body = within(x, ys, 0);
      return loopHeader[x] ? m.loop(loopLabel[x], body) : body;
    };
    return tree(entry);
  }
}
