/** `jit386 run [IMAGE]`: boot a guest and run it to the end. */
import { closeSync, createWriteStream, ftruncateSync, writeSync } from "node:fs";
import { DEFAULT_IPS } from "../../src/devices/clock.js";
import { attachConsole } from "../console.js";
import { attachDisplay } from "../display.js";
import { openOutput } from "../files.js";
import { openStorage } from "../disk.js";
import { UsageError } from "../errors.js";
import { bootFirmware, bootImage, DEFAULT_BIOS, DEFAULT_GUEST, readBios, readImage, readVgaBios } from "../image.js";
import { createMachine, type Machine, type RunResult } from "../machine.js";
import { choice, command, flag, int, optionalText, text, texts } from "../options.js";
import { serveGdb } from "../gdb/server.js";
import { runWithSaves } from "../savepoints.js";
import { restoreSnapshot } from "../snapshot.js";
import { formatProfile } from "../profiler.js";
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

/** The exit status of a run that ended this way. */
function exitStatus(r: RunResult): number {
  switch (r.reason) {
    case "exit":
      return r.exitStatus ?? 0;
    case "halt":
    case "stopped":
      return 0;
    case "reset":
      return EXIT_RESET;
    case "shutdown":
      return EXIT_SHUTDOWN;
    case "limit":
      return EXIT_LIMIT;
  }
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

/** The state file holds the latest snapshot only. */
function writeState(fd: number, bytes: Uint8Array): void {
  ftruncateSync(fd, 0);
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at, at);
}

/** With --load-state the snapshot is the machine: options that would build another one are refused. */
function checkResumeOptions(o: { mem: number; ips: number; reboot: boolean; clock: string; bios?: string; initrd?: string; append?: string; boot?: string; vgabios?: string }, image: string | undefined): void {
  const clash = [
    image !== undefined && "an IMAGE",
    o.mem !== 64 && "--mem",
    o.ips !== DEFAULT_IPS && "--ips",
    o.reboot && "--reboot",
    o.clock !== "virtual" && "--clock",
    o.bios !== undefined && "--bios",
    o.initrd !== undefined && "--initrd",
    o.append !== undefined && "--append",
    o.boot !== undefined && "--boot",
    o.vgabios !== undefined && "--vgabios",
  ].filter((x): x is string => typeof x === "string");
  if (clash.length) throw new UsageError(`--load-state resumes the machine the snapshot holds: ${clash.join(", ")} cannot change it`);
}

