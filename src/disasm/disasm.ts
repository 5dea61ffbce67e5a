/**
 * Intel-syntax disassembler: the decoder picks the opcode-table row, the row's
 * mnemonic and operand codes drive the text (src/disasm/format.ts). Output follows
 * GNU objdump -M intel closely; test/support/objdump.ts lists where it differs.
 */
import { decode } from "../decode/decoder.js";
import { Insn } from "../decode/insn.js";
import { OPCODES } from "../isa/opcodes.js";
import type { OpRow } from "../isa/row.js";
import { formatParts, operandText, PREFIX_BYTES } from "./format.js";
import { type Bits, type Operand, operandsOf } from "./operands.js";

export type { Bits, MemOperand, Operand } from "./operands.js";

/** Reads the byte at a (guest) address; may throw, e.g. for an unmapped page. */
export type ByteReader = (address: number) => number;

/** One disassembled instruction, as a listing shows it. */
export interface DisasmLine {
  address: number;
  length: number;
  bytes: Uint8Array;
  /** Prefix words and mnemonic ("rep movs", "(bad)"). */
  opcode: string;
  /** Operands, comma-separated ("" when none). */
  args: string;
  /** opcode and args with one space between. */
  text: string;
}

/** A DisasmLine with the decoded form behind it. */
export interface Disassembly extends DisasmLine {
  insn: Insn;
  row: OpRow;
  /** Prefix words shown before the mnemonic (prefix bytes the instruction does not consume). */
  prefixes: string[];
  /** Lower-case mnemonic, "(bad)" for undefined encodings. */
  mnemonic: string;
  operands: Operand[];
}

const BAD_ROWS = new Set(OPCODES.filter((r) => r.map < 0).map((r) => r.id));

const joinText = (opcode: string, args: string): string => (args ? `${opcode} ${args}` : opcode);

/** Decode and format the one instruction at `address`. */
export function disassembleOne(read: ByteReader, address: number, bits: Bits): Disassembly {
  const insn = new Insn();
  decode(insn, { byte: (k) => read(address + k) }, bits === 32);
  const row = OPCODES[insn.row];
  const bytes = Uint8Array.from({ length: insn.len }, (_, k) => read(address + k));
  const base = { address, length: insn.len, bytes, insn, row };
  if (BAD_ROWS.has(insn.row)) {
    return { ...base, prefixes: [], mnemonic: "(bad)", operands: [], opcode: "(bad)", args: "", text: "(bad)" };
  }
  let n = 0;
  while (n < insn.len && PREFIX_BYTES.has(bytes[n])) n++;
  const parts = formatParts(row, insn, operandsOf(row, insn, address, bits), bytes.subarray(0, n), bits);
  const opcode = [...parts.prefixes, parts.mnemonic].join(" ");
  const args = parts.operands.map(operandText).join(",");
  return { ...base, ...parts, opcode, args, text: joinText(opcode, args) };
}

const PAST_END = { pastEnd: true };

/**
 * Disassemble a buffer loaded at `org`. An instruction cut off by the end of the
 * buffer comes out as one "(bad)" line holding the remaining bytes.
 */
export function* disassemble(bytes: Uint8Array, org: number, bits: Bits): Generator<DisasmLine> {
  const read: ByteReader = (a) => {
    const k = a - org;
    if (k >= bytes.length) throw PAST_END;
    return bytes[k];
  };
  let off = 0;
  while (off < bytes.length) {
    const address = org + off;
    let line: DisasmLine;
    try {
      line = disassembleOne(read, address, bits);
    } catch (e) {
      if (e !== PAST_END) throw e;
      line = { address, length: bytes.length - off, bytes: bytes.subarray(off), opcode: "(bad)", args: "", text: "(bad)" };
    }
    yield line;
    off += line.length;
  }
}

const BYTES_PER_LINE = 7;
const hexByte = (b: number): string => b.toString(16).padStart(2, "0");

/**
 * objdump -d's layout of one instruction: "addr:\tbytes\tmnemonic operands", with
 * bytes beyond the seventh on continuation lines. No trailing newline.
 */
export function listing(line: DisasmLine): string {
  const addr = (a: number): string => (a >>> 0).toString(16).padStart(8);
  const chunk = (from: number): string =>
    Array.from(line.bytes.subarray(from, from + BYTES_PER_LINE), (b) => `${hexByte(b)} `).join("");
  const text = line.args ? `${line.opcode.padEnd(6)} ${line.args}` : line.opcode;
  const out = [`${addr(line.address)}:\t${chunk(0).padEnd(BYTES_PER_LINE * 3)}\t${text}`];
  for (let k = BYTES_PER_LINE; k < line.bytes.length; k += BYTES_PER_LINE) out.push(`${addr(line.address + k)}:\t${chunk(k)}`);
  return out.join("\n");
}
