/**
 * Replays the native oracle fixtures (test/fixtures/oracle/, made by
 * `npm run oracle:regen`, see scripts/oracle/) on the Interpreter: each case runs
 * in 32-bit flat protected mode at CPL 3 with RAM at the addresses the host
 * used, and registers, EFLAGS (less the flags the opcode table leaves undefined
 * for the row), EIP, the memory windows and the exception must match the CPU.
 * One test per family; a failure lists every failing form with one example.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { CR0_PE, Cpu } from "../src/cpu/cpu.js";
import { FAULT } from "../src/cpu/exceptions.js";
import * as F from "../src/cpu/flags.js";
import { RAM_BASE, Sreg } from "../src/cpu/layout.js";
import { decode } from "../src/decode/decoder.js";
import { Insn } from "../src/decode/insn.js";
import { Interpreter } from "../src/interp/interpreter.js";
import { OPCODES } from "../src/isa/opcodes.js";
import {
  decodeOracleFile,
  fillWindows,
  MODE_LOWSEG,
  NO_EXCEPTION,
  type OracleCase,
  type OracleHeader,
} from "../scripts/oracle/format.js";

const DIR = new URL("./fixtures/oracle/", import.meta.url);
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".bin.gz")).sort();

const ATTR_CODE = 0xc0fb;
const ATTR_DATA = 0xc0f3;
/** Extra REP iterations allowed before a case counts as hung. */
const MAX_STEPS = 100_000;
const REG_NAMES = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"];
const VECTOR_NAMES: Record<number, string> = { 0: "#DE", 5: "#BR", 6: "#UD", 12: "#SS", 13: "#GP", 14: "#PF", 17: "#AC" };
const FLAG_NAMES: [number, string][] = [
  [F.CF, "CF"], [F.PF, "PF"], [F.AF, "AF"], [F.ZF, "ZF"], [F.SF, "SF"], [F.TF, "TF"], [F.IF, "IF"], [F.DF, "DF"],
  [F.OF, "OF"], [F.IOPL, "IOPL"], [F.NT, "NT"], [F.RF, "RF"], [F.VM, "VM"], [F.AC, "AC"], [F.VIF, "VIF"], [F.VIP, "VIP"], [F.ID, "ID"],
];

const h32 = (v: number) => `0x${(v >>> 0).toString(16)}`;
const vectorName = (v: number) => (v === NO_EXCEPTION ? "none" : (VECTOR_NAMES[v] ?? `vector ${v}`));
const flagNames = (m: number) => FLAG_NAMES.filter(([b]) => m & b).map(([, n]) => n).join(",");

/** One CPU reused for every case of a fixture file: state and windows are reloaded per case. */
class OracleMachine {
  private readonly cpu = new Cpu({ ramBytes: 8 << 20 });
  private readonly interp = new Interpreter(this.cpu);
  private readonly insn = new Insn();
  private readonly data: Uint8Array;
  private readonly stack: Uint8Array;
  private readonly finalWindows: { data: Uint8Array; stack: Uint8Array };
  private readonly expectedArea: Buffer;

  constructor(private readonly h: OracleHeader) {
    this.data = new Uint8Array(h.layout.window);
    this.stack = new Uint8Array(h.layout.window);
    this.finalWindows = { data: new Uint8Array(h.layout.window), stack: new Uint8Array(h.layout.window) };
    this.expectedArea = Buffer.alloc(h.layout.areaSize);
  }

  private segment(s: number, sel: number, attr: number): void {
    // A null selector (FS under Linux) leaves an unusable segment.
    if (sel === 0) this.cpu.setSegmentCache(s, 0, 0, 0, 0);
    else this.cpu.setSegmentCache(s, sel, 0, 0xffffffff, attr);
  }

  private load(c: OracleCase): void {
    const { layout: L, selectors: S } = this.h;
    const cpu = this.cpu;
    const u8 = cpu.u8;
    u8.fill(0, RAM_BASE + L.dataArea, RAM_BASE + L.dataArea + L.areaSize);
    u8.fill(0, RAM_BASE + L.stackArea, RAM_BASE + L.stackArea + L.areaSize);
    fillWindows(c.input, this.data, this.stack);
    u8.set(this.data, RAM_BASE + L.dataBase);
    u8.set(this.stack, RAM_BASE + L.stackBase);
    u8.fill(0xcc, RAM_BASE + L.codeAt - 16, RAM_BASE + L.codeAt + 32);
    u8.set(c.input.code, RAM_BASE + L.codeAt);
    this.interp.decodeCache.invalidateFrame(L.codeAt >>> 12);

    cpu.cr0 = cpu.cr0 | CR0_PE;
    cpu.cpl = 3;
    this.segment(Sreg.CS, S.cs, ATTR_CODE);
    this.segment(Sreg.SS, S.ss, ATTR_DATA);
    this.segment(Sreg.FS, S.fs, ATTR_DATA);
    this.segment(Sreg.GS, S.gs, ATTR_DATA);
    if (c.input.mode & MODE_LOWSEG) {
      cpu.setSegmentCache(Sreg.DS, S.ldt, L.ldtBase, L.ldtLimit, L.ldtAttr);
      cpu.setSegmentCache(Sreg.ES, S.ldt, L.ldtBase, L.ldtLimit, L.ldtAttr);
    } else {
      this.segment(Sreg.DS, S.ds, ATTR_DATA);
      this.segment(Sreg.ES, S.es, ATTR_DATA);
    }
    for (let r = 0; r < 8; r++) cpu.setReg32(r, c.input.regs[r]);
    cpu.setEflagsMasked(c.input.eflags, -1);
    cpu.eip = L.codeAt;
  }

