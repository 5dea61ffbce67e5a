/**
 * Native oracle generator. Enumerates every integer instruction form of the
 * opcode table that a 32-bit user-mode program can run with defined results,
 * makes random cases for each (edge values weighted in), runs them on the host
 * CPU through the harness (harness.c), and writes one fixture per instruction
 * family to test/fixtures/oracle/<family>.bin.gz (format in format.ts).
 *
 * Run through `npm run oracle:regen` (scripts/oracle/regen.sh), which builds the
 * harness and bundles this file:  node generate.js <harness> <out-dir> [family...]
 *
 * Cases are a pure function of the form names (seeded PRNG), so regenerating
 * on the same CPU reproduces the fixtures byte for byte.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as F from "../../src/cpu/flags.js";
import { OPCODES } from "../../src/isa/opcodes.js";
import { OpClass, type OpRow } from "../../src/isa/row.js";
import {
  encodeOracleFile,
  fillWindows,
  MODE_LOWSEG,
  NO_EXCEPTION,
  ORACLE_LAYOUT as L,
  type OracleCase,
  type OracleForm,
  type OracleInput,
  type OracleSelectors,
  type Patch,
} from "./format.js";

const EAX = 0;
const ECX = 1;
const EDX = 2;
const EBX = 3;
const ESP = 4;
const EBP = 5;
const ESI = 6;
const EDI = 7;

const CASES = 100;
/** Bytes kept clear of each window edge, so that small offsets (POP [ESP+d] after the pop, ...) stay inside. */
const MARGIN = 8;
/** Offset of the page boundary inside each window (the same for both). */
const BOUNDARY = 0x1000 - ((L.dataBase - L.dataArea) & 0xfff);

// ---- which rows become forms ------------------------------------------------

/** Rows that run at CPL 3 but whose results are not a function of the case (or that leave the process). */
const EXCLUDED_EXEC: Record<string, string> = {
  "control.int": "interrupt: goes to the OS",
  "control.int1": "interrupt: goes to the OS",
  "control.int3": "interrupt: goes to the OS",
  "control.into": "interrupt: goes to the OS",
  "fartransfer.iret": "far return through the OS's descriptors",
  "fartransfer.callf": "far transfer: segment load",
  "fartransfer.jmpf": "far transfer: segment load",
  "fartransfer.retf": "far transfer: segment load",
  "fpu.fwait": "x87",
  "misc.cpuid": "host-specific result",
  "misc.rdtsc": "time",
  "system.sgdt": "OS descriptor-table state",
  "system.sidt": "OS descriptor-table state",
  "system.smsw": "OS control-register state (UMIP)",
};

/** Rows the classes exclude but that a CPL 3 program runs with defined results. */
const INCLUDED_ANYWAY = new Set(["flagops.pushf", "flagops.popf", "system.arpl"]);

function included(row: OpRow): boolean {
  if (row.map < 0 || EXCLUDED_EXEC[row.exec] !== undefined) return false;
  if (INCLUDED_ANYWAY.has(row.exec)) return true;
  const out = OpClass.PRIV | OpClass.IOPL | OpClass.SEGLOAD | OpClass.FPU | OpClass.UNDEFINED | OpClass.IO | OpClass.PREFIX | OpClass.MODEDEP;
  return (row.cls & out) === 0;
}

/** Executors that also get 16-bit-addressing (67) forms of their ModRM memory operand. */
const A16_EXECS = new Set([
  "alu.add", "alu.adc", "alu.sub", "alu.cmp", "alu.xor", "alu.test", "alu.inc", "alu.not",
  "shift.rol", "shift.sar", "shift.shld", "muldiv.mul", "muldiv.div", "muldiv.imul2",
  "mov.mov", "mov.xchg", "mov.lea", "mov.movzx", "mov.movsx", "bit.bt", "bit.bts", "bit.bsf",
  "cond.setcc", "cond.cmovcc", "stack.push", "stack.pop", "control.call", "control.jmp", "control.bound",
  "atomic.cmpxchg", "atomic.xadd", "atomic.cmpxchg8b", "misc.nop", "segment.movfrom", "system.arpl",
]);

/** Rows without a ModRM byte whose memory access or counter follows the address size. */
function addressSized(row: OpRow): boolean {
  return row.exec.startsWith("string.") || row.exec === "mov.xlat" || row.exec === "control.loop" ||
    row.exec === "control.loope" || row.exec === "control.loopne" || row.exec === "control.jcxz" ||
    row.operands.some((o) => o === "Ob" || o === "Ov");
}

const SIZED_EXECS = new Set(["stack.enter", "stack.leave", "control.ret", "segment.push"]);

function operandSizes(row: OpRow): (16 | 32)[] {
  // BSWAP of a 16-bit register is undefined (SDM).
  if (row.exec === "mov.bswap") return [32];
  const sized = row.mnemonic.includes("/") || SIZED_EXECS.has(row.exec) ||
    row.operands.some((o) => /^[EGZRIOXYM].*v$|z$|^eAX$|^Ibs$|^J[bz]$|^Ma$|^Rv\/Mw$/.test(o));
  return sized ? [32, 16] : [32];
}

