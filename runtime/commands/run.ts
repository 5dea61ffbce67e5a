/** `jit386 run [IMAGE]`: boot a guest and run it to the end. */
import { closeSync, createWriteStream, writeSync } from "node:fs";
import { DEFAULT_IPS } from "../../src/devices/clock.js";
import { attachConsole } from "../console.js";
import { openOutput } from "../files.js";
import { openStorage } from "../disk.js";
import { UsageError } from "../errors.js";
import { bootFirmware, bootImage, DEFAULT_BIOS, DEFAULT_GUEST, readBios, readImage } from "../image.js";
import { createMachine, type Machine, type RunResult } from "../machine.js";
import { choice, command, flag, int, optionalText, text, texts } from "../options.js";
import { machineStats, roundedJson } from "../stats.js";
import { onStdoutClosed, out } from "../stdout.js";
import { CODEGEN_HELP, IPS, MEM_MIB } from "../validate.js";

/** Exit statuses of `jit386 run` other than the guest's own. */
export const EXIT_SHUTDOWN = 3;
export const EXIT_LIMIT = 4;
export const EXIT_RESET = 0;

type Sink = { write(bytes: Uint8Array): void; close(): void };

function openSink(target: string, what: string): Sink {
  if (target === "none") return { write: () => {}, close: () => {} };
  if (target === "stdio" || target === "-") return { write: out, close: () => {} };
  const stream = createWriteStream("", { fd: openOutput(target, what) });
  stream.on("error", (e) => {
    process.stderr.write(`jit386: cannot write ${what} file '${target}': ${e.message}\n`);
    process.exit(2);
  });
  return { write: (b) => void stream.write(b), close: () => stream.end() };
}

function statsJson(m: Machine, r: RunResult, seconds: number): string {
  return roundedJson({
    stop: r.reason,
    exitStatus: r.exitStatus,
    seconds,
    mips: r.instructions / seconds / 1e6,
    ...machineStats(m),
    instructions: r.instructions,
  });
}

