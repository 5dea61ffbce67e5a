/** Files the command line reads and writes, with one-line errors a user can act on. */
import { openSync } from "node:fs";
import { UsageError } from "./errors.js";

/** Why a file operation failed, in words ("no such file or directory"). */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EISDIR":
      return "is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a directory in the path is a file";
    default:
      return code ?? String(e);
  }
}

/** Create (or truncate) an output file before the run starts, so a bad path is found at once. */
export function openOutput(path: string, what: string): number {
  try {
    return openSync(path, "w");
  } catch (e) {
    throw new UsageError(`cannot write ${what} file '${path}': ${ioReason(e)}`);
  }
}
