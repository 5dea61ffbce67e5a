/** What the results were measured on, recorded with every results file. */
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { ROOT } from "./workloads.js";

export interface HostInfo {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  memGiB: number;
  /** The checkout's commit, and whether the work tree had changes. */
  commit?: string;
  dirty?: boolean;
}

export function hostInfo(): HostInfo {
  let commit: string | undefined;
  let dirty: boolean | undefined;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    dirty = execFileSync("git", ["status", "--porcelain"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() !== "";
  } catch {
    // Not a git checkout (e.g. an npm package): the results simply carry no commit.
  }
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    commit,
    dirty,
  };
}

export function hostLine(h: HostInfo): string {
  const rev = h.commit ? `, commit ${h.commit}${h.dirty ? " (with uncommitted changes)" : ""}` : "";
  return `${h.date.slice(0, 10)}, Node ${h.node}, ${h.cpu} (${h.cores} cores, ${h.memGiB} GiB)${rev}`;
}
