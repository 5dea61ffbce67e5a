/**
 * Round trip through GNU as: every table row's canonical instances (the mode's own
 * operand and address size, addressing forms an assembler writes) are
 * disassembled, the text is assembled with `as --32 -msyntax=intel -mnaked-reg`
 * (`.code16` for 16-bit code) and linked at the same addresses, and the result
 * must decode to an instruction with the same meaning. Encodings may differ (as
 * picks short immediates, the accumulator and moffs forms, the other direction
 * bit), so meaning is compared, not bytes: same row, or a row with the same
 * semantics (exec), the same mnemonic and the same operands.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Disassembly, disassembleOne, type Operand } from "../src/disasm/disasm.js";
import { OpClass } from "../src/isa/row.js";
import { allInstances, type Bits, type Instance } from "./support/instances.js";

/** Spacing of instances, so each sits at the same address before and after assembly. */
const SLOT = 16;
const ORG = 0x4000;

/** Rows GNU as has no spelling for; the test checks that as indeed rejects them. */
const AS_CANNOT: Record<string, string> = {
  salc: "undocumented D6 (SALC): GNU as has no salc mnemonic",
};

/** Mnemonics that name the same operation as another one. */
const ALIASES: Record<string, string> = {
  sal: "shl", // as encodes sal as SHL's /4; /6 is the undocumented alias
};

function tool(name: string, args: string[], cwd: string): string {
  try {
    return execFileSync(name, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    if (err.code === "ENOENT") throw new Error(`GNU ${name} (binutils) is required by this test and was not found on PATH`);
    throw new Error(`${name} failed:\n${err.stderr ?? String(e)}`);
  }
}

/** What an operand means, without the encoding details (moffs vs ModRM, disp8 vs disp32, shown segment). */
function meaningOf(o: Operand): unknown {
  switch (o.kind) {
    case "reg": return o.name === "st" ? "st(0)" : o.name;
    // Shifting by the constant 1 (D0-D3) is shifting by an immediate 1 (C0/C1), which as shortens to it.
    case "one": return { kind: "imm", value: 1, size: 8 };
    case "mem": return { size: o.size, seg: o.seg, a32: o.a32, base: o.base, index: o.index, scale: o.index >= 0 ? o.scale : 0, disp: o.a32 ? o.disp | 0 : o.disp & 0xffff };
    default: return o;
  }
}

function meaning(d: Disassembly): unknown {
  const operands = d.operands.map(meaningOf);
  // XCHG's operands commute; as puts the accumulator where the short form wants it.
  if (d.mnemonic === "xchg") operands.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return {
    exec: d.row.exec,
    mnemonic: ALIASES[d.mnemonic] ?? d.mnemonic,
    operands,
    rep: d.row.cls & OpClass.STRING ? d.insn.rep : 0,
    lock: d.insn.lock,
  };
}

/** Assemble and link `lines` (one per SLOT) at ORG; returns the flat image. */
function assemble(dir: string, bits: Bits, lines: string[], symbols: string[]): Uint8Array {
  // binutils 2.40 rejects segment registers (es:[edx]) under -msyntax=intel -mnaked-reg
  // alone ("invalid use of register"); the directive sets the same mode and does accept them.
  const src = [".intel_syntax noprefix", `.code${bits}`, "base:", ...lines.flatMap((l, k) => [`.org ${k * SLOT}`, l]), ...symbols, ""].join("\n");
  writeFileSync(join(dir, "t.s"), src);
  tool("as", ["--32", "-msyntax=intel", "-mnaked-reg", "-o", "t.o", "t.s"], dir);
  tool("ld", ["-m", "elf_i386", `-Ttext=0x${ORG.toString(16)}`, "-e", "0", "--oformat=binary", "-o", "t.bin", "t.o"], dir);
  return new Uint8Array(readFileSync(join(dir, "t.bin")));
}

function roundTrip(bits: Bits, instances: Instance[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "jit386-roundtrip-"));
  try {
    const originals = instances.map((t, k) => disassembleOne((a) => t.bytes[a - (ORG + k * SLOT)], ORG + k * SLOT, bits));
    const symbols: string[] = [];
    const lines = originals.map((d, k) => {
      // as wants a symbol, not a number, as the target of LOOP/JCXZ, and one it can resolve
      // without a relocation (there is none for 8-bit displacements): an offset from the
      // section start, which the link puts at ORG. Every branch target is named that way.
      const target = d.operands.find((o) => o.kind === "target");
      if (target === undefined) return d.text;
      symbols.push(`T${k} = base + 0x${(target.address - ORG).toString(16)}`);
      return d.text.replace(/0x[0-9a-f]+$/, `T${k}`);
    });
    const image = assemble(dir, bits, lines, symbols);
    const problems: string[] = [];
    originals.forEach((d, k) => {
      const again = disassembleOne((a) => image[a - ORG] ?? 0, d.address, bits);
      if (JSON.stringify(meaning(again)) !== JSON.stringify(meaning(d))) {
        problems.push(`${instances[k].what}: '${d.text}' assembled to '${again.text}' (${again.row.mnemonic} ${again.row.operands.join(",")})`);
      }
    });
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("disassembly round trip through GNU as", () => {
  for (const bits of [32, 16] as const) {
    const instances = allInstances().filter((t) => t.bits === bits && t.canonical);
    const probe = (t: Instance): Disassembly => disassembleOne((a) => t.bytes[a], 0, bits);
    const assemblable = instances.filter((t) => !(probe(t).mnemonic in AS_CANNOT));

    it(`${bits}-bit code: every row has canonical instances`, () => {
      const rows = new Set(instances.map((t) => t.expect.row));
      const all = new Set(allInstances().map((t) => t.expect.row));
      expect([...all].filter((r) => !rows.has(r))).toEqual([]);
    });

    it(`${bits}-bit code: same meaning after disassembling and reassembling`, () => {
      expect(roundTrip(bits, assemblable)).toEqual([]);
    });

    it(`${bits}-bit code: as rejects exactly the listed mnemonics`, () => {
      const dir = mkdtempSync(join(tmpdir(), "jit386-roundtrip-"));
      try {
        for (const t of instances.filter((x) => probe(x).mnemonic in AS_CANNOT)) {
          expect(() => assemble(dir, bits, [probe(t).text], []), AS_CANNOT[probe(t).mnemonic]).toThrow(/as failed/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
