/**
 * Replays the native x87 oracle (test/fixtures/fpu/oracle.txt.gz, made by
 * scripts/fpu-oracle.sh from oracle.c on a real x87) on the Interpreter: the
 * same FRSTOR image, the same snippet bytes, the same FNSAVE at the end. One
 * test per instruction group; a failure lists its failing cases.
 *
 * Cases marked E must match bit for bit: status word, tag word, every register
 * in use, the memory buffer, EFLAGS, AX and FOP. Cases marked A (FSIN FCOS
 * FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1) follow the precision model of
 * src/cpu/x87/fpumath.ts: a register value the x87 produced that is representable
 * as a double must match exactly; any other must be within 2^-60 relative (a
 * few units in the last of its 64 bits: the x87 promises less than one, the
 * emulation rounds a 104-bit value once); C1, which tells which way that last
 * bit was rounded, is not compared.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { decode } from "../../src/decode/decoder.js";
import { Insn } from "../../src/decode/insn.js";
import { OPCODES } from "../../src/isa/opcodes.js";
import { DATA, hexBytes, le32, Machine, parse80 } from "./machine.js";

const IMAGE = 0x6000;
const MEM_SIZE = 112;
const ARITH_FLAGS = 0x8d5;

interface Case {
  name: string;
  approx: boolean;
  code: number[];
  cw: number;
  eflags: number;
  memIn: number[];
  stIn: string[];
  sw: number;
  tw: number;
  eflagsOut: number;
  ax: number;
  fop: number;
  stOut: string[];
  memOut: number[];
}

function parseCase(line: string): Case {
  const t = line.split(" ");
  const list = (s: string) => (s === "-" ? [] : s.split(","));
  const bytes = (s: string) => (s === "-" ? [] : hexBytes(s));
  return {
    name: t[0],
    approx: t[1] === "A",
    code: hexBytes(t[2]),
    cw: parseInt(t[3], 16),
    eflags: parseInt(t[4], 16),
    memIn: bytes(t[5]),
    stIn: list(t[6]),
    sw: parseInt(t[8], 16),
    tw: parseInt(t[9], 16),
    eflagsOut: parseInt(t[10], 16),
    ax: parseInt(t[11], 16),
    fop: parseInt(t[12], 16),
    stOut: list(t[13]),
    memOut: bytes(t[14]),
  };
}

const lines = gunzipSync(readFileSync(new URL("../fixtures/fpu/oracle.txt.gz", import.meta.url)))
  .toString("utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"));
const cases = lines.map(parseCase);
const groups = new Map<string, Case[]>();
for (const k of cases) {
  const g = k.name.split("#")[0];
  groups.set(g, [...(groups.get(g) ?? []), k]);
}

/** The FRSTOR image the native harness loaded: TOP = (8 - n) mod 8, ST(0) first. */
function inputImage(k: Case): number[] {
  const img = new Array<number>(108).fill(0);
  const n = k.stIn.length;
  const top = (8 - n) & 7;
  let tw = 0xffff;
  for (let i = 0; i < n; i++) tw &= ~(3 << (((top + i) & 7) * 2));
  img[0] = k.cw & 0xff;
  img[1] = k.cw >> 8;
  img[5] = top << 3;
  img[8] = tw & 0xff;
  img[9] = tw >> 8;
  k.stIn.forEach((v, i) => {
    const [se, hi, lo] = parse80(v);
    img.splice(28 + 10 * i, 10, ...le32(lo), ...le32(hi), se & 0xff, se >> 8);
  });
  return img;
}

const m = new Machine();

interface Outcome {
  sw: number;
  tw: number;
  fop: number;
  st: string[];
  mem: number[];
  eflags: number;
  ax: number;
}

function replay(k: Case): Outcome {
  const c = m.cpu;
  m.poke(IMAGE, inputImage(k));
  m.poke(DATA, new Array<number>(MEM_SIZE).fill(0));
  m.poke(DATA, k.memIn);
  c.setReg32(Reg.EBX, DATA);
  c.setReg32(Reg.EAX, 0);
  c.setEflagsMasked(k.eflags, 0xffffffff);
  // FRSTOR [IMAGE]; snippet; FNSAVE [IMAGE]
  m.run([0xdd, 0x25, ...le32(IMAGE), ...k.code, 0xdd, 0x35, ...le32(IMAGE)]);
  const img = m.peek(IMAGE, 108);
  const sw = img[4] | (img[5] << 8);
  const tw = img[8] | (img[9] << 8);
  const top = (sw >> 11) & 7;
  const st: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (((tw >> (((top + i) & 7) * 2)) & 3) === 3) st.push("-");
    else {
      const b = img.slice(28 + 10 * i, 38 + 10 * i);
      st.push(
        Array.from(b.slice(8).reverse(), (x) => x.toString(16).padStart(2, "0")).join("") +
          Array.from(b.slice(0, 8).reverse(), (x) => x.toString(16).padStart(2, "0")).join(""),
      );
    }
  }
  while (st.length && st[st.length - 1] === "-") st.pop();
  const mem = Array.from(m.peek(DATA, MEM_SIZE));
  while (mem.length && mem[mem.length - 1] === 0) mem.pop();
  return {
    sw,
    tw,
    fop: (img[18] | (img[19] << 8)) & 0x7ff,
    st,
    mem,
    eflags: c.getEflags() & ARITH_FLAGS,
    ax: c.reg16(Reg.EAX),
  };
}

