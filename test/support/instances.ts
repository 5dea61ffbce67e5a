/**
 * Encoder for test instances: for every opcode-table row, bytes built from the row
 * (prefixes, opcode, a ModRM/SIB/displacement that fits the row's constraints,
 * immediates as its operands require) together with the Insn fields the decoder
 * must produce. The encoder works from the row alone, never from the decoder.
 */
import { OPCODES } from "../../src/isa/opcodes.js";
import { OpClass, type OpRow } from "../../src/isa/row.js";

export type Bits = 16 | 32;

/** Insn fields a decode must reproduce. */
export interface Fields {
  row: number;
  len: number;
  o32: boolean;
  a32: boolean;
  seg: number;
  segOverride: number;
  rep: number;
  lock: boolean;
  mod: number;
  reg: number;
  rm: number;
  base: number;
  index: number;
  scale: number;
  disp: number;
  imm: number;
  imm2: number;
}

export interface Instance {
  bits: Bits;
  bytes: number[];
  expect: Fields;
  /**
   * Written the way an assembler writes it: the mode's own operand and address
   * size, no redundant prefix, and an addressing form GNU as can spell.
   */
  canonical: boolean;
  what: string;
}

const SS = 2;
const DS = 3;
const SEG_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

/** A small deterministic generator, so every run tests the same bytes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** One memory addressing form: ModRM mod/rm, SIB and displacement bytes, and what they mean. */
interface MemForm {
  mod: number;
  rm: number;
  tail: number[];
  base: number;
  index: number;
  scale: number;
  disp: number;
  canonical: boolean;
}

const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, k) => (v >>> (8 * k)) & 0xff);
const s8 = (v: number): number => (v << 24) >> 24;

/** Addressing forms of 32-bit ModRM, `k` picks one, `r` varies registers and displacements. */
function memForm32(k: number, r: () => number): MemForm {
  const reg = (avoid: number[]): number => {
    for (;;) {
      const v = r() & 7;
      if (!avoid.includes(v)) return v;
    }
  };
  const d8 = s8(r() | 0x80);
  const d32 = (r() | 0x100) | 0;
  const sib = (scale: number, index: number, base: number): number => (scale << 6) | (index << 3) | base;
  switch (k % 10) {
    case 0: { const b = reg([4, 5]); return { mod: 0, rm: b, tail: [], base: b, index: -1, scale: 0, disp: 0, canonical: true }; }
    case 1: { const b = reg([4]); return { mod: 1, rm: b, tail: le(d8, 1), base: b, index: -1, scale: 0, disp: d8, canonical: true }; }
    case 2: { const b = reg([4]); return { mod: 2, rm: b, tail: le(d32, 4), base: b, index: -1, scale: 0, disp: d32, canonical: true }; }
    case 3: return { mod: 0, rm: 5, tail: le(d32 & 0x7fffffff, 4), base: -1, index: -1, scale: 0, disp: d32 & 0x7fffffff, canonical: true };
    case 4: {
      const b = reg([5]); const x = reg([4]); const sc = r() & 3;
      return { mod: 0, rm: 4, tail: [sib(sc, x, b)], base: b, index: x, scale: sc, disp: 0, canonical: true };
    }
    case 5: return { mod: 1, rm: 4, tail: [sib(0, 4, 4), d8 & 0xff], base: 4, index: -1, scale: 0, disp: d8, canonical: true };
    case 6: {
      const x = reg([4]); const sc = 1 + (r() % 3);
      return { mod: 0, rm: 4, tail: [sib(sc, x, 5), ...le(d32, 4)], base: -1, index: x, scale: sc, disp: d32, canonical: true };
    }
    case 7: {
      const b = reg([]); const x = reg([4]); const sc = r() & 3;
      return { mod: 2, rm: 4, tail: [sib(sc, x, b), ...le(d32, 4)], base: b, index: x, scale: sc, disp: d32, canonical: true };
    }
    // SIB forms without an index that assemblers never produce: [base+eiz*n], [eiz*1+disp32].
    case 8: { const sc = 1 + (r() % 3); return { mod: 0, rm: 4, tail: [sib(sc, 4, 0)], base: 0, index: -1, scale: sc, disp: 0, canonical: false }; }
    default: return { mod: 0, rm: 4, tail: [sib(0, 4, 5), ...le(d32, 4)], base: -1, index: -1, scale: 0, disp: d32, canonical: false };
  }
}

const BASE16 = [3, 3, 5, 5, -1, -1, 5, 3];
const INDEX16 = [6, 7, 6, 7, 6, 7, -1, -1];

