/**
 * The `jit386` command line. Each subcommand is defined in runtime/commands/ (its
 * options drive parsing and help); errors a user can cause end in one line on
 * stderr and a non-zero exit, never a stack trace.
 */
import { version } from "../package.json";
import { COMMANDS } from "./commands/index.js";
import { UsageError } from "./errors.js";
import { commandHelp, mainHelp } from "./help.js";
import { out, watchStdio } from "./stdout.js";
import { didYouMean } from "./suggest.js";

function find(name: string) {
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new UsageError(`unknown command '${name}'${didYouMean(name, COMMANDS.map((c) => c.name))} (try 'jit386 help')`);
  return cmd;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(mainHelp(COMMANDS));
    return 2;
  }
  if (name === "--version" || name === "-V") {
    out(`jit386 ${version}\n`);
    return 0;
  }
  if (name === "help" || name === "--help" || name === "-h") {
    if (rest.length > 1) throw new UsageError(`unexpected argument '${rest[1]}' (usage: jit386 help [COMMAND])`);
    out(rest.length ? commandHelp(find(rest[0])) : mainHelp(COMMANDS));
    return 0;
  }
  const cmd = find(name);
  const run = cmd.main(rest);
  if (run) return run;
  out(commandHelp(cmd));
  return 0;
}

watchStdio();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`jit386: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`jit386: internal error: ${msg}\n`);
    process.exitCode = 70;
  },
);
