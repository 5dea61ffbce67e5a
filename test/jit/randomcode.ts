/**
 * Random guest code for the differential test: structured sequences drawn from
 * instruction templates (every ALU form, moves, extensions, LEA, XCHG, SETcc,
 * CMOVcc, short forward branches, CALL, PUSH/POP, shifts, multiplies and
 * divides, flag instructions, 16-bit forms through the operand-size prefix),
 * and raw random bytes (undefined encodings, faults, wild jumps). Each body
 * runs three times in a loop so that the JIT's translations, not only the
 * interpreter, execute it.
 *
 * Memory operands are [EBX+disp8] ([BX+disp8] in 16-bit code) with EBX/BX
 * pointing at the data area, across a page end in 32-bit code so that some
 * accesses cross pages; structured code never writes EBX or ESP.
 */
import { expect, it } from "vitest";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { DATA, describe, type GuestMode, runBoth, type World } from "./support.js";

/** xorshift32: deterministic per seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

/** Registers structured code may write (not ESP, not EBX), by operand size. */
const DEST = [Reg.EAX, Reg.ECX, Reg.EDX, Reg.EBP, Reg.ESI, Reg.EDI];
/** 8-bit registers outside BL/BH: AL CL DL AH CH DH. */
const DEST8 = [0, 1, 2, 4, 5, 6];
/** Offset of the loop counter in the data area. */
export const COUNTER = 0x80;

const le = (v: number, n: number) => Array.from({ length: n }, (_, k) => (v >>> (8 * k)) & 0xff);

class Gen {
  constructor(
    private readonly r: Rng,
    /** 32-bit code segment. */
    private readonly code32: boolean,
  ) {}

  /** ModRM (+ disp8) for reg field `reg` and an r/m that is a register from `regs` or memory. */
  private modrm(reg: number, regs: readonly number[], allowMem = true): number[] {
    const r = this.r;
    if (allowMem && r.chance(0.4)) {
      const rm = this.code32 ? 3 : 7; // [EBX+disp8] / [BX+disp8]
      return [0x40 | (reg << 3) | rm, r.int(0x78)];
    }
    return [0xc0 | (reg << 3) | r.pick(regs)];
  }

  private imm(n: number): number[] {
    return le(this.r.next(), n);
  }

