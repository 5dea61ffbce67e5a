import { describe, expect, it } from "vitest";
import { decode } from "../src/decode/decoder.js";
import { Insn } from "../src/decode/insn.js";
import { OPCODES, ROW_TOO_LONG, ROW_UD } from "../src/isa/opcodes.js";
import type { OpRow } from "../src/isa/row.js";
import { allInstances, type Fields } from "./support/instances.js";

/** Decode bytes (zero-padded, so a short buffer never runs out). */
function dec(bytes: number[], bits: 16 | 32): Insn {
  const i = new Insn();
  decode(i, { byte: (k) => bytes[k] ?? 0 }, bits === 32);
  return i;
}

function fieldsOf(i: Insn, like: Fields): Fields {
  const out = { ...like };
  for (const k of Object.keys(like) as (keyof Fields)[]) (out as Record<string, unknown>)[k] = i[k];
  return out;
}

const hex = (b: number[]): string => b.map((x) => x.toString(16).padStart(2, "0")).join(" ");
const rowName = (r: OpRow): string => `${r.map ? "0F " : ""}${r.op.toString(16).toUpperCase().padStart(2, "0")}${r.reg >= 0 ? `/${r.reg}` : ""}${r.rm >= 0 ? `:${r.rm}` : ""}${r.mod !== "any" ? `.${r.mod}` : ""} ${r.mnemonic} ${r.operands.join(",")}`;

describe("decoder: every opcode-table row", () => {
  const instances = allInstances();
  const byRow = new Map<number, typeof instances>();
  for (const t of instances) byRow.set(t.expect.row, [...(byRow.get(t.expect.row) ?? []), t]);
  const rows = OPCODES.filter((r) => r.map >= 0);

  it("has encoded instances of every row in 16- and 32-bit code", () => {
    const missing = rows.filter((r) => !([16, 32] as const).every((b) => byRow.get(r.id)?.some((t) => t.bits === b)));
    expect(missing.map(rowName)).toEqual([]);
  });

  it.each(rows.map((r) => [rowName(r), r.id] as const))("%s", (_name, id) => {
    for (const t of byRow.get(id) ?? []) {
      const i = dec(t.bytes, t.bits);
      expect(fieldsOf(i, t.expect), `${t.what}: ${hex(t.bytes)}`).toEqual(t.expect);
    }
  });
});

