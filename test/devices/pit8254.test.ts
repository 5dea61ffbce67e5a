import { describe, expect, test } from "vitest";
import { Cpu } from "../../src/cpu/cpu.js";
import { VirtualClock } from "../../src/devices/clock.js";
import { PIT_HZ, Pit8254 } from "../../src/devices/pit8254.js";

/** A clock where one instruction slot is exactly one PIT tick. */
function setup() {
  const cpu = new Cpu({ ramBytes: 1 << 20 });
  const clock = new VirtualClock(cpu, PIT_HZ);
  let irqs = 0;
  const pit = new Pit8254(clock, () => irqs++);
  clock.add(pit);
  const at = (t: number) => {
    cpu.icount = t;
    clock.runDue();
  };
  return { cpu, clock, pit, at, irqs: () => irqs };
}

describe("8254 PIT on virtual time", () => {
  test("mode 2 rate generator raises IRQ 0 once per period", () => {
    const { pit, clock, at, irqs } = setup();
    pit.write8(0x43, 0x34); // counter 0, LSB/MSB, mode 2
    pit.write8(0x40, 100);
    pit.write8(0x40, 0);
    expect(clock.deadline()).toBe(101);
    for (let t = 0; t <= 1001; t++) at(t);
    expect(irqs()).toBe(10);
  });

  test("mode 0 interrupts once at terminal count", () => {
    const { pit, clock, at, irqs } = setup();
    pit.write8(0x43, 0x30);
    pit.write8(0x40, 50);
    pit.write8(0x40, 0);
    expect(clock.deadline()).toBe(51);
    for (let t = 0; t < 500; t++) at(t);
    expect(irqs()).toBe(1);
    expect(clock.deadline()).toBe(Infinity);
  });

  test("counter latch freezes the value read", () => {
    const { pit, cpu } = setup();
    pit.write8(0x43, 0x34);
    pit.write8(0x40, 0x00);
    pit.write8(0x40, 0x10); // 0x1000
    cpu.icount = 11; // counting started at tick 1
    pit.write8(0x43, 0x00);
    cpu.icount = 500;
    const lo = pit.read8(0x40);
    const hi = pit.read8(0x40);
    expect((hi << 8) | lo).toBe(0x1000 - 10);
    // Unlatched reads follow the counter again.
    const lo2 = pit.read8(0x40);
    const hi2 = pit.read8(0x40);
    expect((hi2 << 8) | lo2).toBe(0x1000 - 499);
  });

  test("read-back command latches status with OUT, access and mode", () => {
    const { pit, cpu } = setup();
    pit.write8(0x43, 0xb0); // counter 2, LSB/MSB, mode 0
    pit.write8(0x42, 10);
    pit.write8(0x42, 0);
    pit.write8(0x61, 0x01); // gate 2 high
    cpu.icount = 3;
    pit.write8(0x43, 0xe8); // read-back status of counter 2
    expect(pit.read8(0x42)).toBe(0x30);
    cpu.icount = 40;
    pit.write8(0x43, 0xe8);
    expect(pit.read8(0x42)).toBe(0xb0);
  });

  test("port 0x61 shows counter 2's OUT, as used for TSC calibration", () => {
    const { pit, cpu } = setup();
    pit.write8(0x61, 0x00);
    pit.write8(0x43, 0xb0);
    pit.write8(0x42, 0xff);
    pit.write8(0x42, 0x00);
    pit.write8(0x61, 0x01);
    cpu.icount = 100;
    expect(pit.read8(0x61) & 0x20).toBe(0);
    cpu.icount = 300;
    expect(pit.read8(0x61) & 0x20).toBe(0x20);
  });

  test("virtual time maps to ticks through the configured rate", () => {
    const cpu = new Cpu({ ramBytes: 1 << 20 });
    const clock = new VirtualClock(cpu, 100_000_000);
    cpu.icount = 100_000_000;
    expect(clock.ticks(PIT_HZ)).toBe(PIT_HZ);
    expect(clock.slotForTick(PIT_HZ, PIT_HZ)).toBe(100_000_000);
    clock.skipTo(150_000_000);
    expect(clock.now()).toBe(150_000_000);
    expect(cpu.icount).toBe(100_000_000);
  });
});

describe("real-time clock mode", () => {
  test("slots follow the wall clock, not the instruction count, and halts are not skipped", async () => {
    const cpu = new Cpu({ ramBytes: 1 << 20 });
    const clock = new VirtualClock(cpu, 1_000_000, true);
    cpu.icount = 5_000_000;
    expect(clock.now()).toBeLessThan(1_000_000);
    await new Promise((r) => setTimeout(r, 60));
    expect(clock.now()).toBeGreaterThanOrEqual(50_000);
    const before = clock.now();
    clock.skipTo(before + 10_000_000);
    expect(clock.now()).toBeLessThan(before + 1_000_000);
  });
});
