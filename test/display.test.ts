/**
 * The VGA, its PCI function and Bochs VBE through their ports and memory, the
 * video window that is not RAM, the terminal's keys as scan codes, and the guest
 * guests/display/vga.bin (text mode, keys through the 8042, mode 13h) in both
 * engines with its screenshots decoded.
 */
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { RAM_BASE } from "../src/cpu/layout.js";
import { Dispi } from "../src/devices/vga.js";
import { textScreen } from "../src/devices/vgarender.js";
import { bootImage } from "../runtime/image.js";
import { terminalScancodes } from "../runtime/keys.js";
import { createMachine, type Machine } from "../runtime/machine.js";
import { renderText } from "../runtime/display.js";
import { restoreSnapshot, saveSnapshot } from "../runtime/snapshot.js";

const GUEST = new URL("../guests/display/vga.bin", import.meta.url).pathname;

function machine(engine: "interp" | "jit" = "interp"): Machine {
  return createMachine({ memMiB: 8, engine });
}

function out(m: Machine, port: number, ...values: number[]): void {
  for (const v of values) m.ports.out8(port, v);
}

function reg(m: Machine, indexPort: number, index: number, value: number): void {
  m.ports.out8(indexPort, index);
  m.ports.out8(indexPort + 1, value);
}

/** Planar mode 0x12's memory setup: A0000 64 KiB, no odd/even, no chain 4. */
function planar(m: Machine): void {
  reg(m, 0x3c4, 4, 0x06);
  reg(m, 0x3ce, 5, 0x00);
  reg(m, 0x3ce, 6, 0x05);
  reg(m, 0x3ce, 8, 0xff);
  reg(m, 0x3c4, 2, 0x0f);
}

function planeByte(m: Machine, offset: number, plane: number): number {
  return m.vga.vram[offset * 4 + plane];
}

