/**
 * The dispatcher (ARCHITECTURE.md "The JIT: Contexts and the dispatcher", and
 * "The JIT: Costs" for why it is Wasm): one Wasm module per engine that owns the
 * table of region functions and chains regions without returning to
 * JavaScript. `run()` looks CS:EIP up in the dispatch hash (jit/layout.ts),
 * checks that the code page still maps to the physical address the region was
 * translated from, and calls the region through the table; a region that left
 * through a plain jump or branch (RegionStatus.CHAIN) is followed by the next
 * lookup. Region modules export their functions and the engine puts them in
 * this module's table, so no region module imports the table.
 */
import * as L from "../src/cpu/layout.js";
import { Sreg } from "../src/cpu/layout.js";
import { DISPATCH_BITS, JIT_BUDGET, DISPATCH_HASH, DISPATCH_MULTIPLIER, JIT_A20, JIT_CHAIN, JIT_CONTEXT, JIT_LAST, JIT_RUNS, RegionStatus, TIER_COUNTERS, TIER_COUNTS } from "./layout.js";
import { type Local, WasmModule } from "./wasm/encoder.js";

export const DISPATCH_RUN = "run";
export const DISPATCH_TABLE = "table";
/** `entry << ENTRY_SHIFT | table index` in the dispatch hash's last word. */
export const ENTRY_SHIFT = 24;

/** The dispatcher module's binary, with a table of `tableSize` region functions. */
export function dispatcherModule(tableSize: number): Uint8Array<ArrayBuffer> {
  const m = new WasmModule();
  m.importMemory();
  m.defineTable(tableSize, DISPATCH_TABLE);
  const region = m.signature(["i32"], "i32");
  const local = (index: number): Local<"i32"> => ({ index, type: "i32" });
  const [eip, p, la, e, pa, w, s, chain] = [0, 1, 2, 3, 4, 5, 6, 7].map(local);
  const g = (l: Local<"i32">) => m.get(l);
  const at = (addr: number) => m.loadAt(addr);
  const miss = (cond: ReturnType<WasmModule["ne"]>) => m.if(cond, m.return(m.c(RegionStatus.MISS)));
  const usShift = 31 - Math.clz32(L.TLB_US);
  const lookup = [
    m.set(eip, at(L.EIP)),
    m.set(p, m.add(m.shl(m.shrU(m.mul(m.xor(g(eip), m.shl(at(JIT_CONTEXT), m.c(4))), m.c(DISPATCH_MULTIPLIER)), m.c(32 - DISPATCH_BITS)), m.c(4)), m.c(DISPATCH_HASH))),
    miss(m.ne(m.load32(g(p)), g(eip))),
    miss(m.ne(m.load32(g(p), 4), at(JIT_CONTEXT))),
    m.set(la, m.add(at(L.SEG_BASE + 4 * Sreg.CS), g(eip))),
    m.if(
      m.ltS(at(L.CR_BASE), m.c(0)),
      m.block(null, [
        m.set(e, m.load32(m.shl(m.shrU(g(la), m.c(12)), m.c(2)), L.TLB_ENTRIES)),
        // Present, and user-accessible when CPL is 3: what the instruction fetch would check.
        m.set(w, m.or(m.c(L.TLB_P), m.shl(m.eq(at(L.CPL), m.c(3)), m.c(usShift)))),
        miss(m.ne(m.and(g(e), g(w)), g(w))),
        m.set(pa, m.or(m.and(g(e), m.c(~0xfff)), m.and(g(la), m.c(0xfff)))),
      ]),
      m.set(pa, m.and(g(la), at(JIT_A20))),
    ),
    miss(m.ne(m.load32(g(p), 8), g(pa))),
    m.set(w, m.load32(g(p), 12)),
    m.storeAt(JIT_LAST, g(w)),
    m.storeF64At(JIT_RUNS, m.addF(m.loadF64At(JIT_RUNS), m.cF(1))),
    m.set(la, at(JIT_BUDGET)),
    m.set(s, m.callIndirectI32(region, [m.shrU(g(w), m.c(ENTRY_SHIFT))], m.and(g(w), m.c((1 << ENTRY_SHIFT) - 1)))),
    // The instructions it retired, to its hotness counter.
    m.set(e, m.shl(m.and(g(w), m.c(TIER_COUNTERS - 1)), m.c(2))),
    m.store(32, g(e), m.add(m.load32(g(e), TIER_COUNTS), m.sub(g(la), at(JIT_BUDGET))), TIER_COUNTS),
    m.if(m.ne(g(s), m.c(RegionStatus.CHAIN)), m.return(g(s))),
    m.set(chain, m.sub(g(chain), m.c(1))),
    m.if(m.eqz(g(chain)), m.return(m.c(RegionStatus.CHAINED))),
    m.br("next"),
  ];
  const body = m.block(null, [m.set(chain, at(JIT_CHAIN)), m.loop("next", m.block(null, lookup)), m.unreachable()]);
  m.addFunction(DISPATCH_RUN, [], "i32", ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"], body);
  m.exportFunction(DISPATCH_RUN);
  return m.finish();
}
