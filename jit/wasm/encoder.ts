/**
 * The typed Wasm layer the translator builds functions with, and the module
 * writer. Expressions are nodes in one arena of int32 records: building one is
 * a few array stores, and a module is written to bytes in one walk. (Binaryen's
 * JS build, measured here, takes 30-90 ns per node and 65-75 ns per byte of
 * output, about forty times the whole budget of a translated instruction.)
 *
 * An expression carries its Wasm type in the TypeScript type (I32, I64, F64,
 * Stmt) so that an emitter cannot store an f64 where an i32 belongs or forget
 * that a statement yields nothing. Nodes are used once, in the order Wasm's
 * stack machine evaluates them: an expression is written where its parent is.
 * Addresses are absolute offsets into the one imported memory.
 */
import { ByteWriter } from "./bytes.js";
import { ExternalKind, Op, Section, ValTypeCode } from "./opcodes.js";

declare const wasmType: unique symbol;
export type I32 = number & { readonly [wasmType]: "i32" };
export type I64 = number & { readonly [wasmType]: "i64" };
export type F64 = number & { readonly [wasmType]: "f64" };
/** An expression of type none (or one that never completes). */
export type Stmt = number & { readonly [wasmType]: "stmt" };
type Expr = I32 | I64 | F64 | Stmt;

/** A local of one function, with its type. */
export interface Local<T extends "i32" | "i64" | "f64"> {
  readonly index: number;
  readonly type: T;
}

export type ValType = "i32" | "i64" | "f64";
type ResultType = ValType | "none";

/** Node kinds of the arena (read by other code generators through `snapshot`). */
export const enum Kind {
  CONST,
  CONST_I64,
  CONST_F64,
  GET,
  SET,
  TEE,
  UNARY,
  BINARY,
  LOAD,
  STORE,
  BLOCK,
  LOOP,
  IF,
  SELECT,
  BR,
  BR_TABLE,
  RETURN,
  UNREACHABLE,
  NOP,
  DROP,
  CALL,
  CALL_INDIRECT,
  RETURN_CALL_INDIRECT,
}

export const enum T {
  NONE,
  I32,
  I64,
  F64,
}

const TYPE_OF: Record<ResultType, T> = { none: T.NONE, i32: T.I32, i64: T.I64, f64: T.F64 };
const CODE_OF = [ValTypeCode.VOID, ValTypeCode.I32, ValTypeCode.I64, ValTypeCode.F64];

/** Fields per node: kind | type << 8, then four operands. */
export const STRIDE = 5;
export const NONE = -1;

/** A function signature, interned per module. */
export interface Signature {
  params: readonly ValType[];
  result: ResultType;
}

export interface FunctionDef {
  name: string;
  type: number;
  locals: readonly ValType[];
  body: number;
}

/** A module's arena and structure as data (`WasmModule.snapshot`). */
export interface ModuleSnapshot {
  nodes: Int32Array<ArrayBuffer>;
  lists: Int32Array<ArrayBuffer>;
  f64s: number[];
  i64s: bigint[];
  signatures: Signature[];
  imports: { name: string; type: number }[];
  functions: FunctionDef[];
  /** Exported functions (the only kind of export besides the table). */
  exports: { name: string; index: number }[];
  memoryImported: boolean;
  table: { min: number; exported: string | null } | null;
}

/** A label name or a fresh label from `label()`; both resolve to ids. */
export type Label = string | number;

export class WasmModule {
  private nodes = new Int32Array(STRIDE * 4096);
  private count = 0;
  /** Child lists of blocks, calls and br_table (start and length kept in the node). */
  private lists = new Int32Array(4096);
  private listLength = 0;
  private readonly f64s: number[] = [];
  private readonly i64s: bigint[] = [];
  private readonly labelIds = new Map<string, number>();
  private labelCount = 0;

  private readonly signatures: Signature[] = [];
  private readonly signatureKeys = new Map<string, number>();
  private readonly imports: { name: string; type: number }[] = [];
  private readonly functions: FunctionDef[] = [];
  private readonly functionIndex = new Map<string, number>();
  private readonly exports: { name: string; kind: ExternalKind; index: number }[] = [];
  private memoryImported = false;
  private table: { min: number; exported: string | null } | null = null;

