import { describe, expect, test } from "vitest";
import { Uart16550 } from "../../src/devices/uart16550.js";

const BASE = 0x3f8;
const LSR_DR = 0x01;
const LSR_OE = 0x02;

function uart() {
  const irqs: boolean[] = [];
  const u = new Uart16550(BASE, () => {}, (level) => irqs.push(level));
  return { u, irqs };
}

/** Read RBR while LSR says data is ready; the bytes and any overrun seen. */
function drain(u: Uart16550): { bytes: number[]; overrun: boolean } {
  const bytes: number[] = [];
  let overrun = false;
  for (;;) {
    const lsr = u.read8(BASE + 5);
    overrun ||= (lsr & LSR_OE) !== 0;
    if (!(lsr & LSR_DR)) return { bytes, overrun };
    bytes.push(u.read8(BASE));
  }
}

describe("16550 reception from the host", () => {
  test("send(): bytes wait on the line while the FIFO is full, and all arrive in order, without overrun", () => {
    const { u } = uart();
    const text = Array.from({ length: 100 }, (_, k) => (k * 7) & 0xff);
    u.send(Uint8Array.from(text));
    // FIFO off: one byte in the receive buffer, the rest on the line.
    expect(u.waiting).toBe(99);
    expect(drain(u)).toEqual({ bytes: text, overrun: false });
    expect(u.waiting).toBe(0);
  });

  test("send(): enabling the FIFO takes 16 bytes off the line at once", () => {
    const { u } = uart();
    u.send(new Uint8Array(40).fill(0x41));
    expect(u.waiting).toBe(39);
    u.write8(BASE + 2, 0x01);
    expect(u.waiting).toBe(24);
    expect(drain(u).bytes).toHaveLength(40);
  });

  test("send(): each byte arriving in an empty FIFO is a new rising edge of the interrupt, for an edge-triggered PIC", () => {
    const { u, irqs } = uart();
    u.write8(BASE + 4, 0x08); // OUT2: the interrupt line is connected
    u.write8(BASE + 1, 0x01); // IER: received data available
    u.send(Uint8Array.of(1, 2, 3));
    expect(irqs).toEqual([true]);
    expect([u.read8(BASE), u.read8(BASE), u.read8(BASE)]).toEqual([1, 2, 3]);
    expect(irqs).toEqual([true, false, true, false, true, false]);
    // With the FIFO on, the line stays up while bytes remain and drops when the last is read.
    irqs.length = 0;
    u.write8(BASE + 2, 0x01);
    u.send(new Uint8Array(20));
    for (let k = 0; k < 19; k++) u.read8(BASE);
    expect(irqs).toEqual([true]);
    u.read8(BASE);
    expect(irqs).toEqual([true, false]);
  });

  test("receive() is a line without flow control: what does not fit is an overrun", () => {
    const { u } = uart();
    expect(u.receive(Uint8Array.of(1, 2, 3))).toBe(1);
    expect(drain(u)).toEqual({ bytes: [1], overrun: true });
  });
});
