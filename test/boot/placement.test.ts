/**
 * Where the direct loaders put what they build: the multiboot information and
 * the Linux boot_params, command line and initrd never overlap what was loaded
 * (segments with their zeroed tails, modules, the kernel's runtime area), and the
 * Linux RAM check follows the relocatable-kernel fields. The MP tables the Linux
 * loader writes for the APICs are checked against the specification's format.
 */
import { describe, expect, test } from "vitest";
import { loadLinux } from "../../src/boot/linux.js";
import { MP_FLOATING_ADDR } from "../../src/boot/mptable.js";
import { loadMultiboot } from "../../src/boot/multiboot.js";
import { Cpu } from "../../src/cpu/cpu.js";
import { RAM_BASE } from "../../src/cpu/layout.js";
import { PC_APIC_TOPOLOGY } from "../../src/devices/irqrouter.js";

const MB = 0x1badb002;
const MIB = 1 << 20;
type Range = [number, number];

interface Segment {
  paddr: number;
  fileSize: number;
  memSize: number;
}

/** An ELF32 executable with these PT_LOAD segments (file bytes 0xA5), a multiboot header in the first. */
function elfWith(segments: Segment[]): Uint8Array {
  const headers = 52 + 32 * segments.length;
  const dataAt = (headers + 0xf) & ~0xf;
  const total = dataAt + 12 + segments.reduce((n, s) => n + s.fileSize, 0);
  const img = new Uint8Array(total);
  const dv = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, 3, true);
  dv.setUint32(24, segments[0].paddr, true);
  dv.setUint32(28, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, segments.length, true);
  dv.setUint32(dataAt, MB, true);
  dv.setUint32(dataAt + 8, -MB >>> 0, true);
  let off = dataAt + 12;
  segments.forEach((s, k) => {
    const ph = 52 + 32 * k;
    dv.setUint32(ph, 1, true);
    dv.setUint32(ph + 4, off, true);
    dv.setUint32(ph + 8, s.paddr, true);
    dv.setUint32(ph + 12, s.paddr, true);
    dv.setUint32(ph + 16, s.fileSize, true);
    dv.setUint32(ph + 20, s.memSize, true);
    img.fill(0xa5, off, off + s.fileSize);
    off += s.fileSize;
  });
  return img;
}

/** An address-field image loaded at `loadAddr` with `bss` zeroed bytes after it. */
function addressImageAt(loadAddr: number, bytes: number, bss: number): Uint8Array {
  const img = new Uint8Array(bytes).fill(0x5a);
  const dv = new DataView(img.buffer);
  const flags = 0x00010000;
  dv.setUint32(0, MB, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, -(MB + flags) >>> 0, true);
  dv.setUint32(12, loadAddr, true);
  dv.setUint32(16, loadAddr, true);
  dv.setUint32(20, loadAddr + bytes, true);
  dv.setUint32(24, loadAddr + bytes + bss, true);
  dv.setUint32(28, loadAddr + 32, true);
  return img;
}

const cString = (cpu: Cpu, at: number): number => cpu.u8.indexOf(0, RAM_BASE + at) - RAM_BASE - at + 1;

/** Every range the multiboot information occupies: structure, memory map, strings, module table and strings. */
function infoRanges(cpu: Cpu): Range[] {
  const info = cpu.reg32(3);
  const flags = cpu.readPhys32(info);
  const out: Range[] = [[info, info + 0x58]];
  out.push([cpu.readPhys32(info + 48), cpu.readPhys32(info + 48) + cpu.readPhys32(info + 44)]);
  if (flags & 4) {
    const cmd = cpu.readPhys32(info + 16);
    out.push([cmd, cmd + cString(cpu, cmd)]);
  }
  if (flags & 8) {
    const count = cpu.readPhys32(info + 20);
    const table = cpu.readPhys32(info + 24);
    out.push([table, table + 16 * count]);
    for (let k = 0; k < count; k++) {
      const s = cpu.readPhys32(table + 16 * k + 8);
      out.push([s, s + cString(cpu, s)]);
    }
  }
  return out;
}