interface Form {
  name: string;
  family: string;
  row: OpRow;
  osize: 16 | 32;
  asize: 16 | 32;
  /** The ModRM operand is in memory. */
  mem: boolean;
  /** 0, 0xF3 or 0xF2. */
  rep: number;
  lock: boolean;
  count: number;
  gen: Gen;
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");

function encodingName(row: OpRow): string {
  return `${row.map ? "0F " : ""}${hex2(row.op)}${row.reg >= 0 ? `/${row.reg}` : ""}`;
}

function mnemonicFor(row: OpRow, osize: number, asize: number): string {
  const names = row.mnemonic.split("/");
  if (names.length === 1) return names[0];
  const wide = row.exec === "control.jcxz" ? asize === 32 : osize === 32;
  return wide ? names[1] : names[0];
}

function enumerateForms(): Form[] {
  const forms: Form[] = [];
  for (const row of OPCODES) {
    if (!included(row)) continue;
    const gen = GEN[row.exec];
    if (!gen) throw new Error(`no case generator for ${row.exec} (${row.mnemonic} ${row.operands.join(",")})`);
    const family = row.exec.split(".")[0];
    const add = (osize: 16 | 32, asize: 16 | 32, mem: boolean, rep: number, lock: boolean) => {
      const parts = [encodingName(row), mnemonicFor(row, osize, asize), row.operands.join(","), `o${osize}`];
      if (row.hasModrm) parts.push(mem ? `m${asize}` : "reg");
      else if (addressSized(row)) parts.push(`a${asize}`);
      if (rep) parts.push(rep === 0xf3 ? "rep" : "repne");
      if (lock) parts.push("lock");
      const exhaustive = EXHAUSTIVE[row.exec];
      forms.push({ name: parts.filter(Boolean).join(" "), family, row, osize, asize, mem, rep, lock, count: exhaustive ?? CASES, gen });
    };
    for (const osize of operandSizes(row)) {
      if (row.hasModrm) {
        if (row.mod !== "mem") add(osize, 32, false, 0, false);
        if (row.mod !== "reg") {
          add(osize, 32, true, 0, false);
          if (A16_EXECS.has(row.exec)) add(osize, 16, true, 0, false);
          if (row.cls & OpClass.LOCKABLE && osize === 32) add(osize, 32, true, 0, true);
        }
      } else if (addressSized(row)) {
        const reps = row.cls & OpClass.STRING ? (/cmps|scas/.test(row.exec) ? [0, 0xf3, 0xf2] : [0, 0xf3]) : [0];
        for (const asize of [32, 16] as const) for (const rep of reps) add(osize, asize, false, rep, false);
      } else {
        add(osize, 32, false, 0, false);
      }
    }
  }
  const names = new Set<string>();
  for (const f of forms) {
    if (names.has(f.name)) throw new Error(`two forms named ${f.name}`);
    names.add(f.name);
  }
  return forms;
}

// ---- random values ----------------------------------------------------------

/** sfc32 seeded from a string: every form gets its own reproducible stream. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(text: string) {
    let h1 = 0x9e3779b9;
    let h2 = 0x85ebca6b;
    for (let k = 0; k < text.length; k++) {
      const ch = text.charCodeAt(k);
      h1 = Math.imul(h1 ^ ch, 0x01000193);
      h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
    }
    this.a = h1;
    this.b = h2;
    this.c = h1 ^ h2;
    this.d = 1;
    for (let k = 0; k < 16; k++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }
}

const EDGES: Record<number, readonly number[]> = {
  8: [0, 1, 2, 0x0f, 0x10, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff],
  16: [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff],
  32: [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff],
};

const maskOf = (bits: number) => (bits === 32 ? 0xffffffff : (1 << bits) - 1);

/** An edge-weighted value of `bits` bits, unsigned. */
function value(rng: Rng, bits: number): number {
  const r = rng.int(100);
  if (r < 40) return rng.pick(EDGES[bits]);
  if (r < 55) return ((rng.chance(0.5) ? rng.int(17) : -1 - rng.int(16)) & maskOf(bits)) >>> 0;
  return (rng.u32() & maskOf(bits)) >>> 0;
}

/** Shift and rotate counts: the masking and modulo boundaries, and a spread. */
const COUNTS = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 24, 31, 32, 33, 63, 64, 65, 127, 128, 255];

function shiftCount(rng: Rng): number {
  return rng.chance(0.6) ? rng.pick(COUNTS) : rng.chance(0.5) ? rng.int(34) : rng.int(256);
}

function signExtend(v: number, bits: number): number {
  return bits === 32 ? v | 0 : (v << (32 - bits)) >> (32 - bits);
}

/** Inverse of an odd number modulo 2^32. */
function inverseOdd(k: number): number {
  let x = k;
  for (let n = 0; n < 5; n++) x = Math.imul(x, 2 - Math.imul(k, x));
  return x;
}

// ---- building one case ------------------------------------------------------

const BASE16 = [EBX, EBX, EBP, EBP, -1, -1, EBP, EBX];
const INDEX16 = [ESI, EDI, ESI, EDI, ESI, EDI, -1, -1];

interface Extent {
  /** Bytes the instruction may touch below the operand's address. */
  before: number;
  /** Bytes from the operand's address on. */
  after: number;
}

/** Where in a window an operand goes: anywhere its reach fits, and now and then across the page boundary. */
function windowOffset(rng: Rng, ext: Extent): number {
  if (ext.after > 1 && rng.chance(0.15)) return BOUNDARY - rng.range(1, ext.after - 1);
  return rng.range(MARGIN + ext.before, L.window - MARGIN - ext.after);
}

class CaseBuilder {
  readonly regs = new Int32Array(8);
  /** Registers whose value the instruction's semantics or an address already depend on. */
  readonly fixed = [false, false, false, false, false, false, false, false];
  eflags: number;
  mode = 0;
  readonly seed: number;
  readonly data = new Uint8Array(L.window);
  readonly stack = new Uint8Array(L.window);
  readonly patches: Patch[] = [];
  /** ModRM.reg (group selector, G register or segment register). */
  regField: number;
  /** Register r/m operand, when not in memory. */
  rmReg = -1;
  /** Linear address of the memory operand, -1 if none. */
  ea = -1;
  /** Size in bytes of the memory operand. */
  eaSize = 0;
  /** Overrides the memory operand's extent (bit strings, BOUND pairs). */
  extent: Extent | undefined;
  private segPrefix = -1;
  private modrmBytes: number[] = [];
  private immBytes: number[] = [];

  constructor(readonly form: Form, readonly rng: Rng, readonly index: number) {
    for (let r = 0; r < 8; r++) {
      const bits = rng.pick([8, 16, 32]);
      this.regs[r] = ((rng.u32() & ~maskOf(bits)) | value(rng, bits)) | 0;
    }
    const jitter = rng.chance(0.8) ? rng.range(-8, 8) * 4 : rng.range(-32, 32);
    // Near the page boundary, so that pushes and pops now and then straddle it.
    this.fix(ESP, L.stackBase + BOUNDARY + jitter);
    let fl = F.FIXED_ONE | F.IF;
    for (const bit of [F.CF, F.PF, F.AF, F.ZF, F.SF, F.OF, F.DF]) if (rng.chance(0.5)) fl |= bit;
    if (rng.chance(0.1)) fl |= F.NT;
    if (rng.chance(0.1)) fl |= F.ID;
    this.eflags = fl;
    this.seed = rng.u32() || 1;
    fillWindows({ code: new Uint8Array(0), mode: 0, seed: this.seed, regs: this.regs, eflags: 0, patches: [] }, this.data, this.stack);
    const row = form.row;
    this.regField = row.reg >= 0 ? row.reg : rng.int(8);
  }

