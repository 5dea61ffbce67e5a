/**
 * A terminal's input bytes as the keys a PC keyboard would send for them, in
 * scan code set 2 (the keyboard's own; the 8042 translates to set 1): a US
 * layout, Shift and Ctrl pressed around the keys that need them, and the
 * escape sequences of cursor, editing and function keys.
 */

const SHIFT = 0x12;
const CTRL = 0x14;
const EXTENDED = 0xe0;
const BREAK = 0xf0;

/** Unshifted characters and their set 2 codes. */
const PLAIN: Record<string, number> = {
  a: 0x1c, b: 0x32, c: 0x21, d: 0x23, e: 0x24, f: 0x2b, g: 0x34, h: 0x33, i: 0x43, j: 0x3b, k: 0x42, l: 0x4b, m: 0x3a,
  n: 0x31, o: 0x44, p: 0x4d, q: 0x15, r: 0x2d, s: 0x1b, t: 0x2c, u: 0x3c, v: 0x2a, w: 0x1d, x: 0x22, y: 0x35, z: 0x1a,
  "1": 0x16, "2": 0x1e, "3": 0x26, "4": 0x25, "5": 0x2e, "6": 0x36, "7": 0x3d, "8": 0x3e, "9": 0x46, "0": 0x45,
  "`": 0x0e, "-": 0x4e, "=": 0x55, "[": 0x54, "]": 0x5b, "\\": 0x5d, ";": 0x4c, "'": 0x52, ",": 0x41, ".": 0x49, "/": 0x4a,
  " ": 0x29, "\t": 0x0d, "\r": 0x5a, "\n": 0x5a, "\x7f": 0x66, "\b": 0x66, "\x1b": 0x76,
};

/** Shifted characters and the unshifted key they are on. */
const SHIFTED: Record<string, string> = {
  "!": "1", "@": "2", "#": "3", $: "4", "%": "5", "^": "6", "&": "7", "*": "8", "(": "9", ")": "0",
  "~": "`", _: "-", "+": "=", "{": "[", "}": "]", "|": "\\", ":": ";", '"': "'", "<": ",", ">": ".", "?": "/",
};

/** Escape sequences (after ESC) and their keys: [code, extended]. */
const SEQUENCES: Record<string, [number, boolean]> = {
  "[A": [0x75, true], "[B": [0x72, true], "[C": [0x74, true], "[D": [0x6b, true],
  "[H": [0x6c, true], "[F": [0x69, true], "OH": [0x6c, true], "OF": [0x69, true],
  "[1~": [0x6c, true], "[4~": [0x69, true], "[2~": [0x70, true], "[3~": [0x71, true], "[5~": [0x7d, true], "[6~": [0x7a, true],
  OP: [0x05, false], OQ: [0x06, false], OR: [0x04, false], OS: [0x0c, false],
  "[15~": [0x03, false], "[17~": [0x0b, false], "[18~": [0x83, false], "[19~": [0x0a, false],
  "[20~": [0x01, false], "[21~": [0x09, false], "[23~": [0x78, false], "[24~": [0x07, false],
};

function press(out: number[], code: number, extended = false): void {
  if (extended) out.push(EXTENDED);
  out.push(code);
}

function release(out: number[], code: number, extended = false): void {
  if (extended) out.push(EXTENDED);
  out.push(BREAK, code);
}

function tap(out: number[], code: number, extended = false, modifier?: number): void {
  if (modifier !== undefined) press(out, modifier);
  press(out, code, extended);
  release(out, code, extended);
  if (modifier !== undefined) release(out, modifier);
}

/** The set 2 bytes for one character typed, or none for a character no key makes. */
export function charScancodes(ch: string, out: number[]): void {
  const plain = PLAIN[ch];
  if (plain !== undefined) return tap(out, plain);
  const lower = ch.toLowerCase();
  if (ch !== lower && PLAIN[lower] !== undefined) return tap(out, PLAIN[lower], false, SHIFT);
  const base = SHIFTED[ch];
  if (base !== undefined) return tap(out, PLAIN[base], false, SHIFT);
  const c = ch.charCodeAt(0);
  // Ctrl-A … Ctrl-Z (those not already keys of their own above).
  if (c >= 1 && c <= 26) tap(out, PLAIN[String.fromCharCode(c + 0x60)], false, CTRL);
}

/**
 * Terminal input → set 2 bytes. Escape sequences are recognised within one
 * chunk of input (a terminal sends each whole); an ESC alone is the Esc key.
 */
export function terminalScancodes(input: string): number[] {
  const out: number[] = [];
  let k = 0;
  while (k < input.length) {
    if (input[k] === "\x1b" && k + 1 < input.length) {
      const seq = Object.keys(SEQUENCES).find((s) => input.startsWith(s, k + 1));
      if (seq) {
        const [code, extended] = SEQUENCES[seq];
        tap(out, code, extended);
        k += 1 + seq.length;
        continue;
      }
    }
    charScancodes(input[k], out);
    k++;
  }
  return out;
}
