/** The subcommands of `jit386`, in the order help lists them. */
import type { Command } from "../options.js";
import { diff } from "./diff.js";
import { disasm } from "./disasm.js";
import { run } from "./run.js";

export const COMMANDS: readonly Command[] = [run, diff, disasm];