  get row(): OpRow {
    return this.form.row;
  }
  get osize(): number {
    return this.form.osize;
  }
  get a16(): boolean {
    return this.form.asize === 16;
  }

  fix(r: number, v: number): void {
    this.regs[r] = v | 0;
    this.fixed[r] = true;
  }
  /** Set the low `bits` of a register (upper bits stay random) and fix it. */
  fixLow(r: number, bits: number, v: number): void {
    this.setLow(r, bits, v);
    this.fixed[r] = true;
  }
  private setLow(r: number, bits: number, v: number): void {
    const m = maskOf(bits);
    this.regs[r] = ((this.regs[r] & ~m) | (v & m)) | 0;
  }
  /** Value of operand register `n` of `bits` bits (8-bit numbering AL CL DL BL AH CH DH BH). */
  reg(n: number, bits: number): number {
    if (bits === 8) return (this.regs[n & 3] >>> ((n >> 2) * 8)) & 0xff;
    return (this.regs[n] & maskOf(bits)) >>> 0;
  }
  /** Set operand register `n` unless its register is fixed; true when set. */
  setOperandReg(n: number, bits: number, v: number): boolean {
    const r = bits === 8 ? n & 3 : n;
    if (this.fixed[r]) return false;
    if (bits === 8) {
      const sh = (n >> 2) * 8;
      this.regs[r] = (this.regs[r] & ~(0xff << sh)) | ((v & 0xff) << sh);
    } else this.setLow(r, bits, v);
    return true;
  }

  writeMem(addr: number, bytes: number, v: number | bigint): void {
    const b = new Uint8Array(bytes);
    let x = BigInt.asUintN(bytes * 8, BigInt(v));
    for (let k = 0; k < bytes; k++) {
      b[k] = Number(x & 0xffn);
      x >>= 8n;
    }
    this.patches.push({ addr, bytes: b });
    const [w, off] = addr >= L.stackBase ? [this.stack, addr - L.stackBase] : [this.data, addr - L.dataBase];
    if (off < 0 || off + bytes > L.window) throw new RangeError(`${this.form.name}: write outside the windows`);
    w.set(b, off);
  }
  readMem(addr: number, bytes: number): number {
    const [w, off] = addr >= L.stackBase ? [this.stack, addr - L.stackBase] : [this.data, addr - L.dataBase];
    let v = 0;
    for (let k = bytes - 1; k >= 0; k--) v = v * 256 + w[off + k];
    return v;
  }

  imm(bytes: number, v: number): void {
    for (let k = 0; k < bytes; k++) this.immBytes.push((v >>> (8 * k)) & 0xff);
  }

  /** Random segment override that reaches the same window (flat segments, or the LDT one). */
  maybeOverride(): void {
    if (this.rng.chance(0.2)) this.segPrefix = this.rng.pick(this.a16 ? [0x26, 0x3e] : [0x26, 0x36, 0x3e]);
  }

  /** The ModRM operand: a random register, or a memory operand whose bytes land in a window. */
  rm(bytes: number, access = true): void {
    if (!this.form.mem) {
      this.rmReg = this.rng.int(8);
      this.modrmBytes = [0xc0 | (this.regField << 3) | this.rmReg];
      return;
    }
    this.eaSize = bytes;
    const ext = this.extent ?? { before: 0, after: bytes };
    if (!access) this.randomAddress();
    else this.ea = this.a16 ? this.solve16(ext) : this.solve32(ext);
  }

  /** A memory operand that is never accessed (LEA, NOP): any address. */
  private randomAddress(): void {
    const rng = this.rng;
    const mod = rng.int(3);
    const rm = rng.int(8);
    const out = [(mod << 6) | (this.regField << 3) | rm];
    if (this.a16) {
      if (mod === 1) out.push(rng.int(256));
      else if (mod === 2 || (mod === 0 && rm === 6)) out.push(rng.int(256), rng.int(256));
    } else {
      let dispBytes = mod === 1 ? 1 : mod === 2 ? 4 : 0;
      if (rm === 4) {
        const sib = rng.int(256);
        out.push(sib);
        if (mod === 0 && (sib & 7) === 5) dispBytes = 4;
      } else if (mod === 0 && rm === 5) dispBytes = 4;
      const disp = value(rng, 32);
      for (let k = 0; k < dispBytes; k++) out.push((disp >>> (8 * k)) & 0xff);
    }
    this.modrmBytes = out;
  }

