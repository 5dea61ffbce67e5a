/**
 * The fast differential harness for random code (generator in randomcode.ts):
 * per mode one interpreter world and one JIT world, reused for every sequence.
 *
 * A batch of SLOTS sequences is written into the code frames, one 64-byte slot
 * each (HLT padding after the sequence). The JIT world then runs every
 * sequence once from its start state before anything is compiled: one dispatch
 * queues the entry under the sequence's own context (hotThreshold 1), its
 * interpreter runs the rest, so that the decode cache knows the paths taken
 * (region discovery follows only those); one flush translates all entries as
 * the regions of one Wasm module. Then each sequence runs on both worlds from
 * the same state: the CPU state block from the mode's template, random registers
 * and flags, the stacks, the data area (from a pool of images) and, paged, the
 * page tables restored. Every other RAM frame is watched (page-flag bit 7, the
 * bit reserved for test harnesses: every write to it reaches the code-write subscribers,
 * and compiled stores to it leave the fast path); a sequence that wrote one has
 * that frame compared and restored. Every exception vector leads to a HLT, so a
 * fault ends the sequence in both engines; a REP yields after LIMIT iterations.
 *
 * After each sequence the architectural state is compared (registers, EIP,
 * EFLAGS as getEflags() materialises it, segment caches, descriptor-table
 * registers, CR0..CR4, CPL, HALTED, the interrupt shadow, the retired-
 * instruction count, debug registers, x87 and MSR state), and the stacks, the
 * data area, the page tables and the written frames byte for byte. At the end
 * of each batch all RAM of both worlds is checked against the pristine image:
 * a difference between the worlds re-runs the batch with whole-RAM comparisons
 * after every sequence to name the case; a change the same in both (a write
 * behind the CPU's write path) is counted and, once, traced to its case.
 *
 * A sequence counts only when a compiled region ran for it in the JIT world
 * (JitStats.regionRuns went up). Not compared: a sequence whose interpreter
 * run is caught in an endless fault loop (a handler that faults again, without
 * retiring anything, because the guest broke its own tables): where each
 * engine would stop is not defined by the instruction count.
 *
 * A failure names the mode, the case index and its seed, the variant, the
 * bytes (disassembled), the initial registers and the differing fields, and
 * whether it reproduces alone in fresh worlds (reproduceAlone: the case in its
 * slot, with its neighbours' code, which a relative jump can reach). Known
 * mismatches (the test files' KNOWN_MISMATCHES) are counted and printed instead.
 */
import { expect, it } from "vitest";
import { CR0_PE, CR0_PG, CR0_WP, Cpu } from "../../src/cpu/cpu.js";
import { CodeWriteStage } from "../../src/cpu/codewrites.js";
import * as F from "../../src/cpu/flags.js";
import * as L from "../../src/cpu/layout.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { flushTlb } from "../../src/cpu/paging.js";
import { loadSegmentDescriptor, SegCheck } from "../../src/cpu/segmentation.js";
import { disassemble, listing } from "../../src/disasm/disasm.js";
import { Interpreter } from "../../src/interp/interpreter.js";
import { compareCpus } from "../../runtime/diff.js";
import { JitEngine } from "../../runtime/jit.js";
import { generateSequence, Rng, type Sequence, type Target } from "./randomcode.js";
import { descriptor, describe, testCodegen } from "./support.js";

export type RandomMode = "real" | "prot16" | "flat" | "paged" | "v86";

/** Sequences that must run compiled, per mode (one test file each): 1,000,000 in all. */
export const TARGETS: Record<RandomMode, number> = { real: 200_000, prot16: 200_000, flat: 200_000, paged: 200_000, v86: 200_000 };

// ---- the machine -------------------------------------------------------------

const RAM_BYTES = 1 << 20;
const FRAMES = RAM_BYTES >>> 12;
/** Real mode: the IVT. Protected mode: the GDT at 0 and the IDT at 0x800. */
const GDT = 0x0;
const IDT = 0x800;
const TSS = 0x1000;
/** Vector v leads to the HLT at HANDLERS + v; the whole frame is HLTs. */
const HANDLERS = 0x2000;
const FAR_TARGET = HANDLERS + 0x100;
const PAGE_DIR = 0x3000;
const PAGE_TABLE = 0x4000;
/** The stack (frame 5) and the ring-0 stack exceptions from CPL 3 and V86 switch to (frame 6). */
const STACK_TOP = 0x6000;
const STACK0_TOP = 0x7000;
/** SLOTS sequences of at most SLOT bytes, in frames 8..15. */
const CODE = 0x8000;
const SLOT = 64;
const SLOTS = 512;
/** Bytes of a sequence (the rest of its slot is HLT). */
const MAX_LEN = SLOT - 1;
/** The data area memory operands land in (frames 16 and 17), and the page after it (not present when paged). */
const DATA = 0x10000;
const DATA_SIZE = 0x2000;
const DATA_FRAME2 = (DATA >>> 12) + 1;
/** Instructions a sequence may retire (loops of random code end here). */
const LIMIT = 256;
/** Steps (dispatches) in a row that retire nothing before a run counts as stuck in a fault loop. */
const STALL = 32;
const TSS_LIMIT = 0x68 + 0x80;
const IOMAP_BYTES = 0x80;
const WATCH = 0x80;

const enum Sel {
  CODE32 = 0x08,
  DATA32 = 0x10,
  CODE16 = 0x18,
  DATA16 = 0x20,
  STACK16 = 0x28,
  SMALL = 0x30,
  DATA64K = 0x38,
  TSS = 0x40,
  UCODE = 0x4b,
  UDATA = 0x53,
  USMALL = 0x5b,
  UDATA64K = 0x63,
  UDOWN = 0x6b,
  NOT_PRESENT = 0x73,
  READ_ONLY = 0x7b,
  CONFORMING = 0x83,
}

