/**
 * The emission context of one region function: guest registers and the lazy-flag
 * record live in Wasm locals; this class hands emitters register access, flag
 * records, condition evaluation, the generic helper, exits, and what makes
 * faults exact (ARCHITECTURE.md "The JIT: Emission"). Before the generic helper or a raise, the
 * dirty registers, the flag record, EIP of the instruction and the
 * retired-instruction count are stored where the interpreter keeps them, since
 * the handler reads them and a fault unwinds through Wasm. A memory access off
 * the fast path leaves the region before its instruction (exitBefore), so the
 * interpreter runs it; the locals then still hold the state before the
 * instruction, because emitters touch memory before registers and flags.
 */
import type { Insn } from "../../src/decode/insn.js";
import { ARITH, CF, LazyOp } from "../../src/cpu/flags.js";
import * as L from "../../src/cpu/layout.js";
import type { OpRow } from "../../src/isa/row.js";
import { JIT_CLEAN, RegionStatus } from "../layout.js";
import type { Mode } from "../modekey.js";
import type { F64, I32, Local, Stmt, ValType, WasmModule } from "../wasm/encoder.js";
import { Import, Lib } from "./names.js";

/** What the translator knows statically about the last flag-producing instruction of the block. */
export interface Producer {
  op: LazyOp;
  size: number;
  mask: number;
  /** ADC/SBB: the carry-in makes the comparison shortcuts invalid. */
  carryIn: boolean;
}

/** Module-wide services a region function needs from its module. */
export interface ModuleServices {
  /** Register an instruction for the generic helper; returns its id in the module's table. */
  helperId(i: Insn): number;
  readonly ramBytes: number;
  /** The video window is not RAM (Cpu.videoWindow): the fast path's test excludes it. */
  readonly videoWindow: boolean;
  /** Count the instructions of completed check-free blocks in JIT_CLEAN (a statistic). */
  readonly profile: boolean;
}

/** Function-local allocation of Wasm locals (index 0 is the entry-point parameter). */
class Locals {
  readonly types: ValType[] = [];
  constructor(private readonly params: number) {}
  i32(): Local<"i32"> {
    this.types.push("i32");
    return { index: this.params + this.types.length - 1, type: "i32" };
  }
  f64(): Local<"f64"> {
    this.types.push("f64");
    return { index: this.params + this.types.length - 1, type: "f64" };
  }
}

export const EXIT_LABEL = "exit";
/**
 * Where exits back to the dispatcher with a static EIP in the region's page go:
 * the site local names the EIP and the instructions not yet retired, and one
 * sequence per region turns it into the exit's EIP and count (a few bytes per
 * memory access instead of a whole exit each).
 */
export const RETURN_LABEL = "return";
/** A site packs EIP - region EIP + SITE_BIAS above SITE_BACK_BITS bits of instructions to take back. */
export const SITE_BACK_BITS = 9;
export const SITE_BIAS = 0x1000;

const REG = (n: number) => L.REG_BASE + 4 * n;
/** Where the flag locals live in memory: the lazy record, then the stored EFLAGS word. */
export const FLAG_FIELDS = [L.LAZY_MASK, L.LAZY_OP, L.LAZY_A, L.LAZY_B, L.LAZY_RES, L.LAZY_SIZE, L.EFLAGS];

export class Ctx {
  private readonly locals = new Locals(1);
  /** The function's parameter: which of the region's entry blocks the dispatcher enters (0: the primary entry). */
  readonly entryIndex: Local<"i32"> = { index: 0, type: "i32" };
  /** EAX..EDI, in ModRM order. */
  readonly regLocals: Local<"i32">[] = [];
  /** The lazy-flag record in LAZY_MASK..LAZY_SIZE order, then the stored EFLAGS word. */
  readonly flagLocals: Local<"i32">[] = [];
  /**
   * Instructions the region has retired once the current block completes: each block adds its
   * length at its start (a REP string adds its iterations as it runs them), so an exit inside it
   * takes back the instructions not run (retiredBefore).
   */
  readonly retiredAtBlockEnd: Local<"i32">;
  /** JIT_BUDGET as it was at the region's entry; the exit sequence stores what is left of it. */
  readonly entryBudget: Local<"i32">;
  /** What the last generic helper returned: non-zero when it touched a device or wrote translated code. */
  readonly helperStatus: Local<"i32">;
  /** The exit sequence's arguments: EIP to leave at, instructions retired in the region, the RegionStatus to return. */
  readonly exitEip: Local<"i32">;
  readonly exitRetired: Local<"i32">;
  readonly exitStatus: Local<"i32">;
  /** The site of an exit through RETURN_LABEL. */
  readonly returnSite: Local<"i32">;
  /** The retired-instruction counter (ICOUNT) as it was at the region's entry. */
  readonly entryIcount: Local<"f64">;
  private readonly temps: Local<"i32">[] = [];
  private tempNext = 0;

