/**
 * The local APIC and I/O APIC through their registers (as the CPU's physical
 * accesses reach them), the timer on virtual time, and the wiring of the
 * interrupt router: 8259 to LINT0 and I/O APIC pin 0, ISA IRQ 0 to pin 2.
 */
import { describe, expect, test } from "vitest";
import { Cpu } from "../../src/cpu/cpu.js";
import { readMsr, writeMsr } from "../../src/cpu/msr.js";
import { VirtualClock } from "../../src/devices/clock.js";
import { InterruptRouter } from "../../src/devices/irqrouter.js";

const APIC = 0xfee00000;
const IOAPIC = 0xfec00000;
const IPS = 200_000_000;

function setup() {
  const cpu = new Cpu({ ramBytes: 1 << 20 });
  const clock = new VirtualClock(cpu, IPS);
  let inits = 0;
  const r = new InterruptRouter({ cpu, clock, init: () => inits++ });
  const rd = (o: number) => cpu.readPhys32(APIC + o) >>> 0;
  const wr = (o: number, v: number) => cpu.writePhys32(APIC + o, v);
  const io = (reg: number, v?: number) => {
    cpu.writePhys32(IOAPIC, reg);
    if (v !== undefined) cpu.writePhys32(IOAPIC + 0x10, v);
    return cpu.readPhys32(IOAPIC + 0x10) >>> 0;
  };
  /** Move virtual time forward by `slots` and run what is due. */
  const wait = (slots: number) => {
    clock.skipTo(clock.now() + slots);
    clock.runDue();
  };
  /** Take the pending interrupt as the core would: its vector. */
  const take = () => (r.intr ? r.acknowledge() : -1);
  return { cpu, clock, r, rd, wr, io, wait, take, inits: () => inits };
}

const bit = (rd: (o: number) => number, base: number, v: number) => (rd(base + (v >> 5) * 16) >>> (v & 31)) & 1;

