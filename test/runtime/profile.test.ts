/** The profiler: same guest results with it on, figures that add up, and the API and CLI around it. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { bootImage, createMachine } from "../../runtime/api.js";
import { UsageError } from "../../runtime/errors.js";
import { jit386 } from "../support/cli.js";

const GUEST = new URL("../../guests/default/default.bin", import.meta.url).pathname;

function runGuest(engine: "interp" | "jit", profile: boolean) {
  const m = createMachine({ engine, memMiB: 16, profile });
  let serial = "";
  m.on("serial", (b) => (serial += String.fromCharCode(b)));
  bootImage(m, GUEST);
  const r = m.runSync(engine === "jit" ? 3_000_000 : 1_000_000);
  return { m, r, serial, stats: m.stats() };
}

describe("profiling", () => {
  for (const engine of ["interp", "jit"] as const) {
    test(`${engine}: the guest runs identically with the profiler on`, () => {
      const off = runGuest(engine, false);
      const on = runGuest(engine, true);
      expect(on.r).toEqual(off.r);
      expect(on.serial).toBe(off.serial);
      expect(on.stats.instructions).toBe(off.stats.instructions);
      expect(on.stats.delivered).toBe(off.stats.delivered);
      expect(on.stats.jit?.compiledInstructions).toBe(off.stats.jit?.compiledInstructions);
      expect(on.m.readMemory(0, 1 << 20)).toEqual(off.m.readMemory(0, 1 << 20));

      const p = on.m.profile();
      expect(p.retired.total).toBe(on.stats.instructions);
      expect(p.delivered).toBe(on.stats.delivered);
      const byName = Object.fromEntries(p.activities.map((a) => [a.name, a]));
      expect(byName.interpreter.ms).toBeGreaterThan(0);
      // Exclusive times: activities and helpers never add up to more than the whole.
      const sum = [...p.activities, ...p.helpers].reduce((t, a) => t + a.ms, 0);
      expect(sum).toBeLessThanOrEqual(p.totalMs + 1e-6);
      expect(p.hottest.length).toBeGreaterThan(0);
      for (const h of p.hottest) expect(h.instruction).toMatch(/^[a-z]/);
      if (engine === "jit") {
        expect(p.retired.compiled).toBe(on.stats.jit?.compiledInstructions);
        expect(byName["compiled code"].calls).toBeGreaterThan(0);
        expect(byName.translation.calls).toBe(on.stats.jit?.modules);
        expect(p.exits.reduce((t, e) => t + e.count, 0)).toBeGreaterThan(0);
      } else {
        expect(p.retired.compiled).toBe(0);
      }
    });
  }

  test("profile() without the option is a usage error", () => {
    const m = createMachine({ memMiB: 16 });
    expect(() => m.profile()).toThrow(UsageError);
    expect(() => createMachine({ profile: "yes" as unknown as boolean })).toThrow(/profile/);
  });

  test("jit386 run --profile FILE: a summary on standard error, JSON in the file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "jit386-profile-")), "p.json");
    const r = jit386("run", "--serial", "none", "--profile", file);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^profile: \d+ ms of host time/m);
    expect(r.stderr).toMatch(/compiled code/);
    expect(r.stderr).toMatch(/hottest dispatch starts/);
    const p = JSON.parse(readFileSync(file, "utf8"));
    expect(p.retired.total).toBeGreaterThan(1_000_000);
    expect(p.retired.compiled).toBeGreaterThan(0);
    // The demo guest reads its devices through ports: compiled code calls the generic helper for IN.
    expect(p.helpers.find((h: { name: string }) => h.name === "exec:IN").calls).toBeGreaterThan(0);
    expect(p.hottest.length).toBeGreaterThan(0);
  });
});