  private solve32(ext: Extent): number {
    const rng = this.rng;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const mod = attempt < 900 ? rng.int(3) : 2;
      let base = -1;
      let index = -1;
      let scale = 0;
      let dispBytes = mod === 1 ? 1 : mod === 2 ? 4 : 0;
      const bytes: number[] = [];
      if (rng.chance(0.4)) {
        const b = rng.int(8);
        const x = rng.int(8);
        scale = rng.int(4);
        index = x === 4 ? -1 : x;
        if (b === 5 && mod === 0) dispBytes = 4;
        else base = b;
        bytes.push((mod << 6) | (this.regField << 3) | 4, (scale << 6) | (x << 3) | b);
      } else {
        const rm = rng.pick([0, 1, 2, 3, 5, 6, 7]);
        if (rm === 5 && mod === 0) dispBytes = 4;
        else base = rm;
        bytes.push((mod << 6) | (this.regField << 3) | rm);
      }
      const winBase = base === ESP ? L.stackBase : L.dataBase;
      let t = winBase + windowOffset(rng, ext);
      let disp = dispBytes === 1 ? signExtend(rng.int(256), 8) : dispBytes === 4 ? (rng.chance(0.5) ? rng.range(-256, 256) : value(rng, 32) | 0) : 0;
      const coef = new Map<number, number>();
      if (base >= 0) coef.set(base, 1);
      if (index >= 0) coef.set(index, (coef.get(index) ?? 0) + (1 << scale));
      let known = disp;
      const free: [number, number][] = [];
      for (const [r, k] of coef) {
        if (this.fixed[r]) known = (known + Math.imul(this.regs[r], k)) | 0;
        else free.push([r, k]);
      }
      if (free.length === 2) {
        // Distinct free base and index: the index gets any value (wrap-around included), the base makes up the rest.
        const [ri, ki] = free[0][0] === index ? free[0] : free[1];
        this.fix(ri, rng.chance(0.5) ? rng.range(-64, 64) : value(rng, 32));
        known = (known + Math.imul(this.regs[ri], ki)) | 0;
        free.splice(free.findIndex(([r]) => r === ri), 1);
      }
      if (free.length === 0) {
        if (dispBytes === 4) disp = (disp + (t - known)) | 0;
        else if (((known - t) | 0) !== 0) continue;
      } else {
        const [r, k] = free[0];
        const j = 31 - Math.clz32(k & -k);
        const rem = ((t - known) >>> 0) & ((1 << j) - 1);
        t -= rem;
        if (t - ext.before < winBase + MARGIN) continue;
        const y = ((t - known) >>> 0) >>> j;
        const low = Math.imul(y, inverseOdd(k >>> j));
        const top = j ? (rng.u32() >>> (32 - j)) << (32 - j) : 0;
        this.fix(r, j ? (low & (0xffffffff >>> j)) | top : low);
      }
      for (let k = 0; k < dispBytes; k++) bytes.push((disp >>> (8 * k)) & 0xff);
      this.modrmBytes = bytes;
      this.maybeOverride();
      return t;
    }
    throw new Error(`${this.form.name}: no addressing mode reaches the window`);
  }

  private solve16(ext: Extent): number {
    const rng = this.rng;
    this.mode |= MODE_LOWSEG;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const mod = attempt < 900 ? rng.int(3) : 2;
      const rm = rng.int(8);
      const absolute = mod === 0 && rm === 6;
      const base = absolute ? -1 : BASE16[rm];
      const index = absolute ? -1 : INDEX16[rm];
      const t = windowOffset(rng, ext);
      let disp = mod === 1 ? signExtend(rng.int(256), 8) : mod === 2 || absolute ? rng.int(0x10000) : 0;
      const wide = mod === 2 || absolute;
      let known = disp;
      const free: number[] = [];
      for (const r of [base, index]) {
        if (r < 0) continue;
        if (this.fixed[r]) known += this.regs[r];
        else free.push(r);
      }
      if (free.length === 2) {
        this.fixLow(index, 16, rng.int(0x10000));
        known += this.regs[index];
        free.pop();
      }
      if (free.length === 0) {
        if (wide) disp = (disp + t - known) & 0xffff;
        else if (((known - t) & 0xffff) !== 0) continue;
      } else {
        this.fixLow(free[0], 16, t - known);
      }
      const bytes = [(mod << 6) | (this.regField << 3) | rm];
      if (mod === 1) bytes.push(disp & 0xff);
      else if (wide) bytes.push(disp & 0xff, (disp >>> 8) & 0xff);
      this.modrmBytes = bytes;
      this.maybeOverride();
      // BP-based forms default to SS, which is flat: the override keeps them on the LDT segment.
      if (base === EBP && this.segPrefix < 0) this.segPrefix = this.rng.pick([0x26, 0x3e]);
      return L.dataBase + t;
    }
    throw new Error(`${this.form.name}: no 16-bit addressing mode reaches the window`);
  }

  /** moffs operand (A0-A3): a displacement-only memory operand. */
  moffs(bytes: number): void {
    const off = windowOffset(this.rng, { before: 0, after: bytes });
    this.eaSize = bytes;
    this.ea = L.dataBase + off;
    if (this.a16) {
      this.mode |= MODE_LOWSEG;
      this.modrmBytes = [off & 0xff, off >>> 8];
    } else {
      const a = this.ea;
      this.modrmBytes = [a & 0xff, (a >>> 8) & 0xff, (a >>> 16) & 0xff, a >>> 24];
    }
    this.maybeOverride();
  }

  /** Bytes of the instruction so far plus `extra` immediate bytes still to come. */
  lengthWith(extra: number): number {
    return this.prefixes().length + (this.row.map ? 2 : 1) + this.modrmBytes.length + this.immBytes.length + extra;
  }

  private prefixes(): number[] {
    const p: number[] = [];
    if (this.form.lock) p.push(0xf0);
    if (this.form.rep) p.push(this.form.rep);
    if (this.segPrefix >= 0) p.push(this.segPrefix);
    if (this.form.osize === 16) p.push(0x66);
    if (this.form.asize === 16) p.push(0x67);
    return p;
  }

  build(): OracleInput {
    const code = [...this.prefixes(), ...(this.row.map ? [0x0f, this.row.op] : [this.row.op]), ...this.modrmBytes, ...this.immBytes];
    return { code: Uint8Array.from(code), mode: this.mode, seed: this.seed, regs: this.regs, eflags: this.eflags >>> 0, patches: this.patches };
  }
}

// ---- per-executor case generators ------------------------------------------

type Gen = (b: CaseBuilder) => void;

function operandBits(code: string, b: CaseBuilder): number {
  const last = code[code.length - 1];
  if (code === "AL" || code === "CL" || last === "b") return 8;
  if (last === "w" || code === "Rv/Mw") return 16;
  if (last === "d") return 32;
  return b.osize;
}

interface StandardOptions {
  /** Fix registers the semantics constrain, before the memory operand takes free ones. */
  pre?: (b: CaseBuilder) => void;
  /** Immediate for operand `code` (default: an edge-weighted value). */
  imm?: (b: CaseBuilder, code: string) => number;
  /** Adjust registers or memory once the operands are placed. */
  post?: (b: CaseBuilder) => void;
}

