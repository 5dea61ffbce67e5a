/**
 * MC146818 RTC through ports 0x70/0x71 on virtual time: calendar advance, data
 * formats, update cycle, periodic/alarm/update interrupts and CMOS contents.
 */
import { describe, expect, it } from "vitest";
import { Cpu } from "../../src/cpu/cpu.js";
import { VirtualClock } from "../../src/devices/clock.js";
import { IoPortBus } from "../../src/devices/portbus.js";
import { Rtc146818, type RtcOptions } from "../../src/devices/rtc.js";

const IPS = 1_000_000;

function rig(opts: Partial<RtcOptions> = {}) {
  const cpu = new Cpu({ ramBytes: 4096 });
  const clock = new VirtualClock(cpu, IPS);
  const edges: boolean[] = [];
  let line = false;
  const rtc = new Rtc146818(
    clock,
    (level) => {
      line = level;
      edges.push(level);
    },
    { ramBytes: 64 << 20, ...opts },
  );
  clock.add(rtc);
  const bus = new IoPortBus();
  bus.register(0x70, 2, rtc);
  const read = (r: number): number => {
    bus.out8(0x70, r);
    return bus.in8(0x71);
  };
  const write = (r: number, v: number): void => {
    bus.out8(0x70, r);
    bus.out8(0x71, v);
  };
  /** Move virtual time to `seconds` and let due devices run. */
  const at = (seconds: number): void => {
    cpu.icount = Math.round(seconds * IPS);
    clock.runDue();
  };
  /** Run device events up to `seconds`, acknowledging each interrupt by reading register C; returns the times of the interrupts. */
  const serviceUntil = (seconds: number): number[] => {
    const times: number[] = [];
    for (;;) {
      const d = clock.deadline();
      if (d > seconds * IPS) break;
      cpu.icount = d;
      clock.runDue();
      if (line) {
        times.push(d / IPS);
        read(0x0c);
      }
    }
    return times;
  };
  const clockRegs = (): number[] => [0, 2, 4, 6, 7, 8, 9, 0x32].map(read);
  return { cpu, clock, rtc, bus, read, write, at, serviceUntil, clockRegs, edges, line: () => line };
}

const bcd = (v: number): number => ((Math.floor(v / 10) << 4) | v % 10);

/** Registers sec, min, hour, day of week, day, month, year, century (BCD) for a date. */
function expectedBcd(d: Date): number[] {
  return [
    d.getUTCSeconds(),
    d.getUTCMinutes(),
    d.getUTCHours(),
    d.getUTCDay() + 1,
    d.getUTCDate(),
    d.getUTCMonth() + 1,
    d.getUTCFullYear() % 100,
    Math.floor(d.getUTCFullYear() / 100),
  ].map(bcd);
}

describe("RTC power-on state and CMOS", () => {
  it("has the status registers' power-on values", () => {
    const r = rig();
    expect(r.read(0x0a)).toBe(0x26);
    expect(r.read(0x0b)).toBe(0x02);
    expect(r.read(0x0c)).toBe(0x00);
    expect(r.read(0x0d)).toBe(0x80);
  });

  it("reports memory sizes, equipment and a checksum over 0x10-0x2D", () => {
    const r = rig();
    expect([r.read(0x15), r.read(0x16)]).toEqual([0x80, 0x02]); // 640 KiB
    expect([r.read(0x17), r.read(0x18)]).toEqual([0x00, 0xfc]); // 63 MiB = 64512 KiB
    expect([r.read(0x30), r.read(0x31)]).toEqual([0x00, 0xfc]);
    expect([r.read(0x34), r.read(0x35)]).toEqual([0x00, 0x03]); // 48 MiB / 64 KiB
    expect(r.read(0x14)).toBe(0x02);
    let sum = 0;
    for (let k = 0x10; k <= 0x2d; k++) sum += r.read(k);
    expect((r.read(0x2e) << 8) | r.read(0x2f)).toBe(sum);
  });

  it("caps extended memory at 0xFFFF KiB and counts memory above 16 MiB", () => {
    const r = rig({ ramBytes: 3 * 1024 * 1024 * 1024 });
    expect([r.read(0x17), r.read(0x18)]).toEqual([0xff, 0xff]);
    expect([r.read(0x30), r.read(0x31)]).toEqual([0xff, 0xff]);
    expect((r.read(0x35) << 8) | r.read(0x34)).toBe((3072 - 16) * 16);
    const small = rig({ ramBytes: 1 << 20 });
    expect([small.read(0x17), small.read(0x18), small.read(0x34), small.read(0x35)]).toEqual([0, 0, 0, 0]);
  });

  it("keeps general NVRAM bytes and ignores writes to registers C and D", () => {
    const r = rig();
    r.write(0x40, 0x5a);
    r.write(0x7f, 0xa5);
    r.write(0x0c, 0xff);
    r.write(0x0d, 0x00);
    expect([r.read(0x40), r.read(0x7f), r.read(0x0c), r.read(0x0d)]).toEqual([0x5a, 0xa5, 0x00, 0x80]);
  });

  it("keeps the NMI mask bit of the index and selects the register with the other seven", () => {
    const r = rig();
    r.bus.out8(0x70, 0x8a);
    expect(r.rtc.nmiMasked).toBe(true);
    expect(r.bus.in8(0x71)).toBe(0x26);
    r.bus.out8(0x70, 0x0d);
    expect(r.rtc.nmiMasked).toBe(false);
    expect(r.bus.in8(0x70)).toBe(0xff);
  });
});

