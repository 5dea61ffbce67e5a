/** System Control Port A (0x92): A20 gate and fast reset. */
import { describe, expect, it } from "vitest";
import { Port92 } from "../../src/devices/port92.js";
import { IoPortBus } from "../../src/devices/portbus.js";

function rig() {
  const a20: boolean[] = [];
  let resets = 0;
  const p = new Port92((e) => a20.push(e), () => resets++);
  const bus = new IoPortBus();
  bus.register(0x92, 1, p);
  return { p, bus, a20, resets: () => resets };
}

describe("port 0x92", () => {
  it("gates A20 with bit 1 and reports changes only", () => {
    const r = rig();
    expect(r.bus.in8(0x92)).toBe(0);
    expect(r.p.a20).toBe(false);
    r.bus.out8(0x92, 0x02);
    r.bus.out8(0x92, 0x02);
    expect(r.p.a20).toBe(true);
    r.bus.out8(0x92, 0x00);
    expect(r.a20).toEqual([true, false]);
    expect(r.resets()).toBe(0);
  });

  it("resets on a 0 to 1 write of bit 0 only", () => {
    const r = rig();
    r.bus.out8(0x92, 0x03);
    expect(r.resets()).toBe(1);
    r.bus.out8(0x92, 0x03);
    expect(r.resets()).toBe(1);
    r.bus.out8(0x92, 0x02);
    r.bus.out8(0x92, 0x03);
    expect(r.resets()).toBe(2);
    expect(r.a20).toEqual([true]);
  });

  it("reads back the value written", () => {
    const r = rig();
    r.bus.out8(0x92, 0xc2);
    expect(r.bus.in8(0x92)).toBe(0xc2);
  });
});
