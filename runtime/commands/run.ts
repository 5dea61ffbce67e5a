/** `jit386 run [IMAGE]`: boot a guest and run it to the end. */
import { createWriteStream, type WriteStream } from "node:fs";
import { BootError } from "../../src/boot/errors.js";
import { loadMultiboot } from "../../src/boot/multiboot.js";
import { UsageError } from "../errors.js";
import { DEFAULT_GUEST, detectImage, readImage } from "../image.js";
import { createMachine } from "../machine.js";
import { intOption, parseArgs } from "../options.js";
import type { Command } from "./index.js";

const SPECS = {
  mem: { value: true },
  append: { value: true },
  debugcon: { value: true },
  serial: { value: true },
  "max-instructions": { value: true },
};

/** Exit statuses of `jit386 run` other than the guest's own. */
export const EXIT_SHUTDOWN = 3;
export const EXIT_LIMIT = 4;

function openSink(spec: string | undefined, fallback: "stdout" | "none"): ((b: number) => void) & { close?: () => void } {
  const target = spec ?? fallback;
  if (target === "none") return () => {};
  if (target === "stdio" || target === "stdout" || target === "-") {
    return (b: number) => process.stdout.write(Uint8Array.of(b));
  }
  let stream: WriteStream;
  try {
    stream = createWriteStream(target);
  } catch (e) {
    throw new UsageError(`cannot open '${target}' for writing: ${(e as Error).message}`);
  }
  stream.on("error", (e) => {
    process.stderr.write(`jit386: cannot write '${target}': ${e.message}\n`);
    process.exitCode = 2;
  });
  const sink = (b: number) => void stream.write(Uint8Array.of(b));
  return Object.assign(sink, { close: () => stream.end() });
}

export const run: Command = {
  summary: "boot IMAGE (default: the built-in demo guest) and run it",
  async run(args) {
    const p = parseArgs(args, SPECS, 1);
    const mem = intOption(p, "mem", 2, 3072) ?? 64;
    const limit = intOption(p, "max-instructions", 1, Number.MAX_SAFE_INTEGER) ?? Infinity;
    const path = p.positional[0] ?? DEFAULT_GUEST;
    const image = readImage(path);
    detectImage(path, image);
    const serial = openSink(p.options.get("serial"), "stdout");
    const debugcon = openSink(p.options.get("debugcon"), "none");
    const m = createMachine({ memMiB: mem, serial });
    m.on("debugcon", debugcon);
    try {
      loadMultiboot(m.cpu, image, { cmdline: p.options.get("append") ?? path });
    } catch (e) {
      if (e instanceof BootError) throw new UsageError(`${path}: ${e.message}`);
      throw e;
    }
    const r = await m.run(limit);
    serial.close?.();
    debugcon.close?.();
    switch (r.reason) {
      case "exit":
        return r.exitStatus ?? 0;
      case "halt":
      case "stopped":
        return 0;
      case "shutdown":
        process.stderr.write(`jit386: triple fault after ${r.instructions} instructions: the guest reset the CPU\n`);
        return EXIT_SHUTDOWN;
      case "limit":
        process.stderr.write(`jit386: instruction limit reached (${r.instructions} instructions)\n`);
        return EXIT_LIMIT;
    }
  },
};