  /** Statements of the block being emitted. */
  blockCode: Stmt[] = [];
  /** Instructions in the current block, index of the current one, its EIP and the next. */
  blockLen = 0;
  insnIndex = 0;
  insnEip = 0;
  nextEip = 0;
  /** Registers whose locals may differ from memory (bit n = register n). */
  dirtyRegs = 0;
  /** The flag locals may differ from memory. */
  flagsDirty = false;
  /** What the flag record holds at this point of the block, when the translator knows it. */
  flagProducer: Producer | null = null;
  /**
   * The mask, op and size locals do not yet hold the producer's constants: they
   * are set only where something reads the locals (an exit, a helper, the end
   * of the block), so a run of ALU instructions sets three locals each, not six.
   */
  private recordPending = false;
  /** Arithmetic flags some later reader may need after the current instruction (block-local liveness). */
  flagsLiveAfter = ARITH;
  /** The current block has a translation-time check: a helper, a raise or a run-time privilege or limit test. */
  blockChecked = false;
  /** Set by withSlowPath: what an access off the fast path does. */
  private slowPath: (() => Stmt) | null = null;

  constructor(
    /** The module the region's function is built in (every emitter builds its expressions through it). */
    readonly wasm: WasmModule,
    readonly mode: Mode,
    readonly services: ModuleServices,
    /** Registers inline code writes anywhere in the region: written back at exits. */
    readonly writeBack: number,
    /** Registers inline code reads or writes (a superset): only these live in locals. */
    readonly usedRegs: number,
    /**
     * Inline code reads or writes flags (any of EFLAGS, DF included): the record
     * and the stored EFLAGS word live in locals, loaded at entry and after
     * helpers and written back at exits.
     */
    readonly usesFlags: boolean,
    /** The CS limit the region was translated under. */
    readonly csLimit: number,
    /** EIP of the region's primary entry: return sites are relative to it. */
    readonly regionEip: number,
  ) {
    for (let r = 0; r < 8; r++) this.regLocals.push(this.locals.i32());
    for (let k = 0; k < FLAG_FIELDS.length; k++) this.flagLocals.push(this.locals.i32());
    this.retiredAtBlockEnd = this.locals.i32();
    this.entryBudget = this.locals.i32();
    this.helperStatus = this.locals.i32();
    this.exitEip = this.locals.i32();
    this.exitRetired = this.locals.i32();
    this.exitStatus = this.locals.i32();
    this.returnSite = this.locals.i32();
    this.entryIcount = this.locals.f64();
  }

  get localTypes(): readonly ValType[] {
    return this.locals.types;
  }

  // ---- per-block and per-instruction state ------------------------------

  /** Start a block whose predecessors all leave the flag record as `producer` describes (null: unknown). */
  beginBlock(len: number, producer: Producer | null): void {
    this.blockCode = [];
    this.blockLen = len;
    this.dirtyRegs = this.writeBack;
    this.flagsDirty = this.usesFlags;
    this.flagProducer = producer;
    this.recordPending = false;
    this.blockChecked = false;
  }

  beginInsn(index: number, eip: number, nextEip: number, liveAfter: number): void {
    this.flagsLiveAfter = liveAfter;
    this.insnIndex = index;
    this.insnEip = eip;
    this.nextEip = nextEip;
    this.tempNext = 0;
  }

  emit(...s: Stmt[]): void {
    for (const x of s) this.blockCode.push(x);
  }

  /** An i32 local for the current instruction only. */
  temp(): Local<"i32"> {
    if (this.tempNext === this.temps.length) this.temps.push(this.locals.i32());
    return this.temps[this.tempNext++];
  }

  /** Store an f64 in a fresh local and return the local. */
  holdF(v: F64): Local<"f64"> {
    const l = this.locals.f64();
    this.emit(this.wasm.setF(l, v));
    return l;
  }

