/** `jit386 disasm` through the built command line (`npm test` builds dist/ first). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jit386 } from "./support/cli.js";
import { normalizeObjdump, objdumpBytes, parseObjdump } from "./support/objdump.js";

const dir = mkdtempSync(join(tmpdir(), "jit386-disasm-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe("jit386 disasm: listings", () => {
  it("lists a busybox window like objdump -d: same addresses, bytes and (normalised) text", () => {
    const bin = readFileSync(new URL("./fixtures/disasm/busybox.bin", import.meta.url));
    const address = bin.readUInt32LE(0);
    const bytes = new Uint8Array(bin.subarray(8, 8 + bin.readUInt32LE(4)));
    const r = jit386("disasm", file("window.bin", bytes), "--org", `0x${address.toString(16)}`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const ours = parseObjdump(r.stdout);
    const theirs = new Map(
      parseObjdump(readFileSync(new URL("./fixtures/disasm/busybox.objdump.txt", import.meta.url), "utf8")).map((o) => [o.address, o.text]),
    );
    expect(ours.length).toBeGreaterThan(100);
    for (const [k, o] of ours.entries()) {
      const next = ours[k + 1]?.address ?? address + bytes.length;
      const own = bytes.subarray(o.address - address, next - address);
      expect(o.text.replace(/\s+/g, " "), o.address.toString(16)).toBe(normalizeObjdump(theirs.get(o.address) ?? "", own, 32));
    }
    // Raw bytes: seven per line, the rest on continuation lines, as objdump lays them out.
    const first = r.stdout.split("\n")[0];
    const hex = Array.from(bytes.subarray(0, ours[1].address - address), (b) => b.toString(16).padStart(2, "0"));
    expect(first).toContain(`${address.toString(16)}:\t${hex.slice(0, 7).join(" ")} `);
  });

  it("decodes 16-bit code with --bits 16 and takes --org=ADDR, as objdump -m i8086 does", () => {
    const bytes = Uint8Array.of(0xb8, 0x34, 0x12, 0xe8, 0xfa, 0xff, 0x8b, 0x46, 0xfe, 0x66, 0x0f, 0xb7, 0x07, 0xf3, 0xa5);
    const r = jit386("disasm", file("code16.bin", bytes), "--bits", "16", "--org=0x7c00");
    expect(r.status).toBe(0);
    const ours = parseObjdump(r.stdout);
    const theirs = objdumpBytes(bytes, 0x7c00, 16);
    expect(ours.map((o) => o.address)).toEqual(theirs.map((o) => o.address));
    ours.forEach((o, k) => {
      const own = bytes.subarray(o.address - 0x7c00, (ours[k + 1]?.address ?? 0x7c00 + bytes.length) - 0x7c00);
      expect(o.text.replace(/\s+/g, " ")).toBe(normalizeObjdump(theirs[k].text, own, 16));
    });
  });

  it("shows an instruction cut off by the end of the file as one (bad) line with the remaining bytes", () => {
    const r = jit386("disasm", file("cut.bin", Uint8Array.of(0x90, 0x0f)));
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[1]).toMatch(/^\s+1:\t0f\s+\t\(bad\)$/);
  });

  it("prints nothing for an empty file", () => {
    const r = jit386("disasm", file("empty.bin", new Uint8Array(0)));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
  });
});

describe("jit386 disasm: bad input is a one-line error and a non-zero exit", () => {
  const code = (): string => file("nop.bin", Uint8Array.of(0x90));
  const cases: [string, () => string[], RegExp][] = [
    ["missing FILE", () => [], /missing FILE/],
    ["missing file", () => [join(dir, "nope.bin")], /cannot read .*nope\.bin.*no such file/],
    ["directory", () => [dir], /cannot read .*is a directory/],
    ["unknown option", () => [code(), "--syntax", "att"], /unknown option '--syntax'/],
    ["unknown short option", () => [code(), "-b"], /unknown option '-b'/],
    ["--bits 64", () => [code(), "--bits", "64"], /'--bits' must be 16 or 32 \(got '64'\)/],
    ["--bits x", () => [code(), "--bits=x"], /'--bits' must be 16 or 32/],
    ["--org not a number", () => [code(), "--org", "zz"], /'--org' must be an integer/],
    ["--org too large", () => [code(), "--org", "0x100000000"], /'--org' must be an integer/],
    ["--org without value", () => [code(), "--org"], /'--org' needs a value/],
    ["two files", () => [code(), code()], /unexpected argument/],
  ];
  it.each(cases)("%s", (_name, args, pattern) => {
    const r = jit386("disasm", ...args());
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^jit386: /);
    expect(lines[0]).toMatch(pattern);
  });
});

/** An ELF32 i386 executable: a code segment (R+X) holding `code` and a data segment (R+W), at higher-half addresses. */
function elf(code: number[], entry: number): Uint8Array {
  const img = new Uint8Array(0x160);
  const dv = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 3, true); // EM_386
  dv.setUint32(24, entry, true);
  dv.setUint32(28, 52, true); // e_phoff
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 2, true);
  const segment = (k: number, offset: number, vaddr: number, size: number, flags: number) => {
    const p = 52 + 32 * k;
    dv.setUint32(p, 1, true); // PT_LOAD
    dv.setUint32(p + 4, offset, true);
    dv.setUint32(p + 8, vaddr, true);
    dv.setUint32(p + 12, vaddr - 0xc0000000, true);
    dv.setUint32(p + 16, size, true);
    dv.setUint32(p + 20, size, true);
    dv.setUint32(p + 24, flags, true);
  };
  segment(0, 0x100, 0xc0100000, 0x20, 5);
  segment(1, 0x140, 0xc0200000, 0x20, 6);
  img.set(code, 0x100);
  img.fill(0x90, 0x140, 0x160); // data that would list as NOPs if it were taken for code
  return img;
}

