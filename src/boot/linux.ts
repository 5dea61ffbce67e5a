/**
 * Linux/x86 32-bit boot protocol (Documentation/x86/boot.rst): a bzImage with a
 * setup header of version 2.02 or later is loaded at 1 MiB, boot_params (the
 * "zero page") carries the setup header, an e820 map, the command line and the
 * initrd location, and the CPU enters the 32-bit entry point in flat protected
 * mode with ESI pointing at boot_params.
 *
 * The kernel decompresses itself to its runtime start, which the protocol's
 * relocatable-kernel fields decide (2.10+: a relocatable kernel runs at its load
 * address raised to pref_address and aligned to kernel_alignment, any other at
 * pref_address) and needs init_size bytes there: that, not the load address, is
 * what guest RAM must hold. The initrd goes as high as it can without touching
 * the loaded image or that runtime area; boot_params, the command line, the GDT
 * and the MP tables stay below 1 MiB.
 */
import type { Cpu } from "../cpu/cpu.js";
import { GDTR_BASE, GDTR_LIMIT, RAM_BASE } from "../cpu/layout.js";
import type { ApicTopology } from "../devices/irqrouter.js";
import { BootError } from "./errors.js";
import { enterFlatProtectedMode } from "./flat.js";
import { pcMemoryMap } from "./memmap.js";
import { writeMpTables } from "./mptable.js";

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
  /** The machine's APICs, described to the kernel in MP tables. */
  apic?: ApicTopology;
}

export interface LinuxResult {
  version: number;
  entry: number;
  initrdAddr: number;
  /** Where the kernel decompresses to and runs, and the end of the memory it needs there (init_size). */
  runtimeStart: number;
  runtimeEnd: number;
}

const MIB = 1 << 20;
const hex = (v: number): string => `0x${v.toString(16)}`;

/**
 * The kernel's runtime start and the bytes it needs from there (boot.rst, "The
 * kernel runtime start address"). Before 2.10 the header does not say: the
 * kernel is taken to run where it is loaded and to need four times its size.
 */
function runtimeArea(dv: DataView, version: number, kernelBytes: number): { start: number; size: number } {
  if (version < 0x20a) return { start: KERNEL_ADDR, size: Math.max(kernelBytes, kernelBytes * 4) };
  const pref = dv.getBigUint64(0x258, true);
  if (pref >= 1n << 32n) throw new BootError(`kernel prefers to run at ${hex(Number(pref))}, above 4 GiB`);
  const relocatable = dv.getUint8(0x234) !== 0;
  const align = dv.getUint32(0x230, true);
  // A pref_address of 0 states no preference: the kernel runs where it is loaded.
  let start = pref === 0n ? KERNEL_ADDR : Number(pref);
  if (relocatable) {
    if (align === 0 || (align & (align - 1)) !== 0) throw new BootError(`malformed bzImage: kernel_alignment ${hex(align)} is not a power of two`);
    start = Math.max(KERNEL_ADDR, start);
    start = Math.ceil(start / align) * align;
  }
  if (start < KERNEL_ADDR) throw new BootError(`kernel runs at ${hex(start)}, below 1 MiB where the boot parameters are`);
  return { start, size: Math.max(kernelBytes, dv.getUint32(0x260, true)) };
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
  const loadEnd = KERNEL_ADDR + kernel.length;
  const run = runtimeArea(dv, version, kernel.length);
  const runtimeEnd = run.start + run.size;
  const need = Math.max(loadEnd, runtimeEnd);
  if (need > ram) {
    throw new BootError(
      `kernel needs ${Math.ceil(need / MIB)} MiB of RAM (it runs at ${hex(run.start)} and needs ${hex(run.size)} bytes there), the guest has ${ram / MIB} MiB`,
    );
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
    initrdAddr = placeInitrd(opts.initrd.length, Math.min(max + 1, ram), [
      [KERNEL_ADDR, loadEnd],
      [run.start, runtimeEnd],
    ]);
    if (initrdAddr < 0) {
      throw new BootError(`initrd of ${opts.initrd.length} bytes does not fit in guest RAM (${ram / MIB} MiB) beside the kernel (${hex(KERNEL_ADDR)}..${hex(loadEnd)}, runs in ${hex(run.start)}..${hex(runtimeEnd)})`);
    }
    u8.set(opts.initrd, RAM_BASE + initrdAddr);
    bp.setUint32(0x218, initrdAddr, true);
    bp.setUint32(0x21c, opts.initrd.length, true);
  }
  if (opts.apic) writeMpTables(cpu, opts.apic);

  // e820 map: conventional memory, the EBDA/BIOS hole, and everything above 1 MiB.
  const e820 = pcMemoryMap(ram);
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
  return { version, entry: KERNEL_ADDR, initrdAddr, runtimeStart: run.start, runtimeEnd };
}

/**
 * The highest page-aligned address from 1 MiB up where `size` bytes end at or
 * below `top` and overlap none of `taken`; -1 when there is none.
 */
function placeInitrd(size: number, top: number, taken: [number, number][]): number {
  // Candidates: just below the top, and just below each taken area.
  const candidates = [top, ...taken.map(([start]) => start)].map((end) => Math.floor((end - size) / 0x1000) * 0x1000);
  const free = (at: number) => at >= KERNEL_ADDR && at + size <= top && taken.every(([s, e]) => at + size <= s || at >= e);
  return candidates.filter(free).reduce((best, at) => Math.max(best, at), -1);
}