/** Addressing forms of 16-bit ModRM. The decoder keeps disp16 unsigned and disp8 sign-extended. */
function memForm16(k: number, r: () => number): MemForm {
  const rm = r() & 7;
  const d8 = s8(r() | 0x80);
  const d16 = (r() | 0x100) & 0xffff;
  switch (k % 4) {
    case 0: { const m = rm === 6 ? 7 : rm; return { mod: 0, rm: m, tail: [], base: BASE16[m], index: INDEX16[m], scale: 0, disp: 0, canonical: true }; }
    case 1: return { mod: 1, rm, tail: le(d8, 1), base: BASE16[rm], index: INDEX16[rm], scale: 0, disp: d8, canonical: true };
    case 2: return { mod: 2, rm, tail: le(d16, 2), base: BASE16[rm], index: INDEX16[rm], scale: 0, disp: d16, canonical: true };
    default: return { mod: 0, rm: 6, tail: le(d16, 2), base: -1, index: -1, scale: 0, disp: d16, canonical: true };
  }
}

/** Which operand sizes a row's encoding depends on, so the 66-prefixed variant is worth testing. */
const OSIZE = /^([EGZIOXYR][vz]|eAX|Mp|Gz|Ma|Ms|Jz|Ap|Ibs|Rv\/Mw)$/;
const dependsOnOperandSize = (row: OpRow): boolean =>
  row.mnemonic.includes("/") || row.operands.some((o) => OSIZE.test(o)) ||
  /^(RET|RETF|LEAVE|ENTER|IRET|FLDENV|FNSTENV|FRSTOR|FNSAVE|PUSH|POP)$/.test(row.mnemonic);

/** ModRM.reg values a row may use when the row does not fix it. */
function regChoices(row: OpRow): number[] {
  if (row.reg >= 0) return [row.reg];
  if (row.operands.includes("Cd")) return [0, 2, 3, 4];
  if (row.operands.includes("Dd")) return [0, 1, 2, 3, 6, 7];
  return [0, 1, 2, 3, 4, 5, 6, 7];
}

interface Variant {
  o32: boolean;
  a32: boolean;
  /** Prefix bytes in order. */
  prefixes: number[];
  /** Register form (mod 3) or the memory form's index. */
  form: "reg" | number;
  canonical: boolean;
  what: string;
}

function encode(row: OpRow, bits: Bits, v: Variant, r: () => number): Instance {
  const bytes = [...v.prefixes];
  if (row.map === 1) bytes.push(0x0f);
  bytes.push(row.op);
  const segOverride = v.prefixes.reduce((s, p) => (SEG_PREFIX.includes(p) ? SEG_PREFIX.indexOf(p) : s), -1);
  const e: Fields = {
    row: row.id, len: 0, o32: v.o32, a32: v.a32, seg: segOverride >= 0 ? segOverride : DS, segOverride,
    rep: v.prefixes.includes(0xf3) || v.prefixes.includes(0xf2) ? (v.prefixes.lastIndexOf(0xf3) > v.prefixes.lastIndexOf(0xf2) ? 1 : 2) : 0,
    lock: v.prefixes.includes(0xf0), mod: 3, reg: 0, rm: 0, base: -1, index: -1, scale: 0, disp: 0, imm: 0, imm2: 0,
  };
  let canonical = v.canonical;
  if (row.hasModrm) {
    const choices = regChoices(row);
    const reg = choices[r() % choices.length];
    e.reg = reg;
    if (v.form === "reg") {
      const rm = row.rm >= 0 ? row.rm : r() & 7;
      e.rm = rm;
      bytes.push(0xc0 | (reg << 3) | rm);
    } else {
      const f = v.a32 ? memForm32(v.form, r) : memForm16(v.form, r);
      canonical &&= f.canonical;
      Object.assign(e, { mod: f.mod, rm: f.rm, base: f.base, index: f.index, scale: f.scale, disp: f.disp });
      if (segOverride < 0 && (f.base === 5 || f.base === 4)) e.seg = SS;
      bytes.push((f.mod << 6) | (reg << 3) | f.rm, ...f.tail);
    }
  } else if (row.operands.some((o) => /^Z[bvd]$/.test(o))) {
    e.reg = row.op & 7;
  }
  let slot = 0;
  const setImm = (value: number): void => {
    if (slot++ === 0) e.imm = value;
    else e.imm2 = value;
  };
  for (const o of row.operands) {
    switch (o) {
      case "Ib": { const x = r() & 0xff; bytes.push(x); setImm(x); break; }
      case "Ibs": case "Jb": { const x = s8(r()); bytes.push(x & 0xff); setImm(x); break; }
      case "Iw": { const x = r() & 0xffff; bytes.push(...le(x, 2)); setImm(x); break; }
      case "Iz": case "Iv": {
        const x = v.o32 ? r() | 0 : r() & 0xffff;
        bytes.push(...le(x, v.o32 ? 4 : 2));
        setImm(x);
        break;
      }
      case "Jz": {
        // Keep branch targets near the instruction so they stay inside any 64K segment.
        const x = ((r() & 0x7fff) - 0x2000) | 0;
        bytes.push(...le(x, v.o32 ? 4 : 2));
        setImm(x);
        break;
      }
      case "Ap": {
        const off = v.o32 ? r() | 0 : r() & 0xffff;
        const sel = r() & 0xffff;
        bytes.push(...le(off, v.o32 ? 4 : 2), ...le(sel, 2));
        e.imm = off;
        e.imm2 = sel;
        break;
      }
      case "Ob": case "Ov": {
        const x = v.a32 ? r() & 0x7fffffff : r() & 0xffff;
        bytes.push(...le(x, v.a32 ? 4 : 2));
        e.mod = 0;
        e.disp = x;
        break;
      }
    }
  }
  e.len = bytes.length;
  return { bits, bytes, expect: e, canonical, what: `${row.mnemonic} ${row.operands.join(",")} (${bits}-bit, ${v.what})` };
}

