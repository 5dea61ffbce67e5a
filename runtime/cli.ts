/**
 * The `jit386` command line. Each subcommand lives in runtime/commands/; errors a
 * user can cause end in one line on stderr and a non-zero exit, never a stack trace.
 */
import { UsageError } from "./errors.js";
import { COMMANDS } from "./commands/index.js";

const USAGE = `usage: jit386 <command> [options]
commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join("\n")}`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE + "\n");
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) throw new UsageError(`unknown command '${name}' (try 'jit386 help')`);
  return cmd.run(rest);
}

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
