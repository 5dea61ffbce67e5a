/**
 * Intel-syntax text in the style of GNU objdump -M intel: which prefixes are shown
 * as words, how mnemonics change with the operand size, and how operands are spelt.
 */
import type { Insn } from "../decode/insn.js";
import type { OpRow } from "../isa/row.js";
import { type Bits, type MemOperand, type Operand, regName, SREG, xlatOperand } from "./operands.js";

/** Operand codes whose meaning depends on the operand size (so a 66 prefix is not shown as a word). */
const OSIZE_CODE = /^([EGZIOXY][vz]|eAX|Mp|Gz|Ma|Ms|Jz|Ap|Ibs)$/;
/** ModRM operand codes that can be memory (addressed through the address size, and segment-overridable). */
const MODRM_MEM_CODE = /^(E|M|Rv\/Mw)/;

/** Mnemonics objdump spells with a w/d suffix when a 66 prefix changes their operand size. */
const SUFFIX_WHEN_OVERRIDDEN = new Set(["PUSHA", "POPA", "PUSHF", "POPF", "IRET", "RET", "RETF", "LEAVE", "ENTER", "FLDENV", "FNSTENV", "FRSTOR", "FNSAVE"]);
/** Mnemonics objdump always spells with a w/d operand-size suffix. */
const SUFFIX_ALWAYS = new Set(["SGDT", "SIDT", "LGDT", "LIDT"]);
/** String instructions whose F3 prefix is REP rather than REPZ. */
const PLAIN_REP = new Set(["MOVS", "STOS", "LODS", "INS", "OUTS"]);
/** "NAME16/NAME32" pairs chosen by address size rather than operand size. */
const BY_ADDRESS_SIZE = new Set(["JCXZ/JECXZ"]);

/** Operands that are not in the row but that objdump prints. */
const IMPLICIT: Record<string, (i: Insn) => Operand[]> = {
  XLAT: (i) => [xlatOperand(i)],
};

export const PREFIX_BYTES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const SEG_PREFIX: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function suffixed(row: OpRow): "override" | "always" | "" {
  const base = row.mnemonic.split("/")[0];
  if (SUFFIX_ALWAYS.has(base)) return "always";
  if (SUFFIX_WHEN_OVERRIDDEN.has(base)) return "override";
  const op = row.operands[0] ?? "";
  if ((base === "PUSH" || base === "POP") && (/^[CDEFGS]S$/.test(op) || op[0] === "I")) return "override";
  if ((base === "CALL" || base === "JMP") && op === "Jz") return "override";
  return "";
}

function mnemonicOf(row: OpRow, i: Insn, bits: Bits): string {
  const names = row.mnemonic.split("/");
  const rule = suffixed(row);
  let m: string;
  if (rule === "always" || (rule === "override" && i.o32 !== (bits === 32))) m = names[0] + (i.o32 ? "D" : "W");
  else if (rule === "override" || names.length === 1) m = names[0];
  else m = names[(BY_ADDRESS_SIZE.has(row.mnemonic) ? i.a32 : i.o32) ? 1 : 0];
  return m.toLowerCase();
}

function usesOperandSize(row: OpRow, i: Insn): boolean {
  if (row.mnemonic.includes("/") && !BY_ADDRESS_SIZE.has(row.mnemonic)) return true;
  if (suffixed(row) !== "") return true;
  return row.operands.some((c) => OSIZE_CODE.test(c) || (c === "Rv/Mw" && i.mod === 3));
}

function usesAddressSize(row: OpRow, i: Insn): boolean {
  if (BY_ADDRESS_SIZE.has(row.mnemonic) || row.mnemonic in IMPLICIT) return true;
  // objdump counts a 32-bit absolute ModRM address (no base, no index, no SIB) as not using the prefix.
  const absolute32 = i.a32 && i.base < 0 && i.index < 0 && i.rm !== 4;
  return row.operands.some((c) => c[0] === "X" || c[0] === "Y" || (i.mod !== 3 && !absolute32 && MODRM_MEM_CODE.test(c)));
}

/** ES:(E)DI of a string destination (Y) cannot be overridden, so it does not count. */
function usesSegment(row: OpRow, i: Insn): boolean {
  if (row.mnemonic in IMPLICIT) return true;
  return row.operands.some((c) => c[0] === "O" || c[0] === "X" || (i.mod !== 3 && MODRM_MEM_CODE.test(c)));
}