describe("decoder: row selection agrees with the table for every opcode and ModRM byte", () => {
  const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
  const rows = OPCODES.filter((r) => r.map >= 0);

  /** The rows whose constraints accept this opcode and ModRM byte, found by scanning the table. */
  function claimants(map: number, op: number, modrm: number): OpRow[] {
    const mod = modrm >> 6;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    return rows.filter((r) => {
      if (r.map !== map || r.op !== op) return false;
      if (!r.hasModrm) return true;
      // MOV to/from CRn/DRn ignores ModRM.mod (SDM): always the register form.
      const isReg = mod === 3 || r.operands.some((o) => o === "Cd" || o === "Dd");
      return (r.reg < 0 || r.reg === reg) && (r.rm < 0 || r.rm === rm) && (r.mod === "any" || (r.mod === "reg") === isReg);
    });
  }

  it("rows of one opcode agree on whether it has a ModRM byte", () => {
    const disagree = rows.filter((r) => rows.some((s) => s.map === r.map && s.op === r.op && s.hasModrm !== r.hasModrm));
    expect(disagree.map(rowName)).toEqual([]);
  });

  for (const map of [0, 1]) {
    it(`${map ? "0F map" : "one-byte map"}: exactly the claiming row, or ROW_UD, and no encoding claimed twice`, () => {
      const problems: string[] = [];
      for (let op = 0; op < 256; op++) {
        if (map === 0 && (PREFIXES.has(op) || op === 0x0f)) continue;
        const withModrm = rows.some((r) => r.map === map && r.op === op && r.hasModrm);
        for (let modrm = 0; modrm < (withModrm ? 256 : 1); modrm++) {
          const bytes = [...(map ? [0x0f] : []), op, ...(withModrm ? [modrm] : [])];
          const claims = claimants(map, op, modrm);
          if (claims.length > 1) problems.push(`${hex(bytes)} claimed by ${claims.map(rowName).join(" | ")}`);
          const want = claims.length === 1 ? claims[0].id : ROW_UD;
          for (const bits of [16, 32] as const) {
            const got = dec(bytes, bits).row;
            if (got !== want) problems.push(`${bits}-bit ${hex(bytes)}: decoded ${OPCODES[got].mnemonic}, table says ${OPCODES[want].mnemonic}`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  }
});

describe("decoder: prefixes", () => {
  const MOV_GV_EV = OPCODES.find((r) => r.map === 0 && r.op === 0x8b)!.id;

  it("segment overrides select the segment; the last one wins", () => {
    [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].forEach((p, seg) => {
      const i = dec([p, 0x8b, 0x00], 32);
      expect([i.row, i.segOverride, i.seg]).toEqual([MOV_GV_EV, seg, seg]);
    });
    const i = dec([0x26, 0x64, 0x2e, 0x8b, 0x00], 32);
    expect([i.segOverride, i.seg, i.len]).toEqual([1, 1, 5]);
  });

  it("EBP/ESP/BP bases default to SS, unless overridden", () => {
    expect(dec([0x8b, 0x45, 0x08], 32).seg).toBe(2); // [ebp+8]
    expect(dec([0x8b, 0x04, 0x24], 32).seg).toBe(2); // [esp]
    expect(dec([0x8b, 0x04, 0x2c], 32).seg).toBe(2); // [esp+ebp*1]: the base decides
    expect(dec([0x8b, 0x04, 0x25, 0, 0, 0, 0], 32).seg).toBe(3); // SIB, no base
    expect(dec([0x8b, 0x02], 16).seg).toBe(2); // [bp+si]
    expect(dec([0x8b, 0x06, 0x34, 0x12], 16).seg).toBe(3); // [0x1234], not bp
    expect(dec([0x3e, 0x8b, 0x45, 0x08], 32).seg).toBe(3);
  });

  it("66 and 67 toggle operand and address size once, however often repeated", () => {
    for (const bits of [16, 32] as const) {
      const d = bits === 32;
      expect(dec([0x66, 0x8b, 0x00], bits).o32).toBe(!d);
      expect(dec([0x66, 0x66, 0x66, 0x8b, 0x00], bits).o32).toBe(!d);
      expect(dec([0x67, 0x67, 0x8b, 0x00], bits).a32).toBe(!d);
    }
    // 67 in 32-bit code switches to 16-bit ModRM: 8B 00 is then [bx+si].
    const i = dec([0x67, 0x8b, 0x00], 32);
    expect([i.base, i.index, i.len]).toEqual([3, 6, 3]);
    // 66 changes the immediate's width: B8 iw in 32-bit code.
    const j = dec([0x66, 0xb8, 0x34, 0x12, 0x90], 32);
    expect([j.imm, j.len]).toEqual([0x1234, 4]);
  });

  it("the last of F2/F3 is the repeat prefix", () => {
    expect(dec([0xf3, 0xf2, 0xa4], 32).rep).toBe(2);
    expect(dec([0xf2, 0xf3, 0xa4], 32).rep).toBe(1);
    expect(dec([0xf3, 0xf3, 0xa4], 32).rep).toBe(1);
  });

  it("LOCK is accepted only on lockable instructions with a memory destination", () => {
    const ok = [[0xf0, 0x01, 0x00], [0xf0, 0x86, 0x00], [0xf0, 0x0f, 0xab, 0x00], [0xf0, 0x0f, 0xc7, 0x08], [0xf0, 0xf0, 0xff, 0x00], [0xf0, 0x83, 0x00, 0x01]];
    for (const b of ok) {
      const i = dec(b, 32);
      expect(i.row, hex(b)).not.toBe(ROW_UD);
      expect(i.lock, hex(b)).toBe(true);
    }
    const bad = [[0xf0, 0x01, 0xc0], [0xf0, 0x8b, 0x00], [0xf0, 0x90], [0xf0, 0x0f, 0xa3, 0x00], [0xf0, 0x39, 0x00], [0xf0, 0xa4], [0xf0, 0xff, 0xc0]];
    for (const b of bad) expect(dec(b, 32).row, hex(b)).toBe(ROW_UD);
  });

  it("15 bytes are the limit: one more is ROW_TOO_LONG with length 15", () => {
    const nop15 = [...Array(14).fill(0x66), 0x90];
    const i = dec(nop15, 32);
    expect([OPCODES[i.row].mnemonic, i.len]).toEqual(["NOP", 15]);
    const j = dec([...Array(15).fill(0x66), 0x90], 32);
    expect([j.row, j.len]).toEqual([ROW_TOO_LONG, 15]);
    // 5 prefixes + opcode + ModRM + SIB + disp32 + imm32 = 16 bytes.
    const k = dec([0x26, 0x26, 0x26, 0x26, 0x26, 0x81, 0x84, 0x88, 1, 2, 3, 4, 5, 6, 7, 8], 32);
    expect([k.row, k.len]).toEqual([ROW_TOO_LONG, 15]);
    const ok = dec([0x26, 0x66, 0x81, 0x84, 0x88, 1, 2, 3, 4, 5, 6], 32);
    expect([OPCODES[ok.row].mnemonic, ok.len]).toEqual(["ADD", 11]);
  });
});

describe("decoder: undefined encodings (Pentium Pro) are ROW_UD", () => {
  const UNDEFINED: [string, number[]][] = [
    ["0F 04", [0x0f, 0x04]], ["0F 05 (SYSCALL)", [0x0f, 0x05]], ["0F 07", [0x0f, 0x07]], ["0F 0A", [0x0f, 0x0a]],
    ["0F 10 (SSE)", [0x0f, 0x10, 0xc0]], ["0F 34 (SYSENTER, Pentium II)", [0x0f, 0x34]], ["0F 38", [0x0f, 0x38, 0x00, 0xc0]],
    ["0F 77 (EMMS)", [0x0f, 0x77]], ["0F A6", [0x0f, 0xa6, 0xc0]], ["0F AE (FXSAVE, Pentium II)", [0x0f, 0xae, 0x00]],
    ["0F B8", [0x0f, 0xb8, 0xc0]], ["0F FF", [0x0f, 0xff]],
    ["FE /2", [0xfe, 0x10]], ["FF /7", [0xff, 0x38]], ["FF /3 register", [0xff, 0xd8]], ["FF /5 register", [0xff, 0xe8]],
    ["C6 /1", [0xc6, 0x08, 0x00]], ["C7 /7", [0xc7, 0xf8, 0, 0, 0, 0]], ["8F /1", [0x8f, 0x08]],
    ["8D register (LEA)", [0x8d, 0xc0]], ["C4 register (LES)", [0xc4, 0xc0]], ["62 register (BOUND)", [0x62, 0xc0]],
    ["0F B2 register (LSS)", [0x0f, 0xb2, 0xc0]], ["0F 01 /0 register (SGDT)", [0x0f, 0x01, 0xc0]], ["0F 01 /5", [0x0f, 0x01, 0x28]],
    ["0F 00 /6", [0x0f, 0x00, 0x30]], ["0F BA /0", [0x0f, 0xba, 0x00, 0x01]], ["0F C7 /0", [0x0f, 0xc7, 0x00]],
    ["0F C7 /1 register (CMPXCHG8B)", [0x0f, 0xc7, 0xc8]],
    ["8C /6 (no Sreg 6)", [0x8c, 0xf0]], ["8E /7 (no Sreg 7)", [0x8e, 0xf8]], ["8E /1 (MOV CS)", [0x8e, 0xc8]],
    ["D9 /1 memory", [0xd9, 0x08]], ["D9 D1", [0xd9, 0xd1]], ["D9 E2", [0xd9, 0xe2]], ["D9 EF", [0xd9, 0xef]],
    ["DA E8", [0xda, 0xe8]], ["DB E5", [0xdb, 0xe5]], ["DB /4 memory", [0xdb, 0x20]], ["DE D8", [0xde, 0xd8]], ["DF E1", [0xdf, 0xe1]],
  ];
  it.each(UNDEFINED)("%s", (_name, bytes) => {
    for (const bits of [16, 32] as const) expect(dec(bytes, bits).row).toBe(ROW_UD);
  });
});
