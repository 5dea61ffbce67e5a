/** `jit386 diff IMAGE`: run the interpreter and the JIT in lockstep and report the first difference. */
import { openStorage } from "../disk.js";
import { UsageError } from "../errors.js";
import { DEFAULT_BIOS, readBios, readImage, readVgaBios } from "../image.js";
import { DIFF_DEFAULTS, runDiff } from "../diff.js";
import { choice, command, flag, int, optionalText, text, texts } from "../options.js";
import { roundedJson } from "../stats.js";
import { out } from "../stdout.js";
import { CODEGEN_HELP, MEM_MIB } from "../validate.js";

/** Exit status when the engines disagree. */
export const EXIT_DIFFERENT = 1;

export const diff = command({
  name: "diff",
  summary: "run IMAGE (or disks and CDs through SeaBIOS) under the interpreter and the JIT in lockstep; report the first difference",
  args: [{ name: "IMAGE", optional: true, help: "a guest image, as for 'jit386 run' (none with --disk/--cdrom: the firmware boot)" }],
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
    codegen: choice(["direct", "tiered", "binaryen"], CODEGEN_HELP, "direct"),
    stats: flag("print the JIT's figures as JSON before the verdict"),
    disk: texts("FILE[,writable]", "a raw hard disk image, as for 'jit386 run' (each machine keeps its own writes)"),
    cdrom: text("FILE", "a raw CD image, as for 'jit386 run'"),
    bios: optionalText("FILE", "boot through SeaBIOS (default with --disk or --cdrom and no IMAGE; FILE: another BIOS image)"),
    boot: choice(["disk", "cdrom"], "the first boot device of the firmware boot (default: the disk, or the CD without one)"),
    vgabios: text("FILE|none", "the VGA BIOS of the firmware boot, as for 'jit386 run'"),
  },
  details: `Both machines run the ordinary run loop (devices, interrupts, virtual time); the whole machine
state (registers, flags, segment caches, control registers, RAM by page hash, serial and debug
console output) is compared at every return from compiled code. On the first difference the
instruction count, the region's guest code disassembled and the differing fields are printed.
With --disk or --cdrom and no IMAGE, both machines boot the drives through SeaBIOS, each with its
own in-memory copy of the guest's writes.

exit status: 0 when the engines agree to the end, 1 when they differ, 2 for bad input.`,
  async run(o, [path]) {
    // Opened once here, so a bad image is reported before either machine starts.
    openStorage(o.disk, o.cdrom);
    const firmware = o.bios !== undefined || (path === undefined && (o.disk.length > 0 || o.cdrom !== undefined));
    if (firmware && path !== undefined) throw new UsageError("--bios boots from the disks and the CD: give it no IMAGE (an IMAGE is loaded directly)");
    if (!firmware && path === undefined) throw new UsageError("diff: missing IMAGE (see 'jit386 help diff')");
    if (!firmware && o.vgabios !== undefined) throw new UsageError("--vgabios needs the firmware boot (--bios, or a --disk or --cdrom without an IMAGE)");
    const image = path !== undefined ? readImage(path) : undefined;
    const boot = o.boot ?? (o.disk.length === 0 && o.cdrom !== undefined ? "cdrom" : "disk");
    const r = runDiff(image, path ?? "", {
      storage: () => openStorage(o.disk, o.cdrom),
      firmware: firmware ? { bios: readBios(o.bios || DEFAULT_BIOS), vgaBios: readVgaBios(o.vgabios), boot } : undefined,
      memMiB: o.mem,
      maxInstructions: o["max-instructions"],
      from: o.from,
      ramEvery: o["ram-every"],
      boot: { cmdline: o.append, initrd: o.initrd !== undefined ? readImage(o.initrd, "initrd") : undefined },
      jit: { hotThreshold: o.hot, batchDelay: o["batch-delay"], chain: o.chain, codegen: o.codegen },
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
