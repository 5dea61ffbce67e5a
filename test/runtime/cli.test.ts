import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { expectOneLineError, jit386 } from "../support/cli.js";
import { addressImage } from "../support/images.js";

let dir: string;

/** A multiboot image running `code` at 0x100020, written to a file. */
function guest(name: string, code: number[]): string {
  return file(name, addressImage(code));
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "jit386-cli-"));
});

describe("jit386 run: guest-driven exit statuses", () => {
  test("exit port status is (value << 1) | 1", () => {
    const p = guest("exit.bin", [0xb0, 0x10, 0xe6, 0xf4]); // mov al,0x10; out 0xf4,al
    expect(jit386("run", p).status).toBe(0x21);
  });

  test("halt with interrupts off ends the run with status 0", () => {
    const p = guest("halt.bin", [0xfa, 0xf4]);
    const r = jit386("run", p);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
  });

  test("triple fault: status 3 and one line", () => {
    // lidt [0x100100] (a zero-limit IDT), then int3: #GP delivering, #DF, shutdown.
    const p = guest("triple.bin", [0x0f, 0x01, 0x1d, 0x00, 0x01, 0x10, 0x00, 0xcc]);
    const r = jit386("run", p);
    expect(r.status).toBe(3);
    expectOneLineError(r, /triple fault after \d+ instructions/);
  });

  test("guest reset through the keyboard controller: the run ends, or with --reboot the guest starts again", () => {
    // inc dword [0x100100]; mov al, 0xfe; out 0x64, al (pulse reset); jmp $
    const p = guest("reset.bin", [0xff, 0x05, 0x00, 0x01, 0x10, 0x00, 0xb0, 0xfe, 0xe6, 0x64, 0xeb, 0xfe]);
    const stats = join(dir, "reset.json");
    const once = jit386("run", p, `--stats=${stats}`);
    expect(once.status).toBe(0);
    expect(JSON.parse(readFileSync(stats, "utf8")).stop).toBe("reset");
    // Each boot runs 3 instructions before resetting: 10 boots in 30 instructions.
    const again = jit386("run", p, "--reboot", "--max-instructions", "30", `--stats=${stats}`);
    expect(again.status).toBe(4);
    expect(JSON.parse(readFileSync(stats, "utf8")).instructions).toBe(30);
  });

  test("instruction limit: status 4 and one line", () => {
    const p = guest("loop.bin", [0xeb, 0xfe]);
    const r = jit386("run", p, "--max-instructions", "1000");
    expect(r.status).toBe(4);
    expectOneLineError(r, /instruction limit reached \(1000 instructions\)/);
  });

  test("--debugcon, --post and --stats=FILE capture what the guest did", () => {
    // out 0xe9 'h', out 0xe9 'i', out 0x80 0x42, cli, hlt
    const p = guest("io.bin", [0xb0, 0x68, 0xe6, 0xe9, 0xb0, 0x69, 0xe6, 0xe9, 0xb0, 0x42, 0xe6, 0x80, 0xfa, 0xf4]);
    const dbg = join(dir, "dbg.txt");
    const post = join(dir, "post.txt");
    const stats = join(dir, "stats.json");
    const r = jit386("run", p, "--debugcon", dbg, "--post", post, `--stats=${stats}`, "--serial", "none");
    expect(r.status).toBe(0);
    expect(readFileSync(dbg, "utf8")).toBe("hi");
    expect(readFileSync(post, "utf8")).toBe("42\n");
    const s = JSON.parse(readFileSync(stats, "utf8"));
    expect(s.instructions).toBe(8);
    expect(s.stop).toBe("halt");
    expect(s.descriptorShadow).toEqual({ hits: 0, misses: 0, invalidations: 0 });
  });

  test("a ROM image starts in real mode at the reset vector F000:FFF0", () => {
    // 4 KiB ROM: at 0xFFF0 a far jump to F000:F000 (the ROM's first byte), which prints
    // "R" with CS and IP checked against the reset state, then halts.
    const rom = new Uint8Array(0x1000).fill(0xf4);
    const code = [
      0x8c, 0xc8, // mov ax, cs
      0x3d, 0x00, 0xf0, // cmp ax, 0xf000
      0x75, 0x06, // jne bad
      0xb0, 0x52, // mov al, 'R'
      0xe6, 0xe9, // out 0xe9, al
      0xfa, 0xf4, // cli; hlt
      0xb0, 0x3f, // bad: mov al, '?'
      0xe6, 0xe9,
      0xfa, 0xf4,
    ];
    rom.set(code, 0);
    rom.set([0xea, 0x00, 0xf0, 0x00, 0xf0], 0xff0); // jmp F000:F000
    const p = file("test.rom", rom);
    const dbg = join(dir, "rom.txt");
    const r = jit386("run", p, "--debugcon", dbg, "--serial", "none");
    expect(r.status).toBe(0);
    expect(readFileSync(dbg, "utf8")).toBe("R");
  });
});