  /** Import the one memory as env.memory. */
  importMemory(): void {
    this.memoryImported = true;
  }

  /** Define a funcref table of `size` entries, exported as `exportName` when given. */
  defineTable(size: number, exportName: string | null): void {
    this.table = { min: size, exported: exportName };
  }

  // ---- module structure --------------------------------------------------

  signature(params: readonly ValType[], result: ResultType): number {
    const key = `${params.join(",")}>${result}`;
    let k = this.signatureKeys.get(key);
    if (k === undefined) {
      k = this.signatures.length;
      this.signatures.push({ params, result });
      this.signatureKeys.set(key, k);
    }
    return k;
  }

  importFunction(name: string, params: readonly ValType[], result: ResultType): void {
    if (this.functions.length > 0) throw new Error("wasm: imports must precede defined functions");
    this.functionIndex.set(name, this.imports.length);
    this.imports.push({ name, type: this.signature(params, result) });
  }

  /** Add a function; `locals` are the types of the non-parameter locals in index order. */
  addFunction(name: string, params: readonly ValType[], result: ResultType, locals: readonly ValType[], body: Expr): void {
    this.functionIndex.set(name, this.imports.length + this.functions.length);
    this.functions.push({ name, type: this.signature(params, result), locals, body });
  }

  exportFunction(name: string): void {
    const index = this.functionIndex.get(name);
    if (index === undefined) throw new Error(`wasm: no function ${name}`);
    this.exports.push({ name, kind: ExternalKind.FUNCTION, index });
  }

  // ---- arena ---------------------------------------------------------------

  private node(kind: Kind, type: T, a: number, b: number, c: number, d: number): number {
    if ((this.count + 1) * STRIDE > this.nodes.length) {
      const next = new Int32Array(this.nodes.length * 2);
      next.set(this.nodes);
      this.nodes = next;
    }
    const n = this.nodes;
    const at = this.count * STRIDE;
    n[at] = kind | (type << 8);
    n[at + 1] = a;
    n[at + 2] = b;
    n[at + 3] = c;
    n[at + 4] = d;
    return this.count++;
  }

  private list(items: readonly number[]): number {
    const start = this.listLength;
    if (start + items.length > this.lists.length) {
      let cap = this.lists.length * 2;
      while (cap < start + items.length) cap *= 2;
      const next = new Int32Array(cap);
      next.set(this.lists);
      this.lists = next;
    }
    for (let k = 0; k < items.length; k++) this.lists[start + k] = items[k];
    this.listLength += items.length;
    return start;
  }

  private labelId(l: Label | null): number {
    if (l === null) return NONE;
    if (typeof l === "number") return l;
    let id = this.labelIds.get(l);
    if (id === undefined) {
      id = this.labelCount++;
      this.labelIds.set(l, id);
    }
    return id;
  }

  /** A label no name refers to, for generated control flow. */
  label(): number {
    return this.labelCount++;
  }

  // ---- control -----------------------------------------------------------