  /** Store `v` in a fresh temp and return the temp. */
  hold(v: I32): Local<"i32"> {
    const t = this.temp();
    this.emit(this.wasm.set(t, v));
    return t;
  }

  /** Instructions retired before the current one. */
  retiredBefore(): I32 {
    const back = this.blockLen - this.insnIndex;
    return back === 0 ? this.wasm.get(this.retiredAtBlockEnd) : this.wasm.sub(this.wasm.get(this.retiredAtBlockEnd), this.wasm.c(back));
  }
  retiredAfter(): I32 {
    const back = this.blockLen - this.insnIndex - 1;
    return back === 0 ? this.wasm.get(this.retiredAtBlockEnd) : this.wasm.sub(this.wasm.get(this.retiredAtBlockEnd), this.wasm.c(back));
  }

  // ---- registers ---------------------------------------------------------

  /** Register `n` of `size` bits (8: AL..BH encoding), zero-extended. */
  reg(n: number, size: number): I32 {
    const m = this.wasm;
    if (size === 32) return m.get(this.regLocals[n]);
    if (size === 16) return m.and(m.get(this.regLocals[n]), m.c(0xffff));
    if (n < 4) return m.and(m.get(this.regLocals[n]), m.c(0xff));
    return m.and(m.shrU(m.get(this.regLocals[n - 4]), m.c(8)), m.c(0xff));
  }

  setReg(n: number, size: number, v: I32): void {
    const m = this.wasm;
    if (size === 32) {
      this.emit(m.set(this.regLocals[n], v));
      this.dirtyRegs |= 1 << n;
      return;
    }
    if (size === 16) {
      this.emit(m.set(this.regLocals[n], m.or(m.and(m.get(this.regLocals[n]), m.c(0xffff0000)), m.and(v, m.c(0xffff)))));
      this.dirtyRegs |= 1 << n;
      return;
    }
    const r = n & 3;
    const merged =
      n < 4
        ? m.or(m.and(m.get(this.regLocals[r]), m.c(~0xff)), m.and(v, m.c(0xff)))
        : m.or(m.and(m.get(this.regLocals[r]), m.c(~0xff00)), m.shl(m.and(v, m.c(0xff)), m.c(8)));
    this.emit(m.set(this.regLocals[r], merged));
    this.dirtyRegs |= 1 << r;
  }

  // ---- state synchronisation --------------------------------------------

  /** Stores that make memory hold the state as the interpreter would have it before this instruction. */
  sync(): Stmt[] {
    const m = this.wasm;
    const out: Stmt[] = this.recordConstants();
    this.recordPending = false;
    for (let r = 0; r < 8; r++) if (this.dirtyRegs & (1 << r)) out.push(m.storeAt(REG(r), m.get(this.regLocals[r])));
    if (this.flagsDirty) this.flagLocals.forEach((l, k) => out.push(m.storeAt(FLAG_FIELDS[k], m.get(l))));
    out.push(m.storeAt(L.EIP, m.c(this.insnEip)));
    out.push(m.storeF64At(L.ICOUNT, this.icountAt(this.retiredBefore())));
    return out;
  }

  icountAt(retired: I32): F64 {
    return this.wasm.addF(this.wasm.getF(this.entryIcount), this.wasm.fromU32(retired));
  }

  /** Loads that refresh the registers and the flag record inline code uses from memory (region entry, after a helper). */
  reload(): Stmt[] {
    const m = this.wasm;
    const out: Stmt[] = [];
    for (let r = 0; r < 8; r++) if (this.usedRegs & (1 << r)) out.push(m.set(this.regLocals[r], m.loadAt(REG(r))));
    if (this.usesFlags) this.flagLocals.forEach((l, k) => out.push(m.set(l, m.loadAt(FLAG_FIELDS[k]))));
    return out;
  }

  /**
   * Leave the region before the current instruction, for the interpreter to run
   * it: what compiled code does with an access that cannot take the fast path.
   */
  exitBefore(): Stmt {
    if (this.slowPath) return this.slowPath();
    return this.returnAt(this.insnEip, this.blockLen - this.insnIndex);
  }