/** The GDT: [selector, base, limit, attributes]. */
const DESCRIPTORS: [number, number, number, number][] = [
  [Sel.CODE32, 0, 0xfffff, 0xc09b],
  [Sel.DATA32, 0, 0xfffff, 0xc093],
  [Sel.CODE16, 0, 0xffff, 0x009b],
  [Sel.DATA16, DATA, 0xffff, 0x0093],
  [Sel.STACK16, 0, 0xffff, 0x0093],
  [Sel.SMALL, DATA, DATA_SIZE - 1, 0x4093],
  [Sel.DATA64K, DATA, 0xffff, 0x4093],
  [Sel.TSS, TSS, TSS_LIMIT, 0x008b],
  [Sel.UCODE, 0, 0xfffff, 0xc0fb],
  [Sel.UDATA, 0, 0xfffff, 0xc0f3],
  [Sel.USMALL, DATA, DATA_SIZE - 1, 0x40f3],
  [Sel.UDATA64K, DATA, 0xffff, 0x40f3],
  [Sel.UDOWN, DATA, 0x0fff, 0x40f7],
  [Sel.NOT_PRESENT, DATA, 0xffff, 0x4073],
  [Sel.READ_ONLY, DATA, 0xffff, 0x40f1],
  [Sel.CONFORMING, 0, 0xfffff, 0xc0ff],
];
const GDT_LIMIT = 8 * 17 - 1;
/** Selectors the generator loads into data segment registers: good, null, not present, beyond the GDT, the LDT, wrong type or privilege. */
const SELECTORS = [0, 3, Sel.DATA32, Sel.DATA16, Sel.SMALL, Sel.DATA64K, Sel.UDATA, Sel.USMALL, Sel.UDATA64K, Sel.UDOWN, Sel.NOT_PRESENT, Sel.READ_ONLY, Sel.CONFORMING, Sel.CODE32, Sel.UCODE, Sel.TSS, 0x88, 0x0c, Sel.DATA32 | 3];

/** Page-table entries of the data area's second page, one per sequence (paged). */
const PTE_VARIANTS = [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 5, 3, 0];
/** Per frame below 4 MiB, its page-table entry's flags: supervisor tables and handlers, read-only user code, one page not present. */
function pteFlags(frame: number): number {
  if (frame <= 4 || frame === 6) return 3;
  if (frame >= CODE >>> 12 && frame < DATA >>> 12) return 5;
  if (frame === DATA_FRAME2 + 1) return 0;
  return 7;
}

interface World {
  cpu: Cpu;
  interp: Interpreter;
  /** Frames written since the last restore, among the watched ones. */
  dirty: number[];
  dirtyMark: Uint8Array;
  /** Off while the harness itself writes. */
  watching: boolean;
  /** Per frame, a Buffer view of its RAM bytes (for cheap comparisons). */
  view: Buffer[];
}

/** The per-sequence choices besides registers and code. */
interface Variant {
  /** Index into the mode's templates. */
  template: number;
  wp: boolean;
  pte: number;
  pool: number;
}

/** A CPU state a sequence may start from. */
interface StartState {
  /** Real mode (IVT), or protected mode with 16-bit or 32-bit gates. */
  tables: "ivt" | "gates16" | "gates32";
  paging?: boolean;
  /** Selectors of CS, SS, DS and ES, FS, GS at CPL `cs & 3`; "real": base = selector * 16 (V86 with `vm`). */
  segments: readonly [number, number, number, number, number] | "real";
  vm?: boolean;
}

interface ModeSpec {
  code32: boolean;
  /**
   * The CPU states a sequence may start from (the first also builds the RAM
   * image): each leaves a template of the CPU state block. With two, the
   * second is drawn 70% of the time.
   */
  starts: readonly StartState[];
  iopl: readonly number[];
}

const FLAT0 = [Sel.CODE32, Sel.DATA32, Sel.DATA32, Sel.DATA64K, Sel.SMALL] as const;

const SPECS: Record<RandomMode, ModeSpec> = {
  real: { code32: false, iopl: [0], starts: [{ tables: "ivt", segments: "real" }] },
  prot16: { code32: false, iopl: [0, 3], starts: [{ tables: "gates16", segments: [Sel.CODE16, Sel.STACK16, Sel.DATA16, Sel.DATA16, Sel.SMALL] }] },
  flat: { code32: true, iopl: [0, 3], starts: [{ tables: "gates32", segments: FLAT0 }] },
  paged: {
    code32: true,
    iopl: [0, 0, 3],
    starts: [
      { tables: "gates32", paging: true, segments: FLAT0 },
      { tables: "gates32", paging: true, segments: [Sel.UCODE, Sel.UDATA, Sel.UDATA, Sel.UDATA64K, Sel.USMALL] },
    ],
  },
  v86: { code32: false, iopl: [0, 3], starts: [{ tables: "gates32", segments: "real", vm: true }] },
};

function gates(c: Cpu, bits16: boolean): void {
  for (let v = 0; v < 256; v++) {
    const dpl = v === 3 || v === 4 || v >= 0x20 ? 3 : 0;
    const type = bits16 ? 0x6 : v >= 0x40 && v < 0x80 ? 0xf : 0xe;
    const off = HANDLERS + v;
    c.writePhys32(IDT + v * 8, ((bits16 ? Sel.CODE16 : Sel.CODE32) << 16) | (off & 0xffff));
    c.writePhys32(IDT + v * 8 + 4, (off & 0xffff0000) | ((0x80 | (dpl << 5) | type) << 8));
  }
}