describe("RTC calendar on virtual time", () => {
  it("starts at 2026-01-01 00:00:00 (Thursday) by default", () => {
    expect(rig().clockRegs()).toEqual([0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 0x26, 0x20]);
  });

  it("advances with virtual seconds, not before", () => {
    const r = rig();
    r.at(0.999);
    expect(r.read(0)).toBe(0x00);
    r.at(1);
    expect(r.read(0)).toBe(0x01);
    r.at(3661.5);
    expect(r.clockRegs().slice(0, 3)).toEqual([0x01, 0x01, 0x01]);
  });

  it.each([59, 86400, 86399 + 2 * 86400, 31 * 86400 + 3723, 400 * 86400 + 45296, 3 * 365 * 86400 + 7])(
    "matches the calendar after %i seconds in one step",
    (n) => {
      const r = rig();
      r.at(n);
      expect(r.clockRegs()).toEqual(expectedBcd(new Date(Date.UTC(2026, 0, 1) + n * 1000)));
    },
  );

  it("rolls over month, year, leap day and century", () => {
    const cases: [Date, number][] = [
      [new Date(Date.UTC(2026, 11, 31, 23, 59, 58)), 2],
      [new Date(Date.UTC(2028, 1, 28, 23, 59, 59)), 1],
      [new Date(Date.UTC(2027, 1, 28, 23, 59, 59)), 1],
      [new Date(Date.UTC(2099, 11, 31, 23, 59, 59)), 1],
      [new Date(Date.UTC(2026, 3, 30, 23, 59, 59)), 1],
    ];
    for (const [start, n] of cases) {
      const r = rig({ startTime: start });
      r.at(n);
      expect(r.clockRegs()).toEqual(expectedBcd(new Date(start.getTime() + n * 1000)));
    }
  });

  it("takes the start time's milliseconds as the divider phase", () => {
    const r = rig({ startTime: new Date(Date.UTC(2026, 5, 1, 12, 0, 0, 750)) });
    r.at(0.24);
    expect(r.read(0)).toBe(0x00);
    r.at(0.26);
    expect(r.read(0)).toBe(0x01);
    r.at(1.26);
    expect(r.read(0)).toBe(0x02);
  });

  it("keeps counting from time written by the guest", () => {
    const r = rig();
    r.write(0x0b, 0x82);
    r.write(0x00, 0x58);
    r.write(0x02, 0x59);
    r.write(0x04, 0x23);
    r.write(0x07, 0x31);
    r.write(0x08, 0x12);
    r.write(0x09, 0x99);
    r.write(0x06, 0x07);
    r.write(0x0b, 0x02);
    r.at(2);
    expect(r.clockRegs()).toEqual([0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00, 0x21]);
  });
});

describe("RTC data formats", () => {
  const start = new Date(Date.UTC(2026, 2, 15, 13, 45, 30));

  it("reads BCD by default and binary with the DM bit", () => {
    const r = rig({ startTime: start });
    expect([r.read(0), r.read(2), r.read(4), r.read(7), r.read(8), r.read(9)]).toEqual([0x30, 0x45, 0x13, 0x15, 0x03, 0x26]);
    r.write(0x0b, 0x06);
    expect([r.read(0), r.read(2), r.read(4), r.read(7), r.read(8), r.read(9)]).toEqual([30, 45, 13, 15, 3, 26]);
  });

  it("writes in the current format", () => {
    const r = rig({ startTime: start });
    r.write(0x0b, 0x86);
    r.write(0x02, 59);
    r.write(0x0b, 0x82);
    expect(r.read(0x02)).toBe(0x59);
    r.write(0x02, 0x07);
    r.write(0x0b, 0x86);
    expect(r.read(0x02)).toBe(7);
  });

  it("shows hours in 12-hour form with the PM bit", () => {
    const r = rig({ startTime: start });
    r.write(0x0b, 0x00);
    expect(r.read(4)).toBe(0x81);
    r.write(0x0b, 0x04);
    expect(r.read(4)).toBe(0x81);
    const midnight = rig();
    midnight.write(0x0b, 0x00);
    expect(midnight.read(4)).toBe(0x12);
    midnight.write(0x04, 0x92); // 12 PM
    midnight.write(0x0b, 0x02);
    expect(midnight.read(4)).toBe(0x12);
    midnight.write(0x0b, 0x00);
    midnight.write(0x04, 0x12); // 12 AM
    midnight.write(0x0b, 0x02);
    expect(midnight.read(4)).toBe(0x00);
  });
});

