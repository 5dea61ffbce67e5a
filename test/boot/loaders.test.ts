import { describe, expect, test } from "vitest";
import { Cpu } from "../../src/cpu/cpu.js";
import { RAM_BASE, Sreg } from "../../src/cpu/layout.js";
import { readCpio, S_IFCHR, S_IFDIR, S_IFREG, writeCpio } from "../../src/boot/cpio.js";
import { BootError } from "../../src/boot/errors.js";
import { isBzImage, loadLinux } from "../../src/boot/linux.js";
import { loadMultiboot, MULTIBOOT_BOOTLOADER_MAGIC } from "../../src/boot/multiboot.js";
import { addressImage } from "../support/images.js";

const MB = 0x1badb002;

/** A minimal ELF32 i386 executable with one PT_LOAD segment and a multiboot header inside it. */
function elfImage(opts: { machine?: number; truncate?: number } = {}): Uint8Array {
  const img = new Uint8Array(0x200);
  const dv = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, opts.machine ?? 3, true);
  dv.setUint32(24, 0x200010, true);
  dv.setUint32(28, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  const ph = 52;
  dv.setUint32(ph, 1, true);
  dv.setUint32(ph + 4, 0x100, true);
  dv.setUint32(ph + 12, 0x200000, true);
  dv.setUint32(ph + 16, 0x100, true);
  dv.setUint32(ph + 20, 0x1000, true);
  dv.setUint32(0x100, MB, true);
  dv.setUint32(0x104, 0, true);
  dv.setUint32(0x108, (-MB) >>> 0, true);
  img.fill(0x90, 0x110, 0x200);
  return opts.truncate ? img.subarray(0, opts.truncate) : img;
}

describe("multiboot loader", () => {
  test("address-field image: loaded, bss cleared, CPU state as the specification says", () => {
    const cpu = new Cpu({ ramBytes: 4 << 20 });
    cpu.u8.fill(0xaa, RAM_BASE + 0x100000, RAM_BASE + 0x100400);
    const img = addressImage([0xf4]);
    const r = loadMultiboot(cpu, img, { cmdline: "hello world" });
    expect(r.entry).toBe(0x100020);
    expect(cpu.readPhys8(0x100020)).toBe(0xf4);
    expect(cpu.readPhys8(0x100021 + 0x10)).toBe(0); // bss
    expect(cpu.reg32(0) >>> 0).toBe(MULTIBOOT_BOOTLOADER_MAGIC);
    expect(cpu.eip).toBe(0x100020);
    expect(cpu.cs32).toBe(true);
    expect(cpu.segBase(Sreg.DS)).toBe(0);
    expect(cpu.segLimit(Sreg.SS) >>> 0).toBe(0xffffffff);
    expect(cpu.cr0 & 1).toBe(1);
    expect(cpu.getEflags() & 0x200).toBe(0);
    const info = cpu.reg32(3);
    const flags = cpu.readPhys32(info);
    expect(flags & 0x45).toBe(0x45); // memory, command line, memory map
    expect(cpu.readPhys32(info + 8)).toBe(3 * 1024);
    const cmd = cpu.readPhys32(info + 16);
    const text = String.fromCharCode(...cpu.u8.subarray(RAM_BASE + cmd, RAM_BASE + cmd + 11));
    expect(text).toBe("hello world");
    // Memory map: 4 entries, the last covering RAM above 1 MiB.
    expect(cpu.readPhys32(info + 44)).toBe(96);
    const mmap = cpu.readPhys32(info + 48);
    expect(cpu.readPhys32(mmap + 72 + 4)).toBe(0x100000);
    expect(cpu.readPhys32(mmap + 72 + 12)).toBe(3 << 20);
  });

  test("ELF image: segments loaded at their physical addresses, modules placed after", () => {
    const cpu = new Cpu({ ramBytes: 4 << 20 });
    const mod = new Uint8Array([1, 2, 3, 4, 5]);
    const r = loadMultiboot(cpu, elfImage(), { modules: [{ data: mod, cmdline: "mod0" }] });
    expect(r.entry).toBe(0x200010);
    expect(cpu.readPhys32(0x200000)).toBe(MB);
    expect(cpu.readPhys8(0x200fff)).toBe(0);
    const info = cpu.reg32(3);
    expect(cpu.readPhys32(info) & 0x8).toBe(0x8);
    expect(cpu.readPhys32(info + 20)).toBe(1);
    const table = cpu.readPhys32(info + 24);
    const start = cpu.readPhys32(table);
    expect(start % 4096).toBe(0);
    expect(start).toBeGreaterThanOrEqual(0x201000);
    expect(cpu.readPhys32(table + 4)).toBe(start + 5);
    expect(cpu.readPhys8(start + 4)).toBe(5);
  });

  test.each([
    ["no header", new Uint8Array(64), /no valid multiboot header/],
    ["unsupported required flags", addressImage([0xf4], 0x00010008), /required feature flags 0x8/],
    ["ELF for another machine", elfImage({ machine: 62 }), /machine 62 is not i386/],
    ["truncated ELF", elfImage({ truncate: 0x180 }), /truncated ELF file/],
  ])("rejects %s with a clear error", (_what, img, msg) => {
    const cpu = new Cpu({ ramBytes: 4 << 20 });
    expect(() => loadMultiboot(cpu, img)).toThrow(BootError);
    expect(() => loadMultiboot(cpu, img)).toThrow(msg);
  });

  test("an image that does not fit in RAM is refused", () => {
    const cpu = new Cpu({ ramBytes: 1 << 20 });
    expect(() => loadMultiboot(cpu, addressImage([0xf4]))).toThrow(/does not fit in guest RAM/);
  });
});

