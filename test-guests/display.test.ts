/**
 * SeaBIOS with its VGA BIOS (vgabios-stdvga.bin from the ROM BAR of the VGA's
 * PCI function) boots a disk and prints on the screen: the screenshot is
 * decoded and read back cell by cell against the font the VGA BIOS loaded,
 * which must be the ROM's own; both engines show the same picture. The
 * command line's --screenshot writes the same kind of file.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { runDiff } from "../runtime/diff.js";
import { openMedium } from "../runtime/disk.js";
import { bootFirmware, DEFAULT_BIOS, DEFAULT_VGA_BIOS } from "../runtime/image.js";
import { terminalScancodes } from "../runtime/keys.js";
import { createMachine, type Machine } from "../runtime/machine.js";

const BOOT_SECTOR = new URL("../guests/boot/bootsector.bin", import.meta.url).pathname;
const VGA_MODES = new URL("../guests/boot/vgamodes.bin", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "jit386-display-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function firmware(): { bios: Uint8Array; vgaBios: Uint8Array } {
  for (const f of [DEFAULT_BIOS, DEFAULT_VGA_BIOS]) if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run guests:bios\` first`);
  return { bios: new Uint8Array(readFileSync(DEFAULT_BIOS)), vgaBios: new Uint8Array(readFileSync(DEFAULT_VGA_BIOS)) };
}

function diskImage(): string {
  const img = new Uint8Array(4 << 20);
  const boot = new Uint8Array(readFileSync(BOOT_SECTOR));
  new DataView(boot.buffer).setUint32(0x1b0, 1, true);
  new DataView(boot.buffer).setUint16(0x1b4, 1, true);
  img.set(boot, 0);
  img.set(new TextEncoder().encode("payload\r\n\0"), 512);
  const path = join(work, "disk.img");
  writeFileSync(path, img);
  return path;
}

interface Shot {
  png: Uint8Array;
  /** The 8x16 font in plane 2 (256 glyphs of 16 lines), as the VGA BIOS loaded it. */
  font: Uint8Array;
  instructions: number;
}

function boot(engine: "interp" | "jit"): Shot {
  const m = createMachine({ memMiB: 32, engine }, { disks: [openMedium(diskImage(), "disk").backend] });
  bootFirmware(m, firmware());
  const r = m.runSync(100_000_000);
  expect(r).toMatchObject({ reason: "exit", exitStatus: 1 });
  const font = new Uint8Array(256 * 16);
  for (let ch = 0; ch < 256; ch++) for (let line = 0; line < 16; line++) font[ch * 16 + line] = m.vga.vram[((ch * 32 + line) << 2) | 2];
  return { png: m.screenshot(), font, instructions: r.instructions };
}

