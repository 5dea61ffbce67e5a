/**
 * FNSTENV/FLDENV and FNSAVE/FRSTOR images in the four layouts (real-address
 * and protected mode, 16- and 32-bit operand size, SDM Vol. 1 Figures 8-9 to
 * 8-12), the instruction and data pointers they carry, and exact round trips
 * of the register stack.
 */
import { describe, expect, test } from "vitest";
import { CR0_PE } from "../../src/cpu/cpu.js";
import * as S from "../../src/cpu/x87/fpu.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { DATA, hexBytes, le32, Machine } from "./machine.js";

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** A machine in real mode: CS = 0x1000 (16-bit code), DS = 0x2000. */
function realMode(): Machine {
  const m = new Machine();
  const c = m.cpu;
  c.cr0 = c.cr0 & ~CR0_PE;
  c.loadSegmentReal(Sreg.CS, 0x1000);
  c.loadSegmentReal(Sreg.DS, 0x2000);
  return m;
}

describe("real-address mode layouts", () => {
  // FLD qword [0x0010] at CS:0x0020: the pointers are linear 0x10020 and 0x20010.
  const FLD = "dd061000";

  test("16-bit: 14 bytes, 20-bit linear pointers split around FOP", () => {
    const m = realMode();
    m.poke(0x20010, new Uint8Array(new Float64Array([2.5]).buffer));
    m.run(FLD + "d9364000", 0x20); // FNSTENV [0x0040]
    const b = dv(m.peek(0x20040, 14));
    expect(b.getUint16(0, true)).toBe(0x037f);
    expect(b.getUint16(2, true)).toBe(0x3800);
    expect(b.getUint16(4, true)).toBe(0x3fff);
    expect(b.getUint16(6, true)).toBe(0x0020);
    expect(b.getUint16(8, true)).toBe(0x1000 | 0x506); // FIP bits 19..16, FOP (DD 06)
    expect(b.getUint16(10, true)).toBe(0x0010);
    expect(b.getUint16(12, true)).toBe(0x2000);
    // FNSTENV masks every exception.
    expect(m.cw).toBe(0x037f);
  });

  test("32-bit (operand-size prefix): 28 bytes, 32-bit linear pointers", () => {
    const m = realMode();
    m.poke(0x20010, new Uint8Array(new Float64Array([2.5]).buffer));
    m.cw = 0x0c72;
    m.run(FLD + "66d9368000", 0x20); // FNSTENV [0x0080] with o32
    const b = dv(m.peek(0x20080, 28));
    expect(b.getUint32(0, true)).toBe(0xffff0c72);
    expect(b.getUint32(4, true)).toBe((0xffff3800 | (m.sw & 0xff)) >>> 0);
    expect(b.getUint32(8, true)).toBe(0xffff3fff);
    expect(b.getUint32(12, true)).toBe(0xffff0020);
    expect(b.getUint32(16, true)).toBe((0x0001 << 12) | 0x506);
    expect(b.getUint32(20, true)).toBe(0xffff0010);
    expect(b.getUint32(24, true)).toBe(0x0002 << 12);
    expect(m.cw).toBe(0x0c7f);
  });

  test("FLDENV reads the same layouts back", () => {
    for (const o32 of [false, true]) {
      const m = realMode();
      m.run(FLD + (o32 ? "66d9368000" : "d9368000"), 0x20);
      const image = Array.from(m.peek(0x20080, o32 ? 28 : 14));
      const fresh = realMode();
      fresh.poke(0x20080, image);
      fresh.run((o32 ? "66" : "") + "d9268000", 0x40); // FLDENV [0x0080]
      expect(fresh.cw).toBe(0x037f);
      expect(fresh.sw).toBe(0x3800);
      expect(S.fip(fresh.cpu)).toBe(0x10020);
      expect(S.fdp(fresh.cpu)).toBe(0x20010);
      expect(S.fop(fresh.cpu)).toBe(0x506);
      expect(S.stEmpty(fresh.cpu, 0)).toBe(false);
      expect(S.stEmpty(fresh.cpu, 1)).toBe(true);
    }
  });
});