function moduleRanges(cpu: Cpu): Range[] {
  const info = cpu.reg32(3);
  if (!(cpu.readPhys32(info) & 8)) return [];
  const table = cpu.readPhys32(info + 24);
  return Array.from({ length: cpu.readPhys32(info + 20) }, (_, k): Range => [cpu.readPhys32(table + 16 * k), cpu.readPhys32(table + 16 * k + 4)]);
}

const overlaps = ([a, b]: Range, [c, d]: Range): boolean => a < d && c < b;

function expectDisjoint(a: Range[], b: Range[]): void {
  for (const x of a) for (const y of b) expect(overlaps(x, y), `[${x.map((v) => v.toString(16))}] overlaps [${y.map((v) => v.toString(16))}]`).toBe(false);
}

describe("multiboot information placement", () => {
  const mods = [
    { data: new Uint8Array(0x1800).fill(1), cmdline: "first module" },
    { data: new Uint8Array(100).fill(2), cmdline: "second" },
  ];

  test.each([
    ["a segment over the usual information address", [{ paddr: 0x8000, fileSize: 0x1800, memSize: 0x3000 }]],
    ["segments filling all of conventional memory", [{ paddr: 0x1000, fileSize: 0x40000, memSize: 0x9ec00 }, { paddr: 0x100000, fileSize: 0x100, memSize: 0x100 }]],
    ["a bss tail over conventional memory", [{ paddr: 0x2000, fileSize: 0x10, memSize: 0x9d000 }]],
  ])("%s: nothing built overlaps a segment, its bss or a module", (_what, segments) => {
    const cpu = new Cpu({ ramBytes: 4 * MIB });
    cpu.u8.fill(0xee, RAM_BASE, RAM_BASE + 2 * MIB);
    loadMultiboot(cpu, elfWith(segments), { cmdline: "a command line of some length", modules: mods });
    const loaded = segments.map((s): Range => [s.paddr, s.paddr + s.memSize]);
    const modules = moduleRanges(cpu);
    expect(modules).toHaveLength(2);
    expectDisjoint(infoRanges(cpu), [...loaded, ...modules]);
    expectDisjoint(modules, loaded);
    // The segments' contents and zeroed tails are intact.
    for (const s of segments) {
      expect(cpu.u8.subarray(RAM_BASE + s.paddr + 12, RAM_BASE + s.paddr + s.fileSize).every((b) => b === 0xa5)).toBe(true);
      expect(cpu.u8.subarray(RAM_BASE + s.paddr + s.fileSize, RAM_BASE + s.paddr + s.memSize).every((b) => b === 0)).toBe(true);
    }
    expect(cpu.u8[RAM_BASE + modules[0][0]]).toBe(1);
    expect(cpu.u8[RAM_BASE + modules[1][0] + 99]).toBe(2);
  });

  test("an address-field image loaded over the usual information address", () => {
    const cpu = new Cpu({ ramBytes: 4 * MIB });
    const r = loadMultiboot(cpu, addressImageAt(0x8000, 0x1400, 0x2000), { cmdline: "x", modules: mods });
    expect(r.info).not.toBe(0x9000);
    expectDisjoint(infoRanges(cpu), [[0x8000, 0xb400], ...moduleRanges(cpu)]);
    expect(cpu.u8.subarray(RAM_BASE + 0x9400, RAM_BASE + 0xb400).every((b) => b === 0)).toBe(true);
  });

  test("the usual address when it is free", () => {
    const cpu = new Cpu({ ramBytes: 4 * MIB });
    const r = loadMultiboot(cpu, elfWith([{ paddr: 0x100000, fileSize: 0x100, memSize: 0x1000 }]), { cmdline: "x" });
    expect(r.info).toBe(0x9000);
  });
});

