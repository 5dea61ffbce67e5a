/**
 * Runs MOO tests on the interpreter. One Cpu (16 MiB, as the suites assume) and
 * one Interpreter serve every test; between tests only what the previous test
 * touched is cleared: the RAM bytes it listed or wrote, and the decoded code of
 * their pages. Each test loads its initial state in real mode, runs until the
 * CPU halts (every test ends in HLT, at the handler when an exception was taken)
 * and compares registers and RAM with the final state.
 */
import { ATTR_REAL, Cpu, CR0_PE } from "../../src/cpu/cpu.js";
import { CodeWriteStage } from "../../src/cpu/codewrites.js";
import { FAULT, Vector } from "../../src/cpu/exceptions.js";
import { CR_BASE, DR_BASE, PAGE_FLAGS_BASE, RAM_BASE, Reg, Sreg } from "../../src/cpu/layout.js";
import { Interpreter } from "../../src/interp/interpreter.js";
import {
  EFLAGS_386,
  Expect,
  type Expectation,
  expectationFor286,
  FLAGS_12_15,
  flagsLoadedFromMemory,
  RuleId,
} from "./masks.js";
import type { MooState, MooTest, Reg16Name, Reg32Name, RegSet } from "./moo.js";

export const RAM_BYTES = 16 * 1024 * 1024;
/**
 * Instructions (and delivered faults) one test may take. The longest legitimate
 * test is a REP string with CX < 128 plus an exception and the HLT.
 */
export const STEP_LIMIT = 1000;

/**
 * A PAGE_FLAGS bit the decode cache never touches: set on every frame, it makes
 * every RAM write reach the code-write subscribers (the runner watches at CodeWriteStage.WATCH), so it sees writes
 * the test does not list.
 */
const WATCH = 0x80;

export interface FileContext {
  /** File name key, "80.1" for opcode 80 /1: selects rules that depend on the opcode. */
  key: string;
  /** metadata.json flags-mask: set bits are defined flags. */
  flagsMask: number;
  rmsk16?: RegSet<Reg16Name>;
  rmsk32?: RegSet<Reg32Name>;
}

export interface Mismatch {
  field: string;
  expected: string;
  actual: string;
}

export interface TestResult {
  passed: boolean;
  mismatches: Mismatch[];
  /** Rules that changed this test's setup or expectation. */
  rules: RuleId[];
  /** Vector of the fault the instruction under test raised in the emulator, -1 for none. */
  fault: number;
}

const REG16_INDEX: Partial<Record<Reg16Name, number>> = {
  ax: Reg.EAX, cx: Reg.ECX, dx: Reg.EDX, bx: Reg.EBX, sp: Reg.ESP, bp: Reg.EBP, si: Reg.ESI, di: Reg.EDI,
};
const SEG16_INDEX: Partial<Record<Reg16Name, number>> = { es: Sreg.ES, cs: Sreg.CS, ss: Sreg.SS, ds: Sreg.DS };
const REG32_INDEX: Partial<Record<Reg32Name, number>> = {
  eax: Reg.EAX, ecx: Reg.ECX, edx: Reg.EDX, ebx: Reg.EBX, esp: Reg.ESP, ebp: Reg.EBP, esi: Reg.ESI, edi: Reg.EDI,
};
const SEG_NAMES = ["es", "cs", "ss", "ds", "fs", "gs"];
const REG_NAMES = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
/** Control and debug registers of RG32, as offsets in the state block. */
const SYSTEM_REGS: ReadonlyArray<[Reg32Name, number]> = [
  ["cr0", CR_BASE],
  ["cr3", CR_BASE + 12],
  ["dr6", DR_BASE + 24],
  ["dr7", DR_BASE + 28],
];

function hex(v: number, digits: number): string {
  return (v >>> 0).toString(16).padStart(digits, "0");
}

/** Register values the test expects after the instruction: final if listed, else initial. */
function expected<N extends string>(init: RegSet<N> | undefined, fin: RegSet<N> | undefined, name: N): number | undefined {
  return fin?.values[name] ?? init?.values[name];
}