  /**
   * What an access off the fast path does instead of leaving before the
   * instruction, while `f` emits (a REP string part-way through its iterations
   * cannot leave: the interpreter's handler finishes it, see repeatRest).
   */
  withSlowPath(slow: () => Stmt, f: () => void): void {
    const outer = this.slowPath;
    this.slowPath = slow;
    try {
      f();
    } finally {
      this.slowPath = outer;
    }
  }

  /** The statements `f` emits, as one statement, instead of emitting them. */
  capture(f: () => void): Stmt {
    const outer = this.blockCode;
    this.blockCode = [];
    f();
    const inner = this.blockCode;
    this.blockCode = outer;
    return this.wasm.block(null, inner);
  }

  /**
   * The interpreter's handler runs the rest of the current (REP) instruction
   * from the registers as they are, with the iterations done so far counted in
   * retiredAtBlockEnd, and the region returns after it with the count the handler left. The
   * statement may sit on a conditional path: nothing of the context changes.
   */
  repeatRest(i: Insn): Stmt {
    const m = this.wasm;
    const id = this.services.helperId(i);
    this.blockChecked = true;
    const pending = this.recordPending;
    const sync = this.sync();
    this.recordPending = pending;
    return m.block(null, [
      ...sync,
      m.drop(m.callI32(Import.EXEC, [m.c(id)])),
      // The exit writes the locals back: they take what the handler left.
      ...this.reload(),
      this.exit(m.loadAt(L.EIP), m.add(m.truncU(m.subF(m.loadF64At(L.ICOUNT), m.getF(this.entryIcount))), m.c(1)), RegionStatus.RETURN),
    ]);
  }

  /**
   * Back to the engine at `eip` (in the region's page) with the instructions of
   * the block from `back` before its end not retired (RegionStatus.RETURN).
   */
  returnAt(eip: number, back: number): Stmt {
    const m = this.wasm;
    const site = ((eip - this.regionEip + SITE_BIAS) << SITE_BACK_BITS) | back;
    return m.block(null, [...this.recordConstants(), m.set(this.returnSite, m.c(site)), m.br(RETURN_LABEL)]);
  }

  // ---- helpers -----------------------------------------------------------

  /** Run the instruction through the interpreter's handler (the generic helper). */
  helper(i: Insn, row: OpRow, exits: boolean): void {
    const m = this.wasm;
    const id = this.services.helperId(i);
    this.blockChecked = true;
    this.emit(...this.sync());
    const call = m.callI32(Import.EXEC, [m.c(id)]);
    this.emit(exits ? m.drop(call) : m.set(this.helperStatus, call));
    this.emit(...this.reload());
    // The handler touched a device or wrote translated code: back to the dispatcher after it.
    if (!exits) this.emit(m.if(m.get(this.helperStatus), this.exit(m.c(this.nextEip), this.retiredAfter(), RegionStatus.RETURN)));
    this.dirtyRegs = 0;
    this.flagsDirty = false;
    if (row.flagsWritten & ARITH) this.flagProducer = null;
  }

  /** Raise an exception decided at translation time. */
  raise(vector: number, code: number): void {
    this.emit(this.raiseCode(vector, code));
  }

  /** Raise an exception when `cond` holds at run time. */
  raiseIf(cond: I32, vector: number, code: number): void {
    this.emit(this.wasm.if(cond, this.raiseCode(vector, code)));
  }

  private raiseCode(vector: number, code: number): Stmt {
    const m = this.wasm;
    this.blockChecked = true;
    // A raise may be conditional: past it the record's constants are still pending.
    const pending = this.recordPending;
    const sync = this.sync();
    this.recordPending = pending;
    return m.block(null, [...sync, m.call(Import.RAISE, [m.c(vector), m.c(code)]), m.unreachable()]);
  }

  // ---- exits -------------------------------------------------------------

  /** Leave the region with EIP `eip` and `retired` instructions retired in it, returning `status` to the dispatcher. */
  exit(eip: I32, retired: I32, status: RegionStatus): Stmt {
    const m = this.wasm;
    return m.block(null, [...this.recordConstants(), m.set(this.exitEip, eip), m.set(this.exitRetired, retired), m.set(this.exitStatus, m.c(status)), m.br(EXIT_LABEL)]);
  }

  /** The sets that bring the mask, op and size locals up to date with the producer. */
  private recordConstants(): Stmt[] {
    const p = this.flagProducer;
    if (!this.recordPending || !p) return [];
    const m = this.wasm;
    const [fMask, fOp, , , , fSize] = this.flagLocals;
    return [m.set(fMask, m.c(p.mask)), m.set(fOp, m.c(p.op)), m.set(fSize, m.c(p.size))];
  }