/** GDT, IDT, TSS (ring-0 stack, I/O bitmap) and the registers naming them; protected mode at CPL 0. */
function protectedTables(c: Cpu, bits16: boolean): void {
  for (const [sel, base, limit, attr] of DESCRIPTORS) descriptor(c, GDT + (sel & ~7), base, limit, attr);
  gates(c, bits16);
  c.writePhys32(TSS + 4, STACK0_TOP);
  c.writePhys32(TSS + 8, Sel.DATA32);
  c.writePhys16(TSS + 0x66, 0x68);
  const r = new Rng(0x10b17);
  for (let k = 0; k < IOMAP_BYTES; k++) c.writePhys8(TSS + 0x68 + k, r.chance(0.5) ? 0 : r.int(256));
  c.writePhys8(TSS + 0x68 + IOMAP_BYTES, 0xff);
  const i = c.i32;
  i[L.GDTR_BASE >> 2] = GDT;
  i[L.GDTR_LIMIT >> 2] = GDT_LIMIT;
  i[L.IDTR_BASE >> 2] = IDT;
  i[L.IDTR_LIMIT >> 2] = 0x7ff;
  i[L.TR_SEL >> 2] = Sel.TSS;
  i[L.TR_BASE >> 2] = TSS;
  i[L.TR_LIMIT >> 2] = TSS_LIMIT;
  i[L.TR_ATTR >> 2] = 0x8b;
  c.cr0 = c.cr0 | CR0_PE;
  c.cpl = 0;
}

function paging(c: Cpu): void {
  c.writePhys32(PAGE_DIR, PAGE_TABLE | 7);
  for (let p = 0; p < 1024; p++) {
    const f = pteFlags(p);
    c.writePhys32(PAGE_TABLE + 4 * p, f ? (p << 12) | f : 0);
  }
  c.cr3 = PAGE_DIR;
  c.cr0 = c.cr0 | CR0_PG;
}

/** Build `start` on a CPU whose RAM holds only the handlers: tables, paging, segment registers through the CPU's own loads. */
function enter(c: Cpu, start: StartState): void {
  if (start.tables === "ivt") for (let v = 0; v < 256; v++) c.writePhys32(v * 4, HANDLERS + v);
  else protectedTables(c, start.tables === "gates16");
  if (start.paging) paging(c);
  const seg = start.segments;
  if (seg === "real") {
    if (start.vm) {
      c.i32[L.EFLAGS >> 2] |= F.VM;
      c.cpl = 3;
    }
    for (const s of [Sreg.CS, Sreg.SS]) c.loadSegmentReal(s, 0);
    for (const s of [Sreg.DS, Sreg.ES, Sreg.FS, Sreg.GS]) c.loadSegmentReal(s, DATA >>> 4);
    return;
  }
  c.cpl = seg[0] & 3;
  loadSegmentDescriptor(c, Sreg.CS, seg[0], SegCheck.CODE_FAR, seg[0] & 3);
  loadSegmentDescriptor(c, Sreg.SS, seg[1]);
  for (const s of [Sreg.DS, Sreg.ES]) loadSegmentDescriptor(c, s, seg[2]);
  loadSegmentDescriptor(c, Sreg.FS, seg[3]);
  loadSegmentDescriptor(c, Sreg.GS, seg[4]);
}

/** Frames restored before every sequence and compared after it: the stacks, the data area, the page tables when paged. */
function volatileFrames(spec: ModeSpec): number[] {
  return [...(spec.starts[0].paging ? [PAGE_DIR >>> 12, PAGE_TABLE >>> 12] : []), STACK_TOP / 0x1000 - 1, STACK0_TOP / 0x1000 - 1, DATA >>> 12, DATA_FRAME2];
}

function makeWorld(start: StartState): World {
  const cpu = new Cpu({ ramBytes: RAM_BYTES });
  const interp = new Interpreter(cpu);
  // A REP with a random count yields after LIMIT iterations (EIP stays on it) instead of running 2^32 of them.
  cpu.repBudget = LIMIT;
  for (let a = HANDLERS; a < HANDLERS + 0x1000; a += 4) cpu.writePhys32(a, 0xf4f4f4f4 | 0);
  enter(cpu, start);
  cpu.setReg32(Reg.ESP, STACK_TOP);
  flushTlb(cpu, true);
  const view = Array.from({ length: FRAMES }, (_, f) => Buffer.from(cpu.memory.buffer, L.RAM_BASE + f * 0x1000, 0x1000));
  return { cpu, interp, dirty: [], dirtyMark: new Uint8Array(FRAMES), watching: true, view };
}

/** Watch every frame but the volatile ones: writes there are noted, to be compared and restored. */
function watch(w: World, volatile: readonly number[]): void {
  const c = w.cpu;
  for (let f = 0; f < FRAMES; f++) if (!volatile.includes(f)) c.u8[L.PAGE_FLAGS_BASE + f] |= WATCH;
  c.codeWrites.subscribe(CodeWriteStage.WATCH, (pa, size) => {
    if (w.watching) {
      for (let f = pa >>> 12; f <= (pa + size - 1) >>> 12 && f < FRAMES; f++) {
        if (w.dirtyMark[f] === 0 && c.u8[L.PAGE_FLAGS_BASE + f] & WATCH) {
          w.dirtyMark[f] = 1;
          w.dirty.push(f);
        }
      }
    }
  });
}