/** Every operand of the row in table order: ModRM operand, moffs, immediates. */
function standard(opts: StandardOptions = {}): Gen {
  return (b) => {
    opts.pre?.(b);
    for (const code of b.row.operands) {
      if (code[0] === "E" || code === "Rv/Mw") {
        const bits = b.form.mem && code === "Rv/Mw" ? 16 : operandBits(code, b);
        b.rm(bits / 8);
      } else if (code === "M") {
        b.rm(0, false);
      } else if (code === "Ma") {
        b.rm((2 * b.osize) / 8);
      } else if (code === "Mq") {
        b.rm(8);
      } else if (code === "Ob" || code === "Ov") {
        b.moffs(operandBits(code, b) / 8);
      } else if (code[0] === "I") {
        const bits = code === "Ib" || code === "Ibs" ? 8 : code === "Iw" ? 16 : b.osize;
        b.imm(bits / 8, opts.imm ? opts.imm(b, code) : value(b.rng, bits));
      }
    }
    if (b.ea >= 0 && b.eaSize > 0 && b.eaSize <= 4 && b.rng.chance(0.6)) b.writeMem(b.ea, b.eaSize, value(b.rng, b.eaSize * 8));
    opts.post?.(b);
  };
}

function setRm(b: CaseBuilder, bits: number, v: number): void {
  if (b.ea >= 0) b.writeMem(b.ea, bits / 8, v);
  else b.setOperandReg(b.rmReg, bits, v);
}

function eBits(b: CaseBuilder): number {
  return operandBits(b.row.operands[0], b);
}

const shift = (limit16: boolean): Gen => {
  const count = (b: CaseBuilder) => {
    for (;;) {
      const n = shiftCount(b.rng);
      // SHLD/SHRD of 16 bits by more than 16 leave the result undefined (SDM).
      if (!(limit16 && b.osize === 16 && (n & 31) > 16)) return n;
    }
  };
  return standard({
    pre: (b) => {
      if (b.row.operands.includes("CL")) b.fixLow(ECX, 8, count(b));
    },
    imm: (b, code) => (code === "Ib" ? count(b) : value(b.rng, 8)),
  });
};

const divide: Gen = (b) => {
  // The divisor is chosen with the dividend; it lands in the operand once that is placed
  // (a register operand that is part of the dividend keeps the dividend's value).
  let divisor = 0;
  standard({
    pre: () => {
      const bits = eBits(b);
      const rng = b.rng;
      const signed = b.row.exec === "muldiv.idiv";
      let d = BigInt(value(rng, bits));
      if (rng.chance(0.08)) d = 0n;
      const dv = signed ? BigInt.asIntN(bits, d) : d;
      let dividend: bigint;
      if (dv !== 0n && rng.chance(0.55)) {
        // A quotient in range and a remainder of the dividend's sign.
        const q = signed ? BigInt.asIntN(bits, BigInt(value(rng, bits))) : BigInt(value(rng, bits));
        const bound = dv < 0n ? -dv : dv;
        let r = BigInt(rng.u32()) % bound;
        if (signed && q * dv < 0n) r = -r;
        dividend = q * dv + r;
      } else if (signed && rng.chance(0.1)) {
        dividend = -(1n << BigInt(2 * bits - 1));
        d = BigInt.asUintN(bits, -1n);
      } else {
        dividend = (BigInt(value(rng, bits)) << BigInt(bits)) | BigInt(value(rng, bits));
      }
      const u = BigInt.asUintN(2 * bits, dividend);
      if (bits === 8) b.fixLow(EAX, 16, Number(u));
      else {
        b.fixLow(EAX, bits, Number(u & BigInt(maskOf(bits))));
        b.fixLow(EDX, bits, Number(u >> BigInt(bits)));
      }
      divisor = Number(d);
    },
    post: () => setRm(b, eBits(b), divisor),
  })(b);
};

const BCD_EXHAUSTIVE: Gen = (b) => {
  const i = b.index;
  b.fixLow(EAX, 8, i & 0xff);
  b.eflags = (b.eflags & ~(F.AF | F.CF)) | (i & 0x100 ? F.AF : 0) | (i & 0x200 ? F.CF : 0);
};

const EXHAUSTIVE: Record<string, number> = { "bcd.daa": 1024, "bcd.das": 1024, "bcd.aaa": 1024, "bcd.aas": 1024 };

const aamImm = (b: CaseBuilder) => b.rng.pick([10, 10, 10, 0, 1, 16, 0xff, b.rng.int(256), b.rng.int(256)]);

const bitTest: Gen = standard({
  pre: (b) => {
    if (b.row.operands[1] !== "Gv" || !b.form.mem) return;
    // The bit offset reaches below and above the operand: keep the whole reach in the window.
    const span = 64;
    b.extent = { before: span, after: span + b.osize / 8 };
    b.fixLow(b.regField, b.osize, b.rng.range(-span * 8, span * 8 - 1));
  },
  imm: (b) => (b.rng.chance(0.5) ? b.rng.pick([0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 255]) : b.rng.int(256)),
});

const bitScan: Gen = standard({
  post: (b) => {
    // Zero sources are kept: the SDM leaves the destination undefined, but IA-32 processors
    // leave it unchanged (AMD documents it) and software relies on that.
    const rng = b.rng;
    const r = rng.int(100);
    const v = r < 15 ? 0 : r < 45 ? 2 ** rng.int(b.osize) : r < 65 ? value(rng, b.osize) : rng.u32();
    setRm(b, b.osize, v);
  },
});

/** A branch target in the INT3 area that is not inside the instruction itself. */
function padTarget(b: CaseBuilder, len: number): number {
  for (;;) {
    const t = b.rng.chance(0.5)
      ? L.codeAt + len + b.rng.range(-0x200, 0x200)
      : L.codeBase + MARGIN + b.rng.int(L.codeSize - 2 * MARGIN);
    if (t < L.codeAt || t >= L.codeAt + len) return t;
  }
}

/**
 * Relative displacement operand (Jb/Jz). With a 32-bit operand size the target
 * stays in the INT3 area; with 16 bits EIP is truncated to IP, and the target
 * lands in the unmapped low 64 KiB, where the fetch fault reports it.
 */
function relative(b: CaseBuilder, code: string): void {
  const bytes = code === "Jb" ? 1 : b.osize / 8;
  const len = b.lengthWith(bytes);
  const next = L.codeAt + len;
  let rel: number;
  if (b.osize === 16) rel = value(b.rng, bytes * 8);
  else if (bytes === 1) {
    do rel = signExtend(b.rng.int(256), 8);
    while (rel >= -len && rel < 0);
  } else rel = padTarget(b, len) - next;
  b.imm(bytes, rel);
}

