/**
 * The harness of the emit-*.test.ts suites: instruction forms compared between
 * the interpreter and inline compiled code, case by case and word by word.
 *
 * A test builds cases with `Asm` (a few encoders; every case sets its own
 * registers, memory and flags, so it computes the same thing on every pass).
 * The cases are laid out in a body at BODY, each inside one page, and the body
 * is called `passes` times: the JIT engine interprets the first pass and
 * translates every block start it meets, the later passes run compiled. Each
 * case ends with a checkpoint, an OUT to CHECK_PORT, whose handler snapshots the
 * registers, EIP and the raw flag words (EFLAGS and the lazy record) of the
 * machine executing it. Both engines' snapshots must agree word for word, but
 * for EFLAGS bits named in the lazy mask: those are stale, and the ALU emitters
 * leave them unmaterialised when no reader needs them (Ctx.setFlags keepLive).
 * The instructions under test must classify as inline, and the helper must
 * have run only what the case builders declared (checkpoints, PUSHF).
 */
import { expect } from "vitest";
import { classify, Kind } from "../../jit/classify.js";
import { Mode, modeKey } from "../../jit/modekey.js";
import type { PortBus } from "../../src/cpu/bus.js";
import type { Cpu } from "../../src/cpu/cpu.js";
import * as L from "../../src/cpu/layout.js";
import { Sreg } from "../../src/cpu/layout.js";
import { decode } from "../../src/decode/decoder.js";
import { Insn } from "../../src/decode/insn.js";
import { OPCODES } from "../../src/isa/opcodes.js";
import { type Both, CODE, DATA, describe, type GuestMode, load, makeWorld, runBoth, type World } from "./support.js";

export const CHECK_PORT = 0xe0;
/** Where the body of cases is loaded (the driver at CODE calls it). */
export const BODY = 0x2000;
const BODY_END = 0x7000;
/** Data-area offsets: per-case memory operands, per-case outputs, scratch. */
export const SLOTS = 0x100;
export const OUTS = 0xc00;
export const SCRATCH = 0x80;

/** Regions compiled a few dozen to a module, which is much faster than one module each. */
const BATCH_DELAY = 400;
const BATCHING = { batchDelay: BATCH_DELAY, batchSize: 64 };

const SNAPSHOT_WORDS = 16;
const FIELD_NAMES = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI", "EIP", "EFLAGS", "LAZY_MASK", "LAZY_OP", "LAZY_A", "LAZY_B", "LAZY_RES", "LAZY_SIZE"];
const EFLAGS_WORD = L.EFLAGS >> 2;
const MASK_WORD = L.LAZY_MASK >> 2;

/** Snapshots the machine at every OUT to CHECK_PORT; other ports float. */
class Checkpoints implements PortBus {
  readonly log: Int32Array[] = [];
  constructor(private readonly c: Cpu) {}
  in8(): number {
    return 0xff;
  }
  in16(): number {
    return 0xffff;
  }
  in32(): number {
    return -1;
  }
  out8(port: number): void {
    if (port === CHECK_PORT) this.log.push(this.c.i32.slice(0, SNAPSHOT_WORDS));
  }
  out16(): void {}
  out32(): void {}
}

/**
 * A ModRM operand: a register, the data area at offset `m` (DATA + m in 32-bit
 * code, DS:m in 16-bit code), or [base] (32-bit code; not ESP or EBP).
 */
export type Operand = { r: number } | { m: number } | { b: number };
export const R = (r: number): Operand => ({ r });
export const M = (m: number): Operand => ({ m });
export const B = (b: number): Operand => ({ b });

const HOP = [0xeb, 16, ...new Array<number>(16).fill(0xcc)];

const le = (v: number, n: number) => Array.from({ length: n }, (_, k) => (v >>> (8 * k)) & 0xff);