/** A bzImage with protocol 2.10+ fields: relocatable or not, kernel_alignment, pref_address, init_size. */
function bzImage(o: { relocatable: boolean; align: number; pref: number; initSize: number; kernelBytes?: number }): Uint8Array {
  const kernelBytes = o.kernelBytes ?? 0x10000;
  const img = new Uint8Array(5 * 512 + kernelBytes);
  const dv = new DataView(img.buffer);
  img[0x1f1] = 4;
  dv.setUint16(0x1fe, 0xaa55, true);
  img[0x201] = 0x6a;
  dv.setUint32(0x202, 0x53726448, true);
  dv.setUint16(0x206, 0x20f, true);
  img[0x211] = 1;
  dv.setUint32(0x22c, 0x7fffffff, true);
  dv.setUint32(0x230, o.align, true);
  img[0x234] = o.relocatable ? 1 : 0;
  img[0x235] = 13;
  dv.setUint32(0x238, 2047, true);
  dv.setBigUint64(0x258, BigInt(o.pref), true);
  dv.setUint32(0x260, o.initSize, true);
  img.fill(0xcc, 5 * 512);
  return img;
}

/** Debian's 686 kernel: relocatable, 16 MiB alignment and preferred address, ~16 MiB init_size. */
const DEBIAN_LIKE = { relocatable: true, align: 16 * MIB, pref: 16 * MIB, initSize: 0x1018000 };

describe("Linux loader: the kernel's runtime area", () => {
  test.each([18, 24, 32])("a relocatable kernel preferring 16 MiB is refused in %i MiB with what it needs", (mib) => {
    const cpu = new Cpu({ ramBytes: mib * MIB });
    expect(() => loadLinux(cpu, bzImage(DEBIAN_LIKE))).toThrow(/^kernel needs 33 MiB of RAM \(it runs at 0x1000000 and needs 0x1018000 bytes there\), the guest has \d+ MiB$/);
  });

  test("the same kernel in 33 MiB: it runs at pref_address, the initrd fits below it, clear of the image", () => {
    const cpu = new Cpu({ ramBytes: 33 * MIB });
    const initrd = new Uint8Array(2 * MIB).fill(9);
    const r = loadLinux(cpu, bzImage(DEBIAN_LIKE), { initrd, cmdline: "console=ttyS0" });
    expect(r.runtimeStart).toBe(16 * MIB);
    expect(r.runtimeEnd).toBe(16 * MIB + 0x1018000);
    const initrdRange: Range = [r.initrdAddr, r.initrdAddr + initrd.length];
    const kernel: Range[] = [[MIB, MIB + 0x10000], [r.runtimeStart, r.runtimeEnd]];
    expectDisjoint([initrdRange], kernel);
    expect(initrdRange[1]).toBeLessThanOrEqual(33 * MIB);
    const bp = cpu.reg32(6);
    const cmd = cpu.readPhys32(bp + 0x228);
    expectDisjoint([[bp, bp + 0x1000], [cmd, cmd + 14], [MP_FLOATING_ADDR, MP_FLOATING_ADDR + 0x400]], [...kernel, initrdRange]);
    expect(cpu.u8[RAM_BASE + r.initrdAddr + 2 * MIB - 1]).toBe(9);
  });

  test("with room above the runtime area the initrd goes to the top of RAM", () => {
    const cpu = new Cpu({ ramBytes: 64 * MIB });
    const r = loadLinux(cpu, bzImage(DEBIAN_LIKE), { initrd: new Uint8Array(MIB) });
    expect(r.initrdAddr).toBe(63 * MIB);
  });

  test("a relocatable kernel preferring 1 MiB runs at its load address aligned up", () => {
    const cpu = new Cpu({ ramBytes: 16 * MIB });
    const r = loadLinux(cpu, bzImage({ relocatable: true, align: 4 * MIB, pref: MIB, initSize: 4 * MIB }));
    expect(r.runtimeStart).toBe(4 * MIB);
    expect(() => loadLinux(new Cpu({ ramBytes: 7 * MIB }), bzImage({ relocatable: true, align: 4 * MIB, pref: MIB, initSize: 4 * MIB }))).toThrow(/needs 8 MiB/);
  });

  test("a kernel that is not relocatable runs at pref_address", () => {
    const cpu = new Cpu({ ramBytes: 16 * MIB });
    const r = loadLinux(cpu, bzImage({ relocatable: false, align: 16 * MIB, pref: 2 * MIB, initSize: 3 * MIB }));
    expect(r.runtimeStart).toBe(2 * MIB);
    expect(r.runtimeEnd).toBe(5 * MIB);
  });

  test.each([
    ["a kernel_alignment that is not a power of two", { relocatable: true, align: 3 * MIB, pref: 16 * MIB, initSize: MIB }, /kernel_alignment 0x300000/],
    ["a non-relocatable kernel below 1 MiB", { relocatable: false, align: MIB, pref: 0x10000, initSize: MIB }, /runs at 0x10000, below 1 MiB/],
  ])("rejects %s", (_what, o, msg) => {
    expect(() => loadLinux(new Cpu({ ramBytes: 64 * MIB }), bzImage(o))).toThrow(msg);
  });
});