function branchTarget(b: CaseBuilder, len: number): number {
  return b.osize === 16 ? value(b.rng, 16) : padTarget(b, len);
}

const relBranch: Gen = (b) => {
  for (const code of b.row.operands) if (code[0] === "J") relative(b, code);
};

const nearTransfer: Gen = (b) => {
  if (b.row.operands[0] !== "Ev") return relBranch(b);
  standard({
    post: (b2) => {
      const t = branchTarget(b2, b2.lengthWith(0));
      if (b2.ea >= 0) b2.writeMem(b2.ea, b2.osize / 8, t);
      else b2.setOperandReg(b2.rmReg, b2.osize, t);
    },
  })(b);
};

const ret: Gen = (b) => {
  const hasImm = b.row.operands[0] === "Iw";
  const t = branchTarget(b, b.lengthWith(hasImm ? 2 : 0));
  b.writeMem(b.regs[ESP], b.osize / 8, t);
  if (hasImm) b.imm(2, b.rng.chance(0.5) ? b.rng.pick([0, 2, 4, 6, 8, 0x10, 0x7fff, 0x8000, 0xfffe, 0xffff]) : b.rng.int(0x10000));
};

const loop: Gen = (b) => {
  // A zero count (or a zero CX under a non-zero ECX) is what JCXZ and LOOP's fall-through turn on.
  const n = b.rng.chance(0.25) ? 0 : b.rng.pick([1, 1, 2, 2, 3, 0x10000, 0x10001, 0xffffffff, value(b.rng, 32), value(b.rng, 16)]);
  if (b.a16) b.fixLow(ECX, 16, n);
  else b.fix(ECX, n);
  relBranch(b);
};

const bound: Gen = (b) => {
  let lo = 0;
  let hi = 0;
  standard({
    pre: () => {
      const rng = b.rng;
      const bits = b.osize;
      lo = signExtend(value(rng, bits), bits);
      hi = signExtend(value(rng, bits), bits);
      let idx: number;
      const r = rng.int(100);
      if (r < 40 && lo <= hi) idx = lo + Math.floor((rng.u32() / 0x100000000) * (hi - lo + 1));
      else if (r < 70) idx = rng.pick([lo, hi, lo - 1, hi + 1]);
      else idx = value(rng, bits);
      b.fixLow(b.regField, bits, idx);
    },
    post: () => {
      b.writeMem(b.ea, b.osize / 8, lo);
      b.writeMem(b.ea + b.osize / 8, b.osize / 8, hi);
    },
  })(b);
};

const enter: Gen = (b) => {
  const rng = b.rng;
  b.fix(EBP, L.stackBase + (rng.range(0x90, 0x1f0) & (rng.chance(0.8) ? ~3 : ~0)));
  b.imm(2, rng.chance(0.5) ? rng.pick([0, 1, 2, 4, 8, 0x10, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff]) : rng.int(0x10000));
  const r = rng.int(100);
  b.imm(1, r < 50 ? rng.int(4) : r < 80 ? rng.range(4, 31) : rng.range(32, 255));
};

const leave: Gen = (b) => {
  b.fix(EBP, L.stackBase + (b.rng.range(0x100, 0x1f0) & (b.rng.chance(0.8) ? ~3 : ~0)));
};

const pop: Gen = standard({
  post: (b) => {
    // The popped value, unless a memory operand already lies on the stack top.
    const top = b.regs[ESP];
    if (b.ea < top - 4 || b.ea >= top + 4) b.writeMem(top, b.osize / 8, value(b.rng, b.osize));
  },
});

const pushSreg: Gen = (b) => {
  // Pushing a segment register with a 32-bit operand size writes either 4 bytes (upper half zero) or only
  // the low 2, by implementation (SDM PUSH): a zero slot makes both read the same.
  b.writeMem(b.regs[ESP] - 4, 4, 0);
};

const movFromSreg: Gen = standard({
  pre: (b) => {
    if (b.row.reg < 0) b.regField = b.rng.int(6);
  },
});

const popf: Gen = (b) => {
  // TF would single-step the next instruction; everything else a CPL 3 POPF may or may not change is random.
  const v = (b.osize === 16 ? b.rng.u32() & 0xffff : b.rng.u32()) & ~F.TF;
  b.writeMem(b.regs[ESP], b.osize / 8, v);
};

const xlat: Gen = (b) => {
  const al = value(b.rng, 8);
  b.fixLow(EAX, 8, al);
  const off = b.rng.range(MARGIN, L.window - MARGIN - 1);
  if (b.a16) {
    b.mode |= MODE_LOWSEG;
    b.fixLow(EBX, 16, off - al);
  } else b.fix(EBX, L.dataBase + off - al);
  b.maybeOverride();
};

const cmpxchg: Gen = standard({
  post: (b) => {
    if (!b.rng.chance(0.5)) return;
    const bits = eBits(b);
    setRm(b, bits, b.reg(EAX, bits));
  },
});

const cmpxchg8b: Gen = standard({
  post: (b) => {
    if (!b.rng.chance(0.5)) return;
    b.writeMem(b.ea, 4, b.regs[EAX]);
    b.writeMem(b.ea + 4, 4, b.regs[EDX]);
  },
});

const STRING_SRC = new Set(["string.movs", "string.cmps", "string.lods"]);
const STRING_DST = new Set(["string.movs", "string.cmps", "string.stos", "string.scas"]);