/** Encoders for one case; positions are relative to the case's start. */
export class Asm {
  readonly bytes: number[] = [];
  /** Offsets of the instructions under test. */
  readonly probes: number[] = [];
  /** Instructions the generic helper runs (checkpoints, PUSHF). */
  helpers = 0;
  constructor(readonly code32: boolean) {}

  emit(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  /** An instruction under test. */
  probe(...b: number[]): this {
    this.probes.push(this.bytes.length);
    return this.emit(...b);
  }
  /** Operand-size prefix for an operation of `size` bits. */
  osz(size: number): number[] {
    return size === 8 || (size === 32) === this.code32 ? [] : [0x66];
  }
  /** Address-size prefix and ModRM (+ displacement) for reg field `reg` and operand `e`. */
  modrm(reg: number, e: Operand): number[] {
    if ("r" in e) return [0xc0 | (reg << 3) | e.r];
    if ("b" in e) return [(reg << 3) | e.b];
    return this.code32 ? [0x05 | (reg << 3), ...le(DATA + e.m, 4)] : [0x06 | (reg << 3), ...le(e.m, 2)];
  }
  /** mov r32, imm32. */
  mov(r: number, v: number): this {
    return this.emit(...this.osz(32), 0xb8 + r, ...le(v, 4));
  }
  /** mov dword/word/byte [m], imm. */
  store(m: number, v: number, size = 32): this {
    return this.emit(...this.osz(size), size === 8 ? 0xc6 : 0xc7, ...this.modrm(0, M(m)), ...le(v, size >> 3));
  }
  /** mov r32, [m]. */
  load(r: number, m: number): this {
    return this.emit(...this.osz(32), 0x8b, ...this.modrm(r, M(m)));
  }
  /** Set all registers but ESP. */
  regs(values: readonly number[]): this {
    for (let r = 0; r < 8; r++) if (r !== L.Reg.ESP) this.mov(r, values[r]);
    return this;
  }
  /**
   * The checkpoint, then a jump long enough for the engine to see a block start
   * after it (runtime/jit.ts interpret) in the first pass too.
   */
  check(): this {
    this.helpers++;
    return this.emit(0xe6, CHECK_PORT, ...HOP);
  }
  pushf(): this {
    this.helpers++;
    return this.emit(...this.osz(32), 0x9c);
  }
}

/** Deterministic values: xorshift32, with the edge values of every size mixed in. */
export class Values {
  private s: number;
  private static readonly EDGES = [0, 1, 2, -1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe];
  constructor(seed: number) {
    this.s = seed | 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  int(n: number): number {
    return this.next() % n;
  }
  /** An edge value or a random one, sometimes sign-extended from 8 or 16 bits. */
  value(): number {
    const r = this.int(8);
    if (r < 3) return Values.EDGES[this.int(Values.EDGES.length)] | 0;
    if (r === 3) return (this.next() << 24) >> 24;
    if (r === 4) return (this.next() << 16) >> 16;
    if (r === 5) return this.int(256);
    return this.next() | 0;
  }
  registers(): number[] {
    return Array.from({ length: 8 }, () => this.value());
  }
}

/**
 * The flags an instruction under test starts from: one of several producers,
 * on EBP (or memory), so the record in compiled code comes from a known ALU
 * emitter, a partial mask, a rotate, or a region start (variant 0).
 */
export function producer(a: Asm, variant: number, v: Values): void {
  const ebp = (op: number[]) => a.mov(L.Reg.EBP, v.value()).emit(...op);
  const imm = () => le(v.value(), 4);
  switch (variant % 10) {
    case 0:
      return;
    case 1: ebp([...a.osz(32), 0x81, 0xc5, ...imm()]); return; // add ebp, imm
    case 2: ebp([...a.osz(32), 0x81, 0xed, ...imm()]); return; // sub ebp, imm
    case 3: ebp([...a.osz(32), 0x81, 0xf5, ...imm()]); return; // xor ebp, imm
    case 4: ebp([...a.osz(32), 0x45]); return; // inc ebp
    case 5: ebp([...a.osz(32), 0xd1, 0xe5]); return; // shl ebp, 1
    case 6: ebp([...a.osz(32), 0xd1, 0xc5]); return; // rol ebp, 1
    case 7: ebp([...a.osz(16), 0x81, 0xc5, ...le(v.value(), 2)]); return; // add bp, imm16
    case 8: a.store(SCRATCH, v.value(), 8).emit(0x80, ...a.modrm(7, M(SCRATCH)), v.int(256)); return; // cmp byte [scratch], imm8
    default: ebp([...a.osz(32), 0xf7, 0xdd]); return; // neg ebp
  }
}

/**
 * Flag readers after the instruction under test (variant 0: none); `out` is a
 * data-area byte for SETcc and the skipped INC.
 */
export function consumer(a: Asm, variant: number, out: number): void {
  const cc = (variant * 5) & 15;
  switch (variant % 7) {
    case 0:
      return;
    case 1: a.emit(0x0f, 0x90 + cc, ...a.modrm(0, M(out)), 0x0f, 0x90 + (cc ^ 1), ...a.modrm(0, M(out + 1))); return; // setcc, setncc
    case 2: {
      const inc = [0xfe, ...a.modrm(0, M(out))];
      a.emit(0x70 + cc, inc.length, ...inc); // jcc over inc byte [out]
      return;
    }
    case 3: a.emit(...a.osz(32), 0x83, 0xd5, 0x00); return; // adc ebp, 0
    case 4: a.pushf().emit(...a.osz(32), 0x5d); return; // pushfd / pop ebp
    case 5: a.emit(0x9f); return; // lahf
    default: a.emit(...a.osz(32), 0x19, 0xed); return; // sbb ebp, ebp
  }
}

export interface RunOptions {
  /** Calls of the body (default 3). */
  passes?: number;
  /** Driver code before each pass (data changes that make a later pass fault). */
  before?: (pass: number, code32: boolean) => number[];
  setup?: (w: World) => void;
  /** A pass may fault: the helper count is not known in advance. */
  faults?: boolean;
}

export interface Run extends Both {
  /** Snapshots per engine. */
  logs: { interp: Int32Array[]; jit: Int32Array[] };
}

const inlineProbe = new Insn();

interface Body {
  bytes: number[];
  probes: number[];
  helpers: number;
}

/**
 * Lay out cases from `cases[from]` on in a body, as many as fit, each in one
 * page (entered by a jump when it starts a new one).
 */
function layOut(cases: readonly Asm[], from: number, code32: boolean): Body & { next: number } {
  const body: Body = { bytes: [], probes: [], helpers: 0 };
  const b = body.bytes;
  const near = code32 ? 5 : 3;
  let k = from;
  for (; k < cases.length; k++) {
    const c = cases[k];
    const at = BODY + b.length;
    const crosses = ((at & 0xfff) + c.bytes.length + near > 0x1000);
    // 16 bytes into the next page: a shorter jump would look like falling through to the engine.
    const start = crosses ? ((at + 0x1000) & ~0xfff) + 16 - BODY : b.length;
    if (BODY + start + c.bytes.length + near >= BODY_END) break;
    if (crosses) b.push(0xe9, ...le(BODY + start - (at + near), near - 1), ...new Array<number>(BODY + start - (at + near)).fill(0xcc));
    for (const p of c.probes) body.probes.push(b.length + p);
    b.push(...c.bytes);
    body.helpers += c.helpers;
  }
  expect(k).toBeGreaterThan(from);
  b.push(0xc3);
  return { ...body, next: k };
}

/**
 * Run `cases` under both engines, in as many bodies as they need, and check
 * everything the header describes. Returns the last run for further
 * expectations (the fault tests have one).
 */
export function runCases(mode: GuestMode, cases: readonly Asm[], opts: RunOptions = {}): Run {
  let run: Run | undefined;
  for (let k = 0; k < cases.length; ) {
    const body = layOut(cases, k, mode !== "real");
    run = runBody(mode, body, opts);
    k = body.next;
  }
  return run as Run;
}

function runBody(mode: GuestMode, { bytes: body, probes, helpers }: Body, opts: RunOptions): Run {
  const code32 = mode !== "real";
  const passes = opts.passes ?? 3;
  const driver: number[] = [];
  // With paging the engine finds a block start's slot only through a TLB entry: reading each body
  // page first makes the first blocks of its pages compiled in the first pass already.
  if (mode === "paged") for (let page = BODY; page < BODY + body.length; page += 0x1000) driver.push(0xa1, ...le(page, 4));
  for (let p = 0; p < passes; p++) {
    // Enough instructions for the engine to compile what the previous pass queued (BATCHING).
    if (p > 0) driver.push(...(code32 ? [] : [0x66]), 0xb9, ...le(BATCH_DELAY + 10, 4), 0xe2, 0xfe);
    driver.push(...(opts.before?.(p, code32) ?? []));
    const rel = BODY - (CODE + driver.length + (code32 ? 5 : 3));
    driver.push(0xe8, ...le(rel, code32 ? 4 : 2));
  }
  driver.push(0xf4);

  const logs: Int32Array[][] = [];
  const prepare = (w: World) => {
    load(w, BODY, body);
    if (!code32) for (const s of [Sreg.DS, Sreg.ES]) w.cpu.loadSegmentReal(s, DATA >>> 4);
    const cp = new Checkpoints(w.cpu);
    w.cpu.ports = cp;
    logs.push(cp.log);
    opts.setup?.(w);
  };
  const r = runBoth(mode, driver, prepare, 1_000_000, BATCHING);
  expect(describe(r.differences)).toBe("");
  const [interp, jit] = logs;
  expect(firstDifference(interp, jit)).toBe("");

  // The instructions under test are inline in the mode the body runs in.
  const w = makeWorld(mode);
  prepare(w);
  const m = new Mode(modeKey(w.cpu));
  const ram = w.cpu.u8;
  const notInline: string[] = [];
  for (const p of probes) {
    const at = L.RAM_BASE + BODY + p;
    decode(inlineProbe, { byte: (k) => ram[at + k] }, code32);
    const row = OPCODES[inlineProbe.row];
    if (classify(row, inlineProbe, m).kind !== Kind.INLINE) notInline.push(`${row.mnemonic} at ${(BODY + p).toString(16)}`);
  }
  expect(notInline.join(", ")).toBe("");
  // Only the body's declared helper instructions may call out (fewer when a pass runs a path the
  // first pass did not take: regions follow only paths the interpreter has run).
  if (!opts.faults) expect(r.engine.stats.helperCalls).toBeLessThanOrEqual((passes - 1) * helpers);
  expect(r.engine.stats.compiledInstructions).toBeGreaterThan(0);
  return { ...r, logs: { interp, jit } };
}

function firstDifference(a: Int32Array[], b: Int32Array[]): string {
  if (a.length !== b.length) return `${a.length} checkpoints under the interpreter, ${b.length} under the JIT`;
  for (let k = 0; k < a.length; k++) {
    const stale = a[k][MASK_WORD] === b[k][MASK_WORD] ? a[k][MASK_WORD] : 0;
    for (let f = 0; f < SNAPSHOT_WORDS; f++) {
      const keep = f === EFLAGS_WORD ? ~stale : -1;
      if ((a[k][f] & keep) !== (b[k][f] & keep)) {
        const hex = (v: number) => (v >>> 0).toString(16);
        const all = FIELD_NAMES.map((n, g) => `${n}=${hex(a[k][g])}/${hex(b[k][g])}`).join(" ");
        return `checkpoint ${k} (EIP ${hex(a[k][8])}): ${FIELD_NAMES[f]} ${hex(a[k][f])} | ${hex(b[k][f])}\n${all}`;
      }
    }
  }
  return "";
}
