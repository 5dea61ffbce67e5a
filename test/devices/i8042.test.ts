/** 8042 keyboard controller and its keyboard, through ports 0x60/0x64. */
import { describe, expect, it } from "vitest";
import { I8042 } from "../../src/devices/i8042.js";
import { IoPortBus } from "../../src/devices/portbus.js";

function rig() {
  const log = { irq1: [] as boolean[], irq12: [] as boolean[], a20: [] as boolean[], resets: 0 };
  const kbc = new I8042({
    setIrq1: (l) => log.irq1.push(l),
    setIrq12: (l) => log.irq12.push(l),
    setA20: (e) => log.a20.push(e),
    reset: () => log.resets++,
  });
  const bus = new IoPortBus();
  bus.register(0x60, 1, kbc);
  bus.register(0x64, 1, kbc);
  const status = (): number => bus.in8(0x64);
  const cmd = (c: number, data?: number): void => {
    bus.out8(0x64, c);
    if (data !== undefined) bus.out8(0x60, data);
  };
  /** Read every byte waiting in the output buffer. */
  const drain = (): number[] => {
    const out: number[] = [];
    while (status() & 1) out.push(bus.in8(0x60));
    return out;
  };
  return { kbc, bus, log, status, cmd, drain };
}

describe("8042 controller", () => {
  it("answers the self-test with 0x55 through the output buffer", () => {
    const r = rig();
    expect(r.status() & 1).toBe(0);
    r.cmd(0xaa);
    expect(r.status() & 0x29).toBe(0x09); // OBF, last write a command, not aux data
    expect(r.bus.in8(0x60)).toBe(0x55);
    expect(r.status() & 1).toBe(0);
  });

  it("passes the interface tests", () => {
    const r = rig();
    r.cmd(0xab);
    expect(r.drain()).toEqual([0x00]);
    r.cmd(0xa9);
    expect(r.drain()).toEqual([0x00]);
  });

  it("reads and writes the command byte, and the status system flag follows it", () => {
    const r = rig();
    r.cmd(0x20);
    expect(r.drain()).toEqual([0x45]);
    expect(r.status() & 0x04).toBe(0x04);
    r.cmd(0x60, 0x61);
    expect(r.status() & 0x08).toBe(0); // last write went to the data port
    r.cmd(0x20);
    expect(r.drain()).toEqual([0x61]);
    expect(r.status() & 0x04).toBe(0);
  });

  it("tracks keyboard and aux disable bits in the command byte", () => {
    const r = rig();
    r.cmd(0xad);
    r.cmd(0xa7);
    r.cmd(0x20);
    expect(r.drain()).toEqual([0x75]);
    r.cmd(0xae);
    r.cmd(0xa8);
    r.cmd(0x20);
    expect(r.drain()).toEqual([0x45]);
  });

  it("toggles A20 through the output port (0xD1) and reads it back (0xD0)", () => {
    const r = rig();
    expect(r.kbc.a20).toBe(true);
    r.cmd(0xd1, 0xdd);
    expect(r.kbc.a20).toBe(false);
    expect(r.log.a20).toEqual([false]);
    r.cmd(0xd0);
    expect(r.drain()).toEqual([0xcd]);
    r.cmd(0xd1, 0xdf);
    r.cmd(0xd1, 0xdf);
    expect(r.log.a20).toEqual([false, true]);
    expect(r.log.resets).toBe(0);
  });

  it("shows a full output buffer in output-port bits 4 and 5", () => {
    const r = rig();
    r.cmd(0xd2, 0x11);
    r.cmd(0xd0);
    expect(r.drain()).toEqual([0x11, 0xdf]);
  });

  it("resets the CPU on a cleared output-port reset bit", () => {
    const r = rig();
    r.cmd(0xd1, 0xde);
    expect(r.log.resets).toBe(1);
    r.cmd(0xd0);
    expect(r.drain()[0] & 1).toBe(1);
  });

  it("pulses the reset line with 0xFE and not with 0xFF or 0xFD", () => {
    const r = rig();
    r.cmd(0xff);
    r.cmd(0xfd);
    expect(r.log.resets).toBe(0);
    r.cmd(0xfe);
    expect(r.log.resets).toBe(1);
    r.cmd(0xf0);
    expect(r.log.resets).toBe(2);
    expect(r.log.a20).toEqual([]);
  });

  it("raises IRQ 1 for keyboard data only when the command byte enables it", () => {
    const r = rig();
    r.cmd(0xd2, 0x1e);
    expect(r.log.irq1).toEqual([true]);
    expect(r.bus.in8(0x60)).toBe(0x1e);
    expect(r.log.irq1).toEqual([true, false]);
    r.cmd(0x60, 0x44);
    r.cmd(0xd2, 0x1f);
    expect(r.log.irq1).toEqual([true, false]);
    expect(r.drain()).toEqual([0x1f]);
  });

  it("puts 0xD3 bytes in the buffer as aux data with IRQ 12", () => {
    const r = rig();
    r.cmd(0xd3, 0x5a);
    expect(r.status() & 0x21).toBe(0x21); // marked as aux data even with the aux interrupt off
    expect(r.log.irq12).toEqual([]);
    r.drain();
    r.cmd(0x60, 0x47);
    r.cmd(0xd3, 0x5a);
    expect(r.status() & 0x21).toBe(0x21);
    expect(r.log.irq12).toEqual([true]);
    expect(r.log.irq1).toEqual([]);
    expect(r.drain()).toEqual([0x5a]);
    expect(r.log.irq12).toEqual([true, false]);
  });

  it("sends 0xD4 bytes to an aux port where nothing answers", () => {
    const r = rig();
    r.cmd(0xd4, 0xff);
    expect(r.drain()).toEqual([]);
  });

  it("gives each waiting byte its own IRQ 1 edge", () => {
    const r = rig();
    // Set 2 'A' press and release, translated to set 1 by the controller.
    r.kbc.sendScancodes([0x1c, 0xf0, 0x1c]);
    expect(r.bus.in8(0x60)).toBe(0x1e);
    expect(r.bus.in8(0x60)).toBe(0x9e);
    expect(r.log.irq1).toEqual([true, false, true, false]);
    expect(r.bus.in8(0x60)).toBe(0x9e); // an empty buffer reads its last byte again
  });
});

