/** jit386 run's standard streams and output files: a closed stdout, piped input, --stats. */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { CLI, expectOneLineError, jit386, jit386With } from "../support/cli.js";
import { addressImage } from "../support/images.js";

const dir = mkdtempSync(join(tmpdir(), "jit386-cli-io-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function guest(name: string, code: number[]): string {
  const p = join(dir, name);
  writeFileSync(p, addressImage(code));
  return p;
}

/** Echoes COM1's input to port 0xE9 until a newline, then exits with status 0x21. */
const ECHO = [
  0x66, 0xba, 0xfd, 0x03, // wait: mov dx, 0x3fd (line status)
  0xec, // in al, dx
  0xa8, 0x01, // test al, 1 (data ready)
  0x74, 0xf7, // jz wait
  0x66, 0xba, 0xf8, 0x03, // mov dx, 0x3f8
  0xec, // in al, dx
  0xe6, 0xe9, // out 0xe9, al
  0x3c, 0x0a, // cmp al, 10
  0x75, 0xec, // jne wait
  0xb0, 0x10, // mov al, 0x10
  0xe6, 0xf4, // out 0xf4, al
];

/** Writes 'x' to COM1 for ever. */
const CHATTER = [0x66, 0xba, 0xf8, 0x03, 0xb0, 0x78, 0xee, 0xeb, 0xfd];

describe("a closed standard output ends the run quietly", () => {
  test.each(["jit", "interp"])("jit386 run --engine %s | head -c 64", async (engine) => {
    const p = guest("chatter.bin", CHATTER);
    const child = spawn(process.execPath, [CLI, "run", p, "--engine", engine], { stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let seen = 0;
    child.stdout.on("data", (d: Buffer) => {
      seen += d.length;
      // The reader goes away after 64 bytes, as head -c 64 does.
      if (seen >= 64) child.stdout.destroy();
    });
    const status = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    expect(seen).toBeGreaterThanOrEqual(64);
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });
});

describe("input piped to --serial stdio reaches COM1", () => {
  test("a line typed through a pipe is read by the guest, byte for byte", () => {
    const dbg = join(dir, "echo.txt");
    const line = `${"the quick brown fox jumps over the lazy dog; ".repeat(5)}\n`;
    const r = jit386With(line, "run", guest("echo.bin", ECHO), "--debugcon", dbg);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0x21);
    expect(readFileSync(dbg, "utf8")).toBe(line);
  });

  test("the end of the input does not end the run", () => {
    const dbg = join(dir, "eof.txt");
    const r = jit386With("abc", "run", guest("echo2.bin", ECHO), "--debugcon", dbg, "--max-instructions", "3000000", "--engine", "interp");
    expect(r.status).toBe(4);
    expectOneLineError(r, /instruction limit reached \(3000000 instructions\)/);
    expect(readFileSync(dbg, "utf8")).toBe("abc");
  });

  test("--serial none reads no input", () => {
    const dbg = join(dir, "none.txt");
    const r = jit386With("abc\n", "run", guest("echo3.bin", ECHO), "--serial", "none", "--debugcon", dbg, "--max-instructions", "1000000");
    expect(r.status).toBe(4);
    expect(readFileSync(dbg, "utf8")).toBe("");
  });
});

describe("--stats", () => {
  test("figures are rounded: fractions to three significant digits, counts whole", () => {
    const stats = join(dir, "stats.json");
    const r = jit386("run", `--stats=${stats}`, "--serial", "none");
    expect(r.status).toBe(0);
    const text = readFileSync(stats, "utf8");
    const numbers = [...text.matchAll(/: (-?[0-9.e+-]+),?$/gm)].map((m) => m[1]);
    expect(numbers.length).toBeGreaterThan(20);
    const fractions = numbers.filter((n) => n.includes("."));
    expect(fractions.length).toBeGreaterThan(3);
    for (const n of fractions) expect(n.replace(/^-?0\.0*|\./g, "").length, n).toBeLessThanOrEqual(3);
    const s = JSON.parse(text);
    expect(s.instructions).toBeGreaterThan(1_000_000);
    expect(Number.isInteger(s.instructions)).toBe(true);
  });

  test("an output file that cannot be created is found before the run", () => {
    const r = jit386("run", "--stats=/nonexistent/x.json");
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expectOneLineError(r, /cannot write stats file '\/nonexistent\/x.json': no such file or directory/);
  });
});