describe("VGA memory", () => {
  it("the video window is not RAM: accesses reach the VGA and the RAM beneath is untouched", () => {
    const m = machine();
    const c = m.cpu;
    reg(m, 0x3c4, 4, 0x0e);
    reg(m, 0x3ce, 6, 0x05);
    reg(m, 0x3c4, 2, 0x0f);
    c.writePhys32(0xa0000, 0x44332211);
    expect(c.readPhys32(0xa0000)).toBe(0x44332211);
    expect(m.vga.vram.subarray(0, 4)).toEqual(Uint8Array.of(0x11, 0x22, 0x33, 0x44));
    expect(c.u8[RAM_BASE + 0xa0000]).toBe(0);
    // A word straddling the window's start: one byte of RAM, one of video memory.
    c.writePhys16(0x9ffff, 0x5566);
    expect(c.u8[RAM_BASE + 0x9ffff]).toBe(0x66);
    expect(m.vga.vram[0]).toBe(0x55);
    expect(c.isRam(0x9ffff, 1)).toBe(true);
    expect(c.isRam(0x9ffff, 2)).toBe(false);
    expect(c.isRam(0xbffff, 1)).toBe(false);
    expect(c.isRam(0xc0000, 4)).toBe(true);
    // The API reads and writes the window as the CPU does.
    m.writeMemory(0xa0008, Uint8Array.of(7, 8));
    expect(m.vga.vram.subarray(8, 10)).toEqual(Uint8Array.of(7, 8));
    expect(m.readMemory(0x9fffe, 4)).toEqual(Uint8Array.of(0, 0x66, 0x55, 0x22));
  });

  it("text mode: odd/even puts characters in plane 0 and attributes in plane 1 at 0xB8000", () => {
    const m = machine();
    reg(m, 0x3c4, 4, 0x02);
    reg(m, 0x3ce, 5, 0x10);
    reg(m, 0x3ce, 6, 0x0e);
    reg(m, 0x3c4, 2, 0x03);
    m.cpu.writePhys16(0xb8000 + 6, 0x1f41);
    expect(planeByte(m, 3, 0)).toBe(0x41);
    expect(planeByte(m, 3, 1)).toBe(0x1f);
    expect(m.cpu.readPhys16(0xb8006)).toBe(0x1f41);
    // Memory map 3 is 0xB8000–0xBFFFF only: 0xA0000 floats and keeps nothing.
    m.cpu.writePhys8(0xa0000, 0x99);
    expect(m.cpu.readPhys8(0xa0000)).toBe(0xff);
    expect(m.vga.vram.indexOf(0x99)).toBe(-1);
  });

  it("planar write mode 0: map mask, set/reset, bit mask and the latches", () => {
    const m = machine();
    planar(m);
    m.cpu.writePhys8(0xa0010, 0xff);
    for (let p = 0; p < 4; p++) expect(planeByte(m, 0x10, p)).toBe(0xff);
    reg(m, 0x3c4, 2, 0x05);
    m.cpu.writePhys8(0xa0010, 0x0f);
    expect([0, 1, 2, 3].map((p) => planeByte(m, 0x10, p))).toEqual([0x0f, 0xff, 0x0f, 0xff]);
    // Set/reset enabled for planes 0 and 1 (plane 0 set, plane 1 reset), bit mask 0xF0 keeps the latched low bits.
    reg(m, 0x3c4, 2, 0x0f);
    m.cpu.readPhys8(0xa0010);
    reg(m, 0x3ce, 0, 0x01);
    reg(m, 0x3ce, 1, 0x03);
    reg(m, 0x3ce, 8, 0xf0);
    m.cpu.writePhys8(0xa0010, 0x00);
    expect([0, 1, 2, 3].map((p) => planeByte(m, 0x10, p))).toEqual([0xff, 0x0f, 0x0f, 0x0f]);
  });

  it("planar write modes 1 (latch copy), 2 (colour), 3 (set/reset through the rotated value) and the XOR function", () => {
    const m = machine();
    planar(m);
    reg(m, 0x3ce, 5, 0x02);
    m.cpu.writePhys8(0xa0000, 0x05);
    expect([0, 1, 2, 3].map((p) => planeByte(m, 0, p))).toEqual([0xff, 0x00, 0xff, 0x00]);
    reg(m, 0x3ce, 5, 0x01);
    m.cpu.readPhys8(0xa0000);
    m.cpu.writePhys8(0xa0001, 0x00);
    expect([0, 1, 2, 3].map((p) => planeByte(m, 1, p))).toEqual([0xff, 0x00, 0xff, 0x00]);
    reg(m, 0x3ce, 5, 0x03);
    reg(m, 0x3ce, 0, 0x0a);
    reg(m, 0x3ce, 3, 0x04);
    // 0x3C rotated right by 4 is 0xC3: the bits written with set/reset's colour 1010.
    m.cpu.readPhys8(0xa0002);
    m.cpu.writePhys8(0xa0002, 0x3c);
    expect([0, 1, 2, 3].map((p) => planeByte(m, 2, p))).toEqual([0x00, 0xc3, 0x00, 0xc3]);
    reg(m, 0x3ce, 5, 0x00);
    reg(m, 0x3ce, 3, 0x18);
    reg(m, 0x3ce, 1, 0x00);
    m.cpu.readPhys8(0xa0000);
    m.cpu.writePhys8(0xa0000, 0x0f);
    expect([0, 1, 2, 3].map((p) => planeByte(m, 0, p))).toEqual([0xf0, 0x0f, 0xf0, 0x0f]);
  });

  it("read mode 0 reads the selected plane; read mode 1 compares colours", () => {
    const m = machine();
    planar(m);
    reg(m, 0x3ce, 5, 0x02);
    m.cpu.writePhys8(0xa0000, 0x06);
    reg(m, 0x3ce, 5, 0x00);
    reg(m, 0x3ce, 4, 0x01);
    expect(m.cpu.readPhys8(0xa0000)).toBe(0xff);
    reg(m, 0x3ce, 4, 0x03);
    expect(m.cpu.readPhys8(0xa0000)).toBe(0x00);
    reg(m, 0x3ce, 5, 0x08);
    reg(m, 0x3ce, 7, 0x0f);
    reg(m, 0x3ce, 2, 0x06);
    expect(m.cpu.readPhys8(0xa0000)).toBe(0xff);
    reg(m, 0x3ce, 2, 0x07);
    expect(m.cpu.readPhys8(0xa0000)).toBe(0x00);
    // Plane 0 don't care: 0x07 matches 0x06 again.
    reg(m, 0x3ce, 7, 0x0e);
    expect(m.cpu.readPhys8(0xa0000)).toBe(0xff);
  });

  it("chain 4 addresses video memory as bytes, each plane enabled by the map mask", () => {
    const m = machine();
    reg(m, 0x3c4, 4, 0x0e);
    reg(m, 0x3ce, 5, 0x40);
    reg(m, 0x3ce, 6, 0x05);
    reg(m, 0x3c4, 2, 0x0b);
    for (let k = 0; k < 4; k++) m.cpu.writePhys8(0xa0100 + k, 0x10 + k);
    expect(m.vga.vram.subarray(0x100, 0x104)).toEqual(Uint8Array.of(0x10, 0x11, 0, 0x13));
  });
});

