/**
 * Child process: boots one guest on v86 (the npm package) and prints a
 * GuestResult. Multiboot images boot without a BIOS; a Linux bzImage boots
 * through the BIOS images the request names. v86's multiboot loader treats a
 * write to port 0xF4 as the end of a test; the worker takes that port over to
 * record the guest's exit status the way jit386 and QEMU's isa-debug-exit do.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { V86Options } from "v86";
import { type GuestRequest, type GuestResult, LineSplitter, MarkerWatch, RESULT_PREFIX } from "./protocol.js";
import { parseChecksum } from "./workloads.js";

function report(r: GuestResult): void {
  process.stdout.write(RESULT_PREFIX + JSON.stringify(r) + "\n");
  // v86 keeps timers alive; the result is all the parent needs.
  process.exit(0);
}

function maxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function buffer(path: string): { buffer: ArrayBuffer } {
  const b = readFileSync(path);
  return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) };
}

/** v86 counts instructions in a 32-bit register; sampled often enough, its wraps can be undone. */
class Unwrapped {
  private total = 0;
  private last = 0;
  constructor(private readonly read: () => number) {}
  sample(): number {
    const now = this.read();
    this.total += (now - this.last + 2 ** 32) % 2 ** 32;
    this.last = now;
    return this.total;
  }
}

/** The port bus of a v86 instance (not part of its typed API). */
function portBus(emulator: object): { register_write(port: number, device: object, w8: (v: number) => void): void } | undefined {
  const cpu: unknown = Reflect.get(Reflect.get(emulator, "v86") ?? {}, "cpu");
  const io: unknown = typeof cpu === "object" && cpu !== null ? Reflect.get(cpu, "io") : undefined;
  if (typeof io !== "object" || io === null) return undefined;
  const fn: unknown = Reflect.get(io, "register_write");
  if (typeof fn !== "function") return undefined;
  return { register_write: (port, device, w8) => fn.call(io, port, device, w8) };
}

async function main(req: GuestRequest): Promise<void> {
  const base = { reason: "failed", vmMs: 0, runMs: 0, serialTail: "", markers: {}, maxRssBytes: 0 };
  let V86: typeof import("v86").V86;
  let wasmPath: string;
  try {
    V86 = (await import("v86")).V86;
    wasmPath = join(dirname(createRequire(import.meta.url).resolve("v86")), "v86.wasm");
  } catch (e) {
    return report({ ...base, reason: "unavailable", unavailable: `the v86 package is not installed (${e instanceof Error ? e.message : String(e)})` });
  }
  const isLinux = req.initrd !== undefined;
  const opts: V86Options = {
    wasm_path: wasmPath,
    memory_size: req.memMiB * 1024 * 1024,
    autostart: false,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  };
  if (isLinux) {
    if (!req.bios) return report({ ...base, reason: "unavailable", unavailable: "no BIOS image for v86's Linux boot" });
    opts.bios = buffer(req.bios);
    if (req.vgaBios) opts.vga_bios = buffer(req.vgaBios);
    opts.bzimage = buffer(req.image);
    opts.initrd = buffer(req.initrd ?? "");
    opts.cmdline = req.cmdline;
  } else {
    opts.multiboot = buffer(req.image);
    if (req.cmdline) opts.cmdline = req.cmdline;
  }
  const t0 = performance.now();
  const emulator = new V86(opts);
  const count = new Unwrapped(() => emulator.get_instruction_counter());
  const sampler = setInterval(() => count.sample(), 20);
  const watch = new MarkerWatch(req.markers, req.stopAt);
  let t1 = t0;
  const finish = (reason: string, exitStatus?: number, error?: string) => {
    const t2 = performance.now();
    clearInterval(sampler);
    report({
      reason,
      exitStatus,
      instructions: count.sample(),
      vmMs: t2 - t0,
      runMs: t2 - t1,
      serialTail: serial.tail,
      checksum: parseChecksum(serial.tail),
      markers: watch.hits,
      maxRssBytes: maxRss(),
      error,
    });
  };
  const serial = new LineSplitter((line) => {
    watch.line(line, () => ({ ms: performance.now(), instructions: count.sample() }));
    if (watch.shouldStop) finish("marker");
  });
  emulator.add_listener("serial0-output-byte", (b) => serial.push(b));
  emulator.add_listener("emulator-loaded", () => {
    const ports = portBus(emulator);
    if (!isLinux) {
      if (!ports) return finish("failed", undefined, "this v86 version has no port bus at emulator.v86.cpu.io to take port 0xF4 over");
      ports.register_write(0xf4, {}, (v) => finish("exit", ((v & 0xff) << 1) | 1));
    }
    t1 = performance.now();
    void emulator.run();
  });
  if (req.timeoutMs) setTimeout(() => finish("timeout"), req.timeoutMs);
}

const arg = process.argv[2];
if (arg === undefined) {
  process.stderr.write("usage: v86-worker.js REQUEST-JSON (run by the benchmark harness)\n");
  process.exit(2);
}
await main(JSON.parse(arg) as GuestRequest);
