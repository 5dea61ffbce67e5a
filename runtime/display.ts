/**
 * `jit386 run --display terminal`: the VGA's text screen drawn on the terminal
 * (ANSI colours, the hardware cursor, code page 437 as Unicode) and the
 * terminal's keys typed on the PS/2 keyboard (runtime/keys.ts). Ctrl-A X quits
 * as on the serial console; Ctrl-A Ctrl-A types Ctrl-A. Graphics modes are
 * drawn scaled down to the terminal, two pixels a character cell (an upper
 * half block in 24-bit colour over its lower half).
 */
import { isTextMode, type Picture, picture, type TextScreen, textScreen } from "../src/devices/vgarender.js";
import { terminalScancodes } from "./keys.js";
import type { Machine } from "./machine.js";

const CTRL_A = 0x01;
/** How often the screen is redrawn when the guest changed it. */
const REFRESH_MS = 50;

/** Code page 437, the VGA BIOS's font: characters 0x00–0x1F, 0x7F and 0x80–0xFF as Unicode. */
const CP437_LOW = " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼";
const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

export function cp437(ch: number): string {
  if (ch < 0x20) return CP437_LOW[ch];
  if (ch === 0x7f) return "⌂";
  if (ch >= 0x80) return CP437_HIGH[ch - 0x80];
  return String.fromCharCode(ch);
}

/** VGA colour numbers (blue = 1, red = 4) to ANSI's (red = 1, blue = 4). */
const ANSI = [0, 4, 2, 6, 1, 5, 3, 7];

function sgr(attr: number, blink: boolean): string {
  const fg = attr & 0xf;
  const bg = blink ? (attr >> 4) & 7 : attr >> 4;
  const f = (fg & 8 ? 90 : 30) + ANSI[fg & 7];
  const b = (bg & 8 ? 100 : 40) + ANSI[bg & 7];
  return `\x1b[0;${f};${b}m`;
}

/** One frame of the text screen as terminal output: home, every row, the cursor. */
export function renderText(s: TextScreen, blink: boolean): string {
  let frame = "\x1b[H";
  let last = -1;
  for (let r = 0; r < s.rows; r++) {
    if (r > 0) frame += "\r\n";
    for (let c = 0; c < s.cols; c++) {
      const cell = s.cells[r * s.cols + c];
      const attr = cell >> 8;
      if (attr !== last) {
        frame += sgr(attr, blink);
        last = attr;
      }
      frame += cp437(cell & 0xff);
    }
  }
  frame += "\x1b[0m";
  frame += s.cursor >= 0 ? `\x1b[${Math.floor(s.cursor / s.cols) + 1};${(s.cursor % s.cols) + 1}H\x1b[?25h` : "\x1b[?25l";
  return frame;
}

/** A picture scaled to `cols` × `rows` character cells of two pixels each (nearest pixel). */
export function renderPicture(p: Picture, cols: number, rows: number): string {
  let frame = "\x1b[H\x1b[?25l";
  const rgb = (x: number, y: number): string => {
    const o = (Math.min(p.height - 1, Math.floor((y * p.height) / (rows * 2))) * p.width + Math.min(p.width - 1, Math.floor((x * p.width) / cols))) * 4;
    return `${p.rgba[o]};${p.rgba[o + 1]};${p.rgba[o + 2]}`;
  };
  for (let r = 0; r < rows; r++) {
    if (r > 0) frame += "\r\n";
    for (let c = 0; c < cols; c++) frame += `\x1b[38;2;${rgb(c, 2 * r)};48;2;${rgb(c, 2 * r + 1)}m▀`;
  }
  return frame + "\x1b[0m";
}

export function attachDisplay(m: Machine, write: (s: string) => void): () => void {
  const vga = m.vga;
  let shown = "";
  const draw = (): void => {
    if (!vga.dirty) return;
    vga.dirty = false;
    let frame: string;
    if (isTextMode(vga)) frame = renderText(textScreen(vga), (vga.attr[0x10] & 0x08) !== 0);
    else {
      const cols = process.stdout.isTTY ? process.stdout.columns : 80;
      const rows = process.stdout.isTTY ? process.stdout.rows - 1 : 25;
      frame = renderPicture(picture(vga), Math.max(1, cols), Math.max(1, rows));
    }
    if (frame !== shown) write(frame);
    shown = frame;
  };
  write("\x1b[?1049h\x1b[2J");
  const timer = setInterval(draw, REFRESH_MS);

  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  let escape = false;
  const onData = (buf: Buffer): void => {
    let text = "";
    for (const b of buf) {
      if (escape) {
        escape = false;
        if (b === 0x78 || b === 0x58) {
          m.stop();
          return;
        }
        if (b !== CTRL_A) text += "\x01";
      } else if (b === CTRL_A) {
        escape = true;
        continue;
      }
      text += String.fromCharCode(b);
    }
    m.kbc.sendScancodes(terminalScancodes(text));
  };
  const onError = (): void => void stdin.off("data", onData);
  if (tty) stdin.setRawMode(true);
  stdin.on("data", onData);
  stdin.on("error", onError);
  return () => {
    clearInterval(timer);
    vga.dirty = true;
    draw();
    write("\x1b[0m\x1b[?25h\x1b[?1049l");
    stdin.off("data", onData);
    stdin.off("error", onError);
    if (tty) stdin.setRawMode(false);
    stdin.pause();
  };
}