describe("jit386 disasm: images are listed where their code loads", () => {
  it("an ELF multiboot kernel: its executable segment at its virtual address, the header as data, decoding restarted at the entry", () => {
    const header = [0x02, 0xb0, 0xad, 0x1b, 0, 0, 0, 0, 0xfe, 0x4f, 0x52, 0xe4];
    // 0xb8 would start "mov eax, imm32" swallowing the entry's NOPs, were decoding not restarted there.
    const r = jit386("disasm", file("kernel.elf", elf([...header, 0xb8, 0x90, 0x90, 0xc3], 0xc010000d)));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/kernel\.elf: ELF i386 executable \(multiboot\), entry 0xc010000d$/);
    expect(lines).toContain("Disassembly of 0xc0100000-0xc0100020 (segment at file offset 0x100, 32-bit):");
    expect(lines).toContain("c010000d <entry>:");
    expect(parseObjdump(r.stdout).slice(0, 7)).toEqual([
      { address: 0xc0100000, text: ".long  0x1badb002" },
      { address: 0xc0100004, text: ".long  0x0" },
      { address: 0xc0100008, text: ".long  0xe4524ffe" },
      { address: 0xc010000c, text: "(bad)" },
      { address: 0xc010000d, text: "nop" },
      { address: 0xc010000e, text: "nop" },
      { address: 0xc010000f, text: "ret" },
    ]);
    // The data segment is not code.
    expect(parseObjdump(r.stdout).every((o) => o.address < 0xc0100020)).toBe(true);
  });

  it("an address-field multiboot kernel (the demo guest): from its load address, entry labelled", () => {
    const r = jit386("disasm", new URL("../guests/default/default.bin", import.meta.url).pathname);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/default\.bin: multiboot kernel \(address fields\), loaded at 0x100000, entry 0x100020$/);
    const listed = parseObjdump(r.stdout);
    expect(listed[0]).toEqual({ address: 0x100000, text: ".long  0x1badb002" });
    expect(listed.slice(0, 8).every((o) => o.text.startsWith(".long"))).toBe(true);
    expect(listed[8]).toEqual({ address: 0x100020, text: "cli" });
    expect(r.stdout).toContain("\n00100020 <entry>:\n");
  });

  it("--org or --bits list any file as raw code", () => {
    const r = jit386("disasm", new URL("../guests/default/default.bin", import.meta.url).pathname, "--org", "0");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^\s+0:\t02 b0 ad 1b /);
  });

  it("an ELF file without an executable segment: one line, status 2", () => {
    const img = elf([0x90], 0xc0100000);
    new DataView(img.buffer).setUint32(52 + 24, 4, true); // the code segment loses PF_X
    const r = jit386("disasm", file("nocode.elf", img));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^jit386: .*nocode\.elf: ELF file has no executable segment \(--org\/--bits list it as raw code\)\n$/);
  });
});