/** Make frame `f` hold `src` through the write path (so decoded and translated code there is dropped) or, when nothing was decoded from it, by copying. */
function restoreFrame(w: World, f: number, src: Uint8Array): void {
  const c = w.cpu;
  const at = L.RAM_BASE + f * 0x1000;
  if ((c.u8[L.PAGE_FLAGS_BASE + f] & ~WATCH) === 0) {
    c.u8.set(src, at);
    return;
  }
  const words = new Int32Array(src.buffer, src.byteOffset, 0x400);
  const i = c.i32;
  w.watching = false;
  for (let k = 0; k < 0x400; k++) if (i[(at >> 2) + k] !== words[k]) c.writePhys32(f * 0x1000 + 4 * k, words[k]);
  w.watching = true;
}

// ---- comparison ----------------------------------------------------------------

/** The parts of the CPU state block a template restores: everything up to the delivery count, x87, MSRs. */
const TEMPLATE_RANGES: [number, number][] = [
  [0, L.DELIVERED + 8],
  [L.FPU_BASE, L.FPU_BASE + L.FPU_SIZE],
  [L.MSR_BASE, L.MSR_BASE + L.MSR_SIZE],
];

const STATE_RANGES: [number, number][] = [
  [L.REG_BASE, L.EFLAGS],
  [L.SEG_SEL, L.DR_BASE + 32],
  [L.FPU_BASE, L.FPU_BASE + L.FPU_SIZE],
  [L.MSR_BASE, L.MSR_BASE + L.MSR_SIZE],
];

/** Whether the architectural state outside RAM is the same (the detail comes from compareCpus). */
function sameState(a: Cpu, b: Cpu): boolean {
  const x = a.i32;
  const y = b.i32;
  for (const [from, to] of STATE_RANGES) for (let k = from >> 2; k < to >> 2; k++) if (x[k] !== y[k]) return false;
  return a.getEflags() === b.getEflags() && a.shutdown === b.shutdown && a.a20Mask === b.a20Mask;
}

// ---- one mode's lab --------------------------------------------------------------

interface Case {
  index: number;
  seed: number;
  variant: Variant;
  regs: number[];
  eflags: number;
  seq: Sequence;
}

export interface ModeReport {
  mode: RandomMode;
  cases: number;
  compiled: number;
  instructions: number;
  compiledInstructions: number;
  byKind: Record<string, [number, number]>;
  /** How sequences ended: HLT, an exception vector (by the handler's HLT), the instruction limit, a triple fault. */
  endings: Record<string, number>;
  failures: string[];
  /** Mismatches listed as known, the count per bug, and known cases that agreed (fixed: to be taken off the list). */
  known: string[];
  knownByBug: Record<string, number>;
  knownAgreed: number[];
  hostExceptions: number;
  batchChecks: number;
  /** Batches in which RAM changed behind the write path, the same in both engines; examples with their cases. */
  escaped: number;
  escapedExamples: string[];
  /** Cases not compared: the interpreter was caught in an endless fault loop. */
  stalled: number;
  ms: number;
}

const hex = (v: number, n = 8) => (v >>> 0).toString(16).padStart(n, "0");
const hexBytes = (b: readonly number[]) => b.map((x) => hex(x, 2)).join(" ");

/** A seed per (mode, case index). */
function seedOf(mode: RandomMode, index: number): number {
  let h = 0x811c9dc5;
  for (const ch of mode) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (Math.imul(index + 1, 0x9e3779b1) ^ h) >>> 0 || 1;
}

const POOL = 16;

export class Lab {
  readonly spec: ModeSpec;
  private readonly paged: boolean;
  readonly a: World;
  readonly b: World;
  readonly engine: JitEngine;
  private readonly templates: Uint8Array[];
  private readonly templateParts: [Uint8Array, number][][];
  private readonly targets: Target[];
  private readonly pristine: Uint8Array;
  /** Per frame, its bytes in the pristine image. */
  private readonly frame: Uint8Array[];
  /** Data-area images, as their two frames. */
  private readonly pool: Uint8Array[][];
  private readonly volatile: number[];
  readonly report: ModeReport;
  /** Failures described in full (the others by case index), and how many of them are re-run alone. */
  detailed = 5;
  reproduced = 2;
  private hunted = false;

  constructor(
    readonly mode: RandomMode,
    /** Known mismatches: case index -> the bug's name. */
    private readonly known: ReadonlyMap<number, string> = new Map(),
    /** A lab that reproduces one case: it does not try to reproduce its own failures. */
    private readonly isolated = false,
  ) {
    const spec = (this.spec = SPECS[mode]);
    this.paged = spec.starts[0].paging === true;
    this.volatile = volatileFrames(spec);
    this.a = makeWorld(spec.starts[0]);
    this.b = makeWorld(spec.starts[0]);
    this.engine = new JitEngine(this.b.cpu, this.b.interp, { compile: "sync", hotThreshold: 1, batchSize: 1 << 30, batchDelay: 2 ** 52, codegen: testCodegen });
    if (!("atBlockStart" in this.engine)) throw new Error("JitEngine has no atBlockStart: the harness cannot mark a sequence start as a block start");
    // Templates: the state block after each variant's setup, built on a scratch CPU (same RAM image).
    this.templates = spec.starts.map((start) => {
      const w = makeWorld(start);
      return w.cpu.u8.slice(L.STATE_BASE, L.STATE_BASE + L.STATE_SIZE);
    });
    this.targets = this.templates.map((t) => this.target(t));
    this.templateParts = this.templates.map((t) => TEMPLATE_RANGES.map(([from, to]): [Uint8Array, number] => [t.subarray(from, to), from]));
    this.pristine = this.a.cpu.u8.slice(L.RAM_BASE, L.RAM_BASE + RAM_BYTES);
    const r = new Rng(seedOf(mode, -1));
    this.pool = Array.from({ length: POOL }, (_, k) => {
      const img = new Uint8Array(DATA_SIZE);
      for (let j = 0; j < DATA_SIZE; j++) img[j] = k % 4 === 0 && !r.chance(0.1) ? 0 : r.int(256);
      return [img.subarray(0, 0x1000), img.subarray(0x1000)];
    });
    this.frame = Array.from({ length: FRAMES }, (_, f) => this.pristine.subarray(f * 0x1000, (f + 1) * 0x1000));
    for (const w of [this.a, this.b]) watch(w, this.volatile);
    this.report = {
      mode, cases: 0, compiled: 0, instructions: 0, compiledInstructions: 0, byKind: {}, endings: {},
      failures: [], known: [], knownByBug: {}, knownAgreed: [], hostExceptions: 0, batchChecks: 0, escaped: 0, escapedExamples: [], stalled: 0, ms: 0,
    };
  }