/** A synthetic bzImage: setup header of `version`, 4 setup sectors, `kernelBytes` of payload. */
function bzImage(version = 0x20f, kernelBytes = 0x1000, loadflags = 1): Uint8Array {
  const img = new Uint8Array(5 * 512 + kernelBytes);
  const dv = new DataView(img.buffer);
  img[0x1f1] = 4;
  dv.setUint16(0x1fe, 0xaa55, true);
  img[0x201] = 0x6a;
  dv.setUint32(0x202, 0x53726448, true);
  dv.setUint16(0x206, version, true);
  img[0x211] = loadflags;
  dv.setUint32(0x22c, 0x37ffffff, true);
  dv.setUint32(0x238, 2047, true);
  dv.setUint32(0x260, kernelBytes * 2, true);
  img.fill(0xcc, 5 * 512);
  return img;
}

describe("Linux boot protocol", () => {
  test("bzImage: kernel at 1 MiB, boot_params with command line, initrd and e820", () => {
    const cpu = new Cpu({ ramBytes: 16 << 20 });
    const img = bzImage();
    expect(isBzImage(img)).toBe(true);
    const initrd = new Uint8Array(10000).fill(7);
    const r = loadLinux(cpu, img, { cmdline: "console=ttyS0", initrd });
    expect(cpu.readPhys8(0x100000)).toBe(0xcc);
    const bp = cpu.reg32(6);
    expect(cpu.eip).toBe(0x100000);
    expect(cpu.readPhys16(bp + 0x206)).toBe(0x20f);
    expect(cpu.readPhys8(bp + 0x210)).toBe(0xff);
    const cmd = cpu.readPhys32(bp + 0x228);
    expect(String.fromCharCode(...cpu.u8.subarray(RAM_BASE + cmd, RAM_BASE + cmd + 13))).toBe("console=ttyS0");
    expect(cpu.readPhys32(bp + 0x218)).toBe(r.initrdAddr);
    expect(r.initrdAddr % 4096).toBe(0);
    expect(r.initrdAddr + initrd.length).toBeLessThanOrEqual(16 << 20);
    expect(cpu.readPhys32(bp + 0x21c)).toBe(10000);
    expect(cpu.readPhys8(bp + 0x1e8)).toBe(4);
    expect(cpu.readPhys32(bp + 0x2d0 + 3 * 20 + 8)).toBe(15 << 20);
    expect(cpu.segSel(Sreg.CS)).toBe(0x10);
    expect(cpu.segSel(Sreg.DS)).toBe(0x18);
  });

  test.each([
    ["an old boot protocol", bzImage(0x201), /boot protocol 2\.01/],
    ["a zImage", bzImage(0x20f, 0x1000, 0), /zImage/],
    ["a truncated header", bzImage().subarray(0, 0x200), /truncated bzImage/],
    ["a missing kernel", bzImage().subarray(0, 5 * 512), /no protected-mode kernel/],
  ])("rejects %s", (_what, img, msg) => {
    const cpu = new Cpu({ ramBytes: 16 << 20 });
    expect(() => loadLinux(cpu, img)).toThrow(msg);
  });

  test("refuses an initrd that does not fit and a kernel larger than RAM", () => {
    const cpu = new Cpu({ ramBytes: 2 << 20 });
    expect(() => loadLinux(cpu, bzImage(0x20f, 0x1000), { initrd: new Uint8Array(1 << 20) })).toThrow(/initrd/);
    expect(() => loadLinux(cpu, bzImage(0x20f, 0x100000))).toThrow(/needs \d+ MiB of RAM/);
  });
});

describe("cpio newc writer", () => {
  test("round-trips entries and is byte-for-byte deterministic", () => {
    const entries = [
      { name: "bin", mode: S_IFDIR | 0o755 },
      { name: "dev/console", mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
      { name: "init", mode: S_IFREG | 0o755, data: new TextEncoder().encode("#!/bin/sh\necho hi\n") },
      { name: "odd", mode: S_IFREG | 0o644, data: new Uint8Array([1, 2, 3]) },
    ];
    const a = writeCpio(entries);
    expect(a.length % 4).toBe(0);
    expect(new TextDecoder().decode(a.subarray(0, 6))).toBe("070701");
    const back = readCpio(a);
    expect(back.map((e) => e.name)).toEqual(["bin", "dev/console", "init", "odd"]);
    expect(back[1].rdevMajor).toBe(5);
    expect(back[2].mode).toBe(S_IFREG | 0o755);
    expect([...(back[3].data ?? [])]).toEqual([1, 2, 3]);
    expect(writeCpio(entries)).toEqual(a);
  });
});
