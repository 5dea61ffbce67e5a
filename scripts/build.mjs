// Bundles the command line, the public API and the tool scripts into dist/ (ESM, node20),
// and emits the public API's type declarations into dist/types/.
import { execFileSync } from "node:child_process";
import { build } from "esbuild";

const entryPoints = {
  cli: "runtime/cli.ts",
  index: "runtime/index.ts",
  conformance: "test/conformance/main.ts",
  "linux-guest": "scripts/linux-guest.ts",
};

await build({
  entryPoints,
  outdir: "dist",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  banner: { js: "#!/usr/bin/env node" },
});

const tsc = new URL("../node_modules/.bin/tsc", import.meta.url).pathname;
execFileSync(tsc, ["-p", "tsconfig.types.json"], { stdio: "inherit" });
