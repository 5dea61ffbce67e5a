/**
 * What a VGA shows, read from its registers and video memory the way the CRT
 * controller scans it out: the text screen as cells (for the terminal display)
 * and any mode as RGBA pixels (for screenshots). Text is drawn with the font in
 * plane 2, where the VGA BIOS (or the guest) loaded it, as the hardware does.
 */
import { Dispi, DISPI_8BIT_DAC, type Vga } from "./vga.js";

export interface TextScreen {
  cols: number;
  rows: number;
  /** Per cell: character in bits 0–7, attribute in bits 8–15. */
  cells: Uint16Array;
  /** Cursor cell, or -1 when the cursor is off or off screen. */
  cursor: number;
}

export interface Picture {
  width: number;
  height: number;
  /** width × height × 4 bytes, RGBA. */
  rgba: Uint8Array;
}

/** Is the VGA in a text mode (graphics bit of GR6 clear, VBE off)? */
export function isTextMode(v: Vga): boolean {
  return !v.vbeEnabled && !(v.gfx[6] & 1);
}

/** Scan lines the CRTC displays: vertical display end (CR12 with its overflow bits in CR07) plus one. */
function scanLines(v: Vga): number {
  const c = v.crtc;
  return (c[0x12] | ((c[7] & 0x02) << 7) | ((c[7] & 0x40) << 3)) + 1;
}

function startAddress(v: Vga): number {
  return (v.crtc[0x0c] << 8) | v.crtc[0x0d];
}

/** The text screen as the CRTC scans it: cells from planes 0 and 1 at the start address. */
export function textScreen(v: Vga): TextScreen {
  const c = v.crtc;
  const cols = Math.max(1, c[1] + 1);
  const charHeight = (c[9] & 0x1f) + 1;
  const rows = Math.max(1, Math.floor(scanLines(v) / charHeight));
  // Offset register: words per line, in the dwords of video memory that hold a cell each.
  const pitch = c[0x13] * 2 || cols;
  const start = startAddress(v);
  const cells = new Uint16Array(cols * rows);
  const vram = v.vram;
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < cols; col++) {
      const at = ((start + r * pitch + col) & 0xffff) * 4;
      cells[r * cols + col] = vram[at] | (vram[at + 1] << 8);
    }
  }
  const where = ((c[0x0e] << 8) | c[0x0f]) - start;
  const off = (c[0x0a] & 0x20) !== 0 || (c[0x0a] & 0x1f) > (c[0x0b] & 0x1f);
  const cursor = !off && where >= 0 && where < cols * rows && where % pitch < cols ? Math.floor(where / pitch) * cols + (where % pitch) : -1;
  return { cols, rows, cells, cursor };
}

/** A DAC entry as 8-bit RGB. */
function dacColour(v: Vga, index: number): [number, number, number] {
  const d = v.dac;
  const i = (index & v.pelMask) * 3;
  if (v.dispi[Dispi.ENABLE] & DISPI_8BIT_DAC) return [d[i], d[i + 1], d[i + 2]];
  const w = (x: number) => (x << 2) | (x >> 4);
  return [w(d[i]), w(d[i + 1]), w(d[i + 2])];
}

/** A 4-bit colour through the attribute controller's palette (and colour select) to a DAC index. */
function attributeColour(v: Vga, colour: number): number {
  const a = v.attr;
  const p = a[colour & a[0x12] & 0xf];
  const select = a[0x14];
  return a[0x10] & 0x80 ? (p & 0x0f) | ((select & 0x0f) << 4) : (p & 0x3f) | ((select & 0x0c) << 4);
}

/** Everything shown, as pixels. */
export function picture(v: Vga): Picture {
  if (v.vbeEnabled) return vbePicture(v);
  if (isTextMode(v)) return textPicture(v);
  return v.gfx[5] & 0x40 ? colour256Picture(v) : planarPicture(v);
}

function blank(width: number, height: number): Picture {
  return { width, height, rgba: new Uint8Array(width * height * 4) };
}

function put(p: Picture, x: number, y: number, rgb: readonly number[]): void {
  const o = (y * p.width + x) * 4;
  p.rgba[o] = rgb[0];
  p.rgba[o + 1] = rgb[1];
  p.rgba[o + 2] = rgb[2];
  p.rgba[o + 3] = 0xff;
}

/** Offsets of the eight character maps in plane 2, in glyph slots of 32 bytes. */
const FONT_MAP = [0x0000, 0x4000, 0x8000, 0xc000, 0x2000, 0x6000, 0xa000, 0xe000];

