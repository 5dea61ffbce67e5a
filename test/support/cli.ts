/** Running the built command line (`npm test` builds dist/ first) and the guests its tests boot. */
import { spawnSync } from "node:child_process";
import { expect } from "vitest";

export const CLI = new URL("../../dist/cli.js", import.meta.url).pathname;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `jit386 ...args`, with `input` on standard input (empty by default). */
export function jit386With(input: string, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000, input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function jit386(...args: string[]): CliResult {
  return jit386With("", ...args);
}

/** One line on stderr, no stack trace. */
export function expectOneLineError(r: { stderr: string }, pattern: RegExp): void {
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^jit386: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
