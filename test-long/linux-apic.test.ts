/**
 * Debian's kernel with its APIC drivers: the guest's command line without
 * `noapic nolapic`, so Linux finds the local APIC through CPUID and the I/O APIC
 * through the loader's MP tables, runs its timer on the local APIC and routes the
 * PIT through I/O APIC pin 2. It boots to its /init under both engines with the
 * same serial output and the same instruction count at the marker. Run by
 * `npm run test:linux`.
 */
import { existsSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { bootImage } from "../runtime/image.js";
import { createMachine, type Machine } from "../runtime/machine.js";

const DIR = new URL("../guests/linux/build/", import.meta.url).pathname;
const MARKER = "JIT386-MARKER";

interface Boot {
  out: string;
  markerAt: number;
  /** LVT timer and I/O APIC redirection entry 2 (low dword) at the marker. */
  lvtTimer: number;
  pin2: number;
}

function ioapicEntry(m: Machine, pin: number): number {
  m.cpu.writePhys32(0xfec00000, 0x10 + 2 * pin);
  return m.cpu.readPhys32(0xfec00010) >>> 0;
}

async function boot(engine: "interp" | "jit"): Promise<Boot> {
  if (!existsSync(DIR + "vmlinuz")) throw new Error("guests/linux/build/vmlinuz is missing: run `npm run guests:linux` first");
  const cmdline = readFileSync(DIR + "cmdline.txt", "utf8")
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "noapic" && w !== "nolapic")
    .join(" ");
  const m = createMachine({ memMiB: 128, engine });
  const b: Boot = { out: "", markerAt: 0, lvtTimer: 0, pin2: 0 };
  m.on("serial", (c) => {
    b.out += String.fromCharCode(c);
    if (!b.markerAt && b.out.endsWith(MARKER)) {
      b.markerAt = m.instructionCount;
      b.lvtTimer = m.cpu.readPhys32(0xfee00320) >>> 0;
      b.pin2 = ioapicEntry(m, 2);
      m.stop();
    }
  });
  bootImage(m, DIR + "vmlinuz", new Uint8Array(readFileSync(DIR + "vmlinuz")), {
    cmdline,
    initrd: new Uint8Array(readFileSync(DIR + "initramfs.cpio")),
  });
  const r = await m.run(20_000_000_000);
  console.log(`linux with APICs (${engine}): marker at ${b.markerAt} instructions (${r.reason})`);
  return b;
}

const boots = new Map<string, Boot>();

test("with the APICs enabled Linux reaches /init, its timer on the local APIC, the PIT on I/O APIC pin 2 (JIT)", async () => {
  const b = await boot("jit");
  boots.set("jit", b);
  expect(b.markerAt).toBeGreaterThan(0);
  // Unmasked: the local APIC timer and pin 2 are in use.
  expect(b.lvtTimer & 0x10000).toBe(0);
  expect(b.pin2 & 0x10000).toBe(0);
}, 3_600_000);

test("the same boot under the interpreter: identical output and instruction count at the marker", async () => {
  const b = await boot("interp");
  const jit = boots.get("jit");
  if (!jit) throw new Error("the JIT boot did not complete");
  expect(b.out).toBe(jit.out);
  expect(b.markerAt).toBe(jit.markerAt);
}, 3_600_000);
