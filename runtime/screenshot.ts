/** The VGA's picture as a PNG file's bytes (encoded by pngjs). */
import { PNG } from "pngjs";
import { picture } from "../src/devices/vgarender.js";
import type { Vga } from "../src/devices/vga.js";

export function screenshotPng(vga: Vga): Uint8Array {
  const p = picture(vga);
  const png = new PNG({ width: p.width, height: p.height });
  png.data = Buffer.from(p.rgba.buffer, p.rgba.byteOffset, p.rgba.byteLength);
  return new Uint8Array(PNG.sync.write(png));
}
