/** Subcommands of `jit386`, by name. */
export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

import { diff } from "./diff.js";
import { disasm } from "./disasm.js";
import { run } from "./run.js";

export const COMMANDS: Record<string, Command> = {
  run,
  disasm,
  diff,
};