export const run = command({
  name: "run",
  summary: "boot IMAGE (multiboot, Linux bzImage or ROM; default: the built-in demo guest), or disks and CDs through SeaBIOS, and run it until it stops",
  args: [{ name: "IMAGE", optional: true, help: "multiboot kernel (ELF or address-field), Linux bzImage (boot protocol 2.02+) or ROM image" }],
  options: {
    engine: choice(["jit", "interp"], "jit: interpret, translate hot code to WebAssembly; interp: interpret only", "jit"),
    codegen: choice(["tiered", "direct", "binaryen"], CODEGEN_HELP, "tiered"),
    mem: int("MiB", "guest RAM", MEM_MIB, 64),
    append: text("CMDLINE", "kernel command line (default: the image's path for multiboot, empty for Linux)"),
    initrd: text("FILE", "initial ramdisk for a Linux bzImage"),
    serial: text("stdio|FILE|none", "where COM1's output goes; with stdio, standard input is typed into COM1", "stdio"),
    debugcon: text("FILE", "write what the guest sends to port 0xE9 to FILE"),
    post: text("FILE", "write POST codes (port 0x80) to FILE, one hex byte a line"),
    "max-instructions": int("N", "stop after N instructions", { min: 1 }),
    stats: optionalText("FILE", "print the run's figures as JSON at the end, to standard error or FILE"),
    reboot: flag("restart the guest when it resets the machine, instead of ending the run"),
    clock: choice(["virtual", "realtime"], "virtual: devices count instructions (reproducible); realtime: the host's clock", "virtual"),
    ips: int("N", "virtual instructions per second, the rate devices count time at", IPS, DEFAULT_IPS),
    disk: texts("FILE[,writable]", "a raw hard disk image on the IDE controller; its writes stay in memory unless ,writable"),
    cdrom: text("FILE", "a raw CD image (ISO 9660) in the IDE CD-ROM drive"),
    bios: optionalText("FILE", "boot through SeaBIOS (default with --disk or --cdrom and no IMAGE; FILE: another BIOS image)"),
    boot: choice(["disk", "cdrom"], "the first boot device of the firmware boot (default: the disk, or the CD without one)"),
    vgabios: text("FILE", "a VGA BIOS for the firmware boot (needs the VGA device)"),
  },
  details: `Devices run on virtual time: the same guest and input give the same output and instruction
count on every run, under both engines. With --serial stdio, standard input goes to COM1: a
terminal's keys (Ctrl-A X quits) or piped input (its end does not end the run). A closed standard
output (jit386 run | head) ends the run quietly.

exit status: the guest's exit-port status (port 0xF4: (value << 1) | 1); 0 when the guest halts
with interrupts off, resets the machine (without --reboot) or the run is stopped; 3 on a triple
fault; 4 when the instruction limit is reached; 2 for bad input (an unreadable or unrecognised
image, a bad option), with a one-line message.`,
  async run(o, [image]) {
    const storage = openStorage(o.disk, o.cdrom);
    const firmware = o.bios !== undefined || (image === undefined && (o.disk.length > 0 || o.cdrom !== undefined));
    if (firmware && image !== undefined) throw new UsageError("--bios boots from the disks and the CD: give it no IMAGE (an IMAGE is loaded directly)");
    if (!firmware && (o.boot !== undefined || o.vgabios !== undefined)) throw new UsageError(`--${o.boot !== undefined ? "boot" : "vgabios"} needs the firmware boot (--bios, or a --disk or --cdrom without an IMAGE)`);
    if (firmware && (o.initrd !== undefined || o.append !== undefined)) throw new UsageError("--initrd and --append are for a kernel IMAGE, not the firmware boot");
    const path = image ?? DEFAULT_GUEST;
    const bytes = firmware ? undefined : readImage(path);
    const initrd = o.initrd !== undefined ? readImage(o.initrd, "initrd") : undefined;
    const bios = firmware ? readBios(o.bios || DEFAULT_BIOS) : undefined;
    const vgaBios = o.vgabios !== undefined ? readImage(o.vgabios, "VGA BIOS") : undefined;
    const statsFd = o.stats ? openOutput(o.stats, "stats") : undefined;
    const m = createMachine(
      {
        memMiB: o.mem,
        engine: o.engine,
        ips: o.ips,
        reboot: o.reboot,
        startTime: o.clock === "realtime" ? new Date() : undefined,
        realtime: o.clock === "realtime",
        // With --stats, the JIT also counts the instructions run in blocks without checks.
        jit: { profile: o.stats !== undefined, codegen: o.codegen },
      },
      storage,
    );
    if (bios) bootFirmware(m, { bios, vgaBios, boot: o.boot ?? (o.disk.length === 0 && o.cdrom !== undefined ? "cdrom" : "disk") });
    else bootImage(m, path, bytes!, { cmdline: o.append, initrd });

    const serial = openSink(o.serial, "serial");
    m.on("serial", (b) => serial.write(Uint8Array.of(b)));
    const debugcon = o.debugcon !== undefined ? openSink(o.debugcon, "debugcon") : undefined;
    if (debugcon) m.on("debugcon", (b) => debugcon.write(Uint8Array.of(b)));
    const post = o.post !== undefined ? openSink(o.post, "POST") : undefined;
    if (post) m.on("post", (c) => post.write(new TextEncoder().encode(c.toString(16).padStart(2, "0") + "\n")));
    const detachConsole = o.serial === "stdio" ? attachConsole(m) : () => {};
    const unwatch = onStdoutClosed(() => m.stop());

    const progress = o.stats !== undefined && process.stderr.isTTY;
    const t0 = performance.now();
    const timer = progress
      ? setInterval(() => {
          const s = (performance.now() - t0) / 1000;
          process.stderr.write(`\r[jit386] ${(m.instructionCount / 1e6).toFixed(0)}M instructions, ${s.toFixed(1)} s, ${(m.instructionCount / s / 1e6).toFixed(1)} MIPS `);
        }, 500)
      : undefined;
    let r: RunResult;
    try {
      r = await m.run(o["max-instructions"] ?? Infinity);
    } finally {
      if (timer) {
        clearInterval(timer);
        process.stderr.write("\n");
      }
      unwatch();
      detachConsole();
      serial.close();
      debugcon?.close();
      post?.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (o.stats !== undefined) {
      const json = statsJson(m, r, seconds) + "\n";
      if (statsFd === undefined) process.stderr.write(json);
      else {
        writeSync(statsFd, json);
        closeSync(statsFd);
      }
    }
    switch (r.reason) {
      case "exit":
        return r.exitStatus ?? 0;
      case "halt":
      case "stopped":
        return 0;
      case "reset":
        return EXIT_RESET;
      case "shutdown":
        process.stderr.write(`jit386: triple fault after ${r.instructions} instructions\n`);
        return EXIT_SHUTDOWN;
      case "limit":
        process.stderr.write(`jit386: instruction limit reached (${r.instructions} instructions)\n`);
        return EXIT_LIMIT;
    }
  },
});
