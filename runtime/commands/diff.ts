/** `jit386 diff IMAGE`: run the interpreter and the JIT in lockstep and report the first difference. */
import { readImage } from "../image.js";
import { DIFF_DEFAULTS, runDiff } from "../diff.js";
import { command, flag, int, text } from "../options.js";
import { roundedJson } from "../stats.js";
import { out } from "../stdout.js";
import { MEM_MIB } from "../validate.js";

/** Exit status when the engines disagree. */
export const EXIT_DIFFERENT = 1;

export const diff = command({
  name: "diff",
  summary: "run IMAGE under the interpreter and the JIT in lockstep; report the first difference",
  args: [{ name: "IMAGE", optional: false, help: "a guest image, as for 'jit386 run'" }],
  options: {
    mem: int("MiB", "guest RAM", MEM_MIB, DIFF_DEFAULTS.memMiB),
    append: text("CMDLINE", "kernel command line"),
    initrd: text("FILE", "initial ramdisk for a Linux bzImage"),
    "max-instructions": int("N", "stop comparing after N instructions", { min: 1 }),
    from: int("N", "run both engines freely to instruction N first, then compare", { min: 0 }),
    chain: int("N", "let the JIT chain N regions between comparisons", { min: 1, max: 0x7fffffff }, DIFF_DEFAULTS.chain),
    "ram-every": int("N", "compare RAM at every N-th region exit (always at the end)", { min: 1, max: 1 << 30 }, DIFF_DEFAULTS.ramEvery),
    hot: int("N", "the JIT's translation threshold: block starts before a region is translated", { min: 1, max: 1 << 20 }, DIFF_DEFAULTS.hotThreshold),
    "batch-delay": int("N", "instructions a partial batch of regions waits before it is translated", { min: 0, max: 1 << 30 }, DIFF_DEFAULTS.batchDelay),
    stats: flag("print the JIT's figures as JSON before the verdict"),
  },
  details: `Both machines run the ordinary run loop (devices, interrupts, virtual time); the whole machine
state (registers, flags, segment caches, control registers, RAM by page hash, serial and debug
console output) is compared at every return from compiled code. On the first difference the
instruction count, the region's guest code disassembled and the differing fields are printed.

exit status: 0 when the engines agree to the end, 1 when they differ, 2 for bad input.`,
  async run(o, [path]) {
    const image = readImage(path);
    const r = runDiff(image, path, {
      memMiB: o.mem,
      maxInstructions: o["max-instructions"],
      from: o.from,
      ramEvery: o["ram-every"],
      boot: { cmdline: o.append, initrd: o.initrd !== undefined ? readImage(o.initrd, "initrd") : undefined },
      jit: { hotThreshold: o.hot, batchDelay: o["batch-delay"], chain: o.chain },
    });
    if (o.stats) out(`${roundedJson(r.stats)}\n`);
    if (r.agree) {
      out(`jit386 diff: the engines agree: ${r.instructions} instructions, ${r.exits} region exits compared, run ended by ${r.stop}\n`);
      return 0;
    }
    out(`jit386 diff: the engines differ after ${r.instructions} instructions (region exit ${r.exits})\n`);
    if (r.region.length > 0) out(`last region run by the JIT:\n${r.region.join("\n")}\n`);
    out("differences (interpreter | JIT):\n");
    for (const d of r.differences) out(`  ${d.field}: ${d.interp} | ${d.jit}\n`);
    return EXIT_DIFFERENT;
  },
});
