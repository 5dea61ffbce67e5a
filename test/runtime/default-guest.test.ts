import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { bootImage, DEFAULT_GUEST } from "../../runtime/image.js";
import { createMachine } from "../../runtime/machine.js";

/** The sieve and CRC-32 the demo guest computes in ring 3, computed here independently. */
function expected(): { primes: number; crc: string } {
  const n = 65536;
  const sieve = new Uint8Array(n).fill(1);
  sieve[0] = sieve[1] = 0;
  for (let p = 2; p * p < n; p++) if (sieve[p]) for (let k = p * p; k < n; k += p) sieve[k] = 0;
  let crc = 0xffffffff;
  for (const b of sieve) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return { primes: sieve.reduce((a, b) => a + b, 0), crc: ((crc ^ 0xffffffff) >>> 0).toString(16).toUpperCase().padStart(8, "0") };
}

test("the built-in demo guest runs protected mode, paging and ring 3 to a correct result", async () => {
  const m = createMachine({ memMiB: 16 });
  let out = "";
  m.on("serial", (b) => (out += String.fromCharCode(b)));
  bootImage(m, DEFAULT_GUEST, new Uint8Array(readFileSync(DEFAULT_GUEST)));
  const r = await m.run(50_000_000);
  const e = expected();
  expect(r.reason).toBe("halt");
  expect(out).toContain("ring 3: CPL = 3\n");
  expect(out).toContain(`ring 3: primes below 65536: ${e.primes}\n`);
  expect(out).toContain(`ring 3: crc32 of the sieve: ${e.crc}\n`);
  expect(out).toContain("kernel: page faults served on demand: 0x00000010\n");
  expect(out).toContain("kernel: user program exited with status 0x00000000\n");
  // Deterministic: a second run retires exactly as many instructions.
  const m2 = createMachine({ memMiB: 16 });
  bootImage(m2, DEFAULT_GUEST, new Uint8Array(readFileSync(DEFAULT_GUEST)));
  expect((await m2.run(50_000_000)).instructions).toBe(r.instructions);
});
