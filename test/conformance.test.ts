/**
 * The conformance suites through the interpreter: every non-revoked test of the
 * 80286 real-mode set and of the 386 sample must pass, under the documented
 * architectural-difference rules of test/conformance/masks.ts. One vitest test
 * per opcode file, its failures described field by field.
 */
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { suites } from "./conformance/data.js";
import { readMooFile } from "./conformance/moo.js";
import { ConformanceRunner } from "./conformance/runner.js";
import { describeFailure, runFile } from "./conformance/suite.js";

const SUITES = suites();
const runner = new ConformanceRunner();

describe("MOO reader", () => {
  test("reads the README's example test (80286 00.MOO.gz #0)", () => {
    const s = SUITES[0];
    const moo = readMooFile(join(s.dir, "00.MOO.gz"));
    expect(moo.cpu).toBe("C286");
    expect(moo.meta?.mnemonic).toBe("add");
    expect(moo.tests).toHaveLength(200);
    const t = moo.tests[0];
    expect(t.name).toBe("add [bx+0Eh],bl");
    expect(Array.from(t.bytes)).toEqual([0x00, 0x5f, 0x0e, 0xf4]);
    expect(t.initial.regs16?.values).toEqual({
      ax: 715, bx: 26659, cx: 49548, dx: 64181, cs: 65535, ss: 41175, ds: 65535, es: 43996,
      sp: 39769, bp: 65535, si: 35262, di: 34633, ip: 38072, flags: 6291,
    });
    expect(t.initial.ram.slice(0, 2)).toEqual([{ address: 1086632, value: 0 }, { address: 1086633, value: 95 }]);
    expect(t.initial.ram).toHaveLength(11);
    expect(t.final.regs16).toEqual({ mask: 0x3000, values: { ip: 38076, flags: 19 } });
    expect(t.final.ram).toEqual([{ address: 1075233, value: 1 }]);
    expect(t.exception).toBeUndefined();
    expect(t.hash).toBe("626be5084b331080eb08256c12a62d24afdf2a03");
  });

  test("reads RG32 state and EXCP of the 386 sample", () => {
    const s = SUITES[1];
    const moo = readMooFile(join(s.dir, s.files[0]));
    expect(moo.cpu).toBe("386E");
    expect(moo.tests).toHaveLength(500);
    const t = moo.tests[0];
    expect(t.initial.regs16).toBeUndefined();
    expect(t.initial.regs32?.values.cr0).toBe(0x7ffefff0);
    expect(t.initial.regs32?.values.eflags).toBe(0xfffc0893);
    expect(t.final.regs32?.values).toEqual({ eip: 29348, eflags: 0xfffc0092 });
    const ud = moo.tests.find((x) => x.exception);
    expect(ud?.exception?.vector).toBe(6);
  });
});

describe("runner", () => {
  const moo = readMooFile(join(SUITES[0].dir, "00.MOO.gz"));
  const ctx = { key: "00", flagsMask: 0xffff };
  // 00.MOO.gz #0: add [bx+0Eh],bl adds BL (23h) to the byte DEh at 106821h, leaving 01h.
  const original = moo.tests[0];

  test("passes the unmodified test", () => {
    expect(runner.run(original, ctx).passed).toBe(true);
  });

  test("reports a wrong final byte and a wrong register, field by field", () => {
    const t = structuredClone(original);
    t.final.ram[0].value = 0x02;
    t.final.regs16 = { mask: 0x3000, values: { ip: 38077, flags: 19 } };
    const r = runner.run(t, ctx);
    expect(r.passed).toBe(false);
    expect(r.mismatches).toEqual([
      { field: "ip", expected: "94bd", actual: "94bc" },
      { field: "ram[106821]", expected: "02", actual: "01" },
    ]);
  });

  test("sees a write to a byte the test does not list", () => {
    const t = structuredClone(original);
    t.initial.ram = t.initial.ram.filter((e) => e.address !== 0x106821);
    t.final.ram = [];
    const r = runner.run(t, ctx);
    expect(r.mismatches).toContainEqual({ field: "ram[106821]", expected: "00", actual: "23" });
  });
});

for (const suite of SUITES) {
  describe(suite.name, () => {
    for (const file of suite.files) {
      test(file.replace(/\.MOO\.gz$/, ""), () => {
        const rep = runFile(runner, suite, file, 3);
        const detail = rep.failures.map(describeFailure).join("\n");
        expect(rep.failed, `${rep.failed} of ${rep.failed + rep.passed} failed\n${detail}`).toBe(0);
        expect(rep.passed).toBeGreaterThan(0);
      });
    }
  });
}
