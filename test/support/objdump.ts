/**
 * GNU objdump as the reference for the disassembler: running it, parsing its
 * listing, and the complete list of legitimate syntax differences between its
 * Intel syntax and ours. A comparison applies DIFFERENCES to objdump's text and
 * then demands equality; anything the list does not cover is a failure.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Bits = 16 | 32;

/** An instruction as objdump listed it. */
export interface ObjdumpInsn {
  address: number;
  text: string;
}

/**
 * Instruction lines of an `objdump -d` listing, without raw bytes
 * (--no-show-raw-insn) or with them (continuation lines are skipped).
 */
export function parseObjdump(listing: string): ObjdumpInsn[] {
  const out: ObjdumpInsn[] = [];
  for (const line of listing.split("\n")) {
    const m = /^\s*([0-9a-f]+):\t(?:(?:[0-9a-f]{2} )+\s*\t)?(.*)$/.exec(line);
    if (!m || m[2].trim() === "" || /^([0-9a-f]{2} )+$/.test(m[2])) continue;
    out.push({ address: parseInt(m[1], 16), text: m[2] });
  }
  return out;
}

/** objdump's listing of raw bytes loaded at `org`. Fails loudly when objdump is missing. */
export function objdumpBytes(bytes: Uint8Array, org: number, bits: Bits): ObjdumpInsn[] {
  const dir = mkdtempSync(join(tmpdir(), "jit386-objdump-"));
  try {
    const file = join(dir, "code.bin");
    writeFileSync(file, bytes);
    const args = ["-D", "-b", "binary", "-m", bits === 32 ? "i386" : "i8086", "-M", "intel", `--adjust-vma=0x${org.toString(16)}`, "--no-show-raw-insn", file];
    return parseObjdump(execFileSync("objdump", args, { encoding: "utf8", maxBuffer: 1 << 28 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PREFIX = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/** Opcode map, opcode byte and ModRM.reg of an instruction's bytes. */
function opcodeOf(bytes: Uint8Array): { map: number; op: number; reg: number } {
  let k = 0;
  while (k < bytes.length - 1 && PREFIX.has(bytes[k])) k++;
  const map = bytes[k] === 0x0f ? 1 : 0;
  if (map) k++;
  return { map, op: bytes[k], reg: ((bytes[k + 1] ?? 0) >> 3) & 7 };
}

const SEG_NAMES: Record<number, string> = { 0x26: "es", 0x2e: "cs", 0x36: "ss", 0x3e: "ds", 0x64: "fs", 0x65: "gs" };

/** Every prefix byte of a register-only instruction as a word, the way both sides print unused prefixes. */
function prefixWords(bytes: Uint8Array, bits: Bits): string[] {
  const words: string[] = [];
  for (let k = 0; k < bytes.length - 1 && PREFIX.has(bytes[k]); k++) {
    const b = bytes[k];
    if (b in SEG_NAMES) words.push(SEG_NAMES[b]);
    else if (b === 0x66) words.push(bits === 32 ? "data16" : "data32");
    else if (b === 0x67) words.push(bits === 32 ? "addr16" : "addr32");
    else words.push(b === 0xf0 ? "lock" : b === 0xf2 ? "repnz" : "repz");
  }
  return words;
}

export interface Difference {
  name: string;
  why: string;
  /** Rewrite objdump's text of one instruction into our spelling (identity when the rule does not apply). */
  apply(text: string, bytes: Uint8Array, bits: Bits): string;
}

const SHIFT_OPS = new Set([0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]);

/** Every legitimate difference, applied in this order. */
export const DIFFERENCES: readonly Difference[] = [
  {
    name: "layout",
    why: "objdump pads the mnemonic to a column; we separate words with one space",
    apply: (t) => t.replace(/\s+/g, " ").trim(),
  },
  {
    name: "x87 era notes",
    why: "objdump appends (8087 only)/(287 only) to FNENI, FNDISI, FNSETPM; we print the bare mnemonic",
    apply: (t) => t.replace(/\((8087|287) only\)/, ""),
  },
  {
    name: "66 90",
    why: "objdump spells the operand-size-prefixed NOP as xchg ax,ax (xchg eax,eax in 16-bit code); the table's 90 is NOP, so we show the unused prefix: data16 nop",
    apply: (t, b, bits) => {
      const o = opcodeOf(b);
      return o.map === 0 && o.op === 0x90 ? t.replace(/xchg (e?ax),\1$/, `${bits === 32 ? "data16" : "data32"} nop`) : t;
    },
  },
  {
    name: "pause",
    why: "F3 90 is PAUSE on later processors; on a Pentium Pro it is NOP with an ignored REP prefix",
    apply: (t) => t.replace(/\bpause$/, "repz nop"),
  },
  {
    name: "MPX bnd",
    why: "objdump names F2 on branches bnd (MPX); without MPX it is an ignored REPNE prefix",
    apply: (t) => t.replace(/\bbnd /, "repnz "),
  },
  {
    name: "TSX hints",
    why: "objdump names F2/F3 with LOCK xacquire/xrelease (TSX); without TSX they are ignored REP prefixes",
    apply: (t) => t.replace(/\bxacquire /, "repnz ").replace(/\bxrelease /, "repz "),
  },
  {
    name: "CET notrack",
    why: "objdump names 3E on indirect branches notrack (CET); on a Pentium Pro it is a DS override, shown on the memory operand or as a prefix word",
    apply: (t) => (/\bnotrack .*\[/.test(t) ? t.replace("notrack ", "").replace(/(\w+ PTR )?\[/, "$1ds:[") : t.replace(/\bnotrack /, "ds ")),
  },
  {
    name: "SAL alias",
    why: "objdump prints the undocumented /6 encodings of C0-D3 as shl; the table names that row SAL (GNU as encodes sal as /4)",
    apply: (t, b) => {
      const o = opcodeOf(b);
      return o.map === 0 && SHIFT_OPS.has(o.op) && o.reg === 6 ? t.replace(/\bshl /, "sal ") : t;
    },
  },
  {
    name: "SALC",
    why: "objdump does not know the undocumented D6 (SALC) of the 8086-Pentium Pro line",
    apply: (t, b) => (opcodeOf(b).map === 0 && opcodeOf(b).op === 0xd6 ? t.replace(/\(bad\)$/, "salc") : t),
  },
  {
    name: "INVLPG operand",
    why: "objdump gives INVLPG's m operand a BYTE PTR size; the table's M has no size, as for LEA",
    apply: (t) => t.replace(/\binvlpg BYTE PTR /, "invlpg "),
  },
  {
    name: "LAR/LSL r/m16 register",
    why: "LAR and LSL read a 16-bit selector; objdump names a register source at the operand size (lar eax,ecx), the table's Ew the 16-bit register",
    apply: (t) => t.replace(/^(.*\b(?:lar|lsl) \w+),e([a-d]x|[sd]i|[sb]p)$/, "$1,$2"),
  },
  {
    name: "MOV Sreg,r16",
    why: "objdump reads 8E's register source at the operand size (mov es,eax) and so takes a 66 prefix as used; the table's Ew is always the 16-bit register, so we show every 66 as data16/data32",
    apply: (t, b, bits) => {
      const m = /\bmov ([cdefgs]s),e?([a-d]x|[sd]i|[sb]p)$/.exec(t);
      return m ? [...prefixWords(b, bits), `mov ${m[1]},${m[2]}`].join(" ") : t;
    },
  },
  {
    name: "BSWAP operand size",
    why: "BSWAP with a 16-bit operand size is undefined (SDM); objdump names the register at the operand size and takes a 66 prefix as used, the table's Zd is always the 32-bit register, so we show every 66 as data16/data32",
    apply: (t, b, bits) => {
      const m = /\bbswap e?([a-d]x|[sd]i|[sb]p)$/.exec(t);
      return m ? [...prefixWords(b, bits), `bswap e${m[1]}`].join(" ") : t;
    },
  },
];

/** Names of the differences that changed some text, so a test can require every rule to be needed. */
export const APPLIED = new Set<string>();

/** objdump's text of one instruction in our spelling. */
export function normalizeObjdump(text: string, bytes: Uint8Array, bits: Bits): string {
  return DIFFERENCES.reduce((t, d) => {
    const u = d.apply(t, bytes, bits);
    if (u !== t) APPLIED.add(d.name);
    return u;
  }, text);
}
