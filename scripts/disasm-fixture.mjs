// Builds the disassembler's objdump fixtures from a real i386 binary: Debian's
// busybox-static:i386 (busybox and a static glibc, compiled by GCC).
//
//   node scripts/disasm-fixture.mjs          (as root: it adds the i386 dpkg architecture)
//
// Writes test/fixtures/disasm/:
//   busybox.bin          windows of .text: per window u32le address, u32le length, the bytes
//   busybox.objdump.txt  `objdump -d -M intel --no-show-raw-insn` over exactly those ranges
//
// Windows are WINDOW instructions long, picked greedily from candidates spread over
// .text to cover the most instruction kinds (mnemonic + operand shape). Windows
// holding instructions a Pentium Pro does not have (SSE/MMX registers, later
// extensions) are skipped: the disassembler rightly shows those as (bad).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const WINDOWS = 8;
const WINDOW = 500;
const STRIDE = 100;
const OUT = "test/fixtures/disasm";

const POST_P6 =
  /\b[xyz]?mm\d|\(bad\)|\b(endbr32|tzcnt|lzcnt|popcnt|prefetch\w*|xgetbv|xbegin|xend|xabort|xtest|[lsm]fence|rdtscp|movbe|crc32|fisttp|sysenter|sysexit|syscall|ud0|ud1|clflush\w*|movnti|cmpxchg16b|fxsave|fxrstor)\b/;

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 30, ...opts });

function fetchBusybox(dir) {
  sh("dpkg", ["--add-architecture", "i386"]);
  try {
    sh("apt-get", ["update"], { stdio: "inherit" });
  } catch {
    // A failing security-suite i386 index is fine: the main archive has the package.
    process.stderr.write("apt-get update reported errors; trying the download anyway\n");
  }
  sh("apt-get", ["download", "busybox-static:i386"], { cwd: dir, stdio: "inherit" });
  const deb = readdirSync(dir).find((f) => f.endsWith(".deb"));
  if (!deb) throw new Error("busybox-static:i386 was not downloaded");
  sh("dpkg-deb", ["-x", join(dir, deb), join(dir, "root")]);
  return join(dir, "root", "bin", "busybox");
}

function textSection(elf) {
  for (const line of sh("objdump", ["-h", elf]).split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[1] === ".text") return { size: parseInt(f[2], 16), vma: parseInt(f[3], 16), offset: parseInt(f[5], 16) };
  }
  throw new Error("no .text section");
}

function parse(listing) {
  const out = [];
  for (const line of listing.split("\n")) {
    const m = /^\s*([0-9a-f]+):\t(.+)$/.exec(line);
    if (m) out.push({ address: parseInt(m[1], 16), text: m[2].replace(/\s+/g, " ").trim() });
  }
  return out;
}

/** Mnemonic plus operand shape: registers by class, numbers as N. */
function kind(text) {
  return text
    .replace(/0x[0-9a-f]+/g, "N")
    .replace(/\b(e[a-d]x|e[sd]i|e[sb]p)\b/g, "r32")
    .replace(/\b([a-d]x|[sd]i|[sb]p)\b/g, "r16")
    .replace(/\b([a-d][lh])\b/g, "r8")
    .replace(/\bst\(\d\)/g, "sti");
}

const work = mkdtempSync(join(tmpdir(), "jit386-busybox-"));
try {
  const elf = fetchBusybox(work);
  const text = textSection(elf);
  const insns = parse(sh("objdump", ["-d", "-M", "intel", "--no-show-raw-insn", "-j", ".text", elf]));
  const clean = insns.map((i) => !POST_P6.test(i.text));

  const candidates = [];
  for (let s = 0; s + WINDOW < insns.length; s += STRIDE) {
    if (clean.slice(s, s + WINDOW).every(Boolean)) candidates.push(s);
  }
  const covered = new Set();
  const chosen = [];
  for (let w = 0; w < WINDOWS; w++) {
    let best = -1;
    let bestGain = -1;
    for (const s of candidates) {
      if (chosen.some((c) => Math.abs(c - s) < WINDOW)) continue;
      const gain = new Set(insns.slice(s, s + WINDOW).map((i) => kind(i.text)).filter((k) => !covered.has(k))).size;
      if (gain > bestGain) [best, bestGain] = [s, gain];
    }
    if (best < 0) break;
    chosen.push(best);
    for (const i of insns.slice(best, best + WINDOW)) covered.add(kind(i.text));
  }
  chosen.sort((a, b) => a - b);

  const file = readFileSync(elf);
  const records = [];
  let listing = "";
  for (const s of chosen) {
    const start = insns[s].address;
    const end = insns[s + WINDOW].address;
    const bytes = file.subarray(text.offset + (start - text.vma), text.offset + (end - text.vma));
    const head = Buffer.alloc(8);
    head.writeUInt32LE(start, 0);
    head.writeUInt32LE(bytes.length, 4);
    records.push(head, bytes);
    // Run beside the file so the listing's header names "busybox", not the temporary directory.
    const range = [`--start-address=0x${start.toString(16)}`, `--stop-address=0x${end.toString(16)}`];
    listing += sh("objdump", ["-d", "-M", "intel", "--no-show-raw-insn", ...range, "busybox"], { cwd: dirname(elf) });
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "busybox.bin"), Buffer.concat(records));
  writeFileSync(join(OUT, "busybox.objdump.txt"), listing);
  process.stdout.write(`${chosen.length} windows of ${WINDOW} instructions, ${covered.size} instruction kinds, at ${chosen.map((s) => `0x${insns[s].address.toString(16)}`).join(" ")}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