/** Instances of one row in one mode: register and memory forms, and prefixed variants. */
export function instancesOf(row: OpRow, bits: Bits): Instance[] {
  const r = rng(row.id * 2 + (bits === 32 ? 1 : 0));
  const code32 = bits === 32;
  const forms: ("reg" | number)[] = [];
  if (row.hasModrm && row.mod !== "mem") forms.push("reg");
  const memForms = bits === 32 ? 10 : 4;
  if (row.hasModrm && row.mod !== "reg") forms.push(row.id % memForms, (row.id + 3) % memForms);
  if (!row.hasModrm) forms.push("reg");
  const variants: Variant[] = forms.map((form) => ({
    o32: code32, a32: code32, prefixes: [], form, canonical: true, what: form === "reg" ? "register form" : `memory form ${form}`,
  }));
  const hasMem = forms.some((f) => f !== "reg") || row.operands.some((o) => /^[OXY]/.test(o)) || row.mnemonic === "XLAT";
  if (hasMem) {
    const seg = SEG_PREFIX[row.id % 6];
    const form = forms.find((f) => f !== "reg") ?? "reg";
    variants.push({ o32: code32, a32: code32, prefixes: [seg], form, canonical: true, what: "segment override" });
    // The other address size: 67 selects the other ModRM/moffs/string addressing.
    variants.push({ o32: code32, a32: !code32, prefixes: [0x67], form: typeof form === "number" ? form + 1 : form, canonical: false, what: "67 prefix" });
  }
  if (dependsOnOperandSize(row)) {
    variants.push({ o32: !code32, a32: code32, prefixes: [0x66], form: forms[0], canonical: false, what: "66 prefix" });
  }
  // REP on string instructions; on instructions without operands it is ignored, but decoded all the same.
  if (row.cls & OpClass.STRING || (row.map === 0 && row.operands.length === 0)) {
    const canonical = (row.cls & OpClass.STRING) !== 0;
    variants.push({ o32: code32, a32: code32, prefixes: [0xf3], form: forms[0], canonical, what: "rep prefix" });
    variants.push({ o32: code32, a32: code32, prefixes: [0xf2], form: forms[0], canonical, what: "repne prefix" });
  }
  if (row.cls & OpClass.LOCKABLE) {
    const form = forms.find((f) => f !== "reg");
    if (form !== undefined) {
      variants.push({ o32: code32, a32: code32, prefixes: [0xf0], form, canonical: true, what: "lock prefix" });
      variants.push({ o32: code32, a32: code32, prefixes: [0xf0, row.id & 1 ? 0xf2 : 0xf3], form, canonical: false, what: "lock and rep prefixes" });
    }
  }
  variants.push(prefixMix(row, code32, forms[0], r));
  return variants.map((v) => encode(row, bits, v, r));
}

/**
 * Two to four prefixes, repeats allowed: the last segment override and the last
 * F2/F3 count, 66 and 67 toggle the size once however often they appear. No F2/F3
 * on 0F-map rows, where later processors make them part of other opcodes.
 */
function prefixMix(row: OpRow, code32: boolean, form: "reg" | number, r: () => number): Variant {
  const pool = [...SEG_PREFIX, 0x66, 0x67, ...(row.map === 0 ? [0xf2, 0xf3] : [])];
  const prefixes = Array.from({ length: 2 + (r() % 3) }, () => pool[r() % pool.length]);
  return {
    o32: code32 !== prefixes.includes(0x66), a32: code32 !== prefixes.includes(0x67), prefixes, form, canonical: false,
    what: `prefixes ${prefixes.map((b) => b.toString(16)).join(" ")}`,
  };
}

/** Every table row (not the decoder's special rows), in both modes. */
export function allInstances(): Instance[] {
  const out: Instance[] = [];
  for (const row of OPCODES) {
    if (row.map < 0) continue;
    for (const bits of [16, 32] as const) out.push(...instancesOf(row, bits));
  }
  return out;
}