  /** When profiling, a block that completes without checks adds its length to JIT_CLEAN. */
  countClean(): void {
    if (!this.services.profile || this.blockChecked) return;
    const m = this.wasm;
    this.emit(m.storeAt(JIT_CLEAN, m.add(m.loadAt(JIT_CLEAN), m.c(this.blockLen))));
  }

  /** Bring the record's mask, op and size locals up to date (where two paths must agree on them). */
  flushRecord(): void {
    this.emit(...this.recordConstants());
    this.recordPending = false;
  }

  // ---- flags -------------------------------------------------------------

  /**
   * Record a flag-producing operation, exactly as Cpu.setLazy would: the flags in
   * `mask` become derivable from (op, a, b, res, size). Flags the new mask drops
   * are materialised into EFLAGS first when `keepLive` says a later reader needs them.
   * The operands are evaluated after the record's locals change: they must not read them.
   */
  setFlags(op: LazyOp, a: I32, b: I32, res: I32, size: number, mask: number, keepLive: number, carryIn = false): void {
    const m = this.wasm;
    const stale = ARITH & ~mask & keepLive;
    if (stale) {
      for (let bit = 1; bit <= 0x800; bit <<= 1) {
        if (!(stale & bit)) continue;
        if (this.flagProducer && !(this.flagProducer.mask & bit)) continue; // already in EFLAGS
        this.setEflags(m.or(m.and(this.eflags(), m.c(~bit)), m.shl(this.flagBit(bit), m.c(ctz(bit)))));
      }
    }
    const [, , fA, fB, fR] = this.flagLocals;
    this.emit(m.set(fA, a), m.set(fB, b), m.set(fR, res));
    this.flagsDirty = true;
    this.flagProducer = { op, size, mask, carryIn };
    this.recordPending = true;
  }

  /** The stored EFLAGS word (its lazy bits are stale), held in a local. */
  eflags(): I32 {
    return this.wasm.get(this.flagLocals[6]);
  }

  setEflags(v: I32): void {
    this.emit(this.wasm.set(this.flagLocals[6], v));
    this.flagsDirty = true;
  }

  /**
   * Take `bits` out of the lazy mask, as Cpu.materialize does; the caller then
   * stores their new values in EFLAGS (the rotates).
   */
  dropFlags(bits: number): void {
    const m = this.wasm;
    this.flagsDirty = true;
    if (this.flagProducer) this.flagProducer = { ...this.flagProducer, mask: this.flagProducer.mask & ~bits };
    if (this.recordPending) return;
    const fMask = this.flagLocals[0];
    this.emit(m.set(fMask, m.and(m.get(fMask), m.c(~bits))));
  }

  /**
   * One arithmetic flag as 0/1. With the producer known the formula is
   * specialised to its operation and size; otherwise the library function
   * evaluates the record in the flag locals (or EFLAGS for flags outside its mask).
   */
  flagBit(bit: number): I32 {
    const m = this.wasm;
    const p = this.flagProducer;
    if (!p) return m.callI32(Lib.FLAG, [m.c(bit), ...this.flagLocals.map((l) => m.get(l))]);
    if (!(p.mask & bit)) return m.and(m.shrU(this.eflags(), m.c(ctz(bit))), m.c(1));
    return flagFormula(m, bit, p.op, p.size, this.flagLocals);
  }

  /** Condition `cc` (Jcc encoding) as 0/1, fused into a direct comparison when the producer allows. */
  cond(cc: number): I32 {
    const m = this.wasm;
    const p = this.flagProducer;
    const base = cc & ~1;
    let r: I32 | undefined;
    // The shortcuts hold only when the producer's record defines every flag the condition reads.
    const whole = p !== null && (CONDITION_FLAGS[base >> 1] & ~p.mask) === 0;
    if (p && whole && !p.carryIn && p.op === LazyOp.SUB) r = subCompare(this, base, p);
    else if (p && whole && p.op === LazyOp.LOGIC) r = logicCondition(this, base, p);
    if (r === undefined) {
      switch (base >> 1) {
        case 0: r = this.flagBit(0x800); break;
        case 1: r = this.flagBit(CF); break;
        case 2: r = this.flagBit(0x40); break;
        case 3: r = m.or(this.flagBit(CF), this.flagBit(0x40)); break;
        case 4: r = this.flagBit(0x80); break;
        case 5: r = this.flagBit(0x04); break;
        case 6: r = m.xor(this.flagBit(0x80), this.flagBit(0x800)); break;
        default: r = m.or(this.flagBit(0x40), m.xor(this.flagBit(0x80), this.flagBit(0x800))); break;
      }
    }
    return cc & 1 ? m.eqz(r) : r;
  }
}

