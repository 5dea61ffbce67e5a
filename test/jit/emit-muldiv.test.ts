/**
 * MUL IMUL DIV IDIV inline against the interpreter: every form and size, register
 * and memory operands, edge values, flags read afterwards, #DE for a zero
 * divisor and for every kind of quotient overflow (including the dividends
 * whose Wasm division would trap), and memory operands that fault.
 */
import { describe as suite, expect, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { Asm, B, consumer, M, type Operand, OUTS, producer, R, runCases, SLOTS, Values } from "./emit-harness.js";
import { HANDLER, type GuestMode, unmap } from "./support.js";

const MODES: GuestMode[] = ["flat", "real"];
const SIZES = [8, 16, 32];

const slot = (k: number) => SLOTS + 8 * (k % 300);

/** An r/m operand of `size` for case k: memory or a register outside `avoid` (full registers; 8-bit: AL..BH). */
function operand(v: Values, k: number, size: number, avoid: readonly number[]): Operand {
  if (v.int(3) === 0) return M(slot(k));
  const choices = [0, 1, 2, 3, 5, 6, 7, ...(size === 8 ? [4] : [])].filter((r) => !avoid.includes(size === 8 ? r & 3 : r));
  return R(choices[v.int(choices.length)]);
}

/** Give the r/m operand `e` the value `value`. */
function setOperand(a: Asm, e: Operand, size: number, value: number, k: number): void {
  if (!("r" in e)) a.store(slot(k), value);
  else if (size === 8 && e.r >= 4) a.mov(e.r - 4, (value & 0xff) << 8);
  else a.mov(e.r, value);
}

function framed(code32: boolean, v: Values, k: number, body: (a: Asm) => void): Asm {
  const a = new Asm(code32);
  a.regs(v.registers());
  a.store(slot(k), v.value());
  producer(a, k, v);
  body(a);
  consumer(a, k >> 1, OUTS + 2 * (k % 300));
  return a.check();
}

const dest = (v: Values) => [0, 1, 2, 3, 5, 6, 7][v.int(7)];

const group3 = (a: Asm, sub: number, size: number, e: Operand) => a.probe(...a.osz(size), size === 8 ? 0xf6 : 0xf7, ...a.modrm(sub, e));

function multiplies(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const form = k % 5;
    cases.push(
      framed(code32, v, k, (a) => {
        const size = form < 2 ? SIZES[v.int(3)] : v.int(2) ? 32 : 16;
        const e = operand(v, k, size, []);
        if (form < 2) group3(a, 4 + form, size, e); // MUL, IMUL r/m
        else if (form === 2) a.probe(...a.osz(size), 0x0f, 0xaf, ...a.modrm(dest(v), e));
        else if (form === 3) a.probe(...a.osz(size), 0x69, ...a.modrm(dest(v), e), ...le(v.value(), size >> 3));
        else a.probe(...a.osz(size), 0x6b, ...a.modrm(dest(v), e), v.int(256));
      }),
    );
  }
  return cases;
}

const le = (x: number, n: number) => Array.from({ length: n }, (_, k) => (x >>> (8 * k)) & 0xff);

/** A dividend and divisor whose quotient fits: q * d + r with |r| < |d|, r of the dividend's sign. */
function division(v: Values, size: number, signed: boolean): { n: bigint; d: number } {
  const bits = BigInt(size);
  const wrap = (x: number) => (signed ? BigInt.asIntN(size, BigInt(x)) : BigInt.asUintN(size, BigInt(x)));
  let d = wrap(v.value());
  if (d === 0n) d = 1n;
  const q = wrap(v.value());
  const ad = d < 0n ? -d : d;
  let r = BigInt(v.next()) % ad;
  if (signed && q * d < 0n) r = -r;
  if (signed && q === 0n && v.int(2)) r = -r;
  const n = q * d + r;
  expect(signed ? n >= -(1n << (2n * bits - 1n)) && n < 1n << (2n * bits - 1n) : n < 1n << (2n * bits)).toBe(true);
  return { n, d: Number(BigInt.asIntN(32, d)) };
}

/** Put the dividend `n` where a divide of `size` takes it: AX, DX:AX, EDX:EAX. */
function dividend(a: Asm, size: number, n: bigint): void {
  const u = BigInt.asUintN(2 * size, n);
  if (size === 8) a.mov(Reg.EAX, Number(u));
  else {
    a.mov(Reg.EAX, Number(BigInt.asUintN(size, u)));
    a.mov(Reg.EDX, Number(u >> BigInt(size)));
  }
}

function divides(code32: boolean, seed: number, count: number): Asm[] {
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    const signed = (k & 1) === 1;
    cases.push(
      framed(code32, v, k, (a) => {
        const size = SIZES[v.int(3)];
        const e = operand(v, k, size, [Reg.EAX, Reg.EDX]);
        const { n, d } = division(v, size, signed);
        dividend(a, size, n);
        setOperand(a, e, size, d, k);
        group3(a, signed ? 7 : 6, size, e);
      }),
    );
  }
  return cases;
}