function textPicture(v: Vga): Picture {
  const s = textScreen(v);
  const charHeight = (v.crtc[9] & 0x1f) + 1;
  const dots = v.seq[1] & 1 ? 8 : 9;
  const p = blank(s.cols * dots, s.rows * charHeight);
  const sr3 = v.seq[3];
  const mapA = FONT_MAP[((sr3 >> 5) & 1) | ((sr3 >> 1) & 6)];
  const mapB = FONT_MAP[((sr3 >> 4) & 1) | ((sr3 << 1) & 6)];
  const blink = (v.attr[0x10] & 0x08) !== 0;
  const lineGraphics = (v.attr[0x10] & 0x04) !== 0;
  const cursorTop = v.crtc[0x0a] & 0x1f;
  const cursorBottom = v.crtc[0x0b] & 0x1f;
  const palette: [number, number, number][] = [];
  for (let k = 0; k < 16; k++) palette.push(dacColour(v, attributeColour(v, k)));
  for (let cell = 0; cell < s.cells.length; cell++) {
    const ch = s.cells[cell] & 0xff;
    const at = s.cells[cell] >> 8;
    const fg = palette[at & 0xf];
    const bg = palette[blink ? (at >> 4) & 7 : at >> 4];
    const font = (at & 0x08 ? mapB : mapA) + ch * 32;
    const x0 = (cell % s.cols) * dots;
    const y0 = Math.floor(cell / s.cols) * charHeight;
    for (let line = 0; line < charHeight; line++) {
      let bits = v.vram[((font + line) << 2) | 2];
      if (cell === s.cursor && line >= cursorTop && line <= cursorBottom) bits = 0xff;
      for (let dot = 0; dot < dots; dot++) {
        const on = dot < 8 ? (bits >> (7 - dot)) & 1 : lineGraphics && ch >= 0xc0 && ch <= 0xdf ? bits & 1 : 0;
        put(p, x0 + dot, y0 + line, on ? fg : bg);
      }
    }
  }
  return p;
}

/** Width and height of a graphics mode: CR01 characters of 8 dots, scan lines over the line repetition. */
function graphicsSize(v: Vga, dotsPerPixel: number): [number, number] {
  const c = v.crtc;
  const width = Math.floor(((c[1] + 1) * 8) / dotsPerPixel);
  const repeat = ((c[9] & 0x1f) + 1) * (c[9] & 0x80 ? 2 : 1);
  return [width, Math.max(1, Math.floor(scanLines(v) / repeat))];
}

/** 256 colours (mode 13h): a byte per pixel, the four planes interleaved as chain 4 stores them. */
function colour256Picture(v: Vga): Picture {
  const [width, height] = graphicsSize(v, 2);
  const p = blank(width, height);
  const pitch = v.crtc[0x13] * 8;
  const base = startAddress(v) * 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) put(p, x, y, dacColour(v, v.vram[(base + y * pitch + x) % v.vram.length]));
  }
  return p;
}

/** 16 colours in four planes, a bit per pixel in each, through the attribute palette. */
function planarPicture(v: Vga): Picture {
  const half = (v.seq[1] & 0x08) !== 0;
  const [width, height] = graphicsSize(v, half ? 2 : 1);
  const p = blank(width, height);
  const pitch = v.crtc[0x13] * 2;
  const start = startAddress(v);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = ((start + y * pitch + (x >> 3)) & 0xffff) * 4;
      const bit = 7 - (x & 7);
      let colour = 0;
      for (let plane = 0; plane < 4; plane++) colour |= ((v.vram[at + plane] >> bit) & 1) << plane;
      put(p, x, y, dacColour(v, attributeColour(v, colour)));
    }
  }
  return p;
}

function vbePicture(v: Vga): Picture {
  const d = v.dispi;
  // A guest may enable VBE before setting a resolution: a 1x1 picture then, as PNG needs one.
  const width = Math.max(1, d[Dispi.XRES]);
  const height = Math.max(1, d[Dispi.YRES]);
  const bpp = d[Dispi.BPP];
  const p = blank(width, height);
  const line = v.lineBytes();
  const bytes = (bpp + 7) >>> 3;
  const vram = v.vram;
  const rgb: number[] = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = x + d[Dispi.X_OFFSET];
      const at = (y + d[Dispi.Y_OFFSET]) * line + (bpp === 4 ? px >> 1 : px * bytes);
      if (at + bytes > vram.length) continue;
      if (bpp === 4 || bpp === 8) {
        const index = bpp === 8 ? vram[at] : (vram[at] >> (px & 1 ? 0 : 4)) & 0xf;
        put(p, x, y, dacColour(v, index));
        continue;
      }
      const w = vram[at] | (vram[at + 1] << 8);
      if (bpp === 15 || bpp === 16) {
        const green = bpp === 16 ? (w >> 5) & 0x3f : (w >> 5) & 0x1f;
        rgb[0] = ((w >> (bpp === 16 ? 11 : 10)) & 0x1f) * 255 / 31;
        rgb[1] = bpp === 16 ? (green * 255) / 63 : (green * 255) / 31;
        rgb[2] = ((w & 0x1f) * 255) / 31;
      } else {
        rgb[0] = vram[at + 2];
        rgb[1] = vram[at + 1];
        rgb[2] = vram[at];
      }
      put(p, x, y, rgb.map(Math.round));
    }
  }
  return p;
}