describe("jit386: bad input gets one line and a non-zero exit", () => {
  test.each([
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["run", "--bogus"], /unknown option '--bogus'/],
    [["run", "-x"], /unknown option '-x'/],
    [["run", "/nonexistent/image.bin"], /cannot read image '\/nonexistent\/image.bin': no such file/],
    [["run", "--mem", "0"], /'--mem' must be an integer from 2 to 3072 \(got '0'\)/],
    [["run", "--mem", "99999"], /'--mem' must be an integer from 2 to 3072/],
    [["run", "--mem", "lots"], /'--mem' must be an integer/],
    [["run", "--mem"], /option '--mem' needs a value/],
    [["run", "--engine", "turbo"], /'--engine' must be jit or interp \(got 'turbo'\)/],
    [["run", "--max-instructions", "-5"], /unknown option '-5'|must be an integer/],
    [["run", "a.bin", "b.bin"], /unexpected argument 'b.bin'/],
    [["run", "--clock", "sundial"], /'--clock' must be virtual or realtime/],
    [["run", "--ips", "12"], /'--ips' must be an integer from 1000/],
  ])("%j", (args, msg) => {
    const r = jit386(...(args as string[]));
    expect(r.status).toBe(2);
    expectOneLineError(r, msg as RegExp);
  });

  test("a file that is not a guest image", () => {
    const r = jit386("run", file("junk.bin", new Uint8Array(1000).fill(0x41)));
    expect(r.status).toBe(2);
    expectOneLineError(r, /is not a guest image jit386 can boot/);
  });

  test("an empty file", () => {
    const r = jit386("run", file("empty.bin", new Uint8Array(0)));
    expect(r.status).toBe(2);
    expectOneLineError(r, /is empty/);
  });

  test("a truncated ELF multiboot image", () => {
    const img = new Uint8Array(0x80);
    const dv = new DataView(img.buffer);
    img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    dv.setUint16(16, 2, true);
    dv.setUint16(18, 3, true);
    dv.setUint32(28, 52, true);
    dv.setUint16(42, 32, true);
    dv.setUint16(44, 4, true); // four program headers: past the end of the file
    dv.setUint32(0x40, 0x1badb002, true);
    dv.setUint32(0x48, (-0x1badb002) >>> 0, true);
    const r = jit386("run", file("trunc.elf", img));
    expect(r.status).toBe(2);
    expectOneLineError(r, /truncated ELF file/);
  });

  function bz(version: number, length = 0x1000): Uint8Array {
    const img = new Uint8Array(length);
    const dv = new DataView(img.buffer);
    img[0x1f1] = 4;
    dv.setUint16(0x1fe, 0xaa55, true);
    img[0x201] = 0x6a;
    dv.setUint32(0x202, 0x53726448, true);
    dv.setUint16(0x206, version, true);
    img[0x211] = 1;
    return img;
  }

  test("a bzImage with an unsupported boot protocol", () => {
    const r = jit386("run", file("old.bz", bz(0x201)));
    expect(r.status).toBe(2);
    expectOneLineError(r, /unsupported Linux boot protocol 2\.01/);
  });

  test("a truncated bzImage", () => {
    const r = jit386("run", file("cut.bz", bz(0x20f, 0x300)));
    expect(r.status).toBe(2);
    expectOneLineError(r, /truncated bzImage/);
  });

  test("a serial log file that cannot be created", () => {
    const p = guest("halt3.bin", [0xfa, 0xf4]);
    const r = jit386("run", p, "--serial", "/nonexistent-dir/serial.log");
    expect(r.status).toBe(2);
    expectOneLineError(r, /cannot write serial file '\/nonexistent-dir\/serial.log'/);
  });

  test("--initrd with a multiboot image, and an unreadable initrd", () => {
    const p = guest("halt2.bin", [0xfa, 0xf4]);
    const a = jit386("run", p, "--initrd", p);
    expect(a.status).toBe(2);
    expectOneLineError(a, /an initrd is for a Linux bzImage, and '.*halt2.bin' is a multiboot image/);
    const b = jit386("run", p, "--initrd", "/nonexistent.cpio");
    expect(b.status).toBe(2);
    expectOneLineError(b, /cannot read initrd/);
  });
});