describe("VGA registers", () => {
  it("CRTC at 0x3D4 with colour misc output, 0x3B4 without; CR11 bit 7 protects CR00–CR07", () => {
    const m = machine();
    reg(m, 0x3b4, 0x0e, 0x12);
    expect(m.vga.crtc[0x0e]).toBe(0x12);
    out(m, 0x3c2, 0x01);
    expect(m.ports.in8(0x3cc)).toBe(0x01);
    reg(m, 0x3d4, 0x0f, 0x34);
    m.ports.out8(0x3d4, 0x0f);
    expect(m.ports.in8(0x3d5)).toBe(0x34);
    reg(m, 0x3d4, 0x01, 0x4f);
    reg(m, 0x3d4, 0x11, 0x80);
    reg(m, 0x3d4, 0x01, 0x27);
    expect(m.vga.crtc[1]).toBe(0x4f);
    reg(m, 0x3d4, 0x07, 0xff);
    expect(m.vga.crtc[7]).toBe(0x10);
  });

  it("the attribute controller's flip-flop alternates index and data, and input status 1 resets it", () => {
    const m = machine();
    out(m, 0x3c2, 0x01);
    m.ports.in8(0x3da);
    out(m, 0x3c0, 0x05, 0x3f);
    expect(m.vga.attr[5]).toBe(0x3f);
    out(m, 0x3c0, 0x06);
    m.ports.in8(0x3da);
    out(m, 0x3c0, 0x27, 0x11);
    expect(m.vga.attr[7]).toBe(0x11);
    expect(m.ports.in8(0x3c0)).toBe(0x27);
    expect(m.ports.in8(0x3c1)).toBe(0x11);
    // Retrace and display enable toggle read by read, so polling loops end.
    const a = m.ports.in8(0x3da);
    const b = m.ports.in8(0x3da);
    expect((a ^ b) & 0x09).toBe(0x09);
  });

  it("the DAC reads and writes three components per entry with auto-increment", () => {
    const m = machine();
    out(m, 0x3c8, 0x10);
    out(m, 0x3c9, 1, 2, 3, 4, 5, 0x46);
    out(m, 0x3c7, 0x10);
    expect([0, 1, 2, 3, 4, 5].map(() => m.ports.in8(0x3c9))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.ports.in8(0x3c7)).toBe(3);
  });
});