  /** What the generator needs to know about a template's state. */
  private target(t: Uint8Array): Target {
    const i = new Int32Array(t.buffer, t.byteOffset, t.length >> 2);
    const segBase = [0, 1, 2, 3, 4, 5].map((s) => i[(L.SEG_BASE >> 2) + s]);
    const segLimit = [0, 1, 2, 3, 4, 5].map((s) => i[(L.SEG_LIMIT >> 2) + s]);
    const realAddressing = (i[L.CR_BASE >> 2] & CR0_PE) === 0 || (i[L.EFLAGS >> 2] & F.VM) !== 0;
    return {
      code32: this.spec.code32,
      ebx: (DATA + 0xf90 - segBase[Sreg.DS]) >>> 0,
      segBase,
      segLimit,
      data: DATA,
      dataSize: DATA_SIZE,
      realAddressing,
      cpl: i[L.CPL >> 2],
      csSel: i[(L.SEG_SEL >> 2) + Sreg.CS],
      selectors: SELECTORS,
      farTarget: FAR_TARGET,
    };
  }

  /** The case of index `index`: its variant, initial registers and flags, and code. */
  makeCase(index: number): Case {
    const seed = seedOf(this.mode, index);
    const r = new Rng(seed);
    const spec = this.spec;
    const variant: Variant = {
      template: spec.starts.length > 1 && r.chance(0.7) ? 1 : 0,
      wp: this.paged && r.chance(0.5),
      pte: this.paged ? r.pick(PTE_VARIANTS) : 7,
      pool: r.int(POOL),
    };
    const t = this.targets[variant.template];
    const regs = [0, 1, 2, 3, 4, 5, 6, 7].map((reg) => {
      if (reg === Reg.EBX) return t.ebx | 0;
      if (reg === Reg.ESP) return STACK_TOP;
      const k = r.int(10);
      if (k < 4) return r.next() | 0;
      if (k < 7) return (DATA + r.int(DATA_SIZE) - t.segBase[Sreg.DS]) | 0;
      if (k < 9) return r.int(17);
      return r.pick([0, -1, 0x80000000 | 0, 0x7fffffff, 0xffff, 0x8000, 0x7f]);
    });
    let eflags = r.next() & F.ARITH;
    if (r.chance(0.1)) eflags |= F.DF;
    if (r.chance(0.5)) eflags |= F.IF;
    if (r.chance(0.005)) eflags |= F.TF;
    eflags |= r.pick(spec.iopl) << 12;
    const seq = generateSequence(r, t, MAX_LEN);
    return { index, seed, variant, regs, eflags, seq };
  }

  /** Put world `w` in the state case `k` starts from (code already loaded). */
  private prepare(w: World, k: Case, slot: number): void {
    const c = w.cpu;
    const i = c.i32;
    const v = k.variant;
    for (const [part, at] of this.templateParts[v.template]) c.u8.set(part, L.STATE_BASE + at);
    c.shutdown = false;
    for (let reg = 0; reg < 8; reg++) i[reg] = k.regs[reg];
    i[L.EIP >> 2] = CODE + slot * SLOT;
    i[L.EFLAGS >> 2] = (i[L.EFLAGS >> 2] & ~(F.ARITH | F.DF | F.IF | F.TF | F.IOPL)) | k.eflags;
    i[L.LAZY_MASK >> 2] = 0;
    if (v.wp) c.cr0 = c.cr0 | CR0_WP;
    for (const f of this.volatile) {
      const src = f === DATA >>> 12 ? this.pool[v.pool][0] : f === DATA_FRAME2 ? this.pool[v.pool][1] : this.frame[f];
      if (!w.view[f].equals(src)) restoreFrame(w, f, src);
    }
    if (this.paged) {
      i[(L.RAM_BASE + PAGE_TABLE + 4 * DATA_FRAME2) >> 2] = v.pte ? (DATA_FRAME2 << 12) | v.pte : 0;
      flushTlb(c, true);
      // The dispatcher finds compiled code through the TLB: fill the code page's entry (as the first fetch would).
      c.translate(i[L.EIP >> 2], false);
    } else {
      flushTlb(c, true);
    }
  }

  /** Restore the watched frames either world wrote. */
  private restoreDirty(): void {
    for (const w of [this.a, this.b]) {
      for (const f of w.dirty) {
        w.dirtyMark[f] = 0;
        restoreFrame(w, f, this.frame[f]);
      }
      w.dirty.length = 0;
    }
  }

  /** Write the batch's code into both worlds and the pristine image. */
  private load(cases: readonly (Case | null)[]): void {
    const img = new Uint8Array(SLOTS * SLOT).fill(0xf4);
    cases.forEach((k, s) => k && img.set(k.seq.bytes, s * SLOT));
    this.pristine.set(img, CODE);
    const words = new Int32Array(img.buffer);
    for (const w of [this.a, this.b]) {
      const i = w.cpu.i32;
      w.watching = false;
      for (let k = 0; k < words.length; k++) if (i[((L.RAM_BASE + CODE) >> 2) + k] !== words[k]) w.cpu.writePhys32(CODE + 4 * k, words[k]);
      w.watching = true;
    }
  }

