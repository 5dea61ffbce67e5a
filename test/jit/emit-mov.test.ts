/**
 * XCHG (register, accumulator and memory forms), BSWAP, XLAT and CBW/CWDE/CWD/CDQ
 * inline against the interpreter, and a memory XCHG whose page is missing.
 */
import { describe as suite, expect, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { Asm, B, M, type Operand, producer, R, runCases, SLOTS, Values } from "./emit-harness.js";
import { type GuestMode, unmap } from "./support.js";

/** A table for XLAT in the data area (DS-relative in real mode). */
const TABLE = 0x600;

function moves(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const a = new Asm(code32);
    a.regs(v.registers());
    a.store(SLOTS + 8 * k, v.value());
    producer(a, k, v);
    const size = v.int(3) ? 32 : 16;
    switch (k % 5) {
      case 0: {
        const byte = v.int(3) === 0;
        const e: Operand = v.int(2) ? M(SLOTS + 8 * k) : R(byte ? v.int(8) : [0, 1, 2, 3, 5, 6, 7][v.int(7)]);
        const lock = "m" in e && v.int(2) ? [0xf0] : [];
        a.probe(...lock, ...(byte ? [] : a.osz(size)), byte ? 0x86 : 0x87, ...a.modrm(byte ? v.int(8) : [0, 1, 2, 3, 5, 6, 7][v.int(7)], e));
        break;
      }
      case 1:
        a.probe(...a.osz(size), 0x91 + [0, 1, 2, 4, 5, 6][v.int(6)]);
        break;
      case 2:
        a.probe(...a.osz(size), 0x0f, 0xc8 + [0, 1, 2, 3, 5, 6, 7][v.int(7)]);
        break;
      case 3: {
        // XLAT through EBX/BX, sometimes with a segment override (ES points at the data area too), and
        // sometimes in a region of its own where nothing else uses EBX.
        a.mov(Reg.EBX, (code32 ? 0x10000 : 0) + TABLE + v.int(0x100));
        if (v.int(2)) a.check();
        const seg = v.int(2) ? [0x26] : [];
        a.probe(...seg, 0xd7);
        break;
      }
      default:
        a.probe(...a.osz(size), v.int(2) ? 0x98 : 0x99);
    }
    cases.push(a.check());
  }
  return cases;
}

const MODES: GuestMode[] = ["flat", "real", "paged"];

suite("XCHG BSWAP XLAT CBW CWD inline", () => {
  for (const mode of MODES) {
    it(`all forms, ${mode}`, () => {
      runCases(mode, moves(mode !== "real", 29 + mode.length, 260), {
        setup: (w) => {
          for (let k = 0; k < 0x200; k++) w.cpu.writePhys8(0x10000 + TABLE + k, (k * 37) & 0xff);
        },
      });
    });
  }

  it("XLAT with a 16-bit address in 32-bit code wraps BX + AL", () => {
    const cases: Asm[] = [];
    for (const [bx, al] of [[0xfff0, 0x20], [0x0100, 0xff], [0xff00, 0x10]]) {
      const a = new Asm(true);
      a.regs(new Values(bx).registers()).mov(Reg.EBX, 0x70000 | bx).mov(Reg.EAX, al);
      a.probe(0x67, 0xd7);
      cases.push(a.check());
    }
    runCases("flat", cases, {
      setup: (w) => {
        w.cpu.setSegmentCache(3, 0x10, 0x10000, -1, 0xc093);
        for (let k = 0; k < 0x200; k++) w.cpu.writePhys8(0x10000 + k, k + 1);
      },
    });
  });

  it("a memory XCHG whose page is missing faults with the registers unchanged", () => {
    const POINTER = 0x48;
    const v = new Values(8);
    const a = new Asm(true);
    a.regs(v.registers());
    a.load(Reg.ESI, POINTER).probe(0x87, ...a.modrm(Reg.EDX, B(Reg.ESI)));
    const r = runCases("paged", [a.check()], {
      passes: 2,
      faults: true,
      setup: (w) => unmap(w, 0x66),
      before: (pass) => new Asm(true).store(POINTER, pass === 0 ? 0x65000 : 0x66ffe).bytes,
    });
    expect(r.jit.cpu.cr2).toBe(0x66ffe);
  });
});
