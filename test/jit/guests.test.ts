/** The project's guest programs agree under `jit386 diff`: every region exit compared, RAM and output included. */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runDiff } from "../../runtime/diff.js";
import { testCodegen } from "./support.js";

const GUESTS = new URL("../../guests/", import.meta.url);
const images = [
  "default/default.bin",
  ...readdirSync(new URL("tests/", GUESTS))
    .filter((f) => f.endsWith(".bin"))
    .map((f) => `tests/${f}`),
];

describe("guest programs in lockstep", () => {
  for (const image of images) {
    it(image, () => {
      const path = new URL(image, GUESTS).pathname;
      const r = runDiff(new Uint8Array(readFileSync(path)), path, { memMiB: 16, ramEvery: 16, jit: { codegen: testCodegen } });
      expect(r.differences).toEqual([]);
      expect(r.stop).not.toBe("limit");
      expect(r.exits).toBeGreaterThan(100);
    });
  }
});