export class ConformanceRunner {
  readonly cpu: Cpu;
  readonly interp: Interpreter;
  /** Physical addresses written while the current test ran. */
  private readonly written = new Set<number>();
  /** RAM addresses the previous test listed or wrote: cleared before the next one. */
  private dirty: number[] = [];
  /** CR0, CR3, DR6, DR7 as loaded for a 32-bit test: unless the test lists them, they must not change. */
  private systemAtStart: number[] = [];

  constructor() {
    const cpu = new Cpu({ ramBytes: RAM_BYTES });
    this.cpu = cpu;
    cpu.u8.fill(WATCH, PAGE_FLAGS_BASE, PAGE_FLAGS_BASE + (RAM_BYTES >>> 12));
    cpu.codeWrites.subscribe(CodeWriteStage.WATCH, (pa, size) => {
      for (let k = 0; k < size; k++) this.written.add((pa + k) >>> 0);
    });
    this.interp = new Interpreter(cpu);
  }

  run(t: MooTest, ctx: FileContext): TestResult {
    this.clearPrevious();
    const c = this.cpu;
    c.reset();
    const is32 = t.initial.regs32 !== undefined;
    const exp: Expectation = is32 ? { kind: Expect.RECORDED, rules: [], regs: {} } : expectationFor286(t);
    const rules = [...exp.rules];
    if (is32) this.load32(t.initial, rules);
    else this.load16(t.initial, rules);
    for (const e of t.initial.ram) this.poke(e.address, e.value);
    if (exp.ssVectors) this.aliasSsVector();
    const mismatches: Mismatch[] = [];
    this.written.clear();

    const vector = exp.kind === Expect.UD ? this.expectUd(mismatches) : this.execute(mismatches);
    if (exp.kind === Expect.COMPLETES && t.initial.regs16) {
      this.expectCompletes(t, t.initial.regs16, mismatches);
    } else if (exp.kind === Expect.RECORDED) {
      if (exp.ssVectors) {
        if (vector === Vector.SS) rules.push(RuleId.SS_OVERRUN);
        if (!exp.ssVectors.includes(vector)) {
          const want = exp.ssVectors.map((v) => `vector ${v}`).join(" or ");
          mismatches.push({ field: "fault", expected: want, actual: vector < 0 ? "none" : `vector ${vector}` });
        }
      }
      if (is32) this.compare32(t, ctx, mismatches);
      else this.compare16(t, ctx, exp, mismatches, rules);
      this.compareRam(t, ctx, mismatches);
    }
    for (const a of this.written) this.dirty.push(a);
    return { passed: mismatches.length === 0, mismatches, rules, fault: vector };
  }

  /** Point vector 12 (#SS) at the handler the test gives vector 13, where the 286 went. */
  private aliasSsVector(): void {
    const u8 = this.cpu.u8;
    for (let k = 0; k < 4; k++) this.poke(Vector.SS * 4 + k, u8[RAM_BASE + Vector.GP * 4 + k]);
  }

  private clearPrevious(): void {
    const u8 = this.cpu.u8;
    const cache = this.interp.decodeCache;
    for (const a of this.dirty) {
      if (a < RAM_BYTES) u8[RAM_BASE + a] = 0;
      cache.invalidateFrame(a >>> 12);
    }
    this.dirty = [];
  }

  private poke(address: number, value: number): void {
    if (address >= RAM_BYTES) throw new Error(`test RAM address ${hex(address, 6)} beyond the 16 MiB the suites assume`);
    this.cpu.u8[RAM_BASE + address] = value;
    this.interp.decodeCache.invalidateFrame(address >>> 12);
    this.dirty.push(address);
  }

  private loadSegments(sel: (s: number) => number): void {
    for (let s = 0; s < 6; s++) {
      const v = sel(s) & 0xffff;
      this.cpu.setSegmentCache(s, v, v << 4, 0xffff, ATTR_REAL);
    }
  }