  /** One instruction (possibly with a prefix), or a small fixed group. */
  insn(): number[] {
    const r = this.r;
    const o16 = r.chance(0.15) ? [0x66] : [];
    const wide = o16.length === 0 === this.code32; // operand size 32
    const iz = wide ? 4 : 2;
    switch (r.int(25)) {
      case 0:
      case 1:
      case 2: {
        // ALU r/m,r and r,r/m in 8 and v sizes
        const k = r.int(8);
        const form = r.int(4);
        const byte = (form & 1) === 0;
        const dests = byte ? DEST8 : DEST;
        if (form < 2) return [...o16, k * 8 + form, ...this.modrm(r.int(8), k === 7 ? [0, 1, 2, 3, 4, 5, 6, 7] : dests)];
        return [...o16, k * 8 + form, ...this.modrm(r.pick(k === 7 ? [0, 1, 2, 3, 5, 6, 7] : dests), [0, 1, 2, 3, 5, 6, 7])];
      }
      case 3: {
        const k = r.int(8);
        return r.chance(0.5) ? [k * 8 + 4, ...this.imm(1)] : [...o16, k * 8 + 5, ...this.imm(iz)];
      }
      case 4: {
        const k = r.int(8);
        const op = r.pick([0x80, 0x81, 0x83]);
        const dests = op === 0x80 ? DEST8 : DEST;
        return [...(op === 0x80 ? [] : o16), op, ...this.modrm(k, dests), ...this.imm(op === 0x81 ? iz : 1)];
      }
      case 5:
        if (r.chance(0.5)) return [...o16, 0x40 + r.pick(DEST) + 8 * r.int(2)];
        return r.chance(0.5) ? [0xfe, ...this.modrm(r.int(2), DEST8)] : [...o16, 0xff, ...this.modrm(r.int(2), DEST)];
      case 6: {
        const sub = r.pick([0, 2, 3, 4, 5, 6, 7]);
        const byte = r.chance(0.5);
        const tail = sub === 0 ? this.imm(byte ? 1 : iz) : [];
        // DIV/IDIV fault often (#DE): the run then ends in the handler, which is a test too.
        if (sub >= 6 && r.chance(0.7)) return [0x90];
        return [...(byte ? [] : o16), byte ? 0xf6 : 0xf7, ...this.modrm(sub, byte ? DEST8 : DEST), ...tail];
      }
      case 7:
      case 8: {
        const op = r.pick([0x88, 0x89, 0x8a, 0x8b]);
        const byte = (op & 1) === 0;
        const dests = byte ? DEST8 : DEST;
        if (op < 0x8a) return [...o16, op, ...this.modrm(r.int(8), dests)];
        return [...o16, op, ...this.modrm(r.pick(dests), [0, 1, 2, 3, 4, 5, 6, 7])];
      }
      case 9: {
        if (r.chance(0.5)) return r.chance(0.5) ? [0xb0 + r.pick(DEST8), ...this.imm(1)] : [...o16, 0xb8 + r.pick(DEST), ...this.imm(iz)];
        const byte = r.chance(0.5);
        return [...(byte ? [] : o16), byte ? 0xc6 : 0xc7, ...this.modrm(0, byte ? DEST8 : DEST), ...this.imm(byte ? 1 : iz)];
      }
      case 10: {
        // moffs: A0-A3 with an absolute address in the data area (DS-relative in 16-bit code).
        const op = 0xa0 + r.int(4);
        const addr = this.code32 ? le(DATA + r.int(0x78), 4) : le(r.int(0x78), 2);
        return [...(op & 1 ? o16 : []), op, ...addr];
      }
      case 11:
        return [...o16, 0x0f, r.pick([0xb6, 0xb7, 0xbe, 0xbf]), ...this.modrm(r.pick(DEST), [0, 1, 2, 3, 4, 5, 6, 7])];
      case 12: {
        const rm = this.code32 ? r.pick([0, 1, 2, 3, 5, 6, 7]) : r.pick([0, 1, 2, 3, 4, 5, 6, 7]);
        return [...o16, 0x8d, 0x80 | (r.pick(DEST) << 3) | rm, ...this.imm(this.code32 ? 4 : 2)];
      }
      case 13:
        if (r.chance(0.5)) return [...o16, 0x90 + r.pick([1, 2, 5, 6, 7])];
        if (r.chance(0.5)) return [0x86, ...this.modrm(r.pick(DEST8), DEST8)];
        return [...o16, 0x87, ...this.modrm(r.pick(DEST), DEST)];
      case 14:
        return [...o16, r.pick([0x98, 0x99])];
      case 15:
        return [0x0f, 0x90 + r.int(16), ...this.modrm(0, DEST8)];
      case 16:
        return [...o16, 0x0f, 0x40 + r.int(16), ...this.modrm(r.pick(DEST), [0, 1, 2, 3, 4, 5, 6, 7])];
      case 17: {
        // A short forward branch over the next instruction.
        const next = this.insn();
        const op = r.pick([0x70 + r.int(16), 0x70 + r.int(16), 0xe3, 0xeb]);
        return [op, next.length, ...next];
      }
      case 18: {
        // CALL over the next instruction, then POP the return address.
        const next = this.insn();
        const rel = this.code32 ? le(next.length, 4) : le(next.length, 2);
        return [0xe8, ...rel, ...next, 0x58 + r.pick(DEST)];
      }
      case 19: {
        const push = r.pick([[0x50 + r.int(8)], [0x68, ...this.imm(this.code32 ? 4 : 2)], [0x6a, ...this.imm(1)]]);
        return [...push, ...this.insn(), 0x58 + r.pick(DEST)];
      }
      case 20: {
        const op = r.pick([0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]);
        const byte = (op & 1) === 0;
        const imm = op < 0xd0 ? this.imm(1) : [];
        return [...(byte ? [] : o16), op, ...this.modrm(r.int(8), byte ? DEST8 : DEST), ...imm];
      }
      case 21:
        return [r.pick([0xf5, 0xf8, 0xf9, 0xfc, 0x90, 0x9e, 0x9f])];
      case 22: {
        if (r.chance(0.5)) return [...o16, 0x0f, 0xaf, ...this.modrm(r.pick(DEST), [0, 1, 2, 3, 4, 5, 6, 7])];
        const op = r.pick([0x69, 0x6b]);
        return [...o16, op, ...this.modrm(r.pick(DEST), [0, 1, 2, 3, 4, 5, 6, 7]), ...this.imm(op === 0x69 ? iz : 1)];
      }
      case 23:
        // INVLPG on the data area: the next access there misses the TLB (a no-op without paging).
        return r.chance(0.3) ? [0x0f, 0x01, 0x40 | (7 << 3) | (this.code32 ? 3 : 7), r.int(0x78)] : [0x90];
      default: {
        const op = r.pick([0xa3, 0xab, 0xb3, 0xbb, 0xbc, 0xbd]);
        // BSF/BSR write the reg field; the bit tests write (at most) r/m.
        const reg = op >= 0xbc ? r.pick(DEST) : r.int(8);
        return [...o16, 0x0f, op, 0xc0 | (reg << 3) | r.pick(DEST)];
      }
    }
  }
}