const string: Gen = (b) => {
  const rng = b.rng;
  const exec = b.row.exec;
  const e = b.row.operands.some((o) => o === "Xb" || o === "Yb") ? 1 : b.osize / 8;
  const down = (b.eflags & F.DF) !== 0;
  const count = b.form.rep ? rng.pick([0, 1, 2, 3, 4, 5, 8, rng.int(21), rng.int(21)]) : 0;
  if (b.form.rep) {
    if (b.a16) b.fixLow(ECX, 16, count);
    else b.fix(ECX, count);
  }
  const span = Math.max(count, 1) * e;
  // Offset of the first element such that every element stays in the window.
  const first = () => (down ? rng.range(MARGIN + span - e, L.window - MARGIN - e) : rng.range(MARGIN, L.window - MARGIN - span));
  const src = first();
  const dst = first();
  const place = (r: number, off: number) => {
    if (b.a16) b.fixLow(r, 16, off);
    else b.fix(r, L.dataBase + off);
  };
  if (b.a16) b.mode |= MODE_LOWSEG;
  if (STRING_SRC.has(exec)) {
    place(ESI, src);
    b.maybeOverride();
  }
  if (STRING_DST.has(exec)) place(EDI, dst);
  const step = down ? -e : e;
  const elems = Math.max(count, 1);
  const at = (base: number, k: number) => L.dataBase + base + k * step;
  if (exec === "string.cmps" && rng.chance(0.7)) {
    // Equal runs make REPE go on and REPNE stop.
    const k = rng.int(elems + 1);
    if (b.form.rep === 0xf2) {
      if (k < elems) b.writeMem(at(dst, k), e, b.readMem(at(src, k), e));
    } else for (let j = 0; j < k; j++) b.writeMem(at(dst, j), e, b.readMem(at(src, j), e));
  }
  if (exec === "string.scas" && rng.chance(0.7)) {
    const acc = b.reg(EAX, e * 8);
    const k = rng.int(elems + 1);
    if (b.form.rep === 0xf2) {
      if (k < elems) b.writeMem(at(dst, k), e, acc);
    } else for (let j = 0; j < k; j++) b.writeMem(at(dst, j), e, acc);
  }
};

const GEN: Record<string, Gen> = {
  "alu.add": standard(),
  "alu.or": standard(),
  "alu.adc": standard(),
  "alu.sbb": standard(),
  "alu.and": standard(),
  "alu.sub": standard(),
  "alu.xor": standard(),
  "alu.cmp": standard(),
  "alu.test": standard(),
  "alu.inc": standard(),
  "alu.dec": standard(),
  "alu.neg": standard(),
  "alu.not": standard(),
  "shift.rol": shift(false),
  "shift.ror": shift(false),
  "shift.rcl": shift(false),
  "shift.rcr": shift(false),
  "shift.shl": shift(false),
  "shift.shr": shift(false),
  "shift.sar": shift(false),
  "shift.shld": shift(true),
  "shift.shrd": shift(true),
  "muldiv.mul": standard(),
  "muldiv.imul": standard(),
  "muldiv.imul2": standard(),
  "muldiv.imul3": standard(),
  "muldiv.div": divide,
  "muldiv.idiv": divide,
  "bcd.daa": BCD_EXHAUSTIVE,
  "bcd.das": BCD_EXHAUSTIVE,
  "bcd.aaa": BCD_EXHAUSTIVE,
  "bcd.aas": BCD_EXHAUSTIVE,
  "bcd.aam": standard({ imm: aamImm }),
  "bcd.aad": standard({ imm: aamImm }),
  "bit.bt": bitTest,
  "bit.bts": bitTest,
  "bit.btr": bitTest,
  "bit.btc": bitTest,
  "bit.bsf": bitScan,
  "bit.bsr": bitScan,
  "cond.jcc": relBranch,
  "cond.setcc": standard(),
  "cond.cmovcc": standard(),
  "mov.mov": standard(),
  "mov.xchg": standard(),
  "mov.lea": standard(),
  "mov.movzx": standard(),
  "mov.movsx": standard(),
  "mov.cbw": standard(),
  "mov.cwd": standard(),
  "mov.xlat": xlat,
  "mov.bswap": standard(),
  "stack.push": standard(),
  "stack.pop": pop,
  "stack.pusha": standard(),
  "stack.popa": standard(),
  "stack.enter": enter,
  "stack.leave": leave,
  "string.movs": string,
  "string.cmps": string,
  "string.stos": string,
  "string.lods": string,
  "string.scas": string,
  "control.call": nearTransfer,
  "control.jmp": nearTransfer,
  "control.ret": ret,
  "control.loop": loop,
  "control.loope": loop,
  "control.loopne": loop,
  "control.jcxz": loop,
  "control.bound": bound,
  "segment.push": pushSreg,
  "segment.movfrom": movFromSreg,
  "system.arpl": standard(),
  "flagops.pushf": standard(),
  "flagops.popf": popf,
  "flagops.sahf": standard(),
  "flagops.lahf": standard(),
  "flagops.salc": standard(),
  "flagops.cmc": standard(),
  "flagops.clc": standard(),
  "flagops.stc": standard(),
  "flagops.cld": standard(),
  "flagops.std": standard(),
  "atomic.cmpxchg": cmpxchg,
  "atomic.xadd": standard(),
  "atomic.cmpxchg8b": cmpxchg8b,
  "misc.nop": standard(),
};

/** Exceptions a form may raise; any other outcome means the generator built a bad case. */
const EXPECTED_VECTORS: Record<string, readonly number[]> = {
  "muldiv.div": [0],
  "muldiv.idiv": [0],
  "bcd.aam": [0],
  "control.bound": [5],
};

// ---- running the harness ----------------------------------------------------

const IN_SIZE = 4 + 16 + 32 + 4 + 2 * L.window;
const OUT_SIZE = 6 * 4 + 32 + 4 + 2 * L.window;
const HDR_SIZE = 8 + 7 * 4;
const SIGTRAP = 5;
const SIGSEGV = 11;
const TRAP_BP = 3;
const TRAP_PF = 14;

function runHarness(harness: string, inputs: { input: OracleInput; data: Uint8Array; stack: Uint8Array }[]): { selectors: OracleSelectors; raw: Buffer } {
  const buf = Buffer.alloc(inputs.length * IN_SIZE);
  inputs.forEach(({ input, data, stack }, k) => {
    const o = k * IN_SIZE;
    buf[o] = input.code.length;
    buf[o + 1] = input.mode;
    buf.set(input.code, o + 4);
    for (let r = 0; r < 8; r++) buf.writeInt32LE(input.regs[r], o + 20 + 4 * r);
    buf.writeUInt32LE(input.eflags >>> 0, o + 52);
    buf.set(data, o + 56);
    buf.set(stack, o + 56 + L.window);
  });
  const p = spawnSync(harness, { input: buf, maxBuffer: 1 << 30, timeout: 600_000 });
  if (p.error) throw p.error;
  if (p.status !== 0) throw new Error(`harness exited with ${p.status} ${p.signal ?? ""}: ${p.stderr.toString()}`);
  const out = p.stdout;
  if (out.length !== HDR_SIZE + inputs.length * OUT_SIZE || out.toString("latin1", 0, 7) !== "ORACLE1") {
    throw new Error(`harness output has ${out.length} bytes for ${inputs.length} cases`);
  }
  const sel = (k: number) => out.readUInt32LE(8 + 4 * k);
  return { selectors: { cs: sel(0), ss: sel(1), ds: sel(2), es: sel(3), fs: sel(4), gs: sel(5), ldt: sel(6) }, raw: out.subarray(HDR_SIZE) };
}