describe("Bochs VBE and the PCI function", () => {
  function dispi(m: Machine, index: number, value?: number): number {
    m.ports.out16(0x1ce, index);
    if (value !== undefined) m.ports.out16(0x1cf, value);
    return m.ports.in16(0x1cf);
  }

  function config(m: Machine, offset: number, value?: number): number {
    m.ports.out32(0xcf8, 0x80000000 | (2 << 11) | offset);
    if (value !== undefined) m.ports.out32(0xcfc, value);
    return m.ports.in32(0xcfc) >>> 0;
  }

  it("DISPI: the interface ID, capabilities, a mode, the banked window and the linear framebuffer", () => {
    const m = machine();
    expect(dispi(m, Dispi.ID)).toBe(0xb0c5);
    expect(dispi(m, Dispi.ID, 0xb0c0)).toBe(0xb0c0);
    expect(dispi(m, Dispi.ID, 0x1234)).toBe(0xb0c0);
    expect(dispi(m, Dispi.VIDEO_MEMORY_64K)).toBe(256);
    // Enabled before any resolution was set: still a picture.
    dispi(m, Dispi.ENABLE, 0x01);
    expect(PNG.sync.read(Buffer.from(m.screenshot())).width).toBe(1);
    dispi(m, Dispi.ENABLE, 0x02);
    expect(dispi(m, Dispi.XRES)).toBeGreaterThanOrEqual(1024);
    dispi(m, Dispi.ENABLE, 0);
    dispi(m, Dispi.XRES, 640);
    dispi(m, Dispi.YRES, 480);
    dispi(m, Dispi.BPP, 32);
    dispi(m, Dispi.ENABLE, 0x41);
    expect(m.vga.vbeEnabled).toBe(true);
    expect(dispi(m, Dispi.VIRT_WIDTH)).toBe(640);
    dispi(m, Dispi.BANK, 2);
    m.cpu.writePhys32(0xa0010, 0x00ff0000);
    expect(m.vga.vram[0x20012]).toBe(0xff);

    // The framebuffer BAR: 16 MiB, prefetchable; mapped once memory decoding is on.
    expect(config(m, 0x00)).toBe(0x11111234);
    expect(config(m, 0x08) >>> 8).toBe(0x030000);
    expect(config(m, 0x10, 0xffffffff)).toBe(0xff000008);
    config(m, 0x10, 0xfd000000);
    expect(m.cpu.readPhys32(0xfd020010)).toBe(-1);
    config(m, 0x04, 0x0003);
    expect(m.cpu.readPhys32(0xfd020010)).toBe(0x00ff0000);
    m.cpu.writePhys32(0xfd000000 + (10 * 640 + 20) * 4, 0x0000ff00);
    const png = PNG.sync.read(Buffer.from(m.screenshot()));
    expect([png.width, png.height]).toEqual([640, 480]);
    const at = (10 * 640 + 20) * 4;
    expect([...png.data.subarray(at, at + 4)]).toEqual([0, 255, 0, 255]);
    // Bank 2's write at 0xA0010 is video memory 0x20010: pixel 0x8004, red (BGRX in memory).
    expect([...png.data.subarray(0x8004 * 4, 0x8004 * 4 + 4)]).toEqual([255, 0, 0, 255]);
  });

  it("the VGA BIOS shows through the ROM BAR only when enabled", () => {
    const m = machine();
    const rom = new Uint8Array(40000).map((_, k) => k & 0xff);
    rom[0] = 0x55;
    rom[1] = 0xaa;
    m.vgaPci.setRom(rom);
    expect(config(m, 0x30, 0xfffffffe)).toBe(0xffff0000);
    config(m, 0x30, 0xfeb00000);
    config(m, 0x04, 0x0002);
    expect(m.cpu.readPhys16(0xfeb00000)).toBe(0xffff);
    config(m, 0x30, 0xfeb00001);
    expect(m.cpu.readPhys16(0xfeb00000)).toBe(0xaa55);
    expect(m.cpu.readPhys8(0xfeb00000 + 39999)).toBe(39999 & 0xff);
  });
});

describe("terminal keys", () => {
  it("become set 2 make and break codes with Shift, Ctrl and extended prefixes", () => {
    expect(terminalScancodes("a")).toEqual([0x1c, 0xf0, 0x1c]);
    expect(terminalScancodes("A")).toEqual([0x12, 0x1c, 0xf0, 0x1c, 0xf0, 0x12]);
    expect(terminalScancodes("!")).toEqual([0x12, 0x16, 0xf0, 0x16, 0xf0, 0x12]);
    expect(terminalScancodes("\r")).toEqual([0x5a, 0xf0, 0x5a]);
    expect(terminalScancodes("\x03")).toEqual([0x14, 0x21, 0xf0, 0x21, 0xf0, 0x14]);
    expect(terminalScancodes("\x1b[A")).toEqual([0xe0, 0x75, 0xe0, 0xf0, 0x75]);
    expect(terminalScancodes("\x1b[18~")).toEqual([0x83, 0xf0, 0x83]);
    expect(terminalScancodes("\x1b")).toEqual([0x76, 0xf0, 0x76]);
  });
});

interface GuestRun {
  debug: string;
  text: Uint8Array;
  graphics: Uint8Array;
  screen: ReturnType<typeof textScreen>;
  instructions: number;
}

/** vga.bin to READY, a text screenshot, the keys, then to its exit and a graphics screenshot. */
function runGuest(engine: "interp" | "jit"): GuestRun {
  const m = machine(engine);
  let debug = "";
  m.on("debugcon", (b) => (debug += String.fromCharCode(b)));
  bootImage(m, GUEST, new Uint8Array(readFileSync(GUEST)));
  for (let k = 0; k < 100 && !debug.includes("READY"); k++) m.runSync(100_000);
  expect(debug).toContain("READY");
  const text = m.screenshot();
  const screen = textScreen(m.vga);
  m.kbc.sendScancodes(terminalScancodes("a"));
  const r = m.runSync(50_000_000);
  expect(r).toMatchObject({ reason: "exit", exitStatus: 1 });
  return { debug, text, graphics: m.screenshot(), screen, instructions: m.instructionCount };
}

