// Bundles the command line, the public API and the tool scripts into dist/ (ESM, node20).
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
