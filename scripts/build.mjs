// Bundles the command line, the public API and the tool scripts into dist/ (ESM, node20),
// and emits the public API's type declarations into dist/types/ (only the files the
// API's declarations reach). `--release` (npm pack's prepack) leaves out source maps.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";

const release = process.argv.includes("--release");
const root = new URL("../", import.meta.url).pathname;

const entryPoints = {
  cli: "runtime/cli.ts",
  index: "runtime/index.ts",
  conformance: "test/conformance/main.ts",
  "linux-guest": "scripts/linux-guest.ts",
  "readme-cli": "scripts/readme-cli.ts",
  "bios-guest": "scripts/bios-guest.ts",
  // The Binaryen thread (runtime/binaryenthread.ts finds it beside cli.js and index.js).
  "binaryen-worker": "jit/binaryen/worker.ts",
};

// A release build must not leave an earlier build's source maps or declarations behind.
for (const f of existsSync(join(root, "dist")) ? readdirSync(join(root, "dist")) : []) {
  if (f.endsWith(".js.map") || f === "types") rmSync(join(root, "dist", f), { recursive: true, force: true });
}

await build({
  absWorkingDir: root,
  entryPoints,
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  sourcemap: !release,
  logLevel: "warning",
  banner: { js: "#!/usr/bin/env node" },
});

const tsc = join(root, "node_modules/.bin/tsc");
execFileSync(tsc, ["-p", join(root, "tsconfig.types.json")], { stdio: "inherit" });

// tsc declares every module the API's sources import; keep only those its declarations reference.
const types = join(root, "dist/types");
const keep = new Set();
const pending = [join(types, "runtime/index.d.ts")];
while (pending.length > 0) {
  const file = pending.pop();
  if (keep.has(file)) continue;
  keep.add(file);
  for (const m of readFileSync(file, "utf8").matchAll(/(?:from\s+|import\()\s*["'](\.[^"']+)\.js["']/g)) {
    pending.push(resolve(dirname(file), `${m[1]}.d.ts`));
  }
}
const prune = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      prune(p);
      if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
    } else if (!keep.has(p)) rmSync(p);
  }
};
prune(types);
