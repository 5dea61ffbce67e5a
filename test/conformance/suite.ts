/** Runs whole MOO files through a ConformanceRunner and tallies the outcome. */
import { join } from "node:path";
import { RuleId, RULES } from "./masks.js";
import { type MooTest, readMooFile, REG16_NAMES, REG32_NAMES } from "./moo.js";
import { type ConformanceRunner, type TestResult } from "./runner.js";
import { fileKey, flagsMaskFor, type Suite } from "./data.js";

export interface Failure {
  test: MooTest;
  result: TestResult;
}

export interface FileReport {
  suite: string;
  file: string;
  passed: number;
  failed: number;
  /** Tests skipped because their hash is on the revocation list. */
  revoked: number;
  /** Failing tests, in file order, up to the `keep` asked for. */
  failures: Failure[];
  /** Tests of this file each rule changed. */
  rules: Map<RuleId, number>;
}

export function runFile(runner: ConformanceRunner, suite: Suite, file: string, keep = 1): FileReport {
  const moo = readMooFile(join(suite.dir, file));
  // META's cpu_mode: 0 is real mode, the only mode these suites and the runner's set-up cover.
  if (moo.meta && moo.meta.cpuMode !== 0) throw new Error(`${suite.name}/${file}: CPU mode ${moo.meta.cpuMode} is not real mode`);
  const ctx = { key: fileKey(file), flagsMask: flagsMaskFor(suite.metadata, file), rmsk16: moo.rmsk16, rmsk32: moo.rmsk32 };
  const report: FileReport = { suite: suite.name, file, passed: 0, failed: 0, revoked: 0, failures: [], rules: new Map() };
  for (const test of moo.tests) {
    if (suite.revoked.has(test.hash)) {
      report.revoked++;
      continue;
    }
    const result = runner.run(test, ctx);
    for (const r of new Set(result.rules)) report.rules.set(r, (report.rules.get(r) ?? 0) + 1);
    if (result.passed) {
      report.passed++;
    } else {
      report.failed++;
      if (report.failures.length < keep) report.failures.push({ test, result });
    }
  }
  return report;
}

/** Rule counts summed over reports, every rule listed. */
export function ruleTotals(reports: readonly FileReport[]): Map<RuleId, number> {
  const out = new Map<RuleId, number>(RULES.map((r) => [r.id, 0]));
  for (const rep of reports) for (const [id, n] of rep.rules) out.set(id, (out.get(id) ?? 0) + n);
  return out;
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

function registerLine(t: MooTest): string {
  const r16 = t.initial.regs16?.values;
  if (r16) return REG16_NAMES.map((n) => `${n}=${(r16[n] ?? 0).toString(16).padStart(4, "0")}`).join(" ");
  const r32 = t.initial.regs32?.values ?? {};
  return REG32_NAMES.map((n) => `${n}=${((r32[n] ?? 0) >>> 0).toString(16)}`).join(" ");
}

/** Mismatches listed per failing test: a runaway test can scribble over thousands of bytes. */
const SHOWN_MISMATCHES = 16;

/** A failing test, field by field: what the suite expected and what the emulator produced. */
export function describeFailure(f: Failure): string {
  const t = f.test;
  const lines = [`  #${t.index} ${t.name}  [${hexBytes(t.bytes)}]  hash ${t.hash}`];
  lines.push(`    initial ${registerLine(t)}`);
  if (t.exception) lines.push(`    exception ${t.exception.vector}, FLAGS pushed at ${t.exception.flagAddress.toString(16)}`);
  if (f.result.fault >= 0) {
    const ud = f.result.fault === 6 ? " (#UD: no handler, or a decoding error)" : "";
    lines.push(`    the emulator raised vector ${f.result.fault}${ud} at the instruction`);
  }
  if (f.result.rules.length) lines.push(`    rules: ${[...new Set(f.result.rules)].join(", ")}`);
  const w = Math.max(5, ...f.result.mismatches.map((m) => m.field.length));
  lines.push(`    ${"field".padEnd(w)}  ${"expected".padEnd(18)}  actual`);
  const shown = f.result.mismatches.slice(0, SHOWN_MISMATCHES);
  for (const m of shown) lines.push(`    ${m.field.padEnd(w)}  ${m.expected.padEnd(18)}  ${m.actual}`);
  const more = f.result.mismatches.length - shown.length;
  if (more > 0) lines.push(`    ... ${more} more`);
  return lines.join("\n");
}
