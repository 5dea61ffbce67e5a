/**
 * The benchmark harness's command line (bundled to dist/bench/cli.js by
 * scripts/bench.mjs): `run` (npm run bench), `peers` (npm run bench:peers),
 * `micro` (npm run bench:micro), `reference` (run by npm run bench:build).
 * Commands are defined as jit386's own are (runtime/options.ts).
 */
import { UsageError } from "../runtime/errors.js";
import { commandHelp } from "../runtime/help.js";
import { didYouMean } from "../runtime/suggest.js";
import { benchMicro } from "./micro.js";
import { benchPeers } from "./peers.js";
import { benchReference } from "./reference.js";
import { benchRun } from "./run.js";

const COMMANDS = [benchRun, benchPeers, benchMicro, benchReference];

async function main(argv: string[]): Promise<number> {
  const [name = "run", ...rest] = argv;
  const names = COMMANDS.map((c) => c.name);
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new UsageError(`unknown benchmark command '${name}'${didYouMean(name, names)}; commands: ${names.join(", ")}`);
  const run = cmd.main(rest);
  if (run) return run;
  process.stdout.write(commandHelp(cmd, "bench"));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
