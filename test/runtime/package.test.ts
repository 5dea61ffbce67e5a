/**
 * The package as a user gets it: packed from a copy of the working tree (as from a
 * clean clone: no dist/, so `prepack` must build), installed from the tarball into a
 * scratch project, the README's "Embedding" example run there, and the shipped
 * declarations compiled under strict settings with the pinned TypeScript.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const TSC = join(ROOT, "node_modules/.bin/tsc");
let dir: string;
let app: string;
let packed: PackResult;

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/** The first ```js block of README.md's "Embedding" section. */
function embeddingExample(readme: string): string {
  const section = readme.slice(readme.indexOf("\n## Embedding\n"));
  const m = /```js\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf("\n## ", 1)));
  if (!m) throw new Error("README.md has no js example in its Embedding section");
  return m[1];
}

/** npm as a user runs it: none of the settings `npm test` passes its scripts (local_prefix would point at this repository). */
function npm(cwd: string, ...args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "INIT_CWD"));
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...env, npm_config_update_notifier: "false" } });
}

function tsc(project: string) {
  const r = spawnSync(TSC, ["-p", project], { encoding: "utf8" });
  return { status: r.status, output: r.stdout + r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "jit386-package-"));
  // A clean clone: the files git would check out (tracked or new, not ignored), no dist/.
  const src = join(dir, "src");
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0");
  for (const f of files.filter((f) => f !== "")) {
    mkdirSync(dirname(join(src, f)), { recursive: true });
    try {
      cpSync(join(ROOT, f), join(src, f));
    } catch (e) {
      // A file deleted in the working tree but not yet from the index is not in the clone either.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  symlinkSync(join(ROOT, "node_modules"), join(src, "node_modules"));
  const out = join(dir, "pack");
  mkdirSync(out);
  [packed] = JSON.parse(npm(src, "pack", "--json", "--pack-destination", out)) as PackResult[];
  const tarball = join(out, packed.filename);

  app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  npm(app, "install", "--no-audit", "--no-fund", "--prefer-offline", tarball);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm pack", () => {
  test("ships the command line, the API with its declarations, the demo guest and the licence; no maps, sources or tools", () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist/cli.js", "dist/index.js", "dist/types/runtime/index.d.ts", "guests/default/default.bin"]));
    for (const p of paths) {
      expect(p, p).not.toMatch(/\.map$|^(src|jit|runtime|test|test-long|bench|scripts)\/|conformance|linux-guest|readme-cli|\.ts$(?<!\.d\.ts$)/);
    }
    expect(readFileSync(join(app, "node_modules/jit386/LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the jit386 authors\n/);
  });

  test("the installed command line runs the bundled guest", () => {
    const r = spawnSync(join(app, "node_modules/.bin/jit386"), ["run", "--engine", "interp"], { encoding: "utf8", input: "" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("ring 3: primes below 65536: 6542");
  });

  test("the exports map gives the API and the guests, and nothing else", () => {
    const probe = `
      const ok = [];
      for (const s of ["jit386", "jit386/guests/default.bin", "jit386/package.json", "jit386/dist/cli.js", "jit386/runtime/machine.js"]) {
        try { import.meta.resolve(s); ok.push(s); } catch (e) { ok.push("x " + e.code); }
      }
      console.log(JSON.stringify(ok));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { cwd: app, encoding: "utf8" });
    expect(JSON.parse(r.stdout)).toEqual(["jit386", "jit386/guests/default.bin", "jit386/package.json", "x ERR_PACKAGE_PATH_NOT_EXPORTED", "x ERR_PACKAGE_PATH_NOT_EXPORTED"]);
  });
});

