/**
 * The Binaryen code generator: the translator's arena IR (jit/wasm/encoder.ts),
 * taken as a snapshot, built as a Binaryen module instead of written to bytes
 * directly. The direct encoder writes the same IR in one walk; this one builds
 * Binaryen's own tree (tens of nanoseconds per node), which its passes can then
 * optimize. See ARCHITECTURE.md, "Code generators and tiers".
 */
import type binaryen from "binaryen";
import { Op } from "../wasm/opcodes.js";
import { Kind, type ModuleSnapshot, NONE, STRIDE, T, type ValType } from "../wasm/encoder.js";

type Binaryen = typeof binaryen;
type Ref = number;
type BModule = binaryen.Module;

/** Wasm features the translator's modules use (sign extension, tail calls) and none V8 lacks. */
export function features(b: Binaryen): number {
  return b.Features.SignExt | b.Features.TailCall | b.Features.MutableGlobals | b.Features.BulkMemory;
}

function typeOf(b: Binaryen, t: T): number {
  return t === T.I32 ? b.i32 : t === T.I64 ? b.i64 : t === T.F64 ? b.f64 : b.none;
}

function valType(b: Binaryen, v: ValType | "none"): number {
  return v === "i32" ? b.i32 : v === "i64" ? b.i64 : v === "f64" ? b.f64 : b.none;
}

type Unary = (m: BModule, a: Ref) => Ref;
type Binary = (m: BModule, a: Ref, b: Ref) => Ref;

const UNARY = new Map<number, Unary>([
  [Op.I32_EQZ, (m, a) => m.i32.eqz(a)],
  [Op.I32_CLZ, (m, a) => m.i32.clz(a)],
  [Op.I32_CTZ, (m, a) => m.i32.ctz(a)],
  [Op.I32_POPCNT, (m, a) => m.i32.popcnt(a)],
  [Op.I32_EXTEND8_S, (m, a) => m.i32.extend8_s(a)],
  [Op.I32_EXTEND16_S, (m, a) => m.i32.extend16_s(a)],
  [Op.I64_EXTEND_I32_S, (m, a) => m.i64.extend_s(a)],
  [Op.I64_EXTEND_I32_U, (m, a) => m.i64.extend_u(a)],
  [Op.I32_WRAP_I64, (m, a) => m.i32.wrap(a)],
  [Op.F64_FLOOR, (m, a) => m.f64.floor(a)],
  [Op.I32_TRUNC_F64_U, (m, a) => m.i32.trunc_u.f64(a)],
  [Op.F64_CONVERT_I32_U, (m, a) => m.f64.convert_u.i32(a)],
]);