/** Read a 9x16-cell text screenshot back to characters, each cell matched against the font's glyphs. */
function readScreen(png: PNG, font: Uint8Array, rows: number): string[] {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = "";
    for (let c = 0; c < png.width / 9; c++) {
      const glyph: number[] = [];
      for (let y = 0; y < 16; y++) {
        let bits = 0;
        for (let x = 0; x < 8; x++) {
          const o = ((r * 16 + y) * png.width + c * 9 + x) * 4;
          // Anything brighter than the black background is foreground.
          if (png.data[o] + png.data[o + 1] + png.data[o + 2] > 0) bits |= 0x80 >> x;
        }
        glyph.push(bits);
      }
      let found = "?";
      for (let ch = 0x20; ch < 0x7f; ch++) {
        if (glyph.every((b, y) => b === font[ch * 16 + y])) {
          found = String.fromCharCode(ch);
          break;
        }
      }
      line += found;
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

describe("the VGA under SeaBIOS", () => {
  const interp = boot("interp");
  const jit = boot("jit");

  it("the VGA BIOS loaded its own font into plane 2", () => {
    const rom = Buffer.from(firmware().vgaBios);
    // Glyphs 0x20-0x7E are what the screen shows; they must be the ROM's bytes, in order.
    expect(rom.indexOf(Buffer.from(interp.font.subarray(0x20 * 16, 0x7f * 16)))).toBeGreaterThan(0);
    expect(interp.font.subarray(0x41 * 16, 0x42 * 16).some((b) => b !== 0)).toBe(true);
  });

  it("the screenshot shows SeaBIOS's banner and its boot message, the same in both engines", () => {
    const png = PNG.sync.read(Buffer.from(interp.png));
    expect([png.width, png.height]).toEqual([720, 400]);
    const lines = readScreen(png, interp.font, 4);
    expect(lines[0]).toMatch(/^SeaBIOS \(version 1\.\d+/);
    expect(lines).toContain("Booting from Hard Disk...");
    // Light grey on black, as the BIOS's attribute 07 through the default palette.
    const colours = new Set<string>();
    for (let o = 0; o < png.data.length; o += 4) colours.add(`${png.data[o]},${png.data[o + 1]},${png.data[o + 2]}`);
    expect([...colours].sort()).toEqual(["0,0,0", "170,170,170"]);
    expect(jit.instructions).toBe(interp.instructions);
    expect(Buffer.from(jit.png).equals(Buffer.from(interp.png))).toBe(true);
  });

  it("jit386 run --screenshot writes the screen at the end of the run", () => {
    const cli = new URL("../dist/cli.js", import.meta.url).pathname;
    const file = join(work, "screen.png");
    let status = 0;
    try {
      execFileSync("node", [cli, "run", "--disk", diskImage(), "--serial", "none", "--screenshot", file], { stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(1);
    const png = PNG.sync.read(readFileSync(file));
    expect(readScreen(png, interp.font, 1)[0]).toMatch(/^SeaBIOS \(version/);
  });
});

/** Boot guests/boot/vgamodes.bin from a disk; run until the debug console shows `text`. */
function runUntil(m: Machine, debug: () => string, text: string): void {
  for (let k = 0; k < 400 && !debug().includes(text); k++) m.runSync(250_000);
  expect(debug()).toContain(text);
}

interface ModesRun {
  debug: string;
  mode12: Uint8Array;
  vbe: Uint8Array;
  instructions: number;
}

function modes(engine: "interp" | "jit"): ModesRun {
  const img = new Uint8Array(1 << 20);
  img.set(readFileSync(VGA_MODES), 0);
  const path = join(work, `modes-${engine}.img`);
  writeFileSync(path, img);
  const m = createMachine({ memMiB: 32, engine }, { disks: [openMedium(path, "disk").backend] });
  let debug = "";
  m.on("debugcon", (b) => (debug += String.fromCharCode(b)));
  bootFirmware(m, firmware());
  runUntil(m, () => debug, "mode 12h\n");
  const mode12 = m.screenshot();
  m.kbc.sendScancodes(terminalScancodes("x"));
  const r = m.runSync(100_000_000);
  expect(r).toMatchObject({ reason: "exit", exitStatus: 1 });
  return { debug, mode12, vbe: m.screenshot(), instructions: m.instructionCount };
}

describe("graphics modes and the keyboard through SeaBIOS's INT 10h and INT 16h", () => {
  const interp = modes("interp");
  const jit = modes("jit");
  const pixel = (png: PNG, x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];

  it("mode 12h: 640x480 planar, pixels drawn by the BIOS through the planes", () => {
    const png = PNG.sync.read(Buffer.from(interp.mode12));
    expect([png.width, png.height]).toEqual([640, 480]);
    for (const x of [0, 50, 99]) expect(pixel(png, x, 10)).toEqual([170, 0, 0]);
    expect(pixel(png, 100, 10)).toEqual([0, 0, 0]);
    expect(pixel(png, 0, 11)).toEqual([0, 0, 0]);
    expect(pixel(png, 639, 479)).toEqual([255, 255, 85]);
    let lit = 0;
    for (let o = 0; o < png.data.length; o += 4) if (png.data[o] | png.data[o + 1] | png.data[o + 2]) lit++;
    expect(lit).toBe(101);
  });

  it("a key typed on the keyboard reaches INT 16h as its set 1 scan code and character", () => {
    expect(interp.debug).toContain("key 2D78\n");
  });

  it("VBE mode 101h: 640x480 in 256 colours through the banked window", () => {
    expect(interp.debug).toContain("vbe 004F\n");
    const png = PNG.sync.read(Buffer.from(interp.vbe));
    expect([png.width, png.height]).toEqual([640, 480]);
    expect(pixel(png, 0, 20)).toEqual([170, 0, 0]);
    expect(pixel(png, 99, 20)).toEqual([170, 0, 0]);
    expect(pixel(png, 100, 20)).toEqual([0, 0, 0]);
  });

  it("in lockstep, the engines agree at every region exit through the mode changes", () => {
    const img = new Uint8Array(1 << 20);
    img.set(readFileSync(VGA_MODES), 0);
    const path = join(work, "modes-diff.img");
    writeFileSync(path, img);
    // No key comes: the run ends at the limit, in INT 16h's wait after mode 12h was drawn.
    const r = runDiff(undefined, "", { memMiB: 32, ramEvery: 64, maxInstructions: 30_000_000, storage: () => ({ disks: [openMedium(path, "disk").backend] }), firmware: firmware() });
    expect(r.differences).toEqual([]);
    expect(r.agree).toBe(true);
    expect(r.exits).toBeGreaterThan(10_000);
  });

  it("both engines show the same pictures after the same instructions", () => {
    expect(jit.debug).toBe(interp.debug);
    expect(jit.instructions).toBe(interp.instructions);
    expect(Buffer.from(jit.mode12).equals(Buffer.from(interp.mode12))).toBe(true);
    expect(Buffer.from(jit.vbe).equals(Buffer.from(interp.vbe))).toBe(true);
  });
});
