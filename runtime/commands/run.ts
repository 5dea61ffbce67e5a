/** `jit386 run [IMAGE]`: boot a guest and run it to the end. */
import { createWriteStream, openSync, writeFileSync } from "node:fs";
import { descriptorShadow } from "../../src/cpu/segmentation.js";
import { UsageError } from "../errors.js";
import { JitEngine } from "../jit.js";
import { bootImage, DEFAULT_GUEST, readImage } from "../image.js";
import { createMachine, type Machine, type RunResult } from "../machine.js";
import { choiceOption, intOption, parseArgs } from "../options.js";
import type { Command } from "./index.js";

const SPECS = {
  mem: { value: true },
  append: { value: true },
  initrd: { value: true },
  engine: { value: true },
  serial: { value: true },
  debugcon: { value: true },
  post: { value: true },
  "max-instructions": { value: true },
  stats: { value: "optional" },
  reboot: { value: false },
  clock: { value: true },
  ips: { value: true },
} as const;

/** Exit statuses of `jit386 run` other than the guest's own. */
export const EXIT_SHUTDOWN = 3;
export const EXIT_LIMIT = 4;
export const EXIT_RESET = 0;

type Sink = { write(bytes: Uint8Array): void; close(): void };

function openSink(target: string, what: string): Sink {
  if (target === "none") return { write: () => {}, close: () => {} };
  if (target === "stdio" || target === "-") return { write: (b) => void process.stdout.write(b), close: () => {} };
  let fd: number;
  try {
    fd = openSync(target, "w");
  } catch (e) {
    throw new UsageError(`cannot write ${what} file '${target}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const stream = createWriteStream("", { fd });
  stream.on("error", (e) => {
    process.stderr.write(`jit386: cannot write ${what} file '${target}': ${e.message}\n`);
    process.exit(2);
  });
  return { write: (b) => void stream.write(b), close: () => stream.end() };
}

/** Raw terminal input to COM1; Ctrl-A X quits (as QEMU's -serial mon:stdio). */
function attachTerminal(m: Machine): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => {};
  stdin.setRawMode(true);
  let escape = false;
  const onData = (buf: Buffer) => {
    for (const b of buf) {
      if (escape) {
        escape = false;
        if (b === 0x78 || b === 0x58) {
          m.stop();
          return;
        }
        if (b !== 0x01) m.sendSerial(Uint8Array.of(0x01));
      } else if (b === 0x01) {
        escape = true;
        continue;
      }
      m.sendSerial(Uint8Array.of(b));
    }
  };
  stdin.on("data", onData);
  return () => {
    stdin.off("data", onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

function statsJson(m: Machine, r: RunResult, seconds: number): string {
  return JSON.stringify(
    {
      stop: r.reason,
      exitStatus: r.exitStatus,
      instructions: r.instructions,
      seconds,
      mips: r.instructions / seconds / 1e6,
      virtualSeconds: m.clock.now() / m.clock.ips,
      engine: m.engine.name,
      ...(m.engine instanceof JitEngine ? { jit: m.engine.stats.toJSON() } : {}),
      descriptorShadow: { ...descriptorShadow(m.cpu).stats },
      decodeCache: {
        hits: m.interpreter.decodeCache.hits,
        misses: m.interpreter.decodeCache.misses,
        invalidations: m.interpreter.decodeCache.invalidations,
      },
      devices: {
        unhandledPortReads: m.ports.unhandledReads,
        unhandledPortWrites: m.ports.unhandledWrites,
        pitIrqs: m.pit.irqsRaised,
        spuriousIrqs: m.pic.spuriousCount,
        serialBytesOut: m.com1.transmitted,
      },
    },
    null,
    2,
  );
}

export const run: Command = {
  summary: "boot IMAGE (multiboot, Linux bzImage or ROM; default: the built-in demo guest)",
  async run(args) {
    const p = parseArgs(args, SPECS, 1);
    const mem = intOption(p, "mem", 2, 3072) ?? 64;
    const limit = intOption(p, "max-instructions", 1, Number.MAX_SAFE_INTEGER) ?? Infinity;
    const engine = choiceOption(p, "engine", ["interp", "jit"] as const) ?? "jit";
    const clockMode = choiceOption(p, "clock", ["virtual", "realtime"] as const) ?? "virtual";
    const ips = intOption(p, "ips", 1000, 1e12);
    const path = p.positional[0] ?? DEFAULT_GUEST;
    const image = readImage(path);
    const initrdPath = p.options.get("initrd");
    const initrd = initrdPath !== undefined ? readImage(initrdPath, "initrd") : undefined;

    const m = createMachine({
      memMiB: mem,
      engine,
      ips,
      reboot: p.options.has("reboot"),
      startTime: clockMode === "realtime" ? new Date() : undefined,
      realtime: clockMode === "realtime",
      // With --stats, the JIT also counts the instructions run in blocks without checks.
      jit: { profile: p.options.has("stats") },
    });
    bootImage(m, path, image, { cmdline: p.options.get("append"), initrd });

    const serial = openSink(p.options.get("serial") ?? "stdio", "serial");
    m.on("serial", (b) => serial.write(Uint8Array.of(b)));
    const debugPath = p.options.get("debugcon");
    const debugcon = debugPath !== undefined ? openSink(debugPath, "debugcon") : undefined;
    if (debugcon) m.on("debugcon", (b) => debugcon.write(Uint8Array.of(b)));
    const postPath = p.options.get("post");
    const post = postPath !== undefined ? openSink(postPath, "POST") : undefined;
    if (post) m.on("post", (c) => post.write(new TextEncoder().encode(c.toString(16).padStart(2, "0") + "\n")));
    const detach = (p.options.get("serial") ?? "stdio") === "stdio" ? attachTerminal(m) : () => {};

    const statsTarget = p.options.get("stats");
    const progress = statsTarget !== undefined && process.stderr.isTTY;
    const t0 = performance.now();
    const timer = progress
      ? setInterval(() => {
          const s = (performance.now() - t0) / 1000;
          process.stderr.write(`\r[jit386] ${(m.instructionCount / 1e6).toFixed(0)}M instructions, ${s.toFixed(1)} s, ${(m.instructionCount / s / 1e6).toFixed(1)} MIPS `);
        }, 500)
      : undefined;
    let r: RunResult;
    try {
      r = await m.run(limit);
    } finally {
      if (timer) {
        clearInterval(timer);
        process.stderr.write("\n");
      }
      detach();
      serial.close();
      debugcon?.close();
      post?.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (statsTarget !== undefined) {
      const json = statsJson(m, r, seconds) + "\n";
      if (statsTarget === "") process.stderr.write(json);
      else writeFileSync(statsTarget, json);
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
};
