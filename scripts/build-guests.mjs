// Rebuilds every guest image from its source (needs nasm, and gcc with 32-bit support and ld for
// the C guests: apt-get install nasm gcc binutils).
// Built images are committed, so nothing else in the project needs nasm.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../guests/", import.meta.url).pathname;

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if ((name.endsWith(".asm") && !name.endsWith(".inc.asm")) || name.endsWith(".c")) yield p;
  }
}

// A C guest is a multiboot ELF with symbols and debug information (for gdb), linked by the script beside it.
function buildC(src) {
  const out = src.replace(/\.c$/, ".elf");
  const flags = ["-m32", "-ffreestanding", "-fno-pic", "-fno-pie", "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-O0", "-g"];
  const link = ["-nostdlib", "-static", "-no-pie", `-Wl,-T,${src.replace(/\.c$/, ".ld")}`, "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments"];
  execFileSync("gcc", [...flags, ...link, "-o", out, src], { stdio: "inherit" });
  console.log(`built ${out.slice(root.length)}`);
}

for (const src of sources(root)) {
  if (src.endsWith(".c")) {
    buildC(src);
    continue;
  }
  const out = src.replace(/\.asm$/, ".bin");
  execFileSync("nasm", ["-f", "bin", "-i", `${root}include/`, "-o", out, src], { stdio: "inherit" });
  console.log(`built ${out.slice(root.length)}`);
}
