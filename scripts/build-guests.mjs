// Rebuilds every guest image from its source (needs nasm: apt-get install nasm).
// Built images are committed, so nothing else in the project needs nasm.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../guests/", import.meta.url).pathname;

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (name.endsWith(".asm") && !name.endsWith(".inc.asm")) yield p;
  }
}

for (const src of sources(root)) {
  const out = src.replace(/\.asm$/, ".bin");
  execFileSync("nasm", ["-f", "bin", "-i", `${root}include/`, "-o", out, src], { stdio: "inherit" });
  console.log(`built ${out.slice(root.length)}`);
}
