// Rebuilds the benchmark workloads listed in bench/guests/workloads.json into
// bench/guests/build/: a multiboot image (<name>.bin) for each, and for the C
// workloads an i386 Linux executable (<source>.linux) built from the same
// sources for the native baseline. Needs nasm and gcc with 32-bit support
// (apt-get install nasm gcc-multilib). Built files are committed, so running
// the benchmarks needs neither. The reference checksums are recorded afterwards
// by `bench reference` (native runs for C, QEMU for the assembly workloads).
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

const root = new URL("../bench/guests/", import.meta.url).pathname;
// The assembly workloads share the serial and exception code of the project's guests.
const sharedInclude = new URL("../guests/include/", import.meta.url).pathname;
const out = join(root, "build");
const workloads = JSON.parse(readFileSync(join(root, "workloads.json"), "utf8"));

// -mfpmath=387 -mno-sse: floating point on the x87 stack, as a Pentium Pro runs it.
// -fno-tree-loop-distribute-patterns: the runtime's own memcpy/memset must not become calls to themselves.
const CFLAGS = [
  "-m32", "-march=i686", "-mfpmath=387", "-mno-sse", "-O2", "-ffreestanding", "-fno-pic", "-fno-pie",
  "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-fno-math-errno",
  "-fno-tree-loop-distribute-patterns", "-Wall", "-Wextra",
];
// The packed layout puts writable data in the code segment on purpose.
const LDFLAGS = ["-m32", "-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments"];

function run(cmd, args) {
  execFileSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
}

mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "jit386-bench-"));
try {
  const obj = (src) => join(work, basename(src).replace(/\.(c|asm)$/, ".o"));
  const cc = (src) => run("gcc", [...CFLAGS, "-c", "-o", obj(src), join(root, src)]);
  const nasmElf = (src) => run("nasm", ["-f", "elf32", "-o", obj(src), join(root, src)]);
  for (const src of ["c/common.c", "c/plat_mb.c", "c/plat_linux.c"]) cc(src);
  for (const src of ["c/crt0_mb.asm", "c/crt0_linux.asm"]) nasmElf(src);
  const linuxBuilt = new Set();
  for (const w of workloads) {
    const image = join(out, `${w.name}.bin`);
    if (w.source.endsWith(".asm")) {
      run("nasm", ["-f", "bin", "-i", join(root, "asm/"), "-i", sharedInclude, "-o", image, join(root, w.source)]);
    } else {
      cc(w.source);
      const elf = join(work, `${w.name}.elf`);
      const objs = [obj("c/crt0_mb.asm"), obj("c/plat_mb.c"), obj("c/common.c"), obj(w.source)];
      run("gcc", [...LDFLAGS, "-T", join(root, `c/link-${w.layout}.ld`), "-o", elf, ...objs, "-lgcc"]);
      run("objcopy", ["-O", "binary", elf, image]);
      padToLoadEnd(elf, image);
      const native = join(out, basename(w.source).replace(/\.c$/, ".linux"));
      if (!linuxBuilt.has(native)) {
        linuxBuilt.add(native);
        const nobjs = [obj("c/crt0_linux.asm"), obj("c/plat_linux.c"), obj("c/common.c"), obj(w.source)];
        run("gcc", [...LDFLAGS, "-s", "-o", native, ...nobjs, "-lgcc"]);
      }
    }
    console.log(`built bench/guests/build/${w.name}.bin`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

// objcopy stops at the last byte with contents; the multiboot header's load_end
// may lie past it (an empty page-aligned .data), and the loaders read up to it.
function padToLoadEnd(elf, image) {
  const syms = execFileSync("nm", [elf], { encoding: "utf8" });
  const addr = (name) => parseInt(syms.match(new RegExp(`^([0-9a-f]+) \\w ${name}$`, "m"))[1], 16);
  const want = addr("__load_end") - addr("__load_start");
  const size = statSync(image).size;
  if (size > want) throw new Error(`${image}: ${size} bytes, more than load_end allows (${want})`);
  appendFileSync(image, new Uint8Array(want - size));
}