describe("local APIC registers", () => {
  test("reset values, read-only and hardwired bits", () => {
    const { rd, wr } = setup();
    expect(rd(0x30)).toBe(0x00040011);
    expect(rd(0xf0)).toBe(0xff);
    expect(rd(0xe0)).toBe(0xffffffff);
    expect(rd(0x350)).toBe(0x700);
    for (const o of [0x320, 0x340, 0x360, 0x370]) expect(rd(o)).toBe(0x10000);
    wr(0x30, 0);
    expect(rd(0x30)).toBe(0x00040011);
    wr(0x20, 0xffffffff);
    expect(rd(0x20)).toBe(0x0f000000);
    wr(0xd0, 0xffffffff);
    expect(rd(0xd0)).toBe(0xff000000);
    wr(0xe0, 0);
    expect(rd(0xe0)).toBe(0x0fffffff);
    wr(0xf0, 0x100);
    expect(rd(0xf0)).toBe(0x10f);
    // A byte read gives the register's byte; offsets past a register's dword read 0.
    expect(cpu8(setup(), APIC + 0x32)).toBe(0x04);
    expect(rd(0x34)).toBe(0);
  });

  test("while software-disabled the LVT mask bits stay set; disabling masks them all", () => {
    const { rd, wr } = setup();
    wr(0x320, 0x40);
    expect(rd(0x320)).toBe(0x10040);
    wr(0xf0, 0x1ff);
    wr(0x320, 0x20040);
    expect(rd(0x320)).toBe(0x20040);
    wr(0xf0, 0xff);
    expect(rd(0x320)).toBe(0x30040);
    expect(rd(0x350)).toBe(0x10700);
  });

  test("TPR, PPR and APR; acceptance by priority class; EOI of the highest in service", () => {
    const { rd, wr, take } = setup();
    wr(0xf0, 0x1ff);
    wr(0x300, 0x40000 | 0x61);
    wr(0x300, 0x40000 | 0x52);
    expect(bit(rd, 0x200, 0x61)).toBe(1);
    expect(rd(0x90)).toBe(0x60);
    expect(take()).toBe(0x61);
    expect(rd(0xa0)).toBe(0x60);
    // 0x52 is below the class in service.
    expect(take()).toBe(-1);
    wr(0xb0, 0);
    expect(bit(rd, 0x100, 0x61)).toBe(0);
    wr(0x80, 0x55);
    expect(rd(0xa0)).toBe(0x55);
    expect(take()).toBe(-1);
    wr(0x80, 0x40);
    expect(take()).toBe(0x52);
    expect(rd(0xa0)).toBe(0x50);
    wr(0xb0, 0);
    expect(rd(0xa0)).toBe(0x40);
  });

  test("IPIs: only messages that reach this processor are delivered; INIT; an illegal vector sets the ESR", () => {
    const { rd, wr, take, inits } = setup();
    wr(0xf0, 0x1ff);
    // Physical destination 1 is another processor; 0 and 0xF (broadcast) are this one.
    wr(0x310, 0x01000000);
    wr(0x300, 0x70);
    expect(take()).toBe(-1);
    wr(0x310, 0x0f000000);
    wr(0x300, 0x70);
    expect(take()).toBe(0x70);
    wr(0xb0, 0);
    // Logical, flat model: LDR 0x02 matches destination bit 1.
    wr(0xd0, 0x02000000);
    wr(0x310, 0x01000000);
    wr(0x300, 0x800 | 0x71);
    expect(take()).toBe(-1);
    wr(0x310, 0x03000000);
    wr(0x300, 0x800 | 0x71);
    expect(take()).toBe(0x71);
    wr(0xb0, 0);
    // All excluding self: nobody here.
    wr(0x300, 0xc0000 | 0x72);
    expect(take()).toBe(-1);
    // INIT to self; an INIT level de-assert does nothing.
    wr(0x300, 0x40000 | 0x500 | 0x4000);
    expect(inits()).toBe(1);
    wr(0x300, 0x80000 | 0x500 | 0x8000);
    expect(inits()).toBe(1);
    wr(0x300, 0x80000 | 0x03);
    wr(0x280, 0);
    expect(rd(0x280)).toBe(0x20);
  });

  test("NMI by IPI is latched for the core, whatever the priority", () => {
    const { r, wr } = setup();
    wr(0x80, 0xff);
    wr(0x300, 0x40400);
    expect(r.nmi).toBe(true);
    r.takeNmi();
    expect(r.nmi).toBe(false);
  });

  test("IA32_APIC_BASE: relocation, global disable (CPUID and registers gone), reserved bits", () => {
    const { cpu, rd } = setup();
    const out = new Int32Array(2);
    expect(readMsr(cpu, 0x1b, out)).toBe(true);
    expect(out[0] >>> 0).toBe(0xfee00900);
    expect(writeMsr(cpu, 0x1b, 0xfed00900 | 0, 0)).toBe(true);
    expect(cpu.readPhys32(0xfed00030)).toBe(0x00040011);
    expect(rd(0x30)).toBe(0xffffffff);
    expect(writeMsr(cpu, 0x1b, 0xfee00100 | 0, 0)).toBe(true);
    expect(cpu.localApic?.enabled).toBe(false);
    expect(rd(0x30)).toBe(0xffffffff);
    expect(writeMsr(cpu, 0x1b, 0xfee00901 | 0, 0)).toBe(false);
    expect(writeMsr(cpu, 0x1b, 0xfee00900 | 0, 0x10)).toBe(false);
    expect(writeMsr(cpu, 0x1b, 0xfee00900 | 0, 0)).toBe(true);
    expect(rd(0xf0)).toBe(0xff);
  });
});

