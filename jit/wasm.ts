/**
 * The typed layer over Binaryen that the rest of jit/ uses. Binaryen hands out
 * expressions as bare numbers; here they carry their Wasm type in the TypeScript
 * type (I32, F64, Stmt) so an emitter cannot store an f64 where an i32 belongs or
 * forget that a statement yields nothing. Only the operations the translator
 * needs are wrapped. Addresses are absolute offsets into the one imported memory.
 */
import binaryen from "binaryen";

declare const wasmType: unique symbol;
export type I32 = number & { readonly [wasmType]: "i32" };
export type F64 = number & { readonly [wasmType]: "f64" };
/** An expression of type none or unreachable. */
export type Stmt = number & { readonly [wasmType]: "stmt" };

/** A local of one function, with its type. */
export interface Local<T extends "i32" | "f64"> {
  readonly index: number;
  readonly type: T;
}

type Ref = binaryen.ExpressionRef;
const i32 = (e: Ref) => e as I32;
const f64 = (e: Ref) => e as F64;
const stmt = (e: Ref) => e as Stmt;

export type ValType = "i32" | "f64";
const TYPES: Record<ValType | "none", binaryen.Type> = { i32: binaryen.i32, f64: binaryen.f64, none: binaryen.none };

/** The features compiled code may use: all enabled by default in Node 20. */
const FEATURES =
  binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory | binaryen.Features.TailCall;

/** A control-flow graph rendered into structured Wasm by Binaryen's Relooper. */
export class Cfg {
  private readonly r: binaryen.Relooper;
  constructor(m: binaryen.Module) {
    this.r = new binaryen.Relooper(m);
  }
  block(code: Stmt): number {
    return this.r.addBlock(code);
  }
  /** A block that leaves through `branchForSwitch` edges chosen by `selector`. */
  switchBlock(code: Stmt, selector: I32): number {
    return this.r.addBlockWithSwitch(code, selector);
  }
  /** An edge; with no condition it is the default edge, taken when no other is. */
  branch(from: number, to: number, condition?: I32): void {
    this.r.addBranch(from, to, condition ?? 0, 0);
  }
  switchBranch(from: number, to: number, values: readonly number[]): void {
    this.r.addBranchForSwitch(from, to, values, 0);
  }
  render(entry: number, labelLocal: Local<"i32">): Stmt {
    return stmt(this.r.renderAndDispose(entry, labelLocal.index));
  }
}

/** One Wasm module under construction. */
export class WasmModule {
  private readonly m = new binaryen.Module();
  /** While a function is built with constant locals: value → local index. */
  private constants: Map<number, number> | null = null;
  private allocate: (() => number) | null = null;

  constructor() {
    this.m.setFeatures(FEATURES);
    this.m.addMemoryImport("memory", "env", "memory");
  }

  // ---- module structure --------------------------------------------------

  importFunction(name: string, params: readonly ValType[], result: ValType | "none"): void {
    this.m.addFunctionImport(name, "env", name, binaryen.createType(params.map((t) => TYPES[t])), TYPES[result]);
  }

  /** Add a function; `locals` are the types of the non-parameter locals in index order. */
  addFunction(name: string, params: readonly ValType[], result: ValType | "none", locals: readonly ValType[], body: Stmt | I32): void {
    this.m.addFunction(name, binaryen.createType(params.map((t) => TYPES[t])), TYPES[result], locals.map((t) => TYPES[t]), body);
  }

  exportFunction(name: string): void {
    this.m.addFunctionExport(name, name);
  }

  cfg(): Cfg {
    return new Cfg(this.m);
  }

  /** The binary; the module is disposed and must not be used afterwards. */
  finish(validate: boolean): Uint8Array<ArrayBuffer> {
    if (validate && !this.m.validate()) {
      const text = this.m.emitText();
      this.m.dispose();
      throw new Error(`jit: invalid module\n${text.slice(0, 4000)}`);
    }
    // A copy: the binary Binaryen returns views the memory of its own Wasm instance.
    const bin = new Uint8Array(this.m.emitBinary());
    this.m.dispose();
    return bin;
  }


  /**
   * From now on `c(v)` reads a local that the function's prologue sets to v, one
   * local per distinct value. Binaryen takes a few hundred nanoseconds to build a
   * Const node and about ten to build a local.get; V8 folds a local assigned once
   * at entry back into the constant. `allocate` returns a fresh i32 local index.
   */
  beginConstants(allocate: () => number): void {
    this.constants = new Map();
    this.allocate = allocate;
  }

  /** Stop using constant locals; returns the statements that set them, for the prologue. */
  endConstants(): Stmt[] {
    const out: Stmt[] = [];
    const consts = this.constants;
    this.constants = null;
    this.allocate = null;
    if (consts) for (const [v, index] of consts) out.push(stmt(this.m.local.set(index, this.m.i32.const(v))));
    return out;
  }

  // ---- control -----------------------------------------------------------

