/** Guest images built in tests. */
import { MULTIBOOT_MAGIC as MB } from "../../src/boot/multiboot.js";

/**
 * An address-field multiboot image: the header at 0, loaded at 1 MiB, `code` right after the
 * 32-byte header (the entry point, 0x100020), then `bss` bytes of bss.
 */
export function addressImage(code: number[], flags = 0x00010000, bss = 0x100): Uint8Array {
  const img = new Uint8Array(32 + code.length);
  const dv = new DataView(img.buffer);
  dv.setUint32(0, MB, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, (-(MB + flags)) >>> 0, true);
  dv.setUint32(12, 0x100000, true);
  dv.setUint32(16, 0x100000, true);
  dv.setUint32(20, 0x100000 + img.length, true);
  dv.setUint32(24, 0x100000 + img.length + bss, true);
  dv.setUint32(28, 0x100020, true);
  img.set(code, 32);
  return img;
}
