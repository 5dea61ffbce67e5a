/**
 * Small functions defined in every compiled module, called from region code on
 * uncommon paths: evaluating a lazy flag whose producer is not known at
 * translation time, and deciding whether a store to a frame with page flags may
 * stay on the fast path. Calls between functions of one module never leave Wasm.
 */
import { CF, LazyOp, OF } from "../src/cpu/flags.js";
import { CODE_ONLY } from "../src/cpu/codewrites.js";
import { CODE_MAP, PAGE_FLAGS_BASE } from "../src/cpu/layout.js";
import { Lib } from "./emit/names.js";
import type { I32, Local, WasmModule } from "./wasm/encoder.js";

const p = (index: number): Local<"i32"> => ({ index, type: "i32" });

/** flag(bit, mask, op, a, b, res, size, eflags): the value (0/1) of one arithmetic flag, as Cpu.flag computes it. */
function addFlag(m: WasmModule): void {
  const [bit, mask, op, a, b, r, size, eflags] = [0, 1, 2, 3, 4, 5, 6, 7].map(p);
  const sh = p(8);
  const g = (l: Local<"i32">) => m.get(l);
  const top = (v: I32) => m.and(m.shrU(v, m.get(sh)), m.c(1));
  const not = (v: I32) => m.xor(v, m.c(-1));
  const is = (v: number) => m.eq(g(bit), m.c(v));
  const byOp = (add: I32, sub: I32) => m.ifI32(m.eq(g(op), m.c(LazyOp.ADD)), add, m.ifI32(m.eq(g(op), m.c(LazyOp.SUB)), sub, m.c(0)));
  const cf = byOp(
    top(m.or(m.and(g(a), g(b)), m.and(m.or(g(a), g(b)), not(g(r))))),
    top(m.or(m.and(not(g(a)), g(b)), m.and(m.or(not(g(a)), g(b)), g(r)))),
  );
  const of = byOp(top(m.and(m.xor(g(a), g(r)), m.xor(g(b), g(r)))), top(m.and(m.xor(g(a), g(b)), m.xor(g(a), g(r)))));
  const af = m.ifI32(m.eq(g(op), m.c(LazyOp.LOGIC)), m.c(0), m.and(m.shrU(m.xor(m.xor(g(a), g(b)), g(r)), m.c(4)), m.c(1)));
  const zf = m.eqz(m.shl(g(r), m.sub(m.c(32), g(size))));
  const sf = top(g(r));
  const pf = m.xor(m.and(m.popcnt(m.and(g(r), m.c(0xff))), m.c(1)), m.c(1));
  const body = m.blockI32([
    m.if(m.eqz(m.and(g(mask), g(bit))), m.return(m.ne(m.and(g(eflags), g(bit)), m.c(0)))),
    m.set(sh, m.sub(g(size), m.c(1))),
    m.ifI32(is(CF), cf, m.ifI32(is(OF), of, m.ifI32(is(0x10), af, m.ifI32(is(0x40), zf, m.ifI32(is(0x80), sf, pf))))),
  ]);
  m.addFunction(Lib.FLAG, ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"], "i32", ["i32"], body);
}

/**
 * codeOk(pa, bytes): the negation of src/cpu/codewrites.ts `nearCode` for a store
 * within one frame of at most one chunk: the frame's flags are only CODE_ONLY
 * bits, and the code map marks neither end of [pa, pa + bytes).
 */
function addCodeOk(m: WasmModule, chunkShift: number): void {
  const [pa, bytes] = [0, 1].map(p);
  const first = p(2);
  const last = p(3);
  const bitOf = (k: Local<"i32">) => m.shrU(m.load8(m.shrU(m.get(k), m.c(3)), CODE_MAP), m.and(m.get(k), m.c(7)));
  const body = m.blockI32([
    m.if(m.and(m.load8(m.shrU(m.get(pa), m.c(12)), PAGE_FLAGS_BASE), m.c(~CODE_ONLY)), m.return(m.c(0))),
    m.set(first, m.shrU(m.get(pa), m.c(chunkShift))),
    m.set(last, m.shrU(m.sub(m.add(m.get(pa), m.get(bytes)), m.c(1)), m.c(chunkShift))),
    m.eqz(m.and(m.or(bitOf(first), bitOf(last)), m.c(1))),
  ]);
  m.addFunction(Lib.CODE_OK, ["i32", "i32"], "i32", ["i32", "i32"], body);
}

export function addLibrary(m: WasmModule, chunkShift: number): void {
  addFlag(m);
  addCodeOk(m, chunkShift);
}
