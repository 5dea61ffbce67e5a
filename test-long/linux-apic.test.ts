/**
 * Debian's kernel with its APIC drivers: the guest's command line without
 * `noapic nolapic`, so Linux finds the local APIC through CPUID and the I/O APIC
 * through the loader's MP tables, runs its timer on the local APIC and routes the
 * PIT through I/O APIC pin 2. It boots to its /init under the JIT; snapshots taken
 * along the way are resumed under both engines for a stretch of the boot each
 * (timer interrupts through the local APIC and the I/O APIC included), which must
 * end in the same output, CPU state, RAM and devices. (The whole boot under the
 * interpreter is test-long/linux.test.ts's, without the APICs.) Run by
 * `npm run test:linux`.
 */
import { existsSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { bootImage } from "../runtime/image.js";
import { createMachine, type Machine } from "../runtime/machine.js";
import { restoreSnapshot, saveSnapshot } from "../runtime/snapshot.js";
import { finalState, record } from "../test/support/resume.js";

const DIR = new URL("../guests/linux/build/", import.meta.url).pathname;
const MARKER = "JIT386-MARKER";

interface Boot {
  out: string;
  markerAt: number;
  /** LVT timer and I/O APIC redirection entry 2 (low dword) at the marker. */
  lvtTimer: number;
  pin2: number;
  /** Snapshots taken every SNAPSHOT_EVERY instructions before the marker. */
  snapshots: Uint8Array[];
}

const SNAPSHOT_EVERY = 1_500_000_000;
/** Instructions each snapshot is resumed for under both engines. */
const STRETCH = 25_000_000;

function ioapicEntry(m: Machine, pin: number): number {
  m.cpu.writePhys32(0xfec00000, 0x10 + 2 * pin);
  return m.cpu.readPhys32(0xfec00010) >>> 0;
}

async function boot(engine: "jit"): Promise<Boot> {
  if (!existsSync(DIR + "vmlinuz")) throw new Error("guests/linux/build/vmlinuz is missing: run `npm run guests:linux` first");
  const cmdline = readFileSync(DIR + "cmdline.txt", "utf8")
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "noapic" && w !== "nolapic")
    .join(" ");
  const m = createMachine({ memMiB: 128, engine });
  const b: Boot = { out: "", markerAt: 0, lvtTimer: 0, pin2: 0, snapshots: [] };
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
  let r = await m.run(SNAPSHOT_EVERY);
  while (r.reason === "limit" && !b.markerAt && m.instructionCount < 20_000_000_000) {
    b.snapshots.push(saveSnapshot(m));
    r = await m.run(SNAPSHOT_EVERY);
  }
  console.log(`linux with APICs (${engine}): marker at ${b.markerAt} instructions (${r.reason}), ${b.snapshots.length} snapshots`);
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

test("resumed from each snapshot, the engines run the same stretch of the APIC boot to the same state", () => {
  const jit = boots.get("jit");
  if (!jit) throw new Error("the JIT boot did not complete");
  expect(jit.snapshots.length).toBeGreaterThanOrEqual(3);
  for (const snap of jit.snapshots) {
    const ends = (["interp", "jit"] as const).map((engine) => {
      const m = restoreSnapshot(snap, { engine });
      const rec = record(m);
      const r = m.runSync(STRETCH);
      expect(r.reason).toBe("limit");
      return { out: rec.text(), state: finalState(m) };
    });
    expect(ends[1].out).toBe(ends[0].out);
    expect(ends[1].state).toEqual(ends[0].state);
  }
}, 3_600_000);
