/** `jit386 diff IMAGE`: run the interpreter and the JIT in lockstep and report the first difference. */
import { UsageError } from "../errors.js";
import { readImage } from "../image.js";
import { runDiff } from "../diff.js";
import { intOption, parseArgs } from "../options.js";
import type { Command } from "./index.js";

const SPECS = {
  mem: { value: true },
  append: { value: true },
  initrd: { value: true },
  "max-instructions": { value: true },
  from: { value: true },
  "ram-every": { value: true },
  hot: { value: true },
  "batch-delay": { value: true },
  chain: { value: true },
  stats: { value: false },
} as const;

/** Exit status when the engines disagree. */
export const EXIT_DIFFERENT = 1;

export const diff: Command = {
  summary: "run IMAGE under the interpreter and the JIT in lockstep; report the first difference",
  async run(args) {
    const p = parseArgs(args, SPECS, 1);
    const path = p.positional[0];
    if (path === undefined) throw new UsageError("diff: missing IMAGE (usage: jit386 diff IMAGE [--mem MiB] [--max-instructions N] [--from N])");
    const image = readImage(path);
    const initrdPath = p.options.get("initrd");
    const r = runDiff(image, path, {
      memMiB: intOption(p, "mem", 2, 3072) ?? 64,
      maxInstructions: intOption(p, "max-instructions", 1, Number.MAX_SAFE_INTEGER),
      from: intOption(p, "from", 0, Number.MAX_SAFE_INTEGER),
      ramEvery: intOption(p, "ram-every", 1, 1 << 30),
      boot: {
        cmdline: p.options.get("append"),
        initrd: initrdPath !== undefined ? readImage(initrdPath, "initrd") : undefined,
      },
      jit: { hotThreshold: intOption(p, "hot", 1, 1 << 20), batchDelay: intOption(p, "batch-delay", 0, 1 << 30), chain: intOption(p, "chain", 1, 0x7fffffff) },
    });
    const out = process.stdout;
    if (p.options.has("stats")) out.write(`${JSON.stringify(r.stats, null, 2)}\n`);
    if (r.agree) {
      out.write(`jit386 diff: the engines agree: ${r.instructions} instructions, ${r.exits} region exits compared, run ended by ${r.stop}\n`);
      return 0;
    }
    out.write(`jit386 diff: the engines differ after ${r.instructions} instructions (region exit ${r.exits})\n`);
    if (r.region.length > 0) out.write(`last region run by the JIT:\n${r.region.join("\n")}\n`);
    out.write("differences (interpreter | JIT):\n");
    for (const d of r.differences) out.write(`  ${d.field}: ${d.interp} | ${d.jit}\n`);
    return EXIT_DIFFERENT;
  },
};
