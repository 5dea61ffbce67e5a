// Bundles the benchmark harness (bench/*.ts) into dist/bench/ and runs it:
// node scripts/bench.mjs COMMAND [OPTIONS] (see bench/cli.ts).
import { spawnSync } from "node:child_process";
import { build } from "esbuild";

const root = new URL("../", import.meta.url).pathname;

await build({
  absWorkingDir: root,
  entryPoints: { cli: "bench/cli.ts", worker: "bench/worker.ts", "v86-worker": "bench/v86-worker.ts", "binaryen-worker": "jit/binaryen/worker.ts" },
  outdir: "dist/bench",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});

const r = spawnSync(process.execPath, ["--enable-source-maps", `${root}dist/bench/cli.js`, ...process.argv.slice(2)], { stdio: "inherit" });
process.exitCode = r.status ?? 1;