suite("MUL and IMUL inline", () => {
  for (const mode of MODES) {
    it(`all forms and sizes, ${mode}`, () => {
      runCases(mode, multiplies(mode !== "real", 11 + mode.length, 200));
    });
  }

  it("the overflow boundaries of every form", () => {
    const cases: Asm[] = [];
    const pairs = [
      [0x7f, 1], [0x80, 1], [-0x80, 1], [0x40, 2], [-0x40, 2], [0x41, 2], [0xff, 0xff], [0x7fff, 1], [0x8000, -1], [0x4000, 2],
      [0xffff, 0xffff], [0x7fffffff, 1], [0x80000000, -1], [0x40000000, 2], [-0x40000000, 2], [0x10000, 0x10000], [-1, -1], [0, 0x12345678],
    ];
    const v = new Values(5);
    pairs.forEach(([x, y], k) => {
      for (const size of SIZES) {
        for (const form of [4, 5, 0xaf, 0x69]) {
          if (size === 8 && form > 5) continue;
          const a = new Asm(true);
          a.regs(v.registers());
          producer(a, k + size, v);
          a.mov(Reg.EAX, x).mov(Reg.EBX, y);
          if (form < 8) group3(a, form, size, R(Reg.EBX));
          else if (form === 0xaf) a.mov(Reg.ECX, x).probe(...a.osz(size), 0x0f, 0xaf, ...a.modrm(Reg.ECX, R(Reg.EBX)));
          else a.probe(...a.osz(size), 0x69, ...a.modrm(Reg.EDX, R(Reg.EBX)), ...le(x, size >> 3));
          consumer(a, k + form, OUTS + 2 * k);
          cases.push(a.check());
        }
      }
    });
    runCases("flat", cases);
  });
});

suite("DIV and IDIV inline", () => {
  for (const mode of MODES) {
    it(`quotients that fit, all sizes, ${mode}`, () => {
      runCases(mode, divides(mode !== "real", 23 + mode.length, mode === "real" ? 160 : 200));
    });
  }

  /**
   * The second pass divides by what the driver stored for it: a zero divisor
   * or an overflowing quotient raises #DE from compiled code, with the state
   * of the instruction start and the exception frame pointing at it.
   */
  const faults: [string, number, boolean, bigint, number][] = [
    ["DIV r/m8 by zero", 8, false, 100n, 0],
    ["DIV r/m16 by zero", 16, false, 100n, 0],
    ["DIV r/m32 by zero", 32, false, 100n, 0],
    ["IDIV r/m32 by zero", 32, true, -100n, 0],
    ["DIV r/m8 quotient 256", 8, false, 0x200n, 2],
    ["DIV r/m16 quotient 65536", 16, false, 0x10000n, 1],
    ["DIV r/m32 EDX = divisor", 32, false, 0x500000000n, 5],
    ["IDIV r/m8 -32768 / -1", 8, true, -0x8000n, -1],
    ["IDIV r/m8 quotient 128", 8, true, 0x100n, 2],
    ["IDIV r/m16 -2^31 / -1", 16, true, -0x80000000n, -1],
    ["IDIV r/m16 quotient -32769", 16, true, -0x10002n, 2],
    ["IDIV r/m32 -2^63 / -1", 32, true, -(1n << 63n), -1],
    ["IDIV r/m32 quotient 2^31", 32, true, 1n << 31n, 1],
    ["IDIV r/m32 quotient -2^31 - 1", 32, true, -(1n << 32n) - 2n, 2],
  ];
  for (const [name, size, signed, n, bad] of faults) {
    for (const memory of [false, true]) {
      it(`#DE: ${name}, ${memory ? "memory" : "register"} divisor`, () => {
        const [LO, HI, DIVISOR] = [0x40, 0x44, 0x48];
        const v = new Values(size + n.toString().length);
        const good = framed(true, v, 0, (a) => {
          dividend(a, size, 100n);
          a.mov(Reg.ECX, 7);
          group3(a, signed ? 7 : 6, size, R(Reg.ECX));
        });
        const faulting = new Asm(true);
        faulting.regs(v.registers());
        producer(faulting, size, v);
        faulting.load(Reg.EAX, LO).load(Reg.EDX, HI);
        if (!memory) faulting.load(Reg.EBX, DIVISOR);
        group3(faulting, signed ? 7 : 6, size, memory ? M(DIVISOR) : R(Reg.EBX));
        faulting.check();
        const r = runCases("flat", [good, faulting], {
          passes: 2,
          faults: true,
          before: (pass) => {
            // Pass 1 divides 100 by 7; pass 2 faults.
            const u = BigInt.asUintN(64, pass === 0 ? 100n : n);
            const lo = size === 8 ? u & 0xffffn : BigInt.asUintN(size, u);
            const hi = size === 8 ? 0n : u >> BigInt(size);
            const a = new Asm(true).store(LO, Number(lo)).store(HI, Number(BigInt.asUintN(32, hi)));
            return a.store(DIVISOR, pass === 0 ? 7 : bad).bytes;
          },
        });
        expect(r.engine.stats.faults).toBe(1);
        expect(r.jit.cpu.eip).toBe(HANDLER + 1);
        expect(r.logs.jit.length).toBe(3);
      });
    }
  }

  it("a divisor in a page that is not present faults from compiled code exactly", () => {
    // Pass 1 divides by [ESI] in a mapped page, pass 2 by [ESI] in an unmapped one.
    const POINTER = 0x48;
    const v = new Values(77);
    const cases: Asm[] = [];
    for (let k = 0; k < 4; k++) {
      const a = new Asm(true);
      a.regs(v.registers());
      producer(a, k + 1, v);
      a.mov(Reg.EAX, 1000 + k).mov(Reg.EDX, 0).load(Reg.ESI, POINTER);
      group3(a, 6 + (k & 1), k < 2 ? 32 : 16, B(Reg.ESI));
      cases.push(a.check());
    }
    const r = runCases("paged", cases, {
      passes: 2,
      faults: true,
      setup: (w) => {
        unmap(w, 0x66);
        w.cpu.writePhys32(0x65000, 7);
      },
      before: (pass) => new Asm(true).store(POINTER, pass === 0 ? 0x65000 : 0x66010).bytes,
    });
    expect(r.jit.cpu.cr2).toBe(0x66010);
    expect(r.logs.jit.length).toBe(4);
  });
});
