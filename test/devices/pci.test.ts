/** PCI configuration mechanism #1 at 0xCF8/0xCFC with the 440FX host bridge. */
import { describe, expect, it } from "vitest";
import { PciConfigSpace, PciHost } from "../../src/devices/pci.js";
import { IoPortBus } from "../../src/devices/portbus.js";

function rig() {
  const pci = new PciHost();
  const bus = new IoPortBus();
  bus.register(0xcf8, 1, pci.addressPort);
  bus.register(0xcfc, 4, pci.dataPort);
  const select = (busNo: number, dev: number, fn: number, reg: number): void =>
    bus.out32(0xcf8, 0x80000000 | (busNo << 16) | (dev << 11) | (fn << 8) | reg);
  return { pci, bus, select };
}

describe("PCI configuration mechanism #1", () => {
  it("reads the 440FX host bridge's ID and class as a dword", () => {
    const r = rig();
    r.select(0, 0, 0, 0x00);
    expect(r.bus.in32(0xcfc) >>> 0).toBe(0x12378086);
    r.select(0, 0, 0, 0x08);
    expect(r.bus.in32(0xcfc) >>> 0).toBe(0x06000002);
    r.select(0, 0, 0, 0x04);
    expect(r.bus.in32(0xcfc) >>> 0).toBe(0x02800006);
    r.select(0, 0, 0, 0x0c);
    expect(r.bus.in8(0xcfe)).toBe(0x00); // header type 0
  });

  it("reads bytes and words at every data-port offset", () => {
    const r = rig();
    r.select(0, 0, 0, 0x00);
    expect([0, 1, 2, 3].map((k) => r.bus.in8(0xcfc + k))).toEqual([0x86, 0x80, 0x37, 0x12]);
    expect(r.bus.in16(0xcfc)).toBe(0x8086);
    expect(r.bus.in16(0xcfe)).toBe(0x1237);
    expect(r.bus.in16(0xcfd)).toBe(0x3780);
    expect(r.bus.in16(0xcff)).toBe(0xff12); // the upper byte is past the window
  });

  it("reads all ones for a missing device, function or bus, and with the enable bit clear", () => {
    const r = rig();
    r.select(0, 1, 0, 0);
    expect(r.bus.in32(0xcfc)).toBe(-1);
    expect(r.bus.in16(0xcfe)).toBe(0xffff);
    expect(r.bus.in8(0xcfd)).toBe(0xff);
    r.select(0, 0, 1, 0);
    expect(r.bus.in32(0xcfc)).toBe(-1);
    r.select(1, 0, 0, 0);
    expect(r.bus.in32(0xcfc)).toBe(-1);
    r.bus.out32(0xcf8, 0x00000000);
    expect(r.bus.in32(0xcfc)).toBe(-1);
  });

  it("keeps the address register's defined bits, and only for dword accesses", () => {
    const r = rig();
    r.bus.out32(0xcf8, 0xffffffff);
    expect(r.bus.in32(0xcf8) >>> 0).toBe(0x80fffffc);
    r.bus.out8(0xcf8, 0x00);
    r.bus.out16(0xcf8, 0x0000);
    expect(r.bus.in32(0xcf8) >>> 0).toBe(0x80fffffc);
    expect(r.bus.in8(0xcf8)).toBe(0xff);
    expect(r.bus.in16(0xcf8)).toBe(0xffff);
  });

  it("ignores writes to read-only registers and keeps writable bits", () => {
    const r = rig();
    r.select(0, 0, 0, 0x00);
    r.bus.out32(0xcfc, 0);
    expect(r.bus.in32(0xcfc) >>> 0).toBe(0x12378086);
    r.select(0, 0, 0, 0x04);
    r.bus.out16(0xcfc, 0xffff);
    expect(r.bus.in16(0xcfc)).toBe(0x0146);
    r.bus.out16(0xcfe, 0xffff);
    expect(r.bus.in16(0xcfe)).toBe(0x0280);
    r.select(0, 0, 0, 0x0c);
    r.bus.out8(0xcfd, 0xff);
    expect(r.bus.in8(0xcfd)).toBe(0xf8);
  });

  it("routes config cycles to registered functions", () => {
    const r = rig();
    const f = new PciConfigSpace();
    f.define(0x00, 4, 0x70008086);
    f.define(0x40, 4, 0, 0xffffffff);
    r.pci.register(1, 3, f);
    r.select(0, 1, 3, 0x00);
    expect(r.bus.in32(0xcfc) >>> 0).toBe(0x70008086);
    r.select(0, 1, 3, 0x40);
    r.bus.out8(0xcfd, 0xab);
    r.bus.out16(0xcfe, 0x1234);
    expect(r.bus.in32(0xcfc) >>> 0).toBe(0x1234ab00);
    expect(() => r.pci.register(1, 3, f)).toThrow();
    expect(() => r.pci.register(32, 0, f)).toThrow(RangeError);
  });
});
