/**
 * Debian's kernel (built by `npm run guests:linux`) against guest RAM sizes: it
 * decompresses at its pref_address plus init_size, so below that it is refused
 * with a one-line message saying what it needs, and from there on it boots past
 * its decompressor (paging on) instead of triple-faulting. Run by `npm run
 * test:linux` (the JIT only: decompression takes about 2.3 G instructions).
 */
import { existsSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { UsageError } from "../runtime/errors.js";
import { bootImage } from "../runtime/image.js";
import { createMachine } from "../runtime/machine.js";

const DIR = new URL("../guests/linux/build/", import.meta.url).pathname;
const MIB = 1 << 20;

function kernel(): Uint8Array {
  if (!existsSync(DIR + "vmlinuz")) throw new Error("guests/linux/build/vmlinuz is missing: run `npm run guests:linux` first");
  return new Uint8Array(readFileSync(DIR + "vmlinuz"));
}

/** What the header says the kernel needs: pref_address (aligned) plus init_size, in MiB. */
function neededMiB(image: Uint8Array): number {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const align = dv.getUint32(0x230, true);
  const start = Math.ceil(Math.max(MIB, Number(dv.getBigUint64(0x258, true))) / align) * align;
  return Math.ceil((start + dv.getUint32(0x260, true)) / MIB);
}

function boot(mib: number) {
  const m = createMachine({ memMiB: mib, engine: "jit" });
  bootImage(m, DIR + "vmlinuz", kernel(), {
    cmdline: readFileSync(DIR + "cmdline.txt", "utf8").trim(),
    initrd: new Uint8Array(readFileSync(DIR + "initramfs.cpio")),
  });
  return m;
}

test("below what the kernel needs: one line saying how much", () => {
  const need = neededMiB(kernel());
  expect(need).toBeGreaterThan(18);
  for (const mib of [18, 24, need - 1]) {
    let error: unknown;
    try {
      boot(mib);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toContain(`kernel needs ${need} MiB of RAM`);
    expect(message).toContain(`the guest has ${mib} MiB`);
  }
});

test("with what it needs, and more: past the decompressor into the kernel with paging on", () => {
  const need = neededMiB(kernel());
  for (const mib of [need, need + 15]) {
    const m = boot(mib);
    let n = 0;
    while (m.cpu.cr0 >= 0 && n < 4e9) {
      const r = m.runSync(50_000_000);
      expect(r.reason).toBe("limit");
      n += r.instructions;
    }
    expect(m.cpu.cr0 >>> 31, `${mib} MiB`).toBe(1);
  }
}, 3_600_000);
