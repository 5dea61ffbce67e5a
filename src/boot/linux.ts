/**
 * Linux/x86 32-bit boot protocol (Documentation/x86/boot.rst): a bzImage with a
 * setup header of version 2.02 or later is loaded at 1 MiB, boot_params (the
 * "zero page") carries the setup header, an e820 map, the command line and the
 * initrd location, and the CPU enters the 32-bit entry point in flat protected
 * mode with ESI pointing at boot_params.
 */
import type { Cpu } from "../cpu/cpu.js";
import { GDTR_BASE, GDTR_LIMIT, RAM_BASE } from "../cpu/layout.js";
import { BootError } from "./errors.js";
import { enterFlatProtectedMode } from "./flat.js";

const HDR_MAGIC = 0x53726448; // "HdrS"
const BOOT_PARAMS = 0x90000;
const CMDLINE_ADDR = 0x9a000;
const CMDLINE_MAX = 0x1000;
const GDT_ADDR = 0x9b000;
const KERNEL_ADDR = 0x100000;
const LOADED_HIGH = 0x01;

export interface LinuxOptions {
  cmdline?: string;
  initrd?: Uint8Array;
}

export interface LinuxResult {
  version: number;
  entry: number;
  initrdAddr: number;
}

/** True when the image carries a Linux setup header ("HdrS" at 0x202). */
export function isBzImage(image: Uint8Array): boolean {
  if (image.length < 0x260) return false;
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  return dv.getUint32(0x202, true) === HDR_MAGIC && dv.getUint16(0x1fe, true) === 0xaa55;
}

export function loadLinux(cpu: Cpu, image: Uint8Array, opts: LinuxOptions = {}): LinuxResult {
  if (image.length < 0x260) throw new BootError("truncated bzImage: setup header incomplete");
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (dv.getUint32(0x202, true) !== HDR_MAGIC) throw new BootError("not a Linux bzImage: no 'HdrS' setup header");
  const version = dv.getUint16(0x206, true);
  if (version < 0x202) {
    throw new BootError(`unsupported Linux boot protocol ${version >> 8}.${(version & 0xff).toString().padStart(2, "0")} (2.02 or later needed)`);
  }
  const loadflags = image[0x211];
  if (!(loadflags & LOADED_HIGH)) throw new BootError("unsupported kernel image: zImage (loaded low) kernels are not supported, use a bzImage");
  const setupSects = image[0x1f1] || 4;
  const setupBytes = (setupSects + 1) * 512;
  if (setupBytes >= image.length) throw new BootError("truncated bzImage: no protected-mode kernel after the setup code");
  const kernel = image.subarray(setupBytes);
  const ram = cpu.ramBytes;
  const initSize = version >= 0x20a ? dv.getUint32(0x260, true) : kernel.length * 4;
  if (KERNEL_ADDR + Math.max(kernel.length, initSize) > ram) {
    throw new BootError(`kernel needs ${Math.ceil((KERNEL_ADDR + Math.max(kernel.length, initSize)) / (1 << 20))} MiB of RAM, the guest has ${ram >> 20} MiB`);
  }
  const u8 = cpu.u8;
  u8.set(kernel, RAM_BASE + KERNEL_ADDR);

  // boot_params: zeroed, then the setup header copied from the image.
  u8.fill(0, RAM_BASE + BOOT_PARAMS, RAM_BASE + BOOT_PARAMS + 0x1000);
  const hdrEnd = Math.min(0x202 + image[0x201], image.length);
  u8.set(image.subarray(0x1f1, hdrEnd), RAM_BASE + BOOT_PARAMS + 0x1f1);
  const bp = new DataView(cpu.memory.buffer, RAM_BASE + BOOT_PARAMS, 0x1000);
  bp.setUint8(0x210, 0xff); // type_of_loader: undefined boot loader
  bp.setUint8(0x211, loadflags & ~0x80 & ~0x20);

  const cmdline = new TextEncoder().encode(opts.cmdline ?? "");
  const cmdMax = version >= 0x206 ? Math.min(dv.getUint32(0x238, true), CMDLINE_MAX - 1) : 255;
  if (cmdline.length > cmdMax) throw new BootError(`kernel command line is ${cmdline.length} bytes, the kernel accepts at most ${cmdMax}`);
  u8.fill(0, RAM_BASE + CMDLINE_ADDR, RAM_BASE + CMDLINE_ADDR + CMDLINE_MAX);
  u8.set(cmdline, RAM_BASE + CMDLINE_ADDR);
  bp.setUint32(0x228, CMDLINE_ADDR, true);

  let initrdAddr = 0;
  if (opts.initrd && opts.initrd.length) {
    const max = version >= 0x203 ? dv.getUint32(0x22c, true) : 0x37ffffff;
    const top = Math.min(max + 1, ram);
    initrdAddr = (top - opts.initrd.length) & ~0xfff;
    const kernelEnd = KERNEL_ADDR + Math.max(kernel.length, initSize);
    if (initrdAddr < kernelEnd) throw new BootError(`initrd of ${opts.initrd.length} bytes does not fit in guest RAM below 0x${top.toString(16)} after the kernel`);
    u8.set(opts.initrd, RAM_BASE + initrdAddr);
    bp.setUint32(0x218, initrdAddr, true);
    bp.setUint32(0x21c, opts.initrd.length, true);
  }

  // e820 map: conventional memory, the EBDA/BIOS hole, and everything above 1 MiB.
  const e820: [number, number, number][] = [
    [0, 0x9fc00, 1],
    [0x9fc00, 0x400, 2],
    [0xf0000, 0x10000, 2],
    [0x100000, ram - 0x100000, 1],
  ];
  e820.forEach(([base, len, type], k) => {
    const o = 0x2d0 + k * 20;
    bp.setUint32(o, base, true);
    bp.setUint32(o + 8, len, true);
    bp.setUint32(o + 16, type, true);
  });
  bp.setUint8(0x1e8, e820.length);
  // Legacy memory sizes for kernels that look at them: KiB above 1 MiB.
  bp.setUint16(0x2, Math.min(0xffff, (ram - 0x100000) >>> 10), true);
  bp.setUint32(0x1e0, (ram - 0x100000) >>> 10, true);

  // A GDT with the boot protocol's __BOOT_CS (0x10) and __BOOT_DS (0x18).
  const gdt = new DataView(cpu.memory.buffer, RAM_BASE + GDT_ADDR, 32);
  gdt.setBigUint64(0x10, 0x00cf9b000000ffffn, true);
  gdt.setBigUint64(0x18, 0x00cf93000000ffffn, true);
  cpu.i32[GDTR_BASE >> 2] = GDT_ADDR;
  cpu.i32[GDTR_LIMIT >> 2] = 0x1f;

  for (let r = 0; r < 8; r++) cpu.setReg32(r, 0);
  cpu.setReg32(6, BOOT_PARAMS); // ESI
  enterFlatProtectedMode(cpu, 0x10, 0x18, KERNEL_ADDR);
  return { version, entry: KERNEL_ADDR, initrdAddr };
}