/** A structured body of `count` instructions. */
export function structuredBody(r: Rng, code32: boolean, count: number): number[] {
  const g = new Gen(r, code32);
  const out: number[] = [];
  for (let k = 0; k < count; k++) out.push(...g.insn());
  return out;
}

/** Raw random bytes. */
export function rawBody(r: Rng, length: number): number[] {
  return Array.from({ length }, () => r.int(256));
}

/** `body` three times: DEC the counter in the data area, JNZ back, HLT. */
export function looped(body: readonly number[], code32: boolean): number[] {
  const dec = code32 ? [0xff, 0x0d, ...le(DATA + COUNTER, 4)] : [0xff, 0x0e, ...le(COUNTER, 2)];
  const back = -(body.length + dec.length + (code32 ? 6 : 4));
  const jnz = code32 ? [0x0f, 0x85, ...le(back, 4)] : [0x0f, 0x85, ...le(back, 2)];
  return [...body, ...dec, ...jnz, 0xf4];
}

/** EBX in 32-bit code: [EBX+disp8] reaches across the end of the data area's first page. */
export const BASE32 = DATA + 0xf90;

/**
 * Random registers, flags and data; EBX at BASE32 (BX at 0 with DS and ES at the
 * data area); the loop counter at 3.
 */
export function randomState(r: Rng, w: World, code32: boolean): void {
  const c = w.cpu;
  for (const reg of [Reg.EAX, Reg.ECX, Reg.EDX, Reg.EBP, Reg.ESI, Reg.EDI]) c.setReg32(reg, r.next());
  c.setEflagsMasked(r.next(), 0x8d5);
  for (let k = 0; k < 0x1100; k++) c.writePhys8(DATA + k, r.int(256));
  c.writePhys32(DATA + COUNTER, 3);
  if (code32) {
    c.setReg32(Reg.EBX, BASE32);
  } else {
    c.setReg32(Reg.EBX, 0);
    c.loadSegmentReal(Sreg.DS, DATA >>> 4);
    c.loadSegmentReal(Sreg.ES, DATA >>> 4);
  }
}

/** Run seeds 1..count of one kind in one mode; failures (at most three) name their programs. */
function check(mode: GuestMode, raw: boolean, count: number): string {
  const code32 = mode !== "real";
  const failures: string[] = [];
  for (let seed = 1; seed <= count && failures.length < 3; seed++) {
    const r = new Rng(seed * 7919 + (raw ? 100_003 : 0) + mode.length);
    const program = looped(raw ? rawBody(r, 24) : structuredBody(r, code32, 20), code32);
    const stateSeed = r.next();
    const res = runBoth(mode, program, (w) => randomState(new Rng(stateSeed), w, code32), 5000);
    if (res.differences.length === 0) continue;
    const hex = program.map((b) => b.toString(16).padStart(2, "0")).join(" ");
    failures.push(`${mode} seed ${seed}${raw ? " (raw)" : ""}: ${hex}\n${describe(res.differences)}`);
  }
  return failures.join("\n\n");
}

/** The differential tests of one mode: structured and raw sequences, fixed seeds. */
export function randomTests(mode: GuestMode, structured: number, raw: number): void {
  it(`${structured} structured sequences`, () => expect(check(mode, false, structured)).toBe(""));
  it(`${raw} raw byte sequences`, () => expect(check(mode, true, raw)).toBe(""));
}
