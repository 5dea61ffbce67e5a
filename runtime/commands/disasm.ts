/**
 * `jit386 disasm FILE`: an Intel-syntax listing. A multiboot or ELF image is listed
 * where its code loads (ELF: the executable segments at their addresses;
 * address-field multiboot: the loaded bytes from the load address), with the
 * multiboot header shown as data and decoding restarted at the entry point;
 * `--org`/`--bits`, or a file of no known kind, list the file as raw code.
 */
import { isElf, parseElf32, PF_X } from "../../src/boot/elf.js";
import { BootError } from "../../src/boot/errors.js";
import { addressFields, findMultibootHeader, hasAddressFields, headerLength } from "../../src/boot/multiboot.js";
import { type Bits, disassemble, listing } from "../../src/disasm/disasm.js";
import { ImageError } from "../errors.js";
import { readImage } from "../image.js";
import { choice, command, int } from "../options.js";
import { out } from "../stdout.js";

/** Bytes listed from one address: code, or data shown four bytes a line. */
interface Piece {
  address: number;
  bytes: Uint8Array;
  data: boolean;
}

/** A range of the image as it is loaded, with the file bytes behind it. */
interface Range {
  title: string;
  address: number;
  bytes: Uint8Array;
  /** Where the multiboot header sits in the range (listed as data), if it does. */
  header?: { address: number; length: number };
}

interface Layout {
  summary: string;
  entry: number;
  ranges: Range[];
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Where an image's code is, or undefined for a file to list raw. */
function layoutOf(bytes: Uint8Array): Layout | undefined {
  const mb = findMultibootHeader(bytes);
  if (mb && hasAddressFields(mb)) {
    const a = addressFields(bytes, mb);
    const loaded = bytes.subarray(a.fileStart, a.fileStart + a.length);
    return {
      summary: `multiboot kernel (address fields), loaded at ${hex(a.loadAddr)}, entry ${hex(a.entry)}`,
      entry: a.entry,
      ranges: [{ title: `file offset ${hex(a.fileStart)}`, address: a.loadAddr, bytes: loaded, header: { address: a.headerAddr, length: headerLength(mb) } }],
    };
  }
  if (!isElf(bytes)) return undefined;
  const elf = parseElf32(bytes);
  const code = elf.segments.filter((s) => s.flags & PF_X);
  if (code.length === 0) throw new BootError("ELF file has no executable segment");
  return {
    summary: `ELF i386 executable${mb ? " (multiboot)" : ""}, entry ${hex(elf.entry)}`,
    entry: elf.entry,
    ranges: code.map((s) => {
      const inHeader = mb !== undefined && mb.offset >= s.fileOffset && mb.offset < s.fileOffset + s.fileSize;
      return {
        title: `segment at file offset ${hex(s.fileOffset)}`,
        address: s.vaddr,
        bytes: bytes.subarray(s.fileOffset, s.fileOffset + s.fileSize),
        header: inHeader ? { address: s.vaddr + mb.offset - s.fileOffset, length: headerLength(mb) } : undefined,
      };
    }),
  };
}

/** A range cut where decoding must restart: around the header (data) and at the entry. */
function pieces(r: Range, entry: number): Piece[] {
  const end = r.address + r.bytes.length;
  const cuts = new Set([r.address, end]);
  const inside = (a: number) => a > r.address && a < end;
  if (r.header) [r.header.address, r.header.address + r.header.length].filter(inside).forEach((a) => cuts.add(a));
  if (inside(entry)) cuts.add(entry);
  const sorted = [...cuts].sort((a, b) => a - b);
  return sorted.slice(0, -1).map((from, k) => ({
    address: from,
    bytes: r.bytes.subarray(from - r.address, sorted[k + 1] - r.address),
    data: r.header !== undefined && from >= r.header.address && from < r.header.address + r.header.length,
  }));
}

function dataLines(p: Piece): string[] {
  const lines: string[] = [];
  for (let k = 0; k < p.bytes.length; k += 4) {
    const word = p.bytes.subarray(k, k + 4);
    const value = word.length === 4 ? new DataView(word.buffer, word.byteOffset, 4).getUint32(0, true) : undefined;
    const text = value === undefined ? `.byte ${Array.from(word, (b) => hex(b)).join(",")}` : `.long  ${hex(value)}`;
    lines.push(listing({ address: p.address + k, length: word.length, bytes: word, opcode: text, args: "", text }));
  }
  return lines;
}

function codeLines(bytes: Uint8Array, address: number, bits: Bits): string[] {
  return Array.from(disassemble(bytes, address, bits), listing);
}

export const disasm = command({
  name: "disasm",
  summary: "disassemble FILE: a multiboot or ELF image where its code loads, or raw code",
  args: [{ name: "FILE", optional: false, help: "a multiboot kernel, an ELF i386 executable, or raw code" }],
  options: {
    org: int("ADDR", "list FILE as raw code loaded at ADDR", { min: 0, max: 0xffffffff, hex: true }),
    bits: choice(["16", "32"], "list FILE as raw code of this size (default 32)"),
  },
  details: `An ELF executable is listed segment by segment (the executable ones, at their virtual
addresses), a multiboot kernel with address fields from its load address; both are 32-bit code,
the multiboot header is shown as data and decoding restarts at the entry point. Any other file,
or any file with --org or --bits, is listed as raw code from ADDR (default 0). The listing follows
objdump -d -M intel.`,
  async run(o, [path]) {
    const bytes = readImage(path);
    const bits: Bits = o.bits === "16" ? 16 : 32;
    let layout: Layout | undefined;
    try {
      layout = o.org === undefined && o.bits === undefined ? layoutOf(bytes) : undefined;
    } catch (e) {
      if (e instanceof BootError) throw new ImageError(`${path}: ${e.message} (--org/--bits list it as raw code)`);
      throw e;
    }
    if (!layout) {
      const lines = codeLines(bytes, o.org ?? 0, bits);
      if (lines.length) out(`${lines.join("\n")}\n`);
      return 0;
    }
    const lines = [`${path}: ${layout.summary}`];
    for (const r of layout.ranges) {
      lines.push("", `Disassembly of ${hex(r.address)}-${hex(r.address + r.bytes.length)} (${r.title}, 32-bit):`);
      for (const p of pieces(r, layout.entry)) {
        if (p.address === layout.entry) lines.push("", `${(p.address >>> 0).toString(16).padStart(8, "0")} <entry>:`);
        lines.push(...(p.data ? dataLines(p) : codeLines(p.bytes, p.address, 32)));
      }
    }
    out(`${lines.join("\n")}\n`);
    return 0;
  },
});
