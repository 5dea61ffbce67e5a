/**
 * The benchmark harness's command line (bundled to dist/bench/cli.js by
 * scripts/bench.mjs): `run` (npm run bench), `peers` (npm run bench:peers),
 * `micro` (npm run bench:micro), `reference` (run by npm run bench:build).
 */
import { UsageError } from "../runtime/errors.js";
import { type OptionSpec, parseArgs, type ParsedArgs } from "../runtime/options.js";
import { benchMicro, MICRO_OPTIONS } from "./micro.js";
import { benchPeers, PEERS_OPTIONS } from "./peers.js";
import { benchReference } from "./reference.js";
import { benchRun, RUN_OPTIONS } from "./run.js";

const COMMANDS: Record<string, { options: Record<string, OptionSpec>; run: (p: ParsedArgs) => Promise<number>; usage: string }> = {
  run: { options: RUN_OPTIONS, run: benchRun, usage: "[--filter NAMES] [--repeat N] [--engine interp|jit|all] [--timeout SECONDS]" },
  peers: { options: PEERS_OPTIONS, run: benchPeers, usage: "[--filter NAMES] [--repeat N] [--timeout SECONDS] [--linux-timeout SECONDS]" },
  micro: { options: MICRO_OPTIONS, run: benchMicro, usage: "[--max-time SECONDS]" },
  reference: { options: {}, run: benchReference, usage: "" },
};

async function main(argv: string[]): Promise<number> {
  const [name = "run", ...rest] = argv;
  const cmd = COMMANDS[name];
  if (!cmd) throw new UsageError(`unknown benchmark command '${name}'; commands: ${Object.keys(COMMANDS).join(", ")}`);
  if (rest.includes("--help")) {
    process.stdout.write(`usage: bench ${name} ${cmd.usage}\n`);
    return 0;
  }
  return cmd.run(parseArgs(rest, cmd.options, 0));
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