describe("MP tables for the direct Linux loader", () => {
  const sum = (cpu: Cpu, at: number, n: number) => cpu.u8.subarray(RAM_BASE + at, RAM_BASE + at + n).reduce((a, b) => a + b, 0) & 0xff;

  test("floating pointer and configuration table: checksums, the processor, the I/O APIC and the ISA routing", () => {
    const cpu = new Cpu({ ramBytes: 64 * MIB });
    loadLinux(cpu, bzImage(DEBIAN_LIKE), { apic: PC_APIC_TOPOLOGY });
    const fp = MP_FLOATING_ADDR;
    expect(String.fromCharCode(...cpu.u8.subarray(RAM_BASE + fp, RAM_BASE + fp + 4))).toBe("_MP_");
    expect(sum(cpu, fp, 16)).toBe(0);
    expect(cpu.readPhys8(fp + 9)).toBe(4);
    const table = cpu.readPhys32(fp + 4);
    const length = cpu.readPhys16(table + 4);
    expect(String.fromCharCode(...cpu.u8.subarray(RAM_BASE + table, RAM_BASE + table + 4))).toBe("PCMP");
    expect(sum(cpu, table, length)).toBe(0);
    expect(cpu.readPhys32(table + 36) >>> 0).toBe(0xfee00000);
    // Walk the entries.
    const count = cpu.readPhys16(table + 34);
    let o = table + 44;
    const routes = new Map<number, number>();
    let ioapic = 0;
    let processors = 0;
    let extint = -1;
    for (let k = 0; k < count; k++) {
      const type = cpu.readPhys8(o);
      if (type === 0) processors++;
      if (type === 2) ioapic = cpu.readPhys32(o + 4) >>> 0;
      if (type === 3 && cpu.readPhys8(o + 1) === 0) routes.set(cpu.readPhys8(o + 5), cpu.readPhys8(o + 7));
      if (type === 3 && cpu.readPhys8(o + 1) === 3) extint = cpu.readPhys8(o + 7);
      o += type === 0 ? 20 : 8;
    }
    expect(o).toBe(table + length);
    expect(processors).toBe(1);
    expect(ioapic).toBe(0xfec00000);
    expect(routes.get(0)).toBe(2);
    expect(routes.get(1)).toBe(1);
    expect(routes.get(14)).toBe(14);
    expect(routes.has(2)).toBe(false);
    expect(extint).toBe(0);
  });

  test("no tables without APICs", () => {
    const cpu = new Cpu({ ramBytes: 64 * MIB });
    loadLinux(cpu, bzImage(DEBIAN_LIKE));
    expect(cpu.readPhys32(MP_FLOATING_ADDR)).toBe(0);
  });
});