describe("README.md, Embedding", () => {
  test("the example runs against the installed package", () => {
    writeFileSync(join(app, "embed.mjs"), embeddingExample(readFileSync(join(ROOT, "README.md"), "utf8")));
    const r = spawnSync(process.execPath, ["embed.mjs"], { cwd: app, encoding: "utf8", timeout: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    // Stopped by its serial listener after the third line, then run on to the guest's halt.
    expect(lines.slice(0, 3)).toEqual(["jit386 demo guest: 32-bit protected mode, own GDT/IDT/TSS", expect.stringMatching(/^paging on/), "entering ring 3"]);
    expect(lines[3]).toMatch(/^\[stopped after \d+ instructions\]$/);
    expect(r.stdout).toContain("ring 3: primes below 65536: 6542\n");
    expect(r.stdout).toContain("[the guest halted]\n");
    expect(r.stdout).toMatch(/\n\[halt: \d+ instructions, \d+ regions translated\]\n/);
    expect(r.stdout).toContain("[restored: halt, same output: true, same count: true]\n");
    expect(r.stdout).toContain("[snapshot error] the snapshot is truncated");
    expect(r.stdout).toContain("[usage error] createMachine options.engine must be \"jit\" or \"interp\" (got \"turbo\")\n");
    expect(r.stdout).toContain("[image error] 'image' is not a guest image jit386 can boot");
  });

  test("the example type-checks (checkJs, strict) against the shipped declarations", () => {
    writeFileSync(
      join(app, "tsconfig.embed.json"),
      JSON.stringify({
        compilerOptions: { strict: true, target: "ES2022", lib: ["ES2022"], module: "nodenext", moduleResolution: "nodenext", skipLibCheck: false, noEmit: true, allowJs: true, checkJs: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] },
        files: ["embed.mjs"],
      }),
    );
    const r = tsc(join(app, "tsconfig.embed.json"));
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  test("the declarations stand alone: strict, lib ES2022, no Node types, skipLibCheck off; internals are not on the type", () => {
    writeFileSync(
      join(app, "api.ts"),
      `import { bootImage, createMachine, detectImage, disassemble, ImageError, Machine, SnapshotError, UsageError } from "jit386";
import type { BootOptions, ImageKind, MachineEvents, MachineOptions, MachineStats, RestoreOptions, RunResult, StopReason } from "jit386";
const options: MachineOptions = { memMiB: 16, engine: "interp", jit: { hotThreshold: 10 } };
const m: Machine = createMachine(options);
const boot: BootOptions = { cmdline: "x", initrd: new Uint8Array(1), name: "k" };
const kind: ImageKind = bootImage(m, new Uint8Array(0), boot);
const onHalt: MachineEvents["halt"] = () => {};
m.on("serial", (byte: number) => byte).on("halt", onHalt).off("halt", onHalt);
const result: Promise<RunResult> = m.run(1000);
const reason: StopReason = m.runSync().reason;
const stats: MachineStats = m.stats();
const share: number | undefined = stats.jit?.inlineShare;
const text: string = disassemble(new Uint8Array([0x90]), 0x1000, 16)[0].text;
const errors: [UsageError, ImageError, UsageError] = [new UsageError("a"), new ImageError("b"), new SnapshotError("c")];
const restore: RestoreOptions = { engine: "jit", jit: { hotThreshold: 5 } };
const copy: Machine = Machine.restoreState(m.saveState(), restore);
detectImage(new Uint8Array(0));
// @ts-expect-error the CPU is not part of the public type
m.cpu;
// @ts-expect-error nor are the interrupt controllers
m.pic;
// @ts-expect-error nor the keyboard controller
m.kbc;
// @ts-expect-error nor the interpreter
m.interpreter;
// @ts-expect-error nor the engine
m.engine;
export { kind, result, reason, share, text, errors, copy };
`,
    );
    writeFileSync(
      join(app, "tsconfig.api.json"),
      JSON.stringify({
        compilerOptions: { strict: true, target: "ES2022", lib: ["ES2022"], module: "nodenext", moduleResolution: "nodenext", skipLibCheck: false, noEmit: true, types: [] },
        files: ["api.ts"],
      }),
    );
    const r = tsc(join(app, "tsconfig.api.json"));
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });
});