describe("keyboard behind the 8042", () => {
  it("answers reset with ACK and a passed self-test", () => {
    const r = rig();
    r.bus.out8(0x60, 0xff);
    expect(r.drain()).toEqual([0xfa, 0xaa]);
  });

  it("identifies as an MF2 keyboard", () => {
    const r = rig();
    r.bus.out8(0x60, 0xf2);
    // Translated, as a PC's controller reports it (AB 41); untranslated after the command byte drops XLAT.
    expect(r.drain()).toEqual([0xfa, 0xab, 0x41]);
    r.cmd(0x60, 0x05);
    r.bus.out8(0x60, 0xf2);
    expect(r.drain()).toEqual([0xfa, 0xab, 0x83]);
  });

  it("acknowledges LEDs and typematic commands and their parameters", () => {
    const r = rig();
    r.bus.out8(0x60, 0xed);
    r.bus.out8(0x60, 0x04);
    expect(r.drain()).toEqual([0xfa, 0xfa]);
    expect(r.kbc.leds).toBe(4);
    r.bus.out8(0x60, 0xf3);
    r.bus.out8(0x60, 0x20);
    expect(r.drain()).toEqual([0xfa, 0xfa]);
  });

  it("gets and sets the scancode set", () => {
    const r = rig();
    r.cmd(0x60, 0x05);
    r.bus.out8(0x60, 0xf0);
    r.bus.out8(0x60, 0x00);
    expect(r.drain()).toEqual([0xfa, 0xfa, 0x02]);
    r.bus.out8(0x60, 0xf0);
    r.bus.out8(0x60, 0x01);
    r.bus.out8(0x60, 0xf0);
    r.bus.out8(0x60, 0x00);
    expect(r.drain()).toEqual([0xfa, 0xfa, 0xfa, 0xfa, 0x01]);
  });

  it("echoes 0xEE and asks for a resend of unknown commands", () => {
    const r = rig();
    r.bus.out8(0x60, 0xee);
    r.bus.out8(0x60, 0x12);
    expect(r.drain()).toEqual([0xee, 0xfe]);
  });

  it("drops host scancodes while scanning is disabled (0xF5) and passes them after 0xF4", () => {
    const r = rig();
    r.bus.out8(0x60, 0xf5);
    expect(r.kbc.sendScancodes([0x1e])).toBe(0);
    expect(r.drain()).toEqual([0xfa]);
    r.bus.out8(0x60, 0xf4);
    expect(r.kbc.sendScancodes([0x1c, 0xf0, 0x1c])).toBe(3);
    expect(r.drain()).toEqual([0xfa, 0x1e, 0x9e]);
  });

  it("holds keyboard bytes while the interface is disabled (0xAD) and lets controller replies through", () => {
    const r = rig();
    r.cmd(0xad);
    r.kbc.sendScancodes([0x1a]);
    expect(r.status() & 1).toBe(0);
    r.cmd(0x20);
    expect(r.drain()).toEqual([0x55]);
    r.cmd(0xae);
    expect(r.drain()).toEqual([0x2c]);
  });

  it("translates set 2 to set 1 with the command byte's XLAT bit: extended keys, break prefixes, F7", () => {
    const r = rig();
    // Up arrow (E0 75), F7 (83) and Esc (76), each pressed and released.
    r.kbc.sendScancodes([0xe0, 0x75, 0xe0, 0xf0, 0x75, 0x83, 0xf0, 0x83, 0x76, 0xf0, 0x76]);
    expect(r.drain()).toEqual([0xe0, 0x48, 0xe0, 0xc8, 0x41, 0xc1, 0x01, 0x81]);
    r.cmd(0x60, 0x05);
    r.kbc.sendScancodes([0x76, 0xf0, 0x76]);
    expect(r.drain()).toEqual([0x76, 0xf0, 0x76]);
  });
});