  /** Run one case; the differences from the CPU's result, or "" when it matches. */
  run(c: OracleCase): string {
    const { layout: L } = this.h;
    const cpu = this.cpu;
    this.load(c);
    let vector = NO_EXCEPTION;
    try {
      // A REP string instruction retires once per iteration and stays at its own address until done.
      for (let n = 0; n < MAX_STEPS; n++) {
        this.interp.executeOne();
        if (cpu.eip !== L.codeAt) break;
      }
    } catch (e) {
      if (e !== FAULT) return `host error: ${e instanceof Error ? e.message : String(e)}`;
      vector = FAULT.vector;
    }

    const code = c.input.code;
    decode(this.insn, { byte: (k) => (k < code.length ? code[k] : 0xcc) }, true);
    const undefinedFlags = OPCODES[this.insn.row].flagsUndefined;
    const want = c.result;
    const out: string[] = [];
    if (vector !== want.vector) out.push(`exception ${vectorName(vector)} want ${vectorName(want.vector)}`);
    if (cpu.eip >>> 0 !== want.eip) out.push(`EIP ${h32(cpu.eip)} want ${h32(want.eip)}`);
    for (let r = 0; r < 8; r++) {
      if (cpu.reg32(r) !== want.regs[r]) out.push(`${REG_NAMES[r]} ${h32(cpu.reg32(r))} want ${h32(want.regs[r])}`);
    }
    const flags = cpu.getEflags() >>> 0;
    const bad = (flags ^ want.eflags) & ~undefinedFlags;
    if (bad) out.push(`EFLAGS ${h32(flags)} want ${h32(want.eflags)} (${flagNames(bad)}${undefinedFlags ? `; ignoring ${flagNames(undefinedFlags)}` : ""})`);

    const wd = this.finalWindows.data;
    const ws = this.finalWindows.stack;
    wd.set(this.data);
    ws.set(this.stack);
    for (const w of want.writes) {
      const inData = w.addr >= L.dataBase && w.addr < L.dataBase + L.window;
      (inData ? wd : ws).set(w.bytes, w.addr - (inData ? L.dataBase : L.stackBase));
    }
    this.compareMemory(L.dataArea, L.dataBase, wd, out);
    this.compareMemory(L.stackArea, L.stackBase, ws, out);
    return out.join("; ");
  }

  /** The window at `base` must hold `want`; the rest of its area must still be zero. */
  private compareMemory(area: number, base: number, want: Uint8Array, out: string[]): void {
    const size = this.h.layout.areaSize;
    const got = Buffer.from(this.cpu.u8.buffer, RAM_BASE + area, size);
    const expected = this.expectedArea;
    expected.fill(0);
    expected.set(want, base - area);
    if (got.equals(expected)) return;
    let first = -1;
    let count = 0;
    for (let k = 0; k < size; k++) {
      if (got[k] === expected[k]) continue;
      if (first < 0) first = k;
      count++;
    }
    out.push(`memory ${h32(area + first)} 0x${got[first].toString(16)} want 0x${expected[first].toString(16)}${count > 1 ? ` (${count} bytes differ)` : ""}`);
  }
}

function describeInput(c: OracleCase): string {
  const regs = REG_NAMES.map((n, r) => `${n}=${h32(c.input.regs[r])}`).join(" ");
  return `${regs} EFL=${h32(c.input.eflags)}${c.input.mode & MODE_LOWSEG ? " DS=ES=LDT" : ""}`;
}

/** Forms listed with an example each; the rest only by name and count. */
const EXAMPLES = 60;

describe("native oracle", () => {
  test("fixtures are present", () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  for (const file of FILES) {
    const family = file.replace(/\.bin\.gz$/, "");
    test(family, () => {
      const { header, forms } = decodeOracleFile(readFileSync(new URL(file, DIR)));
      const m = new OracleMachine(header);
      const lines: string[] = [];
      let failedForms = 0;
      let failedCases = 0;
      let cases = 0;
      for (const form of forms) {
        let failed = 0;
        let example = "";
        for (const c of form.cases) {
          const diff = m.run(c);
          if (!diff) continue;
          failed++;
          if (!example) example = `    [${Buffer.from(c.input.code).toString("hex")}] ${diff}\n      in: ${describeInput(c)}`;
        }
        cases += form.cases.length;
        if (!failed) continue;
        failedForms++;
        failedCases += failed;
        lines.push(`  ${form.name}: ${failed}/${form.cases.length} cases fail`);
        if (failedForms <= EXAMPLES) lines.push(example);
      }
      const summary =
        `${family}: ${forms.length - failedForms}/${forms.length} forms pass, ${failedCases}/${cases} cases fail ` +
        `(reference CPU: ${header.cpu})`;
      expect(failedForms, `${summary}\n${lines.join("\n")}`).toBe(0);
    });
  }
});