/** Flags each condition pair (O, B, E, BE, S, P, L, LE) reads. */
const CONDITION_FLAGS = [0x800, CF, 0x40, CF | 0x40, 0x80, 0x04, 0x80 | 0x800, 0x40 | 0x80 | 0x800];

function ctz(bit: number): number {
  return 31 - Math.clz32(bit);
}

/** Sign-extend a zero-extended value of `size` bits. */
export function sx(m: WasmModule, v: I32, size: number): I32 {
  return size === 32 ? v : size === 16 ? m.ext16s(v) : m.ext8s(v);
}

/** CMP/SUB/DEC/NEG without carry-in: conditions as direct comparisons of the operands. */
function subCompare(x: Ctx, base: number, p: Producer): I32 | undefined {
  const m = x.wasm;
  const [, , fA, fB] = x.flagLocals;
  const a = () => m.get(fA);
  const b = () => m.get(fB);
  const hasCF = (p.mask & CF) !== 0;
  switch (base) {
    case 2: return hasCF ? m.ltU(a(), b()) : undefined;
    case 4: return m.eq(a(), b());
    case 6: return hasCF ? m.leU(a(), b()) : undefined;
    case 12: return m.ltS(sx(m, a(), p.size), sx(m, b(), p.size));
    case 14: return m.leS(sx(m, a(), p.size), sx(m, b(), p.size));
  }
  return undefined;
}

/** AND/OR/XOR/TEST: CF = OF = 0. */
function logicCondition(x: Ctx, base: number, p: Producer): I32 | undefined {
  const m = x.wasm;
  const res = () => m.get(x.flagLocals[4]);
  const zf = () => (p.size === 32 ? m.eqz(res()) : m.eqz(m.shl(res(), m.c(32 - p.size))));
  const neg = () => (p.size === 32 ? m.ltS(res(), m.c(0)) : m.and(m.shrU(res(), m.c(p.size - 1)), m.c(1)));
  switch (base) {
    case 0: return m.c(0);
    case 2: return m.c(0);
    case 4: return zf();
    case 6: return zf();
    case 8: return neg();
    case 12: return neg();
    case 14: return m.or(zf(), neg());
  }
  return undefined;
}

/** The formula of Cpu.lazyFlag for one flag, specialised to a known operation and size. */
function flagFormula(m: WasmModule, bit: number, op: LazyOp, size: number, l: Local<"i32">[]): I32 {
  const a = () => m.get(l[2]);
  const b = () => m.get(l[3]);
  const r = () => m.get(l[4]);
  const top = (v: I32) => m.and(m.shrU(v, m.c(size - 1)), m.c(1));
  switch (bit) {
    case CF:
      if (op === LazyOp.ADD) return top(m.or(m.and(a(), b()), m.and(m.or(a(), b()), m.xor(r(), m.c(-1)))));
      if (op === LazyOp.SUB) return top(m.or(m.and(m.xor(a(), m.c(-1)), b()), m.and(m.or(m.xor(a(), m.c(-1)), b()), r())));
      return m.c(0);
    case 0x800:
      if (op === LazyOp.ADD) return top(m.and(m.xor(a(), r()), m.xor(b(), r())));
      if (op === LazyOp.SUB) return top(m.and(m.xor(a(), b()), m.xor(a(), r())));
      return m.c(0);
    case 0x10:
      return op === LazyOp.LOGIC ? m.c(0) : m.and(m.shrU(m.xor(m.xor(a(), b()), r()), m.c(4)), m.c(1));
    case 0x40:
      return size === 32 ? m.eqz(r()) : m.eqz(m.shl(r(), m.c(32 - size)));
    case 0x80:
      return top(r());
    default:
      return m.xor(m.and(m.popcnt(m.and(r(), m.c(0xff))), m.c(1)), m.c(1));
  }
}