  block(label: Label | null, children: readonly Expr[]): Stmt {
    return this.node(Kind.BLOCK, T.NONE, this.labelId(label), this.list(children), children.length, 0) as Stmt;
  }
  /** A block yielding the i32 of its last child. */
  blockI32(children: readonly Expr[]): I32 {
    return this.node(Kind.BLOCK, T.I32, NONE, this.list(children), children.length, 0) as I32;
  }
  loop(label: Label, body: Stmt): Stmt {
    return this.node(Kind.LOOP, T.NONE, this.labelId(label), body, 0, 0) as Stmt;
  }
  if(cond: I32, then: Stmt, otherwise?: Stmt): Stmt {
    return this.node(Kind.IF, T.NONE, cond, then, otherwise ?? NONE, 0) as Stmt;
  }
  ifI32(cond: I32, then: I32, otherwise: I32): I32 {
    return this.node(Kind.IF, T.I32, cond, then, otherwise, 0) as I32;
  }
  select(cond: I32, a: I32, b: I32): I32 {
    return this.node(Kind.SELECT, T.I32, cond, a, b, 0) as I32;
  }
  br(label: Label, cond?: I32): Stmt {
    return this.node(Kind.BR, T.NONE, this.labelId(label), cond ?? NONE, 0, 0) as Stmt;
  }
  /** br_table: `labels[index]`, or `fallback` when index is out of range. */
  brTable(labels: readonly Label[], fallback: Label, index: I32): Stmt {
    const ids = labels.map((l) => this.labelId(l));
    ids.push(this.labelId(fallback));
    return this.node(Kind.BR_TABLE, T.NONE, this.list(ids), ids.length, index, 0) as Stmt;
  }
  return(value?: I32): Stmt {
    return this.node(Kind.RETURN, T.NONE, value ?? NONE, 0, 0, 0) as Stmt;
  }
  unreachable(): Stmt {
    return this.node(Kind.UNREACHABLE, T.NONE, 0, 0, 0, 0) as Stmt;
  }
  nop(): Stmt {
    return this.node(Kind.NOP, T.NONE, 0, 0, 0, 0) as Stmt;
  }
  drop(e: I32 | I64 | F64): Stmt {
    return this.node(Kind.DROP, T.NONE, e, 0, 0, 0) as Stmt;
  }
  private callNode(name: string, args: readonly Expr[], type: T): number {
    const index = this.functionIndex.get(name);
    if (index === undefined) throw new Error(`wasm: no function ${name}`);
    return this.node(Kind.CALL, type, index, this.list(args), args.length, 0);
  }
  callI32(name: string, args: readonly (I32 | I64 | F64)[]): I32 {
    return this.callNode(name, args, T.I32) as I32;
  }
  call(name: string, args: readonly (I32 | I64 | F64)[]): Stmt {
    return this.callNode(name, args, T.NONE) as Stmt;
  }
  /** call_indirect through table 0 with signature `sig` (from `signature`). */
  callIndirectI32(sig: number, args: readonly I32[], index: I32): I32 {
    return this.node(Kind.CALL_INDIRECT, T.I32, sig, this.list(args), args.length, index) as I32;
  }
  returnCallIndirect(sig: number, args: readonly I32[], index: I32): Stmt {
    return this.node(Kind.RETURN_CALL_INDIRECT, T.NONE, sig, this.list(args), args.length, index) as Stmt;
  }

  // ---- locals ------------------------------------------------------------

  get(l: Local<"i32">): I32 {
    return this.node(Kind.GET, T.I32, l.index, 0, 0, 0) as I32;
  }
  getI64(l: Local<"i64">): I64 {
    return this.node(Kind.GET, T.I64, l.index, 0, 0, 0) as I64;
  }
  getF(l: Local<"f64">): F64 {
    return this.node(Kind.GET, T.F64, l.index, 0, 0, 0) as F64;
  }
  set(l: Local<"i32">, v: I32): Stmt {
    return this.node(Kind.SET, T.NONE, l.index, v, 0, 0) as Stmt;
  }
  setI64(l: Local<"i64">, v: I64): Stmt {
    return this.node(Kind.SET, T.NONE, l.index, v, 0, 0) as Stmt;
  }
  setF(l: Local<"f64">, v: F64): Stmt {
    return this.node(Kind.SET, T.NONE, l.index, v, 0, 0) as Stmt;
  }
  tee(l: Local<"i32">, v: I32): I32 {
    return this.node(Kind.TEE, T.I32, l.index, v, 0, 0) as I32;
  }

  // ---- memory (absolute addresses: ptr + offset) ------------------------

