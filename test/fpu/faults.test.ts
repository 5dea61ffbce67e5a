/**
 * A fault on an x87 memory operand (segment limit, or a page fault in the
 * second page of an access that crosses into it) leaves the FPU exactly as it
 * was, pointers included, and stores nothing at all.
 */
import { describe, expect, test } from "vitest";
import { CR0_PG, CR0_WP } from "../../src/cpu/cpu.js";
import { FAULT, Vector } from "../../src/cpu/exceptions.js";
import { FPU_BASE, FPU_SIZE, Sreg } from "../../src/cpu/layout.js";
import { Machine } from "./machine.js";

/** A machine with three values on the stack and some instruction history. */
function busy(): Machine {
  const m = new Machine();
  m.run("d9e8 d9eb d9ee d8c1"); // 1, pi, 0, then ST0 = 0 + pi
  return m;
}

const fpuState = (m: Machine) => Array.from(m.cpu.u8.slice(FPU_BASE, FPU_BASE + FPU_SIZE));

/** addr32 disp32 bytes of an absolute address. */
const abs = (a: number) =>
  [a, a >> 8, a >> 16, a >> 24].map((b) => (b & 0xff).toString(16).padStart(2, "0")).join("");

/**
 * Turn paging on with the first 4 MiB identity-mapped, except linear page
 * `page`: not present (reads fault too) or read-only (CR0.WP makes supervisor
 * writes fault).
 */
function faultingPage(m: Machine, page: number, reads: boolean): void {
  const c = m.cpu;
  const PD = 0x40000;
  const PT = 0x41000;
  c.writePhys32(PD, PT | 3);
  for (let p = 0; p < 1024; p++) c.writePhys32(PT + 4 * p, p === page ? (reads ? 0 : (p << 12) | 1) : (p << 12) | 3);
  c.cr3 = PD;
  c.cr0 = c.cr0 | CR0_PG | CR0_WP;
}

describe("segment-limit faults", () => {
  const cases: [string, string][] = [
    ["FLD m64", `dd05${abs(0x8000)}`],
    ["FADD m64", `dc05${abs(0x8000)}`],
    ["FIMUL m32", `da0d${abs(0x8001)}`],
    ["FSTP m64", `dd1d${abs(0x7ffd)}`],
    ["FSTP m80", `db3d${abs(0x7ffb)}`],
    ["FISTP m64", `df3d${abs(0x7ffd)}`],
    ["FBSTP", `df35${abs(0x7ffb)}`],
    ["FNSTENV", `d935${abs(0x7fe9)}`],
    ["FNSAVE", `dd35${abs(0x7fa0)}`],
    ["FRSTOR", `dd25${abs(0x7fa0)}`],
    ["FLDENV", `d925${abs(0x7fe9)}`],
  ];
  for (const [name, code] of cases) {
    test(`${name} beyond the DS limit: #GP, FPU and memory untouched`, () => {
      const m = busy();
      m.cpu.setSegmentCache(Sreg.DS, 0x10, 0, 0x8003, 0x4093);
      m.poke(0x7f80, new Array(0x84).fill(0xa5));
      const before = fpuState(m);
      expect(m.fault(code)).toBe(Vector.GP);
      expect(fpuState(m)).toEqual(before);
      expect(Array.from(m.peek(0x7f80, 0x84))).toEqual(new Array(0x84).fill(0xa5));
    });
  }
});

describe("page faults in the second page of a crossing access", () => {
  const stores: [string, string, number][] = [
    ["FSTP m64", `dd1d${abs(0x8ffc)}`, 0x8ffc],
    ["FST m32", `d915${abs(0x8ffe)}`, 0x8ffe],
    ["FISTP m16", `df1d${abs(0x8fff)}`, 0x8fff],
    ["FSTP m80", `db3d${abs(0x8ff8)}`, 0x8ff8],
    ["FBSTP", `df35${abs(0x8ff8)}`, 0x8ff8],
    ["FNSTENV", `d935${abs(0x8ff0)}`, 0x8ff0],
    ["FNSAVE", `dd35${abs(0x8fa0)}`, 0x8fa0],
    ["FNSTCW", `d93d${abs(0x8fff)}`, 0x8fff],
  ];
  for (const [name, code, at] of stores) {
    test(`${name}: #PF, nothing written, FPU untouched`, () => {
      const m = busy();
      faultingPage(m, 9, false);
      m.poke(at, new Array(0x1000 - (at & 0xfff)).fill(0x5a));
      const before = fpuState(m);
      expect(m.fault(code)).toBe(Vector.PF);
      expect(FAULT.errorCode).toBe(3);
      expect(m.cpu.cr2 >>> 12).toBe(9);
      expect(fpuState(m)).toEqual(before);
      expect(Array.from(m.peek(at, 0x1000 - (at & 0xfff)))).toEqual(new Array(0x1000 - (at & 0xfff)).fill(0x5a));
    });
  }

  const loads: [string, string][] = [
    ["FLD m80", `db2d${abs(0x8ffa)}`],
    ["FSUBR m64", `dc2d${abs(0x8ffc)}`],
    ["FICOMP m32", `da1d${abs(0x8ffe)}`],
    ["FBLD", `df25${abs(0x8ff8)}`],
    ["FRSTOR", `dd25${abs(0x8fa0)}`],
    ["FLDCW", `d92d${abs(0x8fff)}`],
  ];
  for (const [name, code] of loads) {
    test(`${name}: #PF on the read, FPU untouched`, () => {
      const m = busy();
      faultingPage(m, 9, true);
      const before = fpuState(m);
      expect(m.fault(code)).toBe(Vector.PF);
      expect(FAULT.errorCode).toBe(0);
      expect(fpuState(m)).toEqual(before);
    });
  }

  test("the same accesses succeed when both pages are present and writable", () => {
    const m = busy();
    faultingPage(m, 10, false);
    m.run(`dd15${abs(0x8ffc)} dd05${abs(0x8ffc)}`); // FST m64, FLD m64
    expect(m.st(0)).toBe("4000c90fdaa22168c000");
  });
});