describe("RTC update cycle and interrupts", () => {
  it("sets UIP in the 2228 µs before each update", () => {
    const r = rig();
    r.at(0.997);
    expect(r.read(0x0a)).toBe(0x26);
    r.at(0.9999);
    expect(r.read(0x0a)).toBe(0xa6);
    expect(r.read(0)).toBe(0x00);
    r.at(1.0001);
    expect(r.read(0x0a)).toBe(0x26);
    expect(r.read(0)).toBe(0x01);
  });

  it.each([
    [0x26, 1024],
    [0x23, 8192],
    [0x21, 256],
    [0x22, 128],
    [0x2f, 2],
  ])("raises periodic interrupts at the rate register A %s selects", (a, hz) => {
    const r = rig();
    r.write(0x0a, a);
    r.write(0x0b, 0x42);
    const times = r.serviceUntil(1);
    expect(times.length).toBe(hz);
    expect(times[0]).toBeCloseTo(1 / hz, 5);
  });

  it("sets PF without PIE but raises no interrupt", () => {
    const r = rig();
    r.at(0.01);
    expect(r.edges).toEqual([]);
    expect(r.read(0x0c)).toBe(0x40);
    expect(r.read(0x0c)).toBe(0x00);
  });

  it("clears the flags and lowers IRQ 8 when register C is read", () => {
    const r = rig();
    r.write(0x0b, 0x42);
    expect(r.serviceUntil(0).length).toBe(0);
    r.at(0.001);
    expect(r.line()).toBe(true);
    expect(r.clock.deadline()).toBe(Infinity);
    expect(r.read(0x0c)).toBe(0xc0);
    expect(r.line()).toBe(false);
    expect(r.edges).toEqual([true, false]);
    expect(r.read(0x0c)).toBe(0x00);
    expect(r.clock.deadline()).toBeGreaterThan(r.cpu.icount);
  });

  it("raises IRQ 8 at once when PIE is set with PF already pending", () => {
    const r = rig();
    r.at(0.01);
    r.write(0x0b, 0x42);
    expect(r.line()).toBe(true);
    expect(r.read(0x0c)).toBe(0xc0);
  });

  it("raises update-ended interrupts once a second", () => {
    const r = rig();
    r.write(0x0a, 0x20); // no periodic rate, so PF stays clear
    r.write(0x0b, 0x12);
    const times = r.serviceUntil(3.5);
    expect(times).toEqual([1, 2, 3]);
    r.at(4);
    expect(r.read(0x0c)).toBe(0x90);
  });

  it("stops updates while SET is on, and SET clears UIE", () => {
    const r = rig();
    r.write(0x0b, 0x92);
    expect(r.read(0x0b)).toBe(0x82);
    r.at(5);
    expect(r.read(0)).toBe(0x00);
    expect(r.read(0x0c) & 0x10).toBe(0);
    r.write(0x0b, 0x02);
    r.at(6);
    expect(r.read(0)).toBe(0x01);
  });

  it("raises the alarm interrupt when the time matches", () => {
    const r = rig();
    r.write(0x01, 0x05);
    r.write(0x03, 0x00);
    r.write(0x05, 0x00);
    r.write(0x0b, 0x22);
    expect(r.serviceUntil(10)).toEqual([5]);
  });

  it("treats alarm bytes 0xC0-0xFF as matching anything", () => {
    const r = rig();
    r.write(0x01, 0x30);
    r.write(0x03, 0xc0);
    r.write(0x05, 0xff);
    r.write(0x0b, 0x22);
    expect(r.serviceUntil(200)).toEqual([30, 90, 150]);
  });

  it("sets AF for an alarm passed between register reads", () => {
    const r = rig();
    r.write(0x0a, 0x20);
    r.write(0x01, 0x30);
    r.write(0x03, 0x00);
    r.write(0x05, 0x00);
    r.at(100);
    expect(r.read(0x0c)).toBe(0x30);
    r.at(200);
    expect(r.read(0x0c)).toBe(0x10);
    r.at(2 * 86400 + 100);
    expect(r.read(0x0c)).toBe(0x30);
  });

  it("holds time in divider reset and updates half a second after release", () => {
    const r = rig();
    r.write(0x0a, 0x76);
    r.at(10);
    expect(r.read(0)).toBe(0x00);
    r.write(0x0a, 0x26);
    r.at(10.49);
    expect(r.read(0)).toBe(0x00);
    r.at(10.5);
    expect(r.read(0)).toBe(0x01);
    r.at(11.5);
    expect(r.read(0)).toBe(0x02);
  });
});