  private loadNode(op: Op, type: T, ptr: number, offset: number): number {
    return this.node(Kind.LOAD, type, op, ptr, offset, 0);
  }
  load32(ptr: I32, offset = 0): I32 {
    return this.loadNode(Op.I32_LOAD, T.I32, ptr, offset) as I32;
  }
  load16(ptr: I32, offset = 0): I32 {
    return this.loadNode(Op.I32_LOAD16_U, T.I32, ptr, offset) as I32;
  }
  load8(ptr: I32, offset = 0): I32 {
    return this.loadNode(Op.I32_LOAD8_U, T.I32, ptr, offset) as I32;
  }
  load16s(ptr: I32, offset = 0): I32 {
    return this.loadNode(Op.I32_LOAD16_S, T.I32, ptr, offset) as I32;
  }
  load8s(ptr: I32, offset = 0): I32 {
    return this.loadNode(Op.I32_LOAD8_S, T.I32, ptr, offset) as I32;
  }
  /** A zero-extended load of `bits` (8, 16, 32). */
  load(bits: number, ptr: I32, offset = 0): I32 {
    return bits === 32 ? this.load32(ptr, offset) : bits === 16 ? this.load16(ptr, offset) : this.load8(ptr, offset);
  }
  store(bits: number, ptr: I32, value: I32, offset = 0): Stmt {
    const op = bits === 32 ? Op.I32_STORE : bits === 16 ? Op.I32_STORE16 : Op.I32_STORE8;
    return this.node(Kind.STORE, T.NONE, op, ptr, value, offset) as Stmt;
  }
  /** i32 at a fixed address. */
  loadAt(addr: number): I32 {
    return this.load32(this.c(0), addr);
  }
  storeAt(addr: number, value: I32): Stmt {
    return this.store(32, this.c(0), value, addr);
  }
  loadF64At(addr: number): F64 {
    return this.loadNode(Op.F64_LOAD, T.F64, this.c(0), addr) as F64;
  }
  storeF64At(addr: number, value: F64): Stmt {
    return this.node(Kind.STORE, T.NONE, Op.F64_STORE, this.c(0), value, addr) as Stmt;
  }

  // ---- i32 arithmetic ---------------------------------------------------

  c(v: number): I32 {
    return this.node(Kind.CONST, T.I32, v | 0, 0, 0, 0) as I32;
  }
  private bin(op: Op, a: number, b: number, type = T.I32): number {
    return this.node(Kind.BINARY, type, op, a, b, 0);
  }
  private un(op: Op, a: number, type = T.I32): number {
    return this.node(Kind.UNARY, type, op, a, 0, 0);
  }
  add(a: I32, b: I32): I32 {
    return this.bin(Op.I32_ADD, a, b) as I32;
  }
  sub(a: I32, b: I32): I32 {
    return this.bin(Op.I32_SUB, a, b) as I32;
  }
  mul(a: I32, b: I32): I32 {
    return this.bin(Op.I32_MUL, a, b) as I32;
  }
  and(a: I32, b: I32): I32 {
    return this.bin(Op.I32_AND, a, b) as I32;
  }
  or(a: I32, b: I32): I32 {
    return this.bin(Op.I32_OR, a, b) as I32;
  }
  xor(a: I32, b: I32): I32 {
    return this.bin(Op.I32_XOR, a, b) as I32;
  }
  shl(a: I32, b: I32): I32 {
    return this.bin(Op.I32_SHL, a, b) as I32;
  }
  shrU(a: I32, b: I32): I32 {
    return this.bin(Op.I32_SHR_U, a, b) as I32;
  }
  shrS(a: I32, b: I32): I32 {
    return this.bin(Op.I32_SHR_S, a, b) as I32;
  }
  rotl(a: I32, b: I32): I32 {
    return this.bin(Op.I32_ROTL, a, b) as I32;
  }
  rotr(a: I32, b: I32): I32 {
    return this.bin(Op.I32_ROTR, a, b) as I32;
  }
  eq(a: I32, b: I32): I32 {
    return this.bin(Op.I32_EQ, a, b) as I32;
  }
  ne(a: I32, b: I32): I32 {
    return this.bin(Op.I32_NE, a, b) as I32;
  }
  eqz(a: I32): I32 {
    return this.un(Op.I32_EQZ, a) as I32;
  }
  ltU(a: I32, b: I32): I32 {
    return this.bin(Op.I32_LT_U, a, b) as I32;
  }
  leU(a: I32, b: I32): I32 {
    return this.bin(Op.I32_LE_U, a, b) as I32;
  }
  gtU(a: I32, b: I32): I32 {
    return this.bin(Op.I32_GT_U, a, b) as I32;
  }
  geU(a: I32, b: I32): I32 {
    return this.bin(Op.I32_GE_U, a, b) as I32;
  }
  ltS(a: I32, b: I32): I32 {
    return this.bin(Op.I32_LT_S, a, b) as I32;
  }
  leS(a: I32, b: I32): I32 {
    return this.bin(Op.I32_LE_S, a, b) as I32;
  }
  gtS(a: I32, b: I32): I32 {
    return this.bin(Op.I32_GT_S, a, b) as I32;
  }
  clz(a: I32): I32 {
    return this.un(Op.I32_CLZ, a) as I32;
  }
  ctz(a: I32): I32 {
    return this.un(Op.I32_CTZ, a) as I32;
  }
  popcnt(a: I32): I32 {
    return this.un(Op.I32_POPCNT, a) as I32;
  }
  ext8s(a: I32): I32 {
    return this.un(Op.I32_EXTEND8_S, a) as I32;
  }
  ext16s(a: I32): I32 {
    return this.un(Op.I32_EXTEND16_S, a) as I32;
  }