export const run = command({
  name: "run",
  summary: "boot IMAGE (multiboot, Linux bzImage or ROM; default: the built-in demo guest), or disks and CDs through SeaBIOS, and run it until it stops",
  args: [{ name: "IMAGE", optional: true, help: "multiboot kernel (ELF or address-field), Linux bzImage (boot protocol 2.02+) or ROM image" }],
  options: {
    engine: choice(["jit", "interp"], "jit: interpret, translate hot code to WebAssembly; interp: interpret only", "jit"),
    codegen: choice(["direct", "tiered", "binaryen"], CODEGEN_HELP, "direct"),
    mem: int("MiB", "guest RAM", MEM_MIB, 64),
    append: text("CMDLINE", "kernel command line (default: the image's path for multiboot, empty for Linux)"),
    initrd: text("FILE", "initial ramdisk for a Linux bzImage"),
    serial: text("stdio|FILE|none", "where COM1's output goes; with stdio, standard input is typed into COM1", "stdio"),
    debugcon: text("FILE", "write what the guest sends to port 0xE9 to FILE"),
    post: text("FILE", "write POST codes (port 0x80) to FILE, one hex byte a line"),
    "max-instructions": int("N", "stop after N instructions (exceptions and interrupts delivered count too)", { min: 1 }),
    stats: optionalText("FILE", "print the run's figures as JSON at the end, to standard error or FILE"),
    profile: text("FILE", "profile where the host's time goes: a summary on standard error at the end, the whole as JSON in FILE"),
    reboot: flag("restart the guest when it resets the machine, instead of ending the run"),
    clock: choice(["virtual", "realtime"], "virtual: devices count instructions (reproducible); realtime: the host's clock", "virtual"),
    ips: int("N", "virtual instructions per second, the rate devices count time at", IPS, DEFAULT_IPS),
    disk: texts("FILE[,writable]", "a raw hard disk image on the IDE controller; its writes stay in memory unless ,writable"),
    cdrom: text("FILE", "a raw CD image (ISO 9660) in the IDE CD-ROM drive"),
    bios: optionalText("FILE", "boot through SeaBIOS (default with --disk or --cdrom and no IMAGE; FILE: another BIOS image)"),
    boot: choice(["disk", "cdrom"], "the first boot device of the firmware boot (default: the disk, or the CD without one)"),
    vgabios: text("FILE|none", "the VGA BIOS of the firmware boot (default: SeaBIOS's vgabios-stdvga.bin, fetched with it); none: SeaBIOS's console on COM1"),
    display: choice(["none", "terminal"], "terminal: the VGA's screen on this terminal (text, or graphics scaled down), its keys to the PS/2 keyboard (Ctrl-A X quits; COM1's output to stdio is dropped)", "none"),
    screenshot: text("FILE.png", "write what the display shows (text or graphics) to FILE.png when the run ends"),
    gdb: int("PORT", "hold the guest before its first instruction and wait for gdb on 127.0.0.1:PORT (0: any free port); gdb's target remote drives it", { min: 0, max: 65535 }),
    "save-state": text("FILE", "save the machine's state to FILE when the run ends (or at --save-at; SIGUSR1 saves it at once and runs on)"),
    "save-at": int("N", "with --save-state: save once the machine has run N instructions, deliveries included (counted from power-on), then run on", { min: 1 }),
    "load-state": text("FILE", "resume the machine saved in FILE (no IMAGE; RAM, rate and boot come from it; give the same --disk and --cdrom)"),
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
    if (o["save-at"] !== undefined && o["save-state"] === undefined) throw new UsageError("--save-at needs --save-state FILE");
    const resume = o["load-state"] !== undefined;
    if (resume) checkResumeOptions(o, image);
    const storage = openStorage(o.disk, o.cdrom);
    const firmware = !resume && (o.bios !== undefined || (image === undefined && (o.disk.length > 0 || o.cdrom !== undefined)));
    if (firmware && image !== undefined) throw new UsageError("--bios boots from the disks and the CD: give it no IMAGE (an IMAGE is loaded directly)");
    if (!firmware && (o.boot !== undefined || o.vgabios !== undefined)) throw new UsageError(`--${o.boot !== undefined ? "boot" : "vgabios"} needs the firmware boot (--bios, or a --disk or --cdrom without an IMAGE)`);
    if (firmware && (o.initrd !== undefined || o.append !== undefined)) throw new UsageError("--initrd and --append are for a kernel IMAGE, not the firmware boot");
    const path = image ?? DEFAULT_GUEST;
    const bytes = firmware || resume ? undefined : readImage(path);
    const initrd = o.initrd !== undefined ? readImage(o.initrd, "initrd") : undefined;
    const bios = firmware ? readBios(o.bios || DEFAULT_BIOS) : undefined;
    const vgaBios = firmware ? readVgaBios(o.vgabios) : undefined;
    const screenshotFd = o.screenshot !== undefined ? openOutput(o.screenshot, "screenshot") : undefined;
    const loaded = resume ? readImage(o["load-state"]!, "state") : undefined;
    const statsFd = o.stats ? openOutput(o.stats, "stats") : undefined;
    const profileFd = o.profile !== undefined ? openOutput(o.profile, "profile") : undefined;
    const stateFd = o["save-state"] !== undefined ? openOutput(o["save-state"], "state") : undefined;
    const machineOptions = {
      memMiB: o.mem,
      engine: o.engine,
      ips: o.ips,
      reboot: o.reboot,
      startTime: o.clock === "realtime" ? new Date() : undefined,
      realtime: o.clock === "realtime",
      profile: profileFd !== undefined,
      // With --stats, the JIT also counts the instructions run in blocks without checks.
      jit: { profile: o.stats !== undefined, codegen: o.codegen },
    };
    const m = loaded ? restoreSnapshot(loaded, { engine: o.engine, jit: machineOptions.jit, profile: machineOptions.profile, storage, name: `'${o["load-state"]}'` }) : createMachine(machineOptions, storage);
    if (loaded) {
      // The snapshot holds the machine as it was: nothing to boot.
    } else if (bios) bootFirmware(m, { bios, vgaBios, boot: o.boot ?? (o.disk.length === 0 && o.cdrom !== undefined ? "cdrom" : "disk") });
    else bootImage(m, path, bytes!, { cmdline: o.append, initrd });

    const terminal = o.display === "terminal";
    const serial = openSink(terminal && o.serial === "stdio" ? "none" : o.serial, "serial");
    m.on("serial", (b) => serial.write(Uint8Array.of(b)));
    const debugcon = o.debugcon !== undefined ? openSink(o.debugcon, "debugcon") : undefined;
    if (debugcon) m.on("debugcon", (b) => debugcon.write(Uint8Array.of(b)));
    const post = o.post !== undefined ? openSink(o.post, "POST") : undefined;
    if (post) m.on("post", (c) => post.write(new TextEncoder().encode(c.toString(16).padStart(2, "0") + "\n")));
    const detachConsole = terminal ? attachDisplay(m, out) : o.serial === "stdio" ? attachConsole(m) : () => {};
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
      const limit = o["max-instructions"] ?? Infinity;
      r =
        o.gdb === undefined
          ? await runWithSaves(m, limit, stateFd === undefined ? undefined : { at: o["save-at"], write: (b) => writeState(stateFd, b) })
          : await serveGdb(m, {
              port: o.gdb,
              maxInstructions: limit,
              exitCode: exitStatus,
              listening: (port) => process.stderr.write(`jit386: waiting for gdb on 127.0.0.1:${port} (target remote :${port})\n`),
            });
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
      if (stateFd !== undefined) closeSync(stateFd);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (screenshotFd !== undefined) {
      writeSync(screenshotFd, m.screenshot());
      closeSync(screenshotFd);
    }
    if (o.stats !== undefined) {
      const json = statsJson(m, r, seconds) + "\n";
      if (statsFd === undefined) process.stderr.write(json);
      else {
        writeSync(statsFd, json);
        closeSync(statsFd);
      }
    }
    if (profileFd !== undefined) {
      const report = m.profile();
      process.stderr.write(formatProfile(report));
      writeSync(profileFd, roundedJson(report) + "\n");
      closeSync(profileFd);
    }
    if (r.reason === "shutdown") process.stderr.write(`jit386: triple fault after ${r.instructions} instructions\n`);
    if (r.reason === "limit") process.stderr.write(`jit386: instruction limit reached (${r.instructions} instructions)\n`);
    return exitStatus(r);
  },
});
