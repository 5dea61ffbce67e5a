/**
 * SeaBIOS (fetched by `npm run guests:bios`) boots a hard disk and an El Torito
 * CD built here, under the interpreter and under the JIT: the boot sector in
 * guests/boot/ reads its payload through INT 13h, writes a sector and reads it
 * back (on the disk), and exits through port 0xF4. Both engines must print the
 * same and retire the same number of instructions; the image files stay as
 * they were; the JIT runs most of the boot compiled.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { runDiff } from "../runtime/diff.js";
import { openMedium } from "../runtime/disk.js";
import { bootFirmware, DEFAULT_BIOS } from "../runtime/image.js";
import { JitEngine } from "../runtime/jit.js";
import { createMachine, type RunResult } from "../runtime/machine.js";
import type { StorageOptions } from "../runtime/pc.js";
import { buildIso } from "../test/support/iso.js";

const BOOT_SECTOR = new URL("../guests/boot/bootsector.bin", import.meta.url).pathname;
const DISK_PAYLOAD = "payload: hello from sector 1\r\n\0";
const CD_PAYLOAD = "payload: hello from the CD\r\n\0";
const work = mkdtempSync(join(tmpdir(), "jit386-seabios-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function bios(): Uint8Array {
  if (!existsSync(DEFAULT_BIOS)) throw new Error("guests/bios/build/bios-256k.bin is missing: run `npm run guests:bios` first");
  return new Uint8Array(readFileSync(DEFAULT_BIOS));
}

/** The boot sector with its payload's location patched in. */
function bootSector(lba: number, count: number): Uint8Array {
  const b = new Uint8Array(readFileSync(BOOT_SECTOR));
  const v = new DataView(b.buffer);
  v.setUint32(0x1b0, lba, true);
  v.setUint16(0x1b4, count, true);
  return b;
}

function diskImage(): string {
  const img = new Uint8Array(4 << 20);
  img.set(bootSector(1, 1), 0);
  img.set(new TextEncoder().encode(DISK_PAYLOAD), 512);
  const path = join(work, "disk.img");
  writeFileSync(path, img);
  return path;
}

function cdImage(): string {
  const payload = { name: "PAYLOAD.TXT", data: new TextEncoder().encode(CD_PAYLOAD) };
  // The payload's sector depends only on the layout, not on the boot image's bytes.
  const lba = buildIso({ bootImage: bootSector(0, 1), files: [payload] }).layout.get("PAYLOAD.TXT")!;
  const iso = buildIso({ bootImage: bootSector(lba, 1), files: [payload] });
  const path = join(work, "cd.iso");
  writeFileSync(path, iso.bytes);
  return path;
}

interface Boot {
  debug: string;
  result: RunResult;
  compiledShare: number;
}

function boot(engine: "interp" | "jit", storage: StorageOptions, first: "disk" | "cdrom"): Boot {
  const m = createMachine({ memMiB: 32, engine }, storage);
  let debug = "";
  m.on("debugcon", (b) => (debug += String.fromCharCode(b)));
  bootFirmware(m, { bios: bios(), boot: first });
  const result = m.runSync(100_000_000);
  const jit = m.engine instanceof JitEngine ? m.engine.stats : undefined;
  return { debug, result, compiledShare: jit ? jit.compiledInstructions / result.instructions : 0 };
}

function bothEngines(storage: () => StorageOptions, first: "disk" | "cdrom"): [Boot, Boot] {
  return [boot("interp", storage(), first), boot("jit", storage(), first)];
}

describe("SeaBIOS", () => {
  it("boots a hard disk: INT 13h CHS and LBA reads, a write to the overlay, identical in both engines", () => {
    const path = diskImage();
    const before = readFileSync(path);
    const [interp, jit] = bothEngines(() => ({ disks: [openMedium(path, "disk").backend] }), "disk");
    for (const b of [interp, jit]) {
      expect(b.debug).toContain("Booting from Hard Disk...");
      expect(b.debug).toContain("bootsector: drive 80\r\nbootsector: sector size 0200\r\n" + DISK_PAYLOAD.slice(0, -1));
      expect(b.debug).toContain("*" + DISK_PAYLOAD.slice(1, -1) + "bootsector: ok");
      expect(b.result).toMatchObject({ reason: "exit", exitStatus: 1 });
    }
    expect(jit.debug).toBe(interp.debug);
    expect(jit.result.instructions).toBe(interp.result.instructions);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(jit.compiledShare).toBeGreaterThan(0.5);
  });

  it("in lockstep, the engines agree at every region exit of the disk boot", () => {
    const path = diskImage();
    const r = runDiff(undefined, "", { memMiB: 32, ramEvery: 64, storage: () => ({ disks: [openMedium(path, "disk").backend] }), firmware: { bios: bios() } });
    expect(r.differences).toEqual([]);
    expect(r.agree).toBe(true);
    expect(r.stop).toBe("exit");
    expect(r.exits).toBeGreaterThan(10_000);
  });

  it("writes reach a disk image opened writable", () => {
    const path = diskImage();
    const b = boot("jit", { disks: [openMedium(path, "disk", true).backend] }, "disk");
    expect(b.result.exitStatus).toBe(1);
    const sector2 = readFileSync(path).subarray(1024, 1024 + DISK_PAYLOAD.length - 1).toString("latin1");
    expect(sector2).toBe("*" + DISK_PAYLOAD.slice(1, -1));
  });

  it("boots an El Torito CD (no emulation) with a disk present when told to, identical in both engines", () => {
    const cd = cdImage();
    const disk = diskImage();
    const [interp, jit] = bothEngines(() => ({ disks: [openMedium(disk, "disk").backend], cdrom: openMedium(cd, "cdrom").backend }), "cdrom");
    for (const b of [interp, jit]) {
      expect(b.debug).toContain("Booting from DVD/CD...");
      expect(b.debug).toContain("bootsector: drive e0\r\nbootsector: sector size 0800\r\n" + CD_PAYLOAD.slice(0, -1) + "bootsector: ok");
      expect(b.result).toMatchObject({ reason: "exit", exitStatus: 1 });
    }
    expect(jit.debug).toBe(interp.debug);
    expect(jit.result.instructions).toBe(interp.result.instructions);
  });

  it("with nothing bootable, says so, resets the machine, and with reboot on runs its POST again", () => {
    const b = boot("jit", {}, "disk");
    expect(b.debug).toContain("No bootable device.");
    expect(b.result.reason).toBe("reset");
    const m = createMachine({ memMiB: 32, engine: "jit", reboot: true });
    let debug = "";
    let resets = 0;
    m.on("debugcon", (c) => (debug += String.fromCharCode(c)));
    m.on("reset", () => resets++);
    bootFirmware(m, { bios: bios() });
    m.runSync(b.result.instructions + 2_000_000);
    expect(resets).toBe(1);
    // The second POST starts from the flash again: the shadow was write-protected, PAM reset shows the flash.
    const second = debug.slice(debug.indexOf("No bootable device."));
    expect(second).toContain("Running on QEMU (i440fx)");
    expect(second).toContain("Found QEMU fw_cfg");
  });

  it("the command line boots a disk through SeaBIOS, output on the debug console", () => {
    const cli = new URL("../dist/cli.js", import.meta.url).pathname;
    const log = join(work, "debugcon.txt");
    let status = 0;
    try {
      execFileSync("node", [cli, "run", "--disk", diskImage(), "--debugcon", log, "--serial", "none"], { stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(1);
    expect(readFileSync(log, "latin1")).toContain("bootsector: ok");
  });
});