  // ---- i64 ---------------------------------------------------------------

  c64(v: bigint): I64 {
    this.i64s.push(BigInt.asIntN(64, v));
    return this.node(Kind.CONST_I64, T.I64, this.i64s.length - 1, 0, 0, 0) as I64;
  }
  extendS(a: I32): I64 {
    return this.un(Op.I64_EXTEND_I32_S, a, T.I64) as I64;
  }
  extendU(a: I32): I64 {
    return this.un(Op.I64_EXTEND_I32_U, a, T.I64) as I64;
  }
  wrap(a: I64): I32 {
    return this.un(Op.I32_WRAP_I64, a, T.I32) as I32;
  }
  mul64(a: I64, b: I64): I64 {
    return this.bin(Op.I64_MUL, a, b, T.I64) as I64;
  }
  divU64(a: I64, b: I64): I64 {
    return this.bin(Op.I64_DIV_U, a, b, T.I64) as I64;
  }
  divS64(a: I64, b: I64): I64 {
    return this.bin(Op.I64_DIV_S, a, b, T.I64) as I64;
  }
  remU64(a: I64, b: I64): I64 {
    return this.bin(Op.I64_REM_U, a, b, T.I64) as I64;
  }
  remS64(a: I64, b: I64): I64 {
    return this.bin(Op.I64_REM_S, a, b, T.I64) as I64;
  }
  or64(a: I64, b: I64): I64 {
    return this.bin(Op.I64_OR, a, b, T.I64) as I64;
  }
  shl64(a: I64, b: I64): I64 {
    return this.bin(Op.I64_SHL, a, b, T.I64) as I64;
  }
  shrU64(a: I64, b: I64): I64 {
    return this.bin(Op.I64_SHR_U, a, b, T.I64) as I64;
  }

  // ---- f64 ---------------------------------------------------------------

  cF(v: number): F64 {
    this.f64s.push(v);
    return this.node(Kind.CONST_F64, T.F64, this.f64s.length - 1, 0, 0, 0) as F64;
  }
  addF(a: F64, b: F64): F64 {
    return this.bin(Op.F64_ADD, a, b, T.F64) as F64;
  }
  mulF(a: F64, b: F64): F64 {
    return this.bin(Op.F64_MUL, a, b, T.F64) as F64;
  }
  divF(a: F64, b: F64): F64 {
    return this.bin(Op.F64_DIV, a, b, T.F64) as F64;
  }
  floorF(a: F64): F64 {
    return this.un(Op.F64_FLOOR, a, T.F64) as F64;
  }
  ltF(a: F64, b: F64): I32 {
    return this.bin(Op.F64_LT, a, b, T.I32) as I32;
  }
  geF(a: F64, b: F64): I32 {
    return this.bin(Op.F64_GE, a, b, T.I32) as I32;
  }
  subF(a: F64, b: F64): F64 {
    return this.bin(Op.F64_SUB, a, b, T.F64) as F64;
  }
  /** A non-negative f64 below 2^32, truncated to i32. */
  truncU(a: F64): I32 {
    return this.un(Op.I32_TRUNC_F64_U, a, T.I32) as I32;
  }
  /** An unsigned i32 as f64. */
  fromU32(a: I32): F64 {
    return this.un(Op.F64_CONVERT_I32_U, a, T.F64) as F64;
  }

  // ---- writing ---------------------------------------------------------

  /** The module as plain, structured-cloneable data: what another code generator (jit/binaryen/) reads. */
  snapshot(): ModuleSnapshot {
    return {
      nodes: this.nodes.slice(0, this.count * STRIDE),
      lists: this.lists.slice(0, this.listLength),
      f64s: this.f64s.slice(),
      i64s: this.i64s.slice(),
      signatures: this.signatures.slice(),
      imports: this.imports.slice(),
      functions: this.functions.slice(),
      exports: this.exports.map((e) => ({ name: e.name, index: e.index })),
      memoryImported: this.memoryImported,
      table: this.table,
    };
  }