  private load16(init: MooState, rules: RuleId[]): void {
    const r = init.regs16;
    if (!r) throw new Error("test without initial registers");
    const c = this.cpu;
    for (const [name, n] of Object.entries(REG16_INDEX) as [Reg16Name, number][]) c.setReg32(n, r.values[name] ?? 0);
    const segs: number[] = [0, 0, 0, 0, 0, 0];
    for (const [name, s] of Object.entries(SEG16_INDEX) as [Reg16Name, number][]) segs[s] = r.values[name] ?? 0;
    this.loadSegments((s) => segs[s]);
    c.eip = r.values.ip ?? 0;
    const flags = r.values.flags ?? 0;
    if (flags & FLAGS_12_15) rules.push(RuleId.FLAGS_12_15);
    c.setEflagsMasked(flags & ~FLAGS_12_15, 0xffff);
  }

  private load32(init: MooState, rules: RuleId[]): void {
    const r = init.regs32;
    if (!r) throw new Error("test without initial registers");
    const c = this.cpu;
    const cr0 = r.values.cr0 ?? 0;
    if (cr0 & CR0_PE) throw new Error("protected-mode tests are not supported by this runner");
    for (const [name, n] of Object.entries(REG32_INDEX) as [Reg32Name, number][]) c.setReg32(n, r.values[name] ?? 0);
    this.loadSegments((s) => r.values[SEG_NAMES[s] as Reg32Name] ?? 0);
    c.eip = r.values.eip ?? 0;
    // CR0 keeps the P6 reset value (real mode, as PE = 0 says); the 386EX's reserved CR0 bits have no P6 meaning.
    c.i32[(CR_BASE + 12) >> 2] = r.values.cr3 ?? 0;
    c.i32[(DR_BASE + 24) >> 2] = r.values.dr6 ?? 0;
    c.i32[(DR_BASE + 28) >> 2] = r.values.dr7 ?? 0;
    const eflags = r.values.eflags ?? 0;
    if (eflags & ~EFLAGS_386) rules.push(RuleId.EFLAGS_386_RESERVED);
    c.setEflagsMasked(eflags & EFLAGS_386, EFLAGS_386);
    this.systemAtStart = SYSTEM_REGS.map(([, off]) => c.i32[off >> 2]);
  }