/** |a - b| / |b| for finite 80-bit values, whatever their exponents. */
function relativeDifference(a: string, b: string): number {
  const [sa, ha, la] = parse80(a);
  const [sb, hb, lb] = parse80(b);
  if ((sa ^ sb) & 0x8000) return Infinity;
  const ma = (ha * 2 ** 32 + la) * 2 ** ((sa & 0x7fff) - (sb & 0x7fff));
  const mb = hb * 2 ** 32 + lb;
  return Math.abs(ma - mb) / mb;
}

/** Exactly representable as a double: special, or a normal-range value with at most 53 significant bits. */
function doubleRepresentable(h: string): boolean {
  const [se, , lo] = parse80(h);
  const e = se & 0x7fff;
  if (e === 0x7fff || (e === 0 && h.slice(4) === "0000000000000000")) return true;
  return (lo & 0x7ff) === 0 && e - 16383 >= -1022 && e - 16383 <= 1023;
}

function regMatches(expected: string, actual: string, approx: boolean): boolean {
  if (expected === actual) return true;
  if (!approx || expected === "-" || actual === "-" || doubleRepresentable(expected)) return false;
  return relativeDifference(actual, expected) <= 2 ** -60;
}

function mismatches(k: Case, o: Outcome): string[] {
  const out: string[] = [];
  const swMask = k.approx ? ~0x200 & 0xffff : 0xffff;
  const h4 = (v: number) => v.toString(16).padStart(4, "0");
  if ((o.sw & swMask) !== (k.sw & swMask)) out.push(`sw ${h4(o.sw)} want ${h4(k.sw)}`);
  if (o.tw !== k.tw) out.push(`tw ${h4(o.tw)} want ${h4(k.tw)}`);
  if (o.fop !== k.fop) out.push(`fop ${o.fop.toString(16)} want ${k.fop.toString(16)}`);
  const n = Math.max(o.st.length, k.stOut.length);
  for (let i = 0; i < n; i++) {
    const want = k.stOut[i] ?? "-";
    const got = o.st[i] ?? "-";
    if (!regMatches(want, got, k.approx)) out.push(`st${i} ${got} want ${want}`);
  }
  const hexMem = (b: number[]) => b.map((x) => x.toString(16).padStart(2, "0")).join("") || "-";
  if (hexMem(o.mem) !== hexMem(k.memOut)) out.push(`mem ${hexMem(o.mem)} want ${hexMem(k.memOut)}`);
  if (o.eflags !== k.eflagsOut) out.push(`eflags ${o.eflags.toString(16)} want ${k.eflagsOut.toString(16)}`);
  if (o.ax !== k.ax) out.push(`ax ${h4(o.ax)} want ${h4(k.ax)}`);
  return out;
}

/** Opcode-table rows the snippets of the fixture execute. */
function rowsCovered(): Set<number> {
  const seen = new Set<number>();
  const insn = new Insn();
  for (const k of cases) {
    for (let at = 0; at < k.code.length; at += insn.len) {
      decode(insn, { byte: (n) => k.code[at + n] ?? 0 }, true);
      seen.add(insn.row);
    }
  }
  return seen;
}

describe("x87 against the native oracle", () => {
  test("the fixture runs every x87 row of the opcode table", () => {
    expect(cases.length).toBeGreaterThan(5000);
    const seen = rowsCovered();
    const missing = OPCODES.filter((r) => r.exec.startsWith("fpu.") && !seen.has(r.id));
    expect(missing.map((r) => `${r.op.toString(16)}/${r.reg} ${r.mnemonic} ${r.operands.join(",")}`)).toEqual([]);
  });
  for (const [group, list] of groups) {
    test(`${group} (${list.length})`, () => {
      const failures: string[] = [];
      for (const k of list) {
        const bad = mismatches(k, replay(k));
        if (bad.length) failures.push(`${k.name} ${k.stIn.join(",") || "-"}: ${bad.join("; ")}`);
      }
      expect(failures.slice(0, 12)).toEqual([]);
    });
  }
});