  /** The module's binary. */
  finish(): Uint8Array<ArrayBuffer> {
    const w = new ByteWriter(Math.max(1 << 12, this.count * 3));
    w.byte(0x00);
    w.byte(0x61);
    w.byte(0x73);
    w.byte(0x6d);
    w.byte(1);
    w.byte(0);
    w.byte(0);
    w.byte(0);

    this.section(w, Section.TYPE, () => {
      w.u32(this.signatures.length);
      for (const s of this.signatures) {
        w.byte(0x60);
        w.u32(s.params.length);
        for (const p of s.params) w.byte(CODE_OF[TYPE_OF[p]]);
        if (s.result === "none") w.u32(0);
        else {
          w.u32(1);
          w.byte(CODE_OF[TYPE_OF[s.result]]);
        }
      }
    });
    const importCount = this.imports.length + (this.memoryImported ? 1 : 0);
    if (importCount > 0) {
      this.section(w, Section.IMPORT, () => {
        w.u32(importCount);
        if (this.memoryImported) {
          w.name("env");
          w.name("memory");
          w.byte(ExternalKind.MEMORY);
          w.byte(0); // limits: minimum only
          w.u32(0);
        }
        for (const imp of this.imports) {
          w.name("env");
          w.name(imp.name);
          w.byte(ExternalKind.FUNCTION);
          w.u32(imp.type);
        }
      });
    }
    this.section(w, Section.FUNCTION, () => {
      w.u32(this.functions.length);
      for (const f of this.functions) w.u32(f.type);
    });
    if (this.table) {
      const t = this.table;
      this.section(w, Section.TABLE, () => {
        w.u32(1);
        w.byte(ValTypeCode.FUNCREF);
        w.byte(0);
        w.u32(t.min);
      });
    }
    const exportCount = this.exports.length + (this.table?.exported ? 1 : 0);
    this.section(w, Section.EXPORT, () => {
      w.u32(exportCount);
      for (const e of this.exports) {
        w.name(e.name);
        w.byte(e.kind);
        w.u32(e.index);
      }
      if (this.table?.exported) {
        w.name(this.table.exported);
        w.byte(ExternalKind.TABLE);
        w.u32(0);
      }
    });
    this.section(w, Section.CODE, () => {
      w.u32(this.functions.length);
      for (const f of this.functions) {
        const size = w.reserveSize();
        this.writeLocals(w, f.locals);
        const labels: number[] = [];
        this.write(w, f.body, labels);
        w.byte(Op.END);
        w.patchSize(size);
      }
    });
    return w.take();
  }

  private section(w: ByteWriter, id: Section, body: () => void): void {
    w.byte(id);
    const size = w.reserveSize();
    body();
    w.patchSize(size);
  }

  private writeLocals(w: ByteWriter, locals: readonly ValType[]): void {
    let runs = 0;
    for (let k = 0; k < locals.length; k++) if (k === 0 || locals[k] !== locals[k - 1]) runs++;
    w.u32(runs);
    for (let k = 0; k < locals.length; ) {
      let j = k;
      while (j < locals.length && locals[j] === locals[k]) j++;
      w.u32(j - k);
      w.byte(CODE_OF[TYPE_OF[locals[k]]]);
      k = j;
    }
  }

  private depth(labels: number[], id: number): number {
    for (let k = labels.length - 1; k >= 0; k--) if (labels[k] === id) return labels.length - 1 - k;
    throw new Error(`wasm: branch to label ${id} outside its scope`);
  }