/**
 * Names of the prefix bytes the instruction does not consume, in byte order, the
 * way objdump prints them before the mnemonic (`es`, `data16`, `addr16`, `lock`, `rep`...).
 */
function prefixWords(prefixes: Uint8Array, row: OpRow, i: Insn, bits: Bits): string[] {
  const lastOf = (pred: (b: number) => boolean): number => {
    for (let k = prefixes.length - 1; k >= 0; k--) if (pred(prefixes[k])) return k;
    return -1;
  };
  const consumed = new Set<number>();
  if (usesSegment(row, i)) consumed.add(lastOf((b) => b in SEG_PREFIX));
  if (usesOperandSize(row, i)) consumed.add(lastOf((b) => b === 0x66));
  if (usesAddressSize(row, i)) consumed.add(lastOf((b) => b === 0x67));
  const lastF3 = lastOf((b) => b === 0xf3);
  const words: string[] = [];
  prefixes.forEach((b, k) => {
    if (consumed.has(k)) return;
    if (b in SEG_PREFIX) words.push(SREG[SEG_PREFIX[b]]);
    else if (b === 0x66) words.push(bits === 32 ? "data16" : "data32");
    else if (b === 0x67) words.push(bits === 32 ? "addr16" : "addr32");
    else if (b === 0xf0) words.push("lock");
    else if (b === 0xf2) words.push("repnz");
    // Only the F3 that takes effect reads "rep" on MOVS/STOS/LODS/INS/OUTS; earlier ones stay "repz".
    else words.push(PLAIN_REP.has(row.mnemonic) && k === lastF3 ? "rep" : "repz");
  });
  return words;
}

const BASE_INDEX_16 = (m: MemOperand): string => [m.base, m.index].filter((r) => r >= 0).map((r) => regName(r, 16)).join("+");

function signedHex(v: number): string {
  return v < 0 ? `-${hex(-v)}` : `+${hex(v)}`;
}

function memText(m: MemOperand): string {
  const size = m.size && !m.moffs ? `${m.size} ` : "";
  const seg = `${SREG[m.seg]}:`;
  if (m.base < 0 && m.index < 0 && !m.sib) {
    // An absolute address: objdump names the segment even when it is the default.
    return `${size}${seg}${hex(m.a32 ? m.disp : m.disp & 0xffff)}`;
  }
  let inner: string;
  if (!m.a32) {
    inner = BASE_INDEX_16(m);
  } else {
    inner = m.base >= 0 ? regName(m.base, 32) : "";
    // objdump shows a SIB byte's "no index" as eiz whenever the SIB is not simply [esp].
    if (m.index >= 0 || (m.sib && (m.scale !== 0 || m.base !== 4))) {
      inner += `${m.base >= 0 ? "+" : ""}${m.index >= 0 ? regName(m.index, 32) : "eiz"}*${1 << m.scale}`;
    }
  }
  if (m.disp !== 0 || m.mod !== 0 || (m.a32 && m.base < 0)) inner += signedHex(m.disp);
  return `${size}${m.showSeg ? seg : ""}[${inner}]`;
}

export function operandText(o: Operand): string {
  switch (o.kind) {
    case "reg": return o.name;
    case "imm": return hex(o.value);
    case "one": return "1";
    case "target": return hex(o.address);
    case "far": return `${hex(o.selector)}:${hex(o.offset)}`;
    case "mem": return memText(o);
  }
}

export interface Formatted {
  prefixes: string[];
  mnemonic: string;
  operands: Operand[];
}

/** Prefix words, mnemonic and operands of a decoded (defined) instruction. */
export function formatParts(row: OpRow, i: Insn, operands: Operand[], prefixes: Uint8Array, bits: Bits): Formatted {
  const all = [...operands, ...(IMPLICIT[row.mnemonic]?.(i) ?? [])];
  for (const o of all) if (o.kind === "mem" && i.segOverride >= 0) o.showSeg = true;
  return { prefixes: prefixWords(prefixes, row, i, bits), mnemonic: mnemonicOf(row, i, bits), operands: all };
}