describe("protected-mode layouts", () => {
  test("32-bit: selector:offset pointers, FOP beside the code selector", () => {
    const m = new Machine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.ES, 0x2b, 0, 0xffffffff, 0xc093);
    c.setReg32(Reg.EBX, DATA);
    m.poke(DATA + 8, new Uint8Array(new Float64Array([2.5]).buffer));
    // ES: FLD qword [ebx+8] (prefix included in FIP), then FNSTENV [0x9000].
    m.run("26dd4308 d93500900000", 0x1234);
    const b = dv(m.peek(0x9000, 28));
    expect(b.getUint32(0, true)).toBe(0xffff037f);
    expect(b.getUint32(8, true)).toBe(0xffff3fff);
    expect(b.getUint32(12, true)).toBe(0x1234);
    expect(b.getUint32(16, true)).toBe(0x08 | (0x543 << 16));
    expect(b.getUint32(20, true)).toBe(DATA + 8);
    expect(b.getUint32(24, true)).toBe(0xffff002b);
  });

  test("16-bit: offsets cut to 16 bits, no FOP (ST(0) = +0: tag 01)", () => {
    const m = new Machine();
    m.cpu.setReg32(Reg.EBX, 0x12345);
    m.run("dd4308 66d93500900000", 0x1234);
    const b = dv(m.peek(0x9000, 14));
    expect([0, 2, 4, 6, 8, 10, 12].map((o) => b.getUint16(o, true))).toEqual([
      0x037f, 0x3800, 0x7fff, 0x1234, 0x08, 0x234d, 0x10,
    ]);
  });

  test("control instructions do not move the pointers", () => {
    const m = new Machine();
    m.run("d9e8", 0x1100);
    m.run("d93d00900000 d92d00900000 dbe2 dfe0 9b", 0x1200); // FNSTCW FLDCW FNCLEX FNSTSW FWAIT
    expect(S.fip(m.cpu)).toBe(0x1100);
    expect(S.fop(m.cpu)).toBe(0x1e8);
    m.run("d9d0", 0x1300); // FNOP is not a control instruction
    expect(S.fip(m.cpu)).toBe(0x1300);
  });
});

describe("FNSAVE/FRSTOR", () => {
  // Values FLD m80 loads bit for bit: an unnormal, a pseudo-denormal, a signaling NaN, a denormal...
  const odd = [
    "3fff4000000000000000",
    "00008000000000000001",
    "7fffa000000000000005",
    "00000000000000001234",
    "ffff8000000000000000",
    "80000000000000000000",
    "43fe8765432187654321",
    "bffdaaaaaaaaaaaaaaab",
  ];
  const m80 = (h: string) => hexBytes(h.slice(4)).reverse().concat(hexBytes(h.slice(0, 4)).reverse());

  function loaded(): Machine {
    const m = new Machine();
    odd.forEach((v, k) => m.poke(DATA + 16 * k, m80(v)));
    // FLD tword [DATA + 16k], last first so that ST(k) = odd[k].
    let code = "";
    for (let k = odd.length - 1; k >= 0; k--) code += "db2d" + le32(DATA + 16 * k).map((x) => x.toString(16).padStart(2, "0")).join("");
    m.run(code);
    return m;
  }

  test("the image holds ST(0)..ST(7) exactly, with tags derived from the contents", () => {
    const m = loaded();
    expect(odd.map((_, k) => m.st(k))).toEqual(odd);
    m.run("dd3500a00000"); // FNSAVE [0xa000]
    const img = m.peek(0xa000, 108);
    const b = dv(img);
    // Physical register p holds ST(p) (TOP = 0): special, special, special, special, special, zero, valid, valid.
    expect(b.getUint16(8, true)).toBe(0b00_00_01_10_10_10_10_10);
    for (let k = 0; k < 8; k++) {
      const reg = Array.from(img.slice(28 + 10 * k, 38 + 10 * k));
      expect(reg).toEqual(m80(odd[k]));
    }
    // FNSAVE reinitialises.
    expect([m.cw, m.sw, S.getTw(m.cpu)]).toEqual([0x037f, 0, 0xffff]);
  });

  test("FRSTOR brings back registers, TOP, tags and flags exactly (32- and 16-bit images)", () => {
    for (const o32 of [true, false]) {
      const m = loaded();
      m.run("d9f7 d9f7 ddc3"); // FINCSTP twice, FFREE ST(3): TOP 2, physical 5 empty
      m.cw = 0x0a6e;
      const sw = m.sw;
      const regs = odd.map((_, k) => m.st(k));
      m.run((o32 ? "" : "66") + "dd3500a00000");
      m.run("d9e8 d9e8"); // disturb
      m.run((o32 ? "" : "66") + "dd2500a00000"); // FRSTOR
      expect(m.cw).toBe(0x0a6e);
      expect(m.sw).toBe(sw);
      expect(odd.map((_, k) => m.st(k))).toEqual(regs);
      expect(m.st(3)).toBe("-");
    }
  });
});