  /** Write expression `e` in stack-machine order; `labels` is the enclosing label stack. */
  private write(w: ByteWriter, e: number, labels: number[]): void {
    const n = this.nodes;
    const at = e * STRIDE;
    const head = n[at];
    const kind = (head & 0xff) as Kind;
    const type = (head >>> 8) as T;
    const a = n[at + 1];
    const b = n[at + 2];
    const c = n[at + 3];
    switch (kind) {
      case Kind.CONST:
        w.byte(Op.I32_CONST);
        w.i32(a);
        return;
      case Kind.CONST_I64:
        w.byte(0x42);
        this.writeI64(w, this.i64s[a]);
        return;
      case Kind.CONST_F64:
        w.byte(Op.F64_CONST);
        w.f64(this.f64s[a]);
        return;
      case Kind.GET:
        w.byte(Op.LOCAL_GET);
        w.u32(a);
        return;
      case Kind.SET:
      case Kind.TEE:
        this.write(w, b, labels);
        w.byte(kind === Kind.SET ? Op.LOCAL_SET : Op.LOCAL_TEE);
        w.u32(a);
        return;
      case Kind.UNARY:
        this.write(w, b, labels);
        w.byte(a);
        return;
      case Kind.BINARY:
        this.write(w, b, labels);
        this.write(w, c, labels);
        w.byte(a);
        return;
      case Kind.LOAD:
        this.write(w, b, labels);
        w.byte(a);
        w.u32(a === Op.F64_LOAD ? 3 : 0);
        w.u32(c);
        return;
      case Kind.STORE:
        this.write(w, b, labels);
        this.write(w, c, labels);
        w.byte(a);
        w.u32(a === Op.F64_STORE ? 3 : 0);
        w.u32(n[at + 4]);
        return;
      case Kind.BLOCK: {
        if (a === NONE) {
          // An unnamed block is only grouping: its children go inline.
          for (let k = 0; k < c; k++) this.write(w, this.lists[b + k], labels);
          return;
        }
        w.byte(Op.BLOCK);
        w.byte(CODE_OF[type]);
        labels.push(a);
        for (let k = 0; k < c; k++) this.write(w, this.lists[b + k], labels);
        labels.pop();
        w.byte(Op.END);
        return;
      }
      case Kind.LOOP:
        w.byte(Op.LOOP);
        w.byte(ValTypeCode.VOID);
        labels.push(a);
        this.write(w, b, labels);
        labels.pop();
        w.byte(Op.END);
        return;
      case Kind.IF:
        this.write(w, a, labels);
        w.byte(Op.IF);
        w.byte(CODE_OF[type]);
        labels.push(NONE);
        this.write(w, b, labels);
        if (c !== NONE) {
          w.byte(Op.ELSE);
          this.write(w, c, labels);
        }
        labels.pop();
        w.byte(Op.END);
        return;
      case Kind.SELECT:
        this.write(w, b, labels);
        this.write(w, c, labels);
        this.write(w, a, labels);
        w.byte(Op.SELECT);
        return;
      case Kind.BR:
        if (b !== NONE) this.write(w, b, labels);
        w.byte(b === NONE ? Op.BR : Op.BR_IF);
        w.u32(this.depth(labels, a));
        return;
      case Kind.BR_TABLE:
        this.write(w, c, labels);
        w.byte(Op.BR_TABLE);
        w.u32(b - 1);
        for (let k = 0; k < b; k++) w.u32(this.depth(labels, this.lists[a + k]));
        return;
      case Kind.RETURN:
        if (a !== NONE) this.write(w, a, labels);
        w.byte(Op.RETURN);
        return;
      case Kind.UNREACHABLE:
        w.byte(Op.UNREACHABLE);
        return;
      case Kind.NOP:
        return;
      case Kind.DROP:
        this.write(w, a, labels);
        w.byte(Op.DROP);
        return;
      case Kind.CALL:
        for (let k = 0; k < c; k++) this.write(w, this.lists[b + k], labels);
        w.byte(Op.CALL);
        w.u32(a);
        return;
      case Kind.CALL_INDIRECT:
      case Kind.RETURN_CALL_INDIRECT:
        for (let k = 0; k < c; k++) this.write(w, this.lists[b + k], labels);
        this.write(w, n[at + 4], labels);
        w.byte(kind === Kind.CALL_INDIRECT ? Op.CALL_INDIRECT : Op.RETURN_CALL_INDIRECT);
        w.u32(a);
        w.byte(0);
        return;
    }
  }

  private writeI64(w: ByteWriter, v: bigint): void {
    let n = v;
    for (;;) {
      const low = Number(n & 0x7fn);
      n >>= 7n;
      if ((n === 0n && (low & 0x40) === 0) || (n === -1n && (low & 0x40) !== 0)) {
        w.byte(low);
        return;
      }
      w.byte(low | 0x80);
    }
  }
}