function diffWindows(before: Uint8Array, after: Uint8Array, base: number, out: Patch[]): void {
  let k = 0;
  while (k < before.length) {
    if (before[k] === after[k]) {
      k++;
      continue;
    }
    let end = k;
    while (end < before.length && end - k < 255 && before[end] !== after[end]) end++;
    out.push({ addr: base + k, bytes: after.slice(k, end) });
    k = end;
  }
}

const FLAG_NAMES: [number, string][] = [
  [F.CF, "CF"], [F.PF, "PF"], [F.AF, "AF"], [F.ZF, "ZF"], [F.SF, "SF"], [F.TF, "TF"], [F.IF, "IF"], [F.DF, "DF"],
  [F.OF, "OF"], [F.IOPL, "IOPL"], [F.NT, "NT"], [F.RF, "RF"], [F.VM, "VM"], [F.AC, "AC"], [F.VIF, "VIF"], [F.VIP, "VIP"], [F.ID, "ID"],
];
const flagNames = (m: number) => FLAG_NAMES.filter(([b]) => m & b).map(([, n]) => n).join(",");

function cpuName(): string {
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    return /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

function main(): void {
  const [harness, outDir, ...only] = process.argv.slice(2);
  if (!harness || !outDir) throw new Error("usage: generate.js <harness> <out-dir> [family...]");
  const forms = enumerateForms();
  const families = [...new Set(forms.map((f) => f.family))].filter((f) => only.length === 0 || only.includes(f));
  mkdirSync(outDir, { recursive: true });
  const cpu = cpuName();
  const notes: string[] = [];
  let total = 0;
  let totalForms = 0;
  for (const family of families) {
    const famForms = forms.filter((f) => f.family === family);
    const built: { form: Form; input: OracleInput; data: Uint8Array; stack: Uint8Array }[] = [];
    for (const form of famForms) {
      const rng = new Rng(form.name);
      for (let k = 0; k < form.count; k++) {
        const b = new CaseBuilder(form, rng, k);
        form.gen(b);
        const input = b.build();
        const data = new Uint8Array(L.window);
        const stack = new Uint8Array(L.window);
        fillWindows(input, data, stack);
        built.push({ form, input, data, stack });
      }
    }
    const { selectors, raw } = runHarness(harness, built);
    const byForm = new Map<Form, OracleCase[]>();
    const unaffected = new Map<string, number>();
    built.forEach(({ form, input, data, stack }, k) => {
      const o = k * OUT_SIZE;
      const u = (n: number) => raw.readUInt32LE(o + 4 * n);
      const [signo, trapno, , cr2, eip, eflags] = [u(0), u(1), u(2), u(3), u(4), u(5)];
      const regs = new Int32Array(8);
      for (let r = 0; r < 8; r++) regs[r] = raw.readInt32LE(o + 24 + 4 * r);
      const stray = u(14);
      const hexCode = Buffer.from(input.code).toString("hex");
      if (stray) throw new Error(`${form.name} [${hexCode}]: ${stray} bytes written outside the windows`);
      let vector = NO_EXCEPTION;
      let landed = eip;
      if (signo === SIGTRAP && trapno === TRAP_BP) landed = eip - 1;
      else if (signo === SIGSEGV && trapno === TRAP_PF && eip !== L.codeAt && cr2 === eip) landed = eip;
      else {
        if (eip !== L.codeAt || !(EXPECTED_VECTORS[form.row.exec] ?? []).includes(trapno)) {
          throw new Error(`${form.name} [${hexCode}]: signal ${signo} trap ${trapno} at 0x${eip.toString(16)} (cr2 0x${cr2.toString(16)})`);
        }
        vector = trapno;
      }
      const outData = raw.subarray(o + 60, o + 60 + L.window);
      const outStack = raw.subarray(o + 60 + L.window, o + 60 + 2 * L.window);
      const writes: Patch[] = [];
      diffWindows(data, outData, L.dataBase, writes);
      diffWindows(stack, outStack, L.stackBase, writes);
      const outFlags = (eflags & ~F.RF) >>> 0;
      if (vector === NO_EXCEPTION) {
        const changed = (outFlags ^ input.eflags) & ~form.row.flagsWritten;
        if (changed) unaffected.set(`${form.name}: ${flagNames(changed)}`, (unaffected.get(`${form.name}: ${flagNames(changed)}`) ?? 0) + 1);
      }
      const list = byForm.get(form) ?? [];
      list.push({ input, result: { vector, eip: landed >>> 0, eflags: outFlags, regs, writes } });
      byForm.set(form, list);
    });
    for (const [what, n] of unaffected) notes.push(`changed a flag the table marks unaffected (${n} cases): ${what}`);
    const out: OracleForm[] = famForms.map((f) => ({ name: f.name, cases: byForm.get(f) ?? [] }));
    const file = join(outDir, `${family}.bin.gz`);
    const bytes = encodeOracleFile({ format: 1, family, cpu, layout: L, selectors }, out);
    writeFileSync(file, bytes);
    total += built.length;
    totalForms += famForms.length;
    console.log(`${family}: ${famForms.length} forms, ${built.length} cases, ${bytes.length} bytes`);
  }
  for (const n of notes) console.log(`note: ${n}`);
  const skipped = new Map<string, Set<string>>();
  for (const row of OPCODES) {
    const why = EXCLUDED_EXEC[row.exec];
    if (why) skipped.set(why, (skipped.get(why) ?? new Set()).add(row.mnemonic));
  }
  for (const [why, names] of skipped) console.log(`excluded (${why}): ${[...names].join(" ")}`);
  console.log(`${totalForms} forms, ${total} cases on ${cpu}`);
}

main();
