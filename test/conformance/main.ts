/**
 * `npm run conformance [-- --filter <regex>] [--verbose]`: runs the 80286
 * real-mode suite and the 386 sample on the interpreter. One line per file
 * (file, passed, failed), then "N passed, N failed", then how many tests each
 * architectural-difference rule changed. Exit status 1 when anything failed.
 */
import { RULES } from "./masks.js";
import { ConformanceRunner } from "./runner.js";
import { suites } from "./data.js";
import { describeFailure, type FileReport, ruleTotals, runFile } from "./suite.js";

interface Options {
  filter?: RegExp;
  verbose: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { verbose: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === "--verbose" || a === "-v") opts.verbose = true;
    else if (a === "--filter" || a === "-f") {
      const v = argv[++k];
      if (v === undefined) throw new Error("--filter needs a regular expression");
      opts.filter = new RegExp(v, "i");
    } else if (a.startsWith("--filter=")) opts.filter = new RegExp(a.slice("--filter=".length), "i");
    else throw new Error(`unknown argument '${a}' (use --filter <regex>, --verbose)`);
  }
  return opts;
}

function main(): number {
  const opts = parseArgs(process.argv.slice(2));
  const runner = new ConformanceRunner();
  const reports: FileReport[] = [];
  const started = performance.now();
  for (const suite of suites()) {
    for (const file of suite.files) {
      const id = `${suite.name}/${file.replace(/\.MOO\.gz$/, "")}`;
      if (opts.filter && !opts.filter.test(id)) continue;
      const rep = runFile(runner, suite, file);
      reports.push(rep);
      const revoked = rep.revoked ? `  (${rep.revoked} revoked)` : "";
      console.log(`${id.padEnd(22)} ${String(rep.passed).padStart(5)} passed ${String(rep.failed).padStart(5)} failed${revoked}`);
      if (opts.verbose && rep.failures.length) console.log(describeFailure(rep.failures[0]));
    }
  }
  const passed = reports.reduce((n, r) => n + r.passed, 0);
  const failed = reports.reduce((n, r) => n + r.failed, 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${reports.length} files in ${seconds} s`);
  console.log(`${passed} passed, ${failed} failed`);
  console.log("\nmasks (tests changed by each architectural-difference rule):");
  const totals = ruleTotals(reports);
  const w = Math.max(...RULES.map((r) => r.id.length));
  for (const r of RULES) console.log(`  ${r.id.padEnd(w)} ${String(totals.get(r.id) ?? 0).padStart(6)}`);
  return failed > 0 ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
}
