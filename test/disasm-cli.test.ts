/** `jit386 disasm` through the built command line (`npm test` builds dist/ first). */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normalizeObjdump, objdumpBytes, parseObjdump } from "./support/objdump.js";

const CLI = new URL("../dist/cli.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "jit386-disasm-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function jit386(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

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