  /** Run world `w` (the JIT world with `jit`) to HLT, shutdown or LIMIT; a host exception is returned. */
  /**
   * The interpreter world to HLT, shutdown or LIMIT, one step at a time. A run
   * of STALL steps that retire nothing (a handler that faults again and again:
   * a guest that broke its own descriptor tables) ends it as stalled.
   */
  private runInterpreter(w = this.a): { error?: unknown; stalled: boolean } {
    const c = w.cpu;
    const it = w.interp;
    const i = c.i32;
    let stall = 0;
    try {
      // LIMIT bounds progress (retired + delivered), as the JIT engine's runUntil does.
      while (c.progress < LIMIT && i[L.HALTED >> 2] === 0 && !c.shutdown) {
        const n = c.icount;
        it.step();
        if (c.icount !== n) stall = 0;
        else if (++stall >= STALL) return { stalled: true };
      }
    } catch (error) {
      return { error, stalled: false };
    }
    return { stalled: false };
  }

  /** The JIT world to HLT, shutdown or LIMIT (or STALL dispatches that retire nothing); a host exception is returned. */
  private runJit(): unknown {
    const c = this.b.cpu;
    let stall = 0;
    let last = -1;
    try {
      this.blockStart();
      this.engine.runUntil(LIMIT, () => {
        if (c.icount !== last) {
          last = c.icount;
          stall = 0;
          return false;
        }
        return ++stall >= STALL;
      });
      return undefined;
    } catch (e) {
      return e;
    }
  }

  /** The engine tracks block starts itself; a sequence start set from outside is one. */
  private blockStart(): void {
    (this.engine as unknown as { atBlockStart: boolean }).atBlockStart = true;
  }

  /**
   * Translate the slots `slots` as one module: queue each case's entry in the
   * JIT world (one dispatch, hotThreshold 1), let its interpreter run the rest
   * (region discovery follows only the paths the decode cache saw run: the
   * region then holds every block the case takes), then flush. A host
   * exception is returned. (Queuing every block start on the path too would
   * also compile the re-entries after a region exit, for about 10% more time.)
   */
  private translate(cases: readonly (Case | null)[], slots: readonly number[]): unknown {
    const e = this.engine;
    e.reset();
    for (const s of slots) {
      this.prepare(this.b, cases[s] as Case, s);
      let x: unknown;
      this.blockStart();
      try {
        e.dispatch(1);
      } catch (y) {
        x = y;
      }
      if (x === undefined) x = this.runInterpreter(this.b).error;
      this.restoreDirty();
      if (x !== undefined) return x;
    }
    try {
      e.flush();
    } catch (x) {
      return x;
    }
    return undefined;
  }

  /**
   * Run one batch of at most SLOTS cases (null: an empty slot). `thorough`:
   * compare all of RAM after every case. `only`: run just this slot (the
   * others are loaded and translated: code can jump into a neighbour's slot).
   */
  runBatch(cases: readonly (Case | null)[], thorough = false, only = -1): void {
    // Forget the last batch's translations first: the code writes then find nothing to drop.
    this.engine.reset();
    this.load(cases);
    let slots = cases.flatMap((k, s) => (k ? [s] : []));
    if (this.translate(cases, slots) !== undefined) {
      // Find the sequences whose translation throws, one by one; translate the others together.
      const bad = new Set<number>();
      for (const s of slots) {
        const x = this.translate(cases, [s]);
        if (x === undefined) continue;
        bad.add(s);
        this.fail(cases[s] as Case, s, [`host exception in translation: ${String((x as Error)?.stack ?? x)}`], true);
      }
      slots = slots.filter((s) => !bad.has(s));
      this.translate(cases, slots);
    }
    const st = this.engine.stats;
    for (const s of slots) {
      if (only >= 0 && s !== only) continue;
      const k = cases[s] as Case;
      this.prepare(this.a, k, s);
      this.prepare(this.b, k, s);
      const runs = st.regionRuns;
      const compiledBefore = st.compiledInstructions;
      const { error: ea, stalled } = this.runInterpreter();
      if (stalled) {
        // Where the interpreter stops in an endless fault loop depends on the count of steps, which the JIT does not share.
        this.report.stalled++;
        this.restoreDirty();
        continue;
      }
      const eb = this.runJit();
      const compiled = st.regionRuns > runs;
      if (!thorough) this.count(k, compiled, st.compiledInstructions - compiledBefore);
      const problems: string[] = [];
      if (ea !== undefined) problems.push(`host exception in the interpreter: ${String((ea as Error)?.stack ?? ea)}`);
      if (eb !== undefined) problems.push(`host exception in the JIT engine: ${String((eb as Error)?.stack ?? eb)}`);
      if (problems.length === 0 && !this.same(thorough)) problems.push(describe(compareCpus(this.a.cpu, this.b.cpu, true)) || "(RAM outside the compared frames)");
      if (problems.length) this.fail(k, s, problems, ea !== undefined || eb !== undefined);
      else if (this.known.has(k.index) && !thorough) this.report.knownAgreed.push(k.index);
      this.restoreDirty();
      if (thorough) this.escapedAfterCase(k, s);
    }
    this.batchCheck(cases, thorough);
  }