describe("a guest that programs the VGA itself (guests/display/vga.bin)", () => {
  const interp = runGuest("interp");
  const jit = runGuest("jit");

  it("passes its own checks, identically in both engines", () => {
    const lines = interp.debug.split("\n").filter((l) => l.startsWith("PASS") || l.startsWith("FAIL"));
    expect(lines.filter((l) => !l.startsWith("PASS"))).toEqual([]);
    expect(lines).toHaveLength(5);
    expect(jit.debug).toBe(interp.debug);
    expect(jit.instructions).toBe(interp.instructions);
    expect(Buffer.from(jit.text).equals(Buffer.from(interp.text))).toBe(true);
    expect(Buffer.from(jit.graphics).equals(Buffer.from(interp.graphics))).toBe(true);
  });

  it("shows 80x25 text with its attributes and cursor", () => {
    const s = interp.screen;
    expect([s.cols, s.rows]).toEqual([80, 25]);
    const row = Array.from(s.cells.subarray(2 * 80, 3 * 80), (c) => String.fromCharCode(c & 0xff)).join("");
    expect(row.trim()).toBe("Hello, VGA");
    expect(s.cells[2 * 80 + 5] >> 8).toBe(0x1f);
    expect(s.cursor).toBe(2 * 80 + 15);
    // The terminal frame: white on blue, then the cursor placed at row 3, column 16.
    const frame = renderText(s, true);
    expect(frame).toContain("\x1b[0;97;44mHello, VGA");
    expect(frame.endsWith("\x1b[3;16H\x1b[?25h")).toBe(true);

    // 720x400 pixels (9x16 cells). No font is loaded (no VGA BIOS), so cells show their background;
    // the cursor (scan lines 13-14) in the foreground colour.
    const png = PNG.sync.read(Buffer.from(interp.text));
    expect([png.width, png.height]).toEqual([720, 400]);
    const px = (x: number, y: number) => [...png.data.subarray((y * 720 + x) * 4, (y * 720 + x) * 4 + 3)];
    expect(px(5 * 9 + 4, 2 * 16 + 8)).toEqual([0, 0, 170]);
    expect(px(4 * 9 + 4, 2 * 16 + 8)).toEqual([0, 0, 0]);
    expect(px(15 * 9 + 4, 2 * 16 + 13)).toEqual([170, 170, 170]);
    expect(px(15 * 9 + 4, 2 * 16 + 12)).toEqual([0, 0, 0]);
  });

  it("shows mode 13h: 320x200, the red rectangle and the green corner through the DAC", () => {
    const png = PNG.sync.read(Buffer.from(interp.graphics));
    expect([png.width, png.height]).toEqual([320, 200]);
    const px = (x: number, y: number) => [...png.data.subarray((y * 320 + x) * 4, (y * 320 + x) * 4 + 4)];
    expect(px(10, 5)).toEqual([255, 0, 0, 255]);
    expect(px(29, 14)).toEqual([255, 0, 0, 255]);
    expect(px(30, 14)).toEqual([0, 0, 0, 255]);
    expect(px(10, 15)).toEqual([0, 0, 0, 255]);
    expect(px(319, 199)).toEqual([0, 255, 0, 255]);
    let red = 0;
    for (let k = 0; k < png.data.length; k += 4) if (png.data[k] === 255) red++;
    expect(red).toBe(200);
  });
});

describe("the display in a snapshot", () => {
  it("a machine saved with text on the screen and restored under the other engine shows it, and runs on to the same graphics", () => {
    const want = runGuest("jit");
    for (const [from, to] of [["jit", "interp"], ["interp", "jit"]] as const) {
      const m = machine(from);
      let debug = "";
      m.on("debugcon", (b) => (debug += String.fromCharCode(b)));
      bootImage(m, GUEST, new Uint8Array(readFileSync(GUEST)));
      for (let k = 0; k < 100 && !debug.includes("READY"); k++) m.runSync(100_000);
      const r = restoreSnapshot(saveSnapshot(m), { engine: to });
      expect(Buffer.from(r.screenshot()).equals(Buffer.from(want.text))).toBe(true);
      r.kbc.sendScancodes(terminalScancodes("a"));
      expect(r.runSync(50_000_000)).toMatchObject({ reason: "exit", exitStatus: 1 });
      expect(r.instructionCount).toBe(want.instructions);
      expect(Buffer.from(r.screenshot()).equals(Buffer.from(want.graphics))).toBe(true);
    }
  });
});