describe("local APIC timer", () => {
  test("every divide configuration: one-shot expiry after count × divisor bus ticks (2 slots each)", () => {
    const divisors: [number, number][] = [[0x0, 2], [0x1, 4], [0x2, 8], [0x3, 16], [0x8, 32], [0x9, 64], [0xa, 128], [0xb, 1]];
    for (const [dcr, div] of divisors) {
      const { rd, wr, wait, take } = setup();
      wr(0xf0, 0x1ff);
      wr(0x3e0, dcr);
      wr(0x320, 0x40);
      wr(0x380, 100);
      wait(2 * 100 * div - 1);
      expect(take(), `divide ${div}`).toBe(-1);
      expect(rd(0x390)).toBe(1);
      wait(1);
      expect(take(), `divide ${div}`).toBe(0x40);
      expect(rd(0x390)).toBe(0);
      wr(0xb0, 0);
      wait(1_000_000);
      expect(take()).toBe(-1);
    }
  });

  test("periodic: reloads, interrupts every period; masked it counts on silently; initial count 0 stops it", () => {
    const { clock, rd, wr, wait, take } = setup();
    wr(0xf0, 0x1ff);
    wr(0x3e0, 0xb);
    wr(0x320, 0x20040);
    wr(0x380, 1000);
    for (let k = 0; k < 3; k++) {
      expect(clock.deadline() - clock.now()).toBe(2000);
      wait(2000);
      expect(take()).toBe(0x40);
      wr(0xb0, 0);
      expect(rd(0x390)).toBe(1000);
    }
    wait(500);
    expect(rd(0x390)).toBe(750);
    wr(0x320, 0x30040);
    expect(clock.deadline()).toBe(Infinity);
    wait(10_000);
    expect(take()).toBe(-1);
    expect(rd(0x390)).toBe(1000 - ((250 + 5000) % 1000));
    wr(0x380, 0);
    expect(rd(0x390)).toBe(0);
  });

  test("changing the divider keeps the count", () => {
    const { rd, wr, wait } = setup();
    wr(0x3e0, 0xb);
    wr(0x380, 1000);
    wait(600);
    expect(rd(0x390)).toBe(700);
    wr(0x3e0, 0x0);
    wait(40);
    expect(rd(0x390)).toBe(690);
  });
});

describe("I/O APIC and routing", () => {
  test("registers: ID, version, redirection entries with their writable bits", () => {
    const { io } = setup();
    expect(io(0)).toBe(0x01000000);
    expect(io(1)).toBe(0x00170011);
    expect(io(0x10)).toBe(0x10000);
    expect(io(0x10 + 47)).toBe(0);
    io(0x12, 0xffffffff);
    expect(io(0x12)).toBe(0x1afff);
    io(0x13, 0xffffffff);
    expect(io(0x13)).toBe(0xff000000);
  });

  test("ISA IRQ 0 reaches pin 2 edge-triggered; a masked edge is lost", () => {
    const { r, wr, io, take } = setup();
    // The 8259's way in (LINT0) is masked: only the I/O APIC delivers.
    wr(0xf0, 0x1ff);
    wr(0x350, 0x10700);
    io(0x14, 0x30);
    r.pulseIrq(0);
    expect(take()).toBe(0x30);
    io(0x14, 0x10030);
    r.pulseIrq(0);
    io(0x14, 0x30);
    expect(take()).toBe(-1);
  });

  test("level-triggered: remote IRR until the EOI, delivered again while still asserted; switching to edge clears remote IRR", () => {
    const { r, rd, wr, io, take } = setup();
    wr(0xf0, 0x1ff);
    wr(0x350, 0x10700);
    io(0x10 + 2 * 10, 0x8031);
    r.setIrq(10, true);
    expect(take()).toBe(0x31);
    expect(io(0x10 + 2 * 10) & 0x4000).toBe(0x4000);
    expect(bit(rd, 0x180, 0x31)).toBe(1);
    expect(take()).toBe(-1);
    wr(0xb0, 0);
    // Still asserted: delivered again, remote IRR set again.
    expect(take()).toBe(0x31);
    expect(io(0x10 + 2 * 10) & 0x4000).toBe(0x4000);
    r.setIrq(10, false);
    wr(0xb0, 0);
    expect(io(0x10 + 2 * 10) & 0x4000).toBe(0);
    expect(take()).toBe(-1);
    r.setIrq(11, true);
    io(0x10 + 2 * 11, 0x8032);
    expect(take()).toBe(0x32);
    io(0x10 + 2 * 11, 0x10032);
    expect(io(0x10 + 2 * 11) & 0x4000).toBe(0);
  });

  test("the 8259 through LINT0 (ExtINT) and, with LINT0 masked, through pin 0 as ExtINT", () => {
    const { r, wr, io, take } = setup();
    const pic = r.pic;
    for (const [port, v] of [[0x20, 0x11], [0x21, 0x20], [0x21, 4], [0x21, 1], [0x21, 0xfe]]) pic.write8(port, v);
    r.pulseIrq(0);
    expect(take()).toBe(0x20);
    pic.write8(0x20, 0x20);
    wr(0xf0, 0x1ff);
    wr(0x350, 0x10700);
    r.pulseIrq(0);
    expect(r.intr).toBe(false);
    io(0x10, 0x700);
    expect(take()).toBe(0x20);
  });
});

function cpu8(s: ReturnType<typeof setup>, pa: number): number {
  return s.cpu.readPhys8(pa);
}