  /**
   * Step until HLT; runaway and host errors become mismatches. Returns the vector
   * of the first fault raised (by the instruction under test: the handlers the
   * tests jump to are a HLT), -1 for none.
   */
  private execute(out: Mismatch[]): number {
    const c = this.cpu;
    const interp = this.interp;
    let steps = 0;
    let vector = -1;
    try {
      // FAULT is written only when a fault is raised: -1 until the first one.
      FAULT.vector = -1;
      while (!interp.halted && !c.shutdown && steps < STEP_LIMIT) {
        interp.step();
        steps++;
        if (vector < 0) vector = FAULT.vector;
      }
    } catch (e) {
      out.push({ field: "host", expected: "no exception", actual: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      return vector;
    }
    if (c.shutdown) out.push({ field: "cpu", expected: "halted", actual: "shutdown" });
    else if (!interp.halted) out.push({ field: "cpu", expected: "halted", actual: `running after ${STEP_LIMIT} steps` });
    return vector;
  }

  private expectUd(out: Mismatch[]): number {
    const before = this.snapshot();
    let vector = -1;
    try {
      this.interp.executeOne();
    } catch (e) {
      if (e !== FAULT) {
        out.push({ field: "host", expected: "no exception", actual: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
        return -1;
      }
      vector = FAULT.vector;
    }
    if (vector !== Vector.UD) out.push({ field: "fault", expected: "#UD", actual: vector < 0 ? "none" : `vector ${vector}` });
    const after = this.snapshot();
    for (let k = 0; k < before.length; k++) {
      if (before[k] !== after[k]) out.push({ field: SNAPSHOT_NAMES[k], expected: hex(before[k], 8), actual: hex(after[k], 8) });
    }
    if (this.written.size) out.push({ field: "ram", expected: "no write", actual: `${this.written.size} bytes written` });
    return vector;
  }

  private snapshot(): number[] {
    const c = this.cpu;
    const out: number[] = [];
    for (let n = 0; n < 8; n++) out.push(c.reg32(n));
    for (let s = 0; s < 6; s++) out.push(c.segSel(s));
    out.push(c.eip, c.getEflags());
    return out;
  }

  private expectCompletes(t: MooTest, r: RegSet<Reg16Name>, out: Mismatch[]): void {
    const c = this.cpu;
    const ip = ((r.values.ip ?? 0) + t.bytes.length) & 0xffff;
    const cs = c.segSel(Sreg.CS);
    if (cs !== r.values.cs) out.push({ field: "cs", expected: hex(r.values.cs ?? 0, 4), actual: hex(cs, 4) });
    if (c.eip !== ip) out.push({ field: "ip", expected: hex(ip, 4), actual: hex(c.eip, 4) });
    const sp = c.reg32(Reg.ESP);
    if (sp !== r.values.sp) out.push({ field: "sp", expected: hex(r.values.sp ?? 0, 4), actual: hex(sp, 4) });
  }

  private compare16(t: MooTest, ctx: FileContext, exp: Expectation, out: Mismatch[], rules: RuleId[]): void {
    const c = this.cpu;
    const init = t.initial.regs16;
    const fin = t.final.regs16;
    for (const [name, n] of Object.entries(REG16_INDEX) as [Reg16Name, number][]) {
      const want = exp.regs[name] ?? expected(init, fin, name) ?? 0;
      const mask = this.regMask16(t, ctx, name);
      const got = c.reg32(n);
      if (((got ^ want) & mask) !== 0 || got >>> 16 !== 0) {
        out.push({ field: name, expected: hex(want, 4), actual: hex(got, got >>> 16 ? 8 : 4) });
      }
    }
    for (let s = 0; s < 6; s++) {
      const name = SEG_NAMES[s] as Reg16Name;
      const want = s < 4 ? (expected(init, fin, name) ?? 0) : 0;
      this.compareSegment(s, want, out);
    }
    const ip = expected(init, fin, "ip") ?? 0;
    if (ip === 0 && c.eip === 0x10000) rules.push(RuleId.IP_PAST_FFFF);
    else if (c.eip !== ip) out.push({ field: "ip", expected: hex(ip, 4), actual: hex(c.eip, c.eip >>> 16 ? 8 : 4) });

    let mask = ctx.flagsMask & this.regMask16(t, ctx, "flags");
    const want = expected(init, fin, "flags") ?? 0;
    const got = c.getEflags();
    if (flagsLoadedFromMemory(ctx.key)) {
      if ((got ^ want) & mask & FLAGS_12_15) rules.push(RuleId.FLAGS_12_15);
      mask &= ~FLAGS_12_15;
    }
    if (((got ^ want) & mask & 0xffff) !== 0 || got >>> 16 !== 0) {
      out.push({
        field: "flags",
        expected: hex(want, 4) + maskNote(mask, 0xffff),
        actual: hex(got, got >>> 16 ? 8 : 4) + flagDiff(got, want, mask),
      });
    }
  }

  private regMask16(t: MooTest, ctx: FileContext, name: Reg16Name): number {
    return (t.final.rmsk16?.values[name] ?? 0xffff) & (ctx.rmsk16?.values[name] ?? 0xffff);
  }

  private regMask32(t: MooTest, ctx: FileContext, name: Reg32Name): number {
    return (t.final.rmsk32?.values[name] ?? -1) & (ctx.rmsk32?.values[name] ?? -1);
  }

  private compareSegment(s: number, want: number, out: Mismatch[]): void {
    const c = this.cpu;
    const name = SEG_NAMES[s];
    const got = c.segSel(s);
    if (got !== want) out.push({ field: name, expected: hex(want, 4), actual: hex(got, 4) });
    // A real-mode segment load must also set the hidden base, or later accesses go astray.
    const base = c.segBase(s) >>> 0;
    if (base !== got << 4) out.push({ field: `${name}.base`, expected: hex(got << 4, 6), actual: hex(base, 8) });
  }

  private compare32(t: MooTest, ctx: FileContext, out: Mismatch[]): void {
    const c = this.cpu;
    const init = t.initial.regs32;
    const fin = t.final.regs32;
    for (let n = 0; n < 8; n++) {
      const name = REG_NAMES[n] as Reg32Name;
      const want = expected(init, fin, name) ?? 0;
      const got = c.reg32(n);
      if ((got ^ want) & this.regMask32(t, ctx, name)) out.push({ field: name, expected: hex(want, 8), actual: hex(got, 8) });
    }
    for (let s = 0; s < 6; s++) this.compareSegment(s, (expected(init, fin, SEG_NAMES[s] as Reg32Name) ?? 0) & 0xffff, out);
    const eip = expected(init, fin, "eip") ?? 0;
    if ((c.eip ^ eip) & this.regMask32(t, ctx, "eip")) out.push({ field: "eip", expected: hex(eip, 8), actual: hex(c.eip, 8) });

    const want = expected(init, fin, "eflags") ?? 0;
    const got = c.getEflags();
    const mask = this.regMask32(t, ctx, "eflags") & EFLAGS_386 & (ctx.flagsMask | ~0xffff);
    if ((got ^ want) & mask) {
      out.push({ field: "eflags", expected: hex(want & EFLAGS_386, 8), actual: hex(got, 8) + flagDiff(got, want, mask) });
    }
    SYSTEM_REGS.forEach(([name, off], k) => {
      const got = c.i32[off >> 2];
      const listed = fin?.values[name];
      const want = listed ?? this.systemAtStart[k];
      if (got !== (want | 0)) {
        out.push({ field: name, expected: hex(want, 8) + (listed === undefined ? " (unchanged)" : ""), actual: hex(got, 8) });
      }
    });
  }

  /**
   * Where the exception or interrupt of the test pushed FLAGS, whose undefined
   * flags are masked. The handler's HLT ends the test with the frame on top of the
   * stack, so FLAGS are at SS:SP+4 of the final state. (EXCP's flag address is the
   * even bus address: one below the word when SP is odd.)
   */
  private pushedFlagsAddress(t: MooTest): number | undefined {
    if (!t.exception) return undefined;
    const i16 = t.initial.regs16;
    const f16 = t.final.regs16;
    const i32 = t.initial.regs32;
    const f32 = t.final.regs32;
    const ss = i16 ? expected(i16, f16, "ss") : expected(i32, f32, "ss");
    const sp = i16 ? expected(i16, f16, "sp") : expected(i32, f32, "esp");
    if (ss === undefined || sp === undefined) return t.exception.flagAddress;
    return (((ss & 0xffff) << 4) + ((sp + 4) & 0xffff)) >>> 0;
  }

  private compareRam(t: MooTest, ctx: FileContext, out: Mismatch[]): void {
    const want = new Map<number, number>();
    for (const e of t.initial.ram) want.set(e.address, e.value);
    for (const e of t.final.ram) want.set(e.address, e.value);
    for (const a of this.written) if (!want.has(a)) want.set(a, 0);
    const fa = this.pushedFlagsAddress(t);
    const u8 = this.cpu.u8;
    for (const [a, v] of want) {
      const m = fa === undefined ? 0xff : a === fa ? ctx.flagsMask & 0xff : a === fa + 1 ? ctx.flagsMask >> 8 : 0xff;
      const got = a < RAM_BYTES ? u8[RAM_BASE + a] : 0xff;
      if ((got ^ v) & m) out.push({ field: `ram[${hex(a, 6)}]`, expected: hex(v, 2), actual: hex(got, 2) });
    }
  }
}

const SNAPSHOT_NAMES = [...REG_NAMES, ...SEG_NAMES, "eip", "eflags"];

const FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [0x800, "O"], [0x400, "D"], [0x200, "I"], [0x100, "T"], [0x80, "S"], [0x40, "Z"], [0x10, "A"], [0x4, "P"], [0x1, "C"],
  [0x3000, "IOPL"], [0x4000, "NT"],
];

/** "(Z S differ)": the compared flags that differ. */
function flagDiff(got: number, want: number, mask: number): string {
  const d = (got ^ want) & mask;
  const names = FLAG_NAMES.filter(([bit]) => d & bit).map(([, n]) => n);
  return names.length ? ` (${names.join(" ")} differ)` : "";
}

function maskNote(mask: number, all: number): string {
  return (mask & all) === all ? "" : ` mask ${hex(mask & all, 4)}`;
}