describe("jit386 run --engine jit", () => {
  test("the demo guest prints the same console output and retires the same instructions under both engines", () => {
    const a = join(dir, "interp.json");
    const b = join(dir, "jit.json");
    const ri = jit386("run", `--stats=${a}`);
    const rj = jit386("run", "--engine", "jit", `--stats=${b}`);
    expect(ri.status).toBe(0);
    expect(rj.status).toBe(0);
    expect(rj.stdout).toBe(ri.stdout);
    expect(ri.stdout).toContain("ring 3: primes below 65536: 6542");
    const si = JSON.parse(readFileSync(a, "utf8"));
    const sj = JSON.parse(readFileSync(b, "utf8"));
    expect(sj.engine).toBe("jit");
    expect(sj.instructions).toBe(si.instructions);
  });
});

describe("jit386 run: disk and CD images get one-line errors", () => {
  test("a missing disk, an empty one, one that is not whole sectors", () => {
    expectOneLineError(jit386("run", "--disk", join(dir, "none.img")), /cannot open disk image '.*none\.img': no such file/);
    const empty = file("empty.img", new Uint8Array(0));
    expectOneLineError(jit386("run", "--disk", empty), /disk image '.*empty\.img' is empty/);
    const odd = file("odd.img", new Uint8Array(1000));
    const r = jit386("run", "--disk", odd);
    expect(r.status).toBe(2);
    expectOneLineError(r, /is 1000 bytes, not a multiple of the 512-byte sector/);
    const cd = file("odd.iso", new Uint8Array(2048 + 512));
    expectOneLineError(jit386("run", "--cdrom", cd), /CD image '.*odd\.iso' is 2560 bytes, not a multiple of the 2048-byte sector/);
    expectOneLineError(jit386("run", "--disk", dir), /disk image '.*' is not a regular file|cannot open disk image .*: is a directory/);
  });

  test("a CD larger than 32-bit block addresses reach", () => {
    const big = join(dir, "big.iso");
    truncateSync(file("big.iso", new Uint8Array(0)), 2 ** 32 * 2048 + 2048);
    try {
      expectOneLineError(jit386("run", "--cdrom", big), /CD image '.*big\.iso' is too large: 4294967297 sectors, at most 4294967296/);
    } finally {
      rmSync(big);
    }
  });

  test("disk flags, too many drives, firmware options without the firmware boot, a bad BIOS", () => {
    const disk = file("ok.img", new Uint8Array(1 << 16));
    const cd = file("ok.iso", new Uint8Array(1 << 16));
    expectOneLineError(jit386("run", "--disk", `${disk},readonly`), /unknown flag 'readonly'/);
    expectOneLineError(jit386("run", "--cdrom", cd, "--disk", disk, "--disk", disk, "--disk", disk, "--disk", disk), /at most 3 disks fit .* beside the CD-ROM \(got 4\)/);
    const guestImage = guest("plain.bin", [0xfa, 0xf4]);
    expectOneLineError(jit386("run", guestImage, "--boot", "cdrom"), /--boot needs the firmware boot/);
    expectOneLineError(jit386("run", guestImage, "--bios"), /--bios boots from the disks and the CD: give it no IMAGE/);
    expectOneLineError(jit386("run", "--disk", disk, "--boot", "floppy"), /'--boot' must be disk or cdrom/);
    const bad = file("bios.bin", new Uint8Array(1000));
    expectOneLineError(jit386("run", "--disk", disk, `--bios=${bad}`), /is not a BIOS image \(a power of two from 64 KiB to 1 MiB in size; got 1000 bytes\)/);
  });

  test("a kernel IMAGE with a disk boots the kernel directly, the disk on the IDE channel", () => {
    const disk = file("kdisk.img", new Uint8Array(1 << 16));
    // in al, 0x1f7 (status of the primary master: ready), out 0xf4, al
    const p = guest("ide.bin", [0xba, 0xf7, 0x01, 0x00, 0x00, 0xec, 0xe6, 0xf4]);
    expect(jit386("run", p, "--disk", disk).status).toBe((0x50 << 1) | 1);
    // No drive: the channel floats (the exit status is cut to 8 bits).
    expect(jit386("run", p).status).toBe(((0xff << 1) | 1) & 0xff);
  });
});