  /** Both worlds agree after a case: state, volatile frames, written frames (all of RAM when `thorough`). */
  private same(thorough: boolean): boolean {
    const a = this.a;
    const b = this.b;
    if (!sameState(a.cpu, b.cpu)) return false;
    if (thorough) return Buffer.from(a.cpu.memory.buffer, L.RAM_BASE, RAM_BYTES).equals(Buffer.from(b.cpu.memory.buffer, L.RAM_BASE, RAM_BYTES));
    for (const f of this.volatile) if (!a.view[f].equals(b.view[f])) return false;
    for (const f of a.dirty) if (!a.view[f].equals(b.view[f])) return false;
    for (const f of b.dirty) if (!a.view[f].equals(b.view[f])) return false;
    return true;
  }

  /** Frames outside the volatile ones where world `w`'s RAM is not the pristine image. */
  private leaked(w: World): number[] {
    const out: number[] = [];
    for (let f = 0; f < FRAMES; f++) if (!this.volatile.includes(f) && !w.view[f].equals(this.frame[f])) out.push(f);
    return out;
  }

  /** Restore frames `frames` of both worlds from the pristine image. */
  private restore(frames: readonly number[]): void {
    for (const w of [this.a, this.b]) for (const f of frames) restoreFrame(w, f, this.frame[f]);
  }

  /**
   * After a case of a thorough run: a write both worlds made outside the volatile
   * frames that the watch did not see (the same in both, or the comparison would
   * have failed). Noted as an escaped write, with the case, and restored.
   */
  private escapedAfterCase(k: Case, slot: number): void {
    const frames = [...new Set([...this.leaked(this.a), ...this.leaked(this.b)])];
    if (frames.length === 0) return;
    const f = frames[0];
    const a = this.a.view[f];
    const p = this.frame[f];
    let at = 0;
    while (a[at] === p[at]) at++;
    this.report.escapedExamples.push(
      `${this.mode} case #${k.index} (seed 0x${hex(k.seed)}, ${k.seq.kind}, slot ${slot}): bytes ${hexBytes(k.seq.bytes)}\n` +
        `    changed RAM behind the CPU's write path, the same in both engines: frames ${frames.map((x) => hex(x << 12, 5)).join(" ")} (first byte 0x${hex((f << 12) + at, 5)}: ${hex(p[at], 2)} -> ${hex(a[at], 2)}); ends at EIP ${hex(this.a.cpu.eip)}`,
    );
    this.restore(frames);
  }

  /**
   * The end of a batch: all RAM outside the volatile frames equal in both worlds
   * and to the pristine image. A difference between the worlds is a mismatch the
   * per-case checks missed, and a change in both a write the watch missed: the
   * batch runs again with whole-RAM checks after every case to name the case.
   */
  private batchCheck(cases: readonly (Case | null)[], thorough: boolean): void {
    this.report.batchChecks++;
    const frames = [...new Set([...this.leaked(this.a), ...this.leaked(this.b)])];
    if (frames.length === 0) return;
    const differ = frames.some((f) => !this.a.view[f].equals(this.b.view[f]));
    this.restore(frames);
    if (thorough) return;
    const first = cases.find((k) => k !== null)?.index;
    if (differ) {
      const before = this.report.failures.length;
      this.runBatch(cases, true);
      if (this.report.failures.length === before) this.report.failures.push(`${this.mode}: batch from case #${first}: RAM outside the watched frames differs, not reproduced case by case`);
      return;
    }
    this.report.escaped++;
    // Once per lab: the batch again with whole-RAM checks after every case, to name one.
    if (!this.hunted) {
      this.hunted = true;
      this.runBatch(cases, true);
    }
  }

  private count(k: Case, compiled: boolean, compiledInstructions: number): void {
    const rep = this.report;
    const c = this.a.cpu;
    rep.cases++;
    rep.instructions += c.icount;
    rep.compiledInstructions += compiledInstructions;
    if (compiled) rep.compiled++;
    const kind = (rep.byKind[k.seq.kind] ??= [0, 0]);
    kind[0]++;
    if (compiled) kind[1]++;
    const eip = c.eip >>> 0;
    const ending = c.shutdown
      ? "triple fault"
      : c.progress >= LIMIT
        ? "limit"
        : c.i32[L.HALTED >> 2] && eip > HANDLERS && eip <= HANDLERS + 0x100 && (c.segBase(Sreg.CS) === 0)
          ? `vector ${eip - HANDLERS - 1}`
          : "hlt";
    rep.endings[ending] = (rep.endings[ending] ?? 0) + 1;
  }

  private fail(k: Case, slot: number, problems: string[], host: boolean): void {
    const rep = this.report;
    if (host) rep.hostExceptions++;
    const bug = this.known.get(k.index);
    const known = bug !== undefined;
    if (known) rep.knownByBug[bug] = (rep.knownByBug[bug] ?? 0) + 1;
    const list = known ? rep.known : rep.failures;
    if (list.length >= this.detailed) {
      list.push(`${this.mode} #${k.index}`);
      return;
    }
    const bits = this.spec.code32 ? 32 : 16;
    const code = Uint8Array.from(k.seq.bytes);
    const lines = [...disassemble(code, CODE + slot * SLOT, bits)].map((l) => `    ${listing(l)}`);
    const regs = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"].map((n, r) => `${n}=${hex(k.regs[r])}`).join(" ");
    const v = k.variant;
    const alone = this.isolated ? "(this is that run)" : list.length < this.reproduced ? reproduceAlone(this.mode, k.index, slot) : "not tried";
    list.push(
      [
        `${known ? `KNOWN (${bug}) ` : ""}${this.mode} case #${k.index} (seed 0x${hex(k.seed)}, ${k.seq.kind}, slot ${slot}, template ${v.template}, CPL ${this.targets[v.template].cpl}, WP ${Number(v.wp)}, PTE of 0x${hex(DATA_FRAME2 << 12, 5)} ${hex(v.pte, 3)}, data image ${v.pool})`,
        `  bytes: ${hexBytes(k.seq.bytes)}`,
        ...lines,
        `  initial: ${regs} EFLAGS=${hex(k.eflags)} (template's other bits)`,
        `  differences (interp | jit):`,
        ...problems.map((p) => p.replace(/^/gm, "    ")),
        `  reproduces alone in fresh worlds: ${alone}`,
      ].join("\n"),
    );
  }
}