const BINARY = new Map<number, Binary>([
  [Op.I32_ADD, (m, a, b) => m.i32.add(a, b)],
  [Op.I32_SUB, (m, a, b) => m.i32.sub(a, b)],
  [Op.I32_MUL, (m, a, b) => m.i32.mul(a, b)],
  [Op.I32_DIV_S, (m, a, b) => m.i32.div_s(a, b)],
  [Op.I32_DIV_U, (m, a, b) => m.i32.div_u(a, b)],
  [Op.I32_REM_S, (m, a, b) => m.i32.rem_s(a, b)],
  [Op.I32_REM_U, (m, a, b) => m.i32.rem_u(a, b)],
  [Op.I32_AND, (m, a, b) => m.i32.and(a, b)],
  [Op.I32_OR, (m, a, b) => m.i32.or(a, b)],
  [Op.I32_XOR, (m, a, b) => m.i32.xor(a, b)],
  [Op.I32_SHL, (m, a, b) => m.i32.shl(a, b)],
  [Op.I32_SHR_S, (m, a, b) => m.i32.shr_s(a, b)],
  [Op.I32_SHR_U, (m, a, b) => m.i32.shr_u(a, b)],
  [Op.I32_ROTL, (m, a, b) => m.i32.rotl(a, b)],
  [Op.I32_ROTR, (m, a, b) => m.i32.rotr(a, b)],
  [Op.I32_EQ, (m, a, b) => m.i32.eq(a, b)],
  [Op.I32_NE, (m, a, b) => m.i32.ne(a, b)],
  [Op.I32_LT_S, (m, a, b) => m.i32.lt_s(a, b)],
  [Op.I32_LT_U, (m, a, b) => m.i32.lt_u(a, b)],
  [Op.I32_GT_S, (m, a, b) => m.i32.gt_s(a, b)],
  [Op.I32_GT_U, (m, a, b) => m.i32.gt_u(a, b)],
  [Op.I32_LE_S, (m, a, b) => m.i32.le_s(a, b)],
  [Op.I32_LE_U, (m, a, b) => m.i32.le_u(a, b)],
  [Op.I32_GE_S, (m, a, b) => m.i32.ge_s(a, b)],
  [Op.I32_GE_U, (m, a, b) => m.i32.ge_u(a, b)],
  [Op.I64_MUL, (m, a, b) => m.i64.mul(a, b)],
  [Op.I64_DIV_S, (m, a, b) => m.i64.div_s(a, b)],
  [Op.I64_DIV_U, (m, a, b) => m.i64.div_u(a, b)],
  [Op.I64_REM_S, (m, a, b) => m.i64.rem_s(a, b)],
  [Op.I64_REM_U, (m, a, b) => m.i64.rem_u(a, b)],
  [Op.I64_OR, (m, a, b) => m.i64.or(a, b)],
  [Op.I64_SHL, (m, a, b) => m.i64.shl(a, b)],
  [Op.I64_SHR_U, (m, a, b) => m.i64.shr_u(a, b)],
  [Op.F64_ADD, (m, a, b) => m.f64.add(a, b)],
  [Op.F64_SUB, (m, a, b) => m.f64.sub(a, b)],
  [Op.F64_MUL, (m, a, b) => m.f64.mul(a, b)],
  [Op.F64_DIV, (m, a, b) => m.f64.div(a, b)],
  [Op.F64_LT, (m, a, b) => m.f64.lt(a, b)],
  [Op.F64_GE, (m, a, b) => m.f64.ge(a, b)],
]);

type Load = (m: BModule, offset: number, ptr: Ref) => Ref;
type Store = (m: BModule, offset: number, ptr: Ref, value: Ref) => Ref;

// Alignment hints as the direct encoder writes them: byte-aligned integers, 8-byte f64s.
const LOAD = new Map<number, Load>([
  [Op.I32_LOAD, (m, o, p) => m.i32.load(o, 1, p)],
  [Op.I32_LOAD8_U, (m, o, p) => m.i32.load8_u(o, 1, p)],
  [Op.I32_LOAD8_S, (m, o, p) => m.i32.load8_s(o, 1, p)],
  [Op.I32_LOAD16_U, (m, o, p) => m.i32.load16_u(o, 1, p)],
  [Op.I32_LOAD16_S, (m, o, p) => m.i32.load16_s(o, 1, p)],
  [Op.F64_LOAD, (m, o, p) => m.f64.load(o, 8, p)],
]);

const STORE = new Map<number, Store>([
  [Op.I32_STORE, (m, o, p, v) => m.i32.store(o, 1, p, v)],
  [Op.I32_STORE8, (m, o, p, v) => m.i32.store8(o, 1, p, v)],
  [Op.I32_STORE16, (m, o, p, v) => m.i32.store16(o, 1, p, v)],
  [Op.F64_STORE, (m, o, p, v) => m.f64.store(o, 8, p, v)],
]);

const label = (id: number): string => `L${id}`;

