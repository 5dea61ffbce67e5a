/** `jit386 disasm FILE [--org ADDR] [--bits 16|32]`: Intel-syntax listing of a raw code file. */
import { disassemble, listing } from "../../src/disasm/disasm.js";
import { UsageError } from "../errors.js";
import { readImage } from "../image.js";
import { intOption, parseArgs } from "../options.js";
import type { Command } from "./index.js";

const SPECS = {
  org: { value: true },
  bits: { value: true },
};

export const disasm: Command = {
  summary: "disassemble a raw code FILE [--org ADDR] [--bits 16|32]",
  async run(args) {
    const p = parseArgs(args, SPECS, 1);
    const path = p.positional[0];
    if (path === undefined) throw new UsageError("disasm: missing FILE (usage: jit386 disasm FILE [--org ADDR] [--bits 16|32])");
    const org = intOption(p, "org", 0, 0xffffffff) ?? 0;
    const bitsText = p.options.get("bits") ?? "32";
    if (bitsText !== "16" && bitsText !== "32") throw new UsageError(`option '--bits' must be 16 or 32 (got '${bitsText}')`);
    const bytes = readImage(path);
    const out: string[] = [];
    for (const line of disassemble(bytes, org, bitsText === "16" ? 16 : 32)) out.push(listing(line));
    if (out.length) process.stdout.write(`${out.join("\n")}\n`);
    return 0;
  },
};
