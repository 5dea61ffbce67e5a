import { describe, expect, test } from "vitest";
import { DualPic } from "../../src/devices/pic8259.js";

/** Program both controllers the way a PC BIOS or Linux does. */
function initPic(p: DualPic, masterBase = 0x20, slaveBase = 0x28, autoEoi = false): void {
  p.write8(0x20, 0x11);
  p.write8(0x21, masterBase);
  p.write8(0x21, 0x04);
  p.write8(0x21, autoEoi ? 0x03 : 0x01);
  p.write8(0xa0, 0x11);
  p.write8(0xa1, slaveBase);
  p.write8(0xa1, 0x02);
  p.write8(0xa1, autoEoi ? 0x03 : 0x01);
  p.write8(0x21, 0);
  p.write8(0xa1, 0);
}

describe("8259A pair", () => {
  test("vectors follow ICW2 and the slave cascades through IRQ 2", () => {
    const p = new DualPic();
    initPic(p);
    p.pulseIrq(1);
    expect(p.interruptPending).toBe(true);
    expect(p.acknowledge()).toBe(0x21);
    p.pulseIrq(12);
    // IRQ 1 is still in service and outranks the cascade (IRQ 2).
    expect(p.interruptPending).toBe(false);
    p.write8(0x20, 0x20);
    expect(p.interruptPending).toBe(true);
    expect(p.acknowledge()).toBe(0x2c);
  });

  test("priority: lower IRQ first; a higher-priority request nests, a lower one waits for EOI", () => {
    const p = new DualPic();
    initPic(p);
    p.pulseIrq(4);
    p.pulseIrq(3);
    expect(p.acknowledge()).toBe(0x23);
    expect(p.interruptPending).toBe(false);
    p.pulseIrq(0);
    expect(p.acknowledge()).toBe(0x20);
    p.write8(0x20, 0x20); // EOI for IRQ 0 (highest in service)
    expect(p.interruptPending).toBe(false);
    p.write8(0x20, 0x20); // EOI for IRQ 3
    expect(p.acknowledge()).toBe(0x24);
  });

  test("masking via OCW1 and reading IMR, IRR and ISR", () => {
    const p = new DualPic();
    initPic(p);
    p.write8(0x21, 0xfe);
    expect(p.read8(0x21)).toBe(0xfe);
    p.pulseIrq(1);
    expect(p.interruptPending).toBe(false);
    expect(p.read8(0x20)).toBe(0x02); // IRR by default after init
    p.write8(0x21, 0x00);
    expect(p.acknowledge()).toBe(0x21);
    p.write8(0x20, 0x0b); // OCW3: read ISR
    expect(p.read8(0x20)).toBe(0x02);
    p.write8(0x20, 0x63); // specific EOI for IRQ 3: IRQ 1 stays in service
    expect(p.read8(0x20)).toBe(0x02);
    p.write8(0x20, 0x61); // specific EOI for IRQ 1
    expect(p.read8(0x20)).toBe(0x00);
  });

  test("edge triggered: a line held high raises one request", () => {
    const p = new DualPic();
    initPic(p);
    p.setIrq(5, true);
    expect(p.acknowledge()).toBe(0x25);
    p.write8(0x20, 0x20);
    expect(p.interruptPending).toBe(false);
    p.setIrq(5, false);
    p.setIrq(5, true);
    expect(p.interruptPending).toBe(true);
  });

  test("spurious IRQ 7 when nothing is requested at INTA", () => {
    const p = new DualPic();
    initPic(p);
    expect(p.acknowledge()).toBe(0x27);
    expect(p.spuriousCount).toBe(1);
    p.write8(0x20, 0x0b);
    expect(p.read8(0x20)).toBe(0); // nothing went in service
  });

  test("automatic EOI leaves nothing in service", () => {
    const p = new DualPic();
    initPic(p, 0x08, 0x70, true);
    p.pulseIrq(0);
    expect(p.acknowledge()).toBe(0x08);
    p.pulseIrq(1);
    expect(p.acknowledge()).toBe(0x09);
  });

  test("rotate on non-specific EOI makes the serviced IRQ the lowest priority", () => {
    const p = new DualPic();
    initPic(p);
    p.pulseIrq(0);
    expect(p.acknowledge()).toBe(0x20);
    p.write8(0x20, 0xa0); // rotate on non-specific EOI
    p.pulseIrq(0);
    p.pulseIrq(1);
    expect(p.acknowledge()).toBe(0x21);
  });

  test("poll mode returns the highest request and acknowledges it", () => {
    const p = new DualPic();
    initPic(p);
    p.pulseIrq(6);
    p.write8(0x20, 0x0c);
    expect(p.read8(0x20)).toBe(0x86);
    p.write8(0x20, 0x0b);
    expect(p.read8(0x20)).toBe(0x40);
  });
});
