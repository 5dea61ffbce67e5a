/** Reading a guest image from disk, telling what kind it is, and booting it. */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BootError } from "../src/boot/errors.js";
import { isBzImage, loadLinux } from "../src/boot/linux.js";
import { findMultibootHeader, loadMultiboot } from "../src/boot/multiboot.js";
import { isRomImage, loadRom } from "../src/boot/rom.js";
import { ImageError, UsageError } from "./errors.js";
import { ioReason } from "./files.js";
import type { Machine } from "./machine.js";
import type { FirmwareOptions } from "./pc.js";
import type { ImageKind } from "./types.js";

export type { ImageKind } from "./types.js";

/** The built-in guest `jit386 run` starts when no image is given. */
export const DEFAULT_GUEST = fileURLToPath(new URL("../guests/default/default.bin", import.meta.url));

export function readImage(path: string, what = "image"): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ImageError(`cannot read ${what} '${path}': ${ioReason(e)}`);
  }
}

export function detectImage(path: string, image: Uint8Array): ImageKind {
  if (image.length === 0) throw new ImageError(`'${path}' is empty`);
  if (findMultibootHeader(image)) return "multiboot";
  if (isBzImage(image)) return "bzimage";
  if (image.length >= 0x202 && image[0x1fe] === 0x55 && image[0x1ff] === 0xaa && image[0x202] === 0x48) {
    // Looks like a Linux boot sector with a damaged or cut-off header.
    throw new ImageError(`'${path}': truncated bzImage`);
  }
  if (isRomImage(image)) return "rom";
  throw new ImageError(`'${path}' is not a guest image jit386 can boot (not multiboot, not a Linux bzImage, not a ROM image)`);
}

export interface BootOptions {
  cmdline?: string;
  initrd?: Uint8Array;
}

/** Load `image` into `m` and arrange for the same boot to be repeated on a reboot. */
export function bootImage(m: Machine, path: string, image: Uint8Array, opts: BootOptions = {}): ImageKind {
  const kind = detectImage(path, image);
  if (opts.initrd && kind !== "bzimage") throw new UsageError(`an initrd is for a Linux bzImage, and '${path}' is a ${kind} image`);
  const load = () => {
    switch (kind) {
      case "multiboot":
        loadMultiboot(m.cpu, image, { cmdline: opts.cmdline ?? path });
        break;
      case "bzimage":
        loadLinux(m.cpu, image, { cmdline: opts.cmdline ?? "", initrd: opts.initrd, apic: m.irq.topology });
        break;
      case "rom":
        loadRom(m.cpu, image);
        break;
    }
  };
  try {
    load();
  } catch (e) {
    if (e instanceof BootError) throw new ImageError(`${path}: ${e.message}`);
    throw e;
  }
  m.rebootHandler = load;
  m.bootRecord = { name: path, image, cmdline: opts.cmdline, initrd: opts.initrd };
  return kind;
}

/** Where `npm run guests:bios` puts SeaBIOS and its VGA BIOSes. */
export const BIOS_DIR = fileURLToPath(new URL("../guests/bios/build/", import.meta.url));
export const DEFAULT_BIOS = BIOS_DIR + "bios-256k.bin";
export const DEFAULT_VGA_BIOS = BIOS_DIR + "vgabios-stdvga.bin";

/** Firmware images: a power of two from 64 KiB to 1 MiB, as the flash below 4 GiB is. */
export function checkBiosImage(path: string, image: Uint8Array): void {
  const n = image.length;
  if (n < 0x10000 || n > 0x100000 || (n & (n - 1)) !== 0) {
    throw new UsageError(`'${path}' is not a BIOS image (a power of two from 64 KiB to 1 MiB in size; got ${n} bytes)`);
  }
}

/** Read and check a BIOS image; the default one must have been fetched by `npm run guests:bios`. */
export function readBios(path: string): Uint8Array {
  if (path === DEFAULT_BIOS && !existsSync(path)) throw new UsageError("no SeaBIOS in guests/bios/build/: run `npm run guests:bios`, or give --bios=FILE");
  const image = readImage(path, "BIOS");
  checkBiosImage(path, image);
  return image;
}

/**
 * The VGA BIOS of a firmware boot: the named file, none for "none", else the
 * one fetched with SeaBIOS when it is there (without one, SeaBIOS uses COM1).
 */
export function readVgaBios(path: string | undefined): Uint8Array | undefined {
  if (path === "none") return undefined;
  if (path === undefined) return existsSync(DEFAULT_VGA_BIOS) ? readImage(DEFAULT_VGA_BIOS, "VGA BIOS") : undefined;
  return readImage(path, "VGA BIOS");
}

/**
 * Boot through firmware from the reset vector: the BIOS finds the disks and the
 * CD itself. A reboot resets the chipset and starts the firmware again.
 */
export function bootFirmware(m: Machine, opts: FirmwareOptions): void {
  m.pc.installFirmware(opts);
  m.cpu.reset();
  m.rebootHandler = () => m.pc.reset();
}