  block(label: string | null, children: readonly Stmt[]): Stmt {
    return stmt(this.m.block(label, children, binaryen.none));
  }
  /** A block yielding the i32 of its last child. */
  blockI32(children: readonly (Stmt | I32)[]): I32 {
    return i32(this.m.block(null, children, binaryen.i32));
  }
  if(cond: I32, then: Stmt, otherwise?: Stmt): Stmt {
    return stmt(this.m.if(cond, then, otherwise));
  }
  ifI32(cond: I32, then: I32, otherwise: I32): I32 {
    return i32(this.m.if(cond, then, otherwise));
  }
  select(cond: I32, a: I32, b: I32): I32 {
    return i32(this.m.select(cond, a, b));
  }
  br(label: string, cond?: I32): Stmt {
    return stmt(this.m.br(label, cond));
  }
  return(value?: I32): Stmt {
    return stmt(this.m.return(value));
  }
  unreachable(): Stmt {
    return stmt(this.m.unreachable());
  }
  nop(): Stmt {
    return stmt(this.m.nop());
  }
  drop(e: I32): Stmt {
    return stmt(this.m.drop(e));
  }
  callI32(name: string, args: readonly (I32 | F64)[]): I32 {
    return i32(this.m.call(name, args, binaryen.i32));
  }
  call(name: string, args: readonly (I32 | F64)[]): Stmt {
    return stmt(this.m.call(name, args, binaryen.none));
  }

  // ---- locals ------------------------------------------------------------

  get(l: Local<"i32">): I32 {
    return i32(this.m.local.get(l.index, binaryen.i32));
  }
  getF(l: Local<"f64">): F64 {
    return f64(this.m.local.get(l.index, binaryen.f64));
  }
  set(l: Local<"i32">, v: I32): Stmt {
    return stmt(this.m.local.set(l.index, v));
  }
  setF(l: Local<"f64">, v: F64): Stmt {
    return stmt(this.m.local.set(l.index, v));
  }

  // ---- memory (absolute addresses: ptr + offset) ------------------------

  load32(ptr: I32, offset = 0): I32 {
    return i32(this.m.i32.load(offset, 1, ptr));
  }
  load16(ptr: I32, offset = 0): I32 {
    return i32(this.m.i32.load16_u(offset, 1, ptr));
  }
  load8(ptr: I32, offset = 0): I32 {
    return i32(this.m.i32.load8_u(offset, 1, ptr));
  }
  /** A zero-extended load of `bits` (8, 16, 32). */
  load(bits: number, ptr: I32, offset = 0): I32 {
    return bits === 32 ? this.load32(ptr, offset) : bits === 16 ? this.load16(ptr, offset) : this.load8(ptr, offset);
  }
  store(bits: number, ptr: I32, value: I32, offset = 0): Stmt {
    if (bits === 32) return stmt(this.m.i32.store(offset, 1, ptr, value));
    if (bits === 16) return stmt(this.m.i32.store16(offset, 1, ptr, value));
    return stmt(this.m.i32.store8(offset, 1, ptr, value));
  }
  /** i32 at a fixed address. */
  loadAt(addr: number): I32 {
    return this.load32(this.c(0), addr);
  }
  storeAt(addr: number, value: I32): Stmt {
    return this.store(32, this.c(0), value, addr);
  }
  loadF64At(addr: number): F64 {
    return f64(this.m.f64.load(addr, 8, this.c(0)));
  }
  storeF64At(addr: number, value: F64): Stmt {
    return stmt(this.m.f64.store(addr, 8, this.c(0), value));
  }

  // ---- i32 arithmetic ---------------------------------------------------

  c(v: number): I32 {
    const consts = this.constants;
    if (consts === null || this.allocate === null) return i32(this.m.i32.const(v | 0));
    const key = v | 0;
    let index = consts.get(key);
    if (index === undefined) {
      index = this.allocate();
      consts.set(key, index);
    }
    return i32(this.m.local.get(index, binaryen.i32));
  }
  add(a: I32, b: I32): I32 {
    return i32(this.m.i32.add(a, b));
  }
  sub(a: I32, b: I32): I32 {
    return i32(this.m.i32.sub(a, b));
  }
  and(a: I32, b: I32): I32 {
    return i32(this.m.i32.and(a, b));
  }
  or(a: I32, b: I32): I32 {
    return i32(this.m.i32.or(a, b));
  }
  xor(a: I32, b: I32): I32 {
    return i32(this.m.i32.xor(a, b));
  }
  shl(a: I32, b: I32): I32 {
    return i32(this.m.i32.shl(a, b));
  }
  shrU(a: I32, b: I32): I32 {
    return i32(this.m.i32.shr_u(a, b));
  }
  shrS(a: I32, b: I32): I32 {
    return i32(this.m.i32.shr_s(a, b));
  }
  eq(a: I32, b: I32): I32 {
    return i32(this.m.i32.eq(a, b));
  }
  ne(a: I32, b: I32): I32 {
    return i32(this.m.i32.ne(a, b));
  }
  eqz(a: I32): I32 {
    return i32(this.m.i32.eqz(a));
  }
  ltU(a: I32, b: I32): I32 {
    return i32(this.m.i32.lt_u(a, b));
  }
  leU(a: I32, b: I32): I32 {
    return i32(this.m.i32.le_u(a, b));
  }
  gtU(a: I32, b: I32): I32 {
    return i32(this.m.i32.gt_u(a, b));
  }
  ltS(a: I32, b: I32): I32 {
    return i32(this.m.i32.lt_s(a, b));
  }
  leS(a: I32, b: I32): I32 {
    return i32(this.m.i32.le_s(a, b));
  }
  popcnt(a: I32): I32 {
    return i32(this.m.i32.popcnt(a));
  }
  ext8s(a: I32): I32 {
    return i32(this.m.i32.extend8_s(a));
  }
  ext16s(a: I32): I32 {
    return i32(this.m.i32.extend16_s(a));
  }

  // ---- f64 ---------------------------------------------------------------

  addF(a: F64, b: F64): F64 {
    return f64(this.m.f64.add(a, b));
  }
  /** An unsigned i32 as f64. */
  fromU32(a: I32): F64 {
    return f64(this.m.f64.convert_u.i32(a));
  }
}
