/**
 * The self-checking guest programs in guests/tests/: each reports PASS/FAIL lines
 * on the debug console and its failure count through the exit port.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { bootImage } from "../runtime/image.js";
import { createMachine } from "../runtime/machine.js";

const DIR = new URL("../guests/tests/", import.meta.url).pathname;
const GUESTS = readdirSync(DIR).filter((f) => f.endsWith(".bin")).sort();

export function runGuest(file: string): { lines: string[]; status: number | undefined; reason: string } {
  const m = createMachine({ memMiB: 32 });
  let out = "";
  m.on("debugcon", (b) => (out += String.fromCharCode(b)));
  const path = join(DIR, file);
  bootImage(m, path, new Uint8Array(readFileSync(path)));
  const r = m.runSync(200_000_000);
  return { lines: out.split("\n").filter(Boolean), status: r.exitStatus, reason: r.reason };
}

describe("self-checking guest programs (interpreter)", () => {
  test("there are guest programs to run", () => {
    expect(GUESTS.length).toBeGreaterThan(0);
  });
  test.each(GUESTS)("%s", (file) => {
    const { lines, status, reason } = runGuest(file);
    const failed = lines.filter((l) => !l.startsWith("PASS "));
    expect(failed).toEqual([]);
    expect(lines.length).toBeGreaterThan(0);
    expect(reason).toBe("exit");
    // Exit status (failures << 1) | 1: 1 means the guest counted no failure itself.
    expect(status).toBe(1);
  });
});
