/** `jit386 run --display terminal` and `--screenshot`, on guests/display/vga.bin. */
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { expectOneLineError, jit386, jit386With } from "../support/cli.js";

const GUEST = new URL("../../guests/display/vga.bin", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "jit386-display-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("jit386 run --display and --screenshot", () => {
  it("a --screenshot path that cannot be written is a one-line error before the guest runs", () => {
    const r = jit386("run", "--screenshot", join(work, "missing/dir/shot.png"), GUEST);
    expect(r.status).toBe(2);
    expectOneLineError(r, /cannot write screenshot file '.*shot\.png': no such file or directory/);
    expect(r.stdout).toBe("");
  });

  it("--display terminal draws the text screen with its colours and cursor", () => {
    // No key comes, so the guest waits at its prompt until the limit: the last frame is the text screen.
    const r = jit386("run", "--display", "terminal", "--max-instructions", "3000000", GUEST);
    expect(r.status).toBe(4);
    expect(r.stdout).toContain("\x1b[0;97;44mHello, VGA");
    expect(r.stdout).toContain("\x1b[3;16H\x1b[?25h");
  });

  it("--display terminal types piped input on the keyboard; --screenshot writes the final mode 13h picture", () => {
    const file = join(work, "shot.png");
    const r = jit386With("a", "run", "--display", "terminal", "--screenshot", file, "--debugcon", join(work, "debugcon.txt"), GUEST);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(readFileSync(join(work, "debugcon.txt"), "latin1")).toContain("PASS keyboard: set 1 make and break of A through the controller");
    // Mode 13h on 80x25 cells of two pixels, 4x4 pixels apart: cell (3, 1) samples (12, 8) and (12, 12),
    // inside the red rectangle (10..29, 5..14); cell (2, 1) samples x = 8, left of it.
    const frames = r.stdout.split("\x1b[H");
    const last = frames[frames.length - 1].split("\r\n");
    expect(last).toHaveLength(25);
    const cells = last[1].split("▀");
    expect(cells[3]).toBe("\x1b[38;2;255;0;0;48;2;255;0;0m");
    expect(cells[2]).toBe("\x1b[38;2;0;0;0;48;2;0;0;0m");
    expect(existsSync(file)).toBe(true);
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([320, 200]);
    expect([...png.data.subarray((5 * 320 + 10) * 4, (5 * 320 + 10) * 4 + 4)]).toEqual([255, 0, 0, 255]);
  });
});
