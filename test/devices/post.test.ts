/** Port 0x80 POST codes. */
import { describe, expect, it } from "vitest";
import { IoPortBus } from "../../src/devices/portbus.js";
import { PostCodePort } from "../../src/devices/post.js";

describe("POST code port", () => {
  it("records every byte written and reads back the last", () => {
    const codes: number[] = [];
    const bus = new IoPortBus();
    bus.register(0x80, 1, new PostCodePort((c) => codes.push(c)));
    expect(bus.in8(0x80)).toBe(0xff);
    bus.out8(0x80, 0x12);
    bus.out8(0x80, 0x12);
    bus.out8(0x80, 0xa5);
    expect(codes).toEqual([0x12, 0x12, 0xa5]);
    expect(bus.in8(0x80)).toBe(0xa5);
  });
});
