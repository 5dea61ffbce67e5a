/**
 * Snapshots of a SeaBIOS disk boot (and a CD boot): saved at points through POST, the disk
 * reads and the boot sector's write to the overlay, under one engine, and
 * restored under either, the boot ends as the uninterrupted boot does: the same
 * debug-console output, CPU and device state (the overlay's sectors with them),
 * RAM and instruction count. A save point inside a disk transfer waits for its
 * end; saving in the middle of one is refused.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openMedium } from "../runtime/disk.js";
import { SnapshotError } from "../runtime/errors.js";
import { bootFirmware, DEFAULT_BIOS } from "../runtime/image.js";
import { createMachine, type Machine } from "../runtime/machine.js";
import { saveSnapshot, unsavableReason } from "../runtime/snapshot.js";
import { buildIso } from "../test/support/iso.js";
import { debugconOf, type EngineName, expectSameRun, resumed, runToEnd } from "../test/support/resume.js";

const BOOT_SECTOR = new URL("../guests/boot/bootsector.bin", import.meta.url).pathname;
const PAYLOAD = "payload: hello from sector 1\r\n\0";
const work = mkdtempSync(join(tmpdir(), "jit386-seabios-snap-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const LIMIT = 100_000_000;

function diskImage(): string {
  const img = new Uint8Array(4 << 20);
  const b = new Uint8Array(readFileSync(BOOT_SECTOR));
  const v = new DataView(b.buffer);
  v.setUint32(0x1b0, 1, true);
  v.setUint16(0x1b4, 1, true);
  img.set(b, 0);
  img.set(new TextEncoder().encode(PAYLOAD), 512);
  const path = join(work, "disk.img");
  writeFileSync(path, img);
  return path;
}

function bootSector(lba: number): Uint8Array {
  const b = new Uint8Array(readFileSync(BOOT_SECTOR));
  const v = new DataView(b.buffer);
  v.setUint32(0x1b0, lba, true);
  v.setUint16(0x1b4, 1, true);
  return b;
}

function cdImage(): string {
  const payload = { name: "PAYLOAD.TXT", data: new TextEncoder().encode("payload: hello from the CD\r\n\0") };
  const lba = buildIso({ bootImage: bootSector(0), files: [payload] }).layout.get("PAYLOAD.TXT")!;
  const path = join(work, "cd.iso");
  writeFileSync(path, buildIso({ bootImage: bootSector(lba), files: [payload] }).bytes);
  return path;
}

describe("SeaBIOS disk boot, saved and restored", () => {
  if (!existsSync(DEFAULT_BIOS)) throw new Error("guests/bios/build/bios-256k.bin is missing: run `npm run guests:bios` first");
  const bios = new Uint8Array(readFileSync(DEFAULT_BIOS));
  const disk = diskImage();
  const storage = () => ({ disks: [openMedium(disk, "disk").backend] });
  const fresh = (engine: EngineName) => (): Machine => {
    const m = createMachine({ memMiB: 32, engine }, storage());
    bootFirmware(m, { bios });
    return m;
  };
  const want = runToEnd(fresh("interp")(), LIMIT);

  it("the uninterrupted boot exits through the boot sector, with the same end under the JIT", () => {
    expect(debugconOf(want.output)).toContain("bootsector: ok");
    expect(want.result).toMatchObject({ reason: "exit", exitStatus: 1 });
    expectSameRun(runToEnd(fresh("jit")(), LIMIT), want);
  });

  const total = want.state.icount;
  const cases: [EngineName, EngineName, number][] = [
    ["jit", "interp", 0.3],
    ["interp", "jit", 0.6],
    ["jit", "jit", 0.9],
    ["jit", "interp", 0.999],
  ];
  it.each(cases)("saved under %s, resumed under %s, at %d of the boot", (from, to, share) => {
    const r = resumed(fresh(from), Math.floor(total * share), LIMIT, to, { storage: storage() });
    expectSameRun(r, want);
    // RAM is stored as its non-zero frames, deflated: a 32 MiB machine in well under a MiB.
    expect(r.snapshotBytes).toBeLessThan(1 << 20);
  });

  it("a save in the middle of a disk transfer is refused with a SnapshotError", () => {
    const m = fresh("jit")();
    while (!unsavableReason(m)) expect(m.runSync(50).reason).toBe("limit");
    expect(() => saveSnapshot(m)).toThrow(SnapshotError);
    expect(() => saveSnapshot(m)).toThrow(/a disk transfer is in progress/);
  });
});

describe("SeaBIOS CD boot, saved and restored", () => {
  it("saved under the JIT after the CD's first reads, resumed under the interpreter: the same end", () => {
    const bios = new Uint8Array(readFileSync(DEFAULT_BIOS));
    const cd = cdImage();
    const storage = () => ({ cdrom: openMedium(cd, "cdrom").backend });
    const fresh = (engine: EngineName) => (): Machine => {
      const m = createMachine({ memMiB: 32, engine }, storage());
      bootFirmware(m, { bios, boot: "cdrom" });
      return m;
    };
    const want = runToEnd(fresh("jit")(), LIMIT);
    expect(debugconOf(want.output)).toContain("Booting from DVD/CD...");
    expect(want.result).toMatchObject({ reason: "exit", exitStatus: 1 });
    expectSameRun(resumed(fresh("jit"), Math.floor(want.state.icount * 0.95), LIMIT, "interp", { storage: storage() }), want);
  });
});