/** Build the snapshot's module in Binaryen (the caller disposes of it). */
export function lower(b: Binaryen, s: ModuleSnapshot): BModule {
  const m = new b.Module();
  m.setFeatures(features(b));
  const TABLE = "0";
  if (s.memoryImported) {
    m.setMemory(0, 65536, null);
    m.addMemoryImport("0", "env", "memory");
  }
  if (s.table) {
    m.addTable(TABLE, s.table.min, s.table.min);
    if (s.table.exported) m.addTableExport(TABLE, s.table.exported);
  }
  const sigParams = s.signatures.map((g) => b.createType(g.params.map((p) => valType(b, p))));
  const sigResult = s.signatures.map((g) => valType(b, g.result));
  const names: string[] = [];
  for (const imp of s.imports) {
    m.addFunctionImport(imp.name, "env", imp.name, sigParams[imp.type], sigResult[imp.type]);
    names.push(imp.name);
  }
  for (const f of s.functions) names.push(f.name);

  const n = s.nodes;
  const lists = s.lists;
  const children = (start: number, count: number): Ref[] => {
    const out: Ref[] = [];
    for (let k = 0; k < count; k++) out.push(expr(lists[start + k]));
    return out;
  };
  const expr = (e: number): Ref => {
    const at = e * STRIDE;
    const kind = (n[at] & 0xff) as Kind;
    const type = (n[at] >>> 8) as T;
    const a = n[at + 1];
    const bb = n[at + 2];
    const c = n[at + 3];
    const d = n[at + 4];
    switch (kind) {
      case Kind.CONST:
        return m.i32.const(a);
      case Kind.CONST_I64:
        return m.i64.const(s.i64s[a]);
      case Kind.CONST_F64:
        return m.f64.const(s.f64s[a]);
      case Kind.GET:
        return m.local.get(a, typeOf(b, type));
      case Kind.SET:
        return m.local.set(a, expr(bb));
      case Kind.TEE:
        return m.local.tee(a, expr(bb), b.i32);
      case Kind.UNARY:
        return (UNARY.get(a) as Unary)(m, expr(bb));
      case Kind.BINARY: {
        const x = expr(bb);
        return (BINARY.get(a) as Binary)(m, x, expr(c));
      }
      case Kind.LOAD:
        return (LOAD.get(a) as Load)(m, c >>> 0, expr(bb));
      case Kind.STORE: {
        const ptr = expr(bb);
        return (STORE.get(a) as Store)(m, d >>> 0, ptr, expr(c));
      }
      case Kind.BLOCK:
        return m.block(a === NONE ? null : label(a), children(bb, c), typeOf(b, type));
      case Kind.LOOP:
        return m.loop(label(a), expr(bb));
      case Kind.IF: {
        const cond = expr(a);
        const then = expr(bb);
        return m.if(cond, then, c === NONE ? undefined : expr(c));
      }
      case Kind.SELECT: {
        const x = expr(bb);
        const y = expr(c);
        return m.select(expr(a), x, y);
      }
      case Kind.BR:
        return m.br(label(a), bb === NONE ? undefined : expr(bb));
      case Kind.BR_TABLE: {
        const targets: string[] = [];
        for (let k = 0; k < bb - 1; k++) targets.push(label(lists[a + k]));
        return m.switch(targets, label(lists[a + bb - 1]), expr(c));
      }
      case Kind.RETURN:
        return m.return(a === NONE ? undefined : expr(a));
      case Kind.UNREACHABLE:
        return m.unreachable();
      case Kind.NOP:
        return m.nop();
      case Kind.DROP:
        return m.drop(expr(a));
      case Kind.CALL:
        return m.call(names[a], children(bb, c), typeOf(b, type));
      case Kind.CALL_INDIRECT:
      case Kind.RETURN_CALL_INDIRECT: {
        const args = children(bb, c);
        const target = expr(d);
        return kind === Kind.CALL_INDIRECT
          ? m.call_indirect(TABLE, target, args, sigParams[a], sigResult[a])
          : m.return_call_indirect(TABLE, target, args, sigParams[a], sigResult[a]);
      }
    }
  };

  for (const f of s.functions) {
    const sig = f.type;
    m.addFunction(f.name, sigParams[sig], sigResult[sig], f.locals.map((l) => valType(b, l)), expr(f.body));
  }
  for (const e of s.exports) m.addFunctionExport(names[e.index], e.name);
  return m;
}

/** The snapshot's module built through Binaryen, run through `passes` (none: as built), as bytes. */
export function binaryenBytes(b: Binaryen, s: ModuleSnapshot, passes: readonly string[]): Uint8Array<ArrayBuffer> {
  const m = lower(b, s);
  try {
    if (passes.length > 0) m.runPasses([...passes]);
    return new Uint8Array(m.emitBinary());
  } finally {
    m.dispose();
  }
}