/**
 * Run case `index` of `mode` alone in a fresh lab, in the same slot, with the
 * code of the two slots either side (a relative jump reaches them): whether
 * the engines still disagree.
 */
export function reproduceAlone(mode: RandomMode, index: number, slot = 0): string {
  const lab = new Lab(mode, new Map(), true);
  const cases: (Case | null)[] = new Array<Case | null>(Math.min(SLOTS, slot + 3)).fill(null);
  for (let s = Math.max(0, slot - 2); s < cases.length; s++) cases[s] = lab.makeCase(index - slot + s);
  lab.runBatch(cases, false, slot);
  const r = lab.report;
  return r.failures.length ? "yes" : `no (compiled: ${r.compiled === 1})`;
}

/** Run cases from index 0 until `target` of them ran compiled (or 1.6x as many ran at all). */
export function runMode(mode: RandomMode, target: number, known: KnownMismatches = {}): ModeReport {
  const t0 = performance.now();
  const byIndex = new Map<number, string>();
  for (const [bug, indices] of Object.entries(known)) for (const k of indices) byIndex.set(k, bug);
  const lab = new Lab(mode, byIndex);
  let index = 0;
  while (lab.report.compiled < target && lab.report.cases < target * 1.6) {
    const cases: Case[] = [];
    for (let s = 0; s < SLOTS; s++) cases.push(lab.makeCase(index++));
    lab.runBatch(cases);
  }
  lab.report.ms = performance.now() - t0;
  return lab.report;
}

export function summary(r: ModeReport): string {
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  const kinds = Object.entries(r.byKind).map(([k, [n, c]]) => `${k} ${n} (${pct(c, n)} compiled)`).join(", ");
  const endings = Object.entries(r.endings).sort((x, y) => y[1] - x[1]).slice(0, 12).map(([k, n]) => `${k}: ${n}`).join(", ");
  return [
    `random ${r.mode}: ${r.compiled} sequences ran compiled of ${r.cases} (${pct(r.compiled, r.cases)}), ${(r.ms / 1000).toFixed(1)} s, ${((r.ms * 1000) / Math.max(1, r.cases)).toFixed(0)} us per sequence`,
    `  instructions retired ${r.instructions}, by compiled code ${r.compiledInstructions} (${pct(r.compiledInstructions, r.instructions)})`,
    `  kinds: ${kinds}`,
    `  endings: ${endings}`,
    `  differences: ${r.failures.length}, known: ${r.known.length}, host exceptions: ${r.hostExceptions}, endless fault loops (not compared): ${r.stalled}, batches with writes behind the write path: ${r.escaped} of ${r.batchChecks}`,
  ].join("\n");
}

/** Known JIT/interpreter mismatches of one mode: bug description -> case indices. */
export type KnownMismatches = Record<string, readonly number[]>;

/**
 * The test of one mode: TARGETS[mode] sequences that ran compiled, no
 * difference and no host exception. `known`: mismatches already reported,
 * printed and counted instead of failed until the engine is fixed.
 */
export function randomSuite(mode: RandomMode, known: KnownMismatches = {}): void {
  it(`${TARGETS[mode]} random sequences, ${mode}: the JIT agrees with the interpreter`, { timeout: 400_000 }, () => {
    expect(Object.values(TARGETS).reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(1_000_000);
    const r = runMode(mode, TARGETS[mode], known);
    console.log(summary(r));
    const counts = Object.entries(r.knownByBug).map(([bug, n]) => `${n} x ${bug}`).join("; ");
    if (r.known.length) console.warn(`random ${mode}: ${r.known.length} known mismatches (${counts}), e.g.\n${r.known.slice(0, 2).join("\n\n")}`);
    if (r.knownAgreed.length) console.warn(`random ${mode}: ${r.knownAgreed.length} cases listed as known mismatches now agree; take them off the list: ${r.knownAgreed.slice(0, 50).join(", ")}${r.knownAgreed.length > 50 ? ", ..." : ""}`);
    if (r.escaped) console.warn(`random ${mode}: RAM changed behind the CPU's write path in ${r.escaped} batches (the same in both engines), e.g.\n${r.escapedExamples.join("\n")}`);
    expect(r.failures.join("\n\n")).toBe("");
    expect(r.hostExceptions).toBe(0);
    expect(r.compiled).toBeGreaterThanOrEqual(TARGETS[mode]);
  });
}

/**
 * Run `bytes` as one sequence of `mode` in slot `slot`, from the registers,
 * flags and variant of case `stateOf` (EFLAGS' arithmetic, DF, IF, TF and
 * IOPL bits replaced by `eflags` when given): the report, "" when the engines
 * agree. For minimal reproducers of a mismatch.
 */
export function runSequence(mode: RandomMode, bytes: readonly number[], opts: { stateOf?: number; eflags?: number; regs?: readonly number[]; slot?: number } = {}): string {
  const lab = new Lab(mode, new Map(), true);
  const base = lab.makeCase(opts.stateOf ?? 0);
  const k: Case = { ...base, regs: opts.regs ? [...opts.regs] : base.regs, eflags: opts.eflags ?? base.eflags, seq: { kind: "structured", bytes: [...bytes] } };
  const slot = opts.slot ?? 0;
  const cases = new Array<Case | null>(slot + 1).fill(null);
  cases[slot] = k;
  lab.runBatch(cases);
  return lab.report.failures.join("\n\n");
}
