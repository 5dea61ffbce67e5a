/**
 * The layers hold: every relative import in src/, jit/ and runtime/ goes where
 * the "Import rules" table of ARCHITECTURE.md allows. The table is the rule; the
 * test also checks that it still forbids what the layering rests on (src/ never
 * imports jit/ or runtime/, jit/ never imports runtime/, src/cpu/ never imports
 * src/interp/).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const LAYERS = ["src", "jit", "runtime"];

interface Rule {
  folder: string;
  may: string[];
}

/** The rows of the table under "### Import rules": `folder/` | `a/`, `b/`. */
function rules(): Rule[] {
  const doc = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
  const start = doc.indexOf("### Import rules");
  if (start < 0) throw new Error('ARCHITECTURE.md has no "### Import rules" section');
  const out: Rule[] = [];
  for (const line of doc.slice(start).split("\n").slice(1)) {
    if (line.startsWith("#")) break;
    const cells = line.split("|").map((s) => s.trim());
    if (cells.length < 4 || !cells[1].startsWith("`")) continue;
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    out.push({ folder: ticked(cells[1])[0], may: ticked(cells[2]) });
  }
  return out;
}

/** The rule of the most specific folder holding `file` (a path from the root). */
function ruleFor(table: Rule[], file: string): Rule | undefined {
  let best: Rule | undefined;
  for (const r of table) if (file.startsWith(r.folder) && (!best || r.folder.length > best.folder.length)) best = r;
  return best;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) sources(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Relative import specifiers of a source file: static imports and re-exports (type-only too), side-effect and dynamic imports. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith(".")) out.push(spec);
  }
  return out;
}

/** Every import that crosses the table, as "file -> target". */
function violations(table: Rule[]): string[] {
  const out: string[] = [];
  for (const file of LAYERS.flatMap((d) => sources(d))) {
    const rule = ruleFor(table, file);
    if (!rule) {
      out.push(`${file}: no row of the table covers it`);
      continue;
    }
    for (const spec of importsOf(readFileSync(join(ROOT, file), "utf8"))) {
      const target = relative(ROOT, normalize(join(ROOT, dirname(file), spec))).split("\\").join("/");
      if (!rule.may.some((m) => target === m || target.startsWith(m))) out.push(`${file} -> ${target}`);
    }
  }
  return out;
}

describe("import layering", () => {
  const table = rules();

  it("the table keeps the rules the layering rests on", () => {
    const allowed = (from: string, to: string) => ruleFor(table, `${from}x.ts`)?.may.some((m) => `${to}x.ts`.startsWith(m)) ?? false;
    for (const from of ["src/cpu/", "src/isa/", "src/decode/", "src/disasm/", "src/interp/", "src/devices/", "src/boot/"]) {
      expect(allowed(from, "jit/"), `${from} may import jit/`).toBe(false);
      expect(allowed(from, "runtime/"), `${from} may import runtime/`).toBe(false);
    }
    for (const from of ["jit/", "jit/emit/", "jit/wasm/"]) expect(allowed(from, "runtime/"), `${from} may import runtime/`).toBe(false);
    expect(allowed("src/cpu/", "src/interp/")).toBe(false);
    expect(allowed("src/cpu/x87/", "src/interp/")).toBe(false);
  });

  it("finds imports wherever they are written", () => {
    const text = 'import type { A } from "../a.js";\nexport { b } from "./b.js";\nimport {\n  c,\n} from "../../c.js";\nimport "./d.js";\nconst e = await import("./e.js");\nimport { f } from "node:fs";';
    expect(importsOf(text)).toEqual(["../a.js", "./b.js", "../../c.js", "./d.js", "./e.js"]);
  });

  it("no import in src/, jit/ or runtime/ crosses a layer the wrong way", () => {
    expect(violations(table)).toEqual([]);
  });
});
