/** The command line explains itself: --version, help, --help, suggestions, and the README's reference. */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { COMMANDS } from "../../runtime/commands/index.js";
import { UsageError } from "../../runtime/errors.js";
import { commandHelp, commandReference, mainHelp, optionSyntax, withCommandReference } from "../../runtime/help.js";
import { choice, command, flag, int, optionalText, parseCommand, text } from "../../runtime/options.js";
import { closest } from "../../runtime/suggest.js";
import { expectOneLineError, jit386 } from "../support/cli.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

describe("jit386 --version and help", () => {
  test("--version prints the package's version", () => {
    const r = jit386("--version");
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `jit386 ${pkg.version}\n`, ""]);
  });

  test("help lists the commands; no command at all prints it on stderr with status 2", () => {
    const r = jit386("help");
    expect([r.status, r.stdout]).toEqual([0, mainHelp(COMMANDS)]);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${c.summary.slice(0, 20).replace(/[()]/g, "\\$&")}`, "m"));
    const none = jit386();
    expect([none.status, none.stdout, none.stderr]).toEqual([2, "", mainHelp(COMMANDS)]);
  });

  test.each(COMMANDS.map((c) => c.name))("'help %s', '%s --help' and '%s -h' print every option of the command", (name) => {
    const cmd = COMMANDS.find((c) => c.name === name)!;
    const texts = [jit386("help", name), jit386(name, "--help"), jit386(name, "-h")].map((r) => {
      expect(r.status).toBe(0);
      expect(r.stderr).toBe("");
      return r.stdout;
    });
    expect(texts[1]).toBe(texts[0]);
    expect(texts[2]).toBe(texts[0]);
    expect(texts[0]).toBe(commandHelp(cmd));
    for (const [option, o] of Object.entries(cmd.options)) {
      expect(texts[0]).toContain(`  ${optionSyntax(option, o)} `);
      expect(texts[0]).toContain(o.help);
    }
    expect(texts[0]).toMatch(/^usage: jit386 /);
  });

  test("help for a command that does not exist", () => {
    const r = jit386("help", "rnu");
    expect(r.status).toBe(2);
    expectOneLineError(r, /unknown command 'rnu' \(did you mean run\?\)/);
  });

  test("diff's help lists all fifteen of its options", () => {
    const r = jit386("diff", "--help");
    const listed = r.stdout.match(/^ {2}--[a-z-]+/gm)!.map((s) => s.trim());
    expect(listed).toEqual(["--mem", "--append", "--initrd", "--max-instructions", "--from", "--chain", "--ram-every", "--hot", "--batch-delay", "--codegen", "--stats", "--disk", "--cdrom", "--bios", "--boot", "--vgabios"]);
  });
});

describe("an unknown option names the closest one", () => {
  test.each([
    [["run", "--engin", "jit"], /unknown option '--engin' \(did you mean --engine\?\)/],
    [["run", "--egnine=jit"], /unknown option '--egnine' \(did you mean --engine\?\)/],
    [["run", "--max", "5"], /unknown option '--max' \(did you mean --max-instructions\?\)/],
    [["run", "--stat"], /unknown option '--stat' \(did you mean --stats\?\)/],
    [["diff", "x.bin", "--ramevery", "2"], /unknown option '--ramevery' \(did you mean --ram-every\?\)/],
    [["disasm", "x.bin", "--orgin", "0"], /unknown option '--orgin' \(did you mean --org\?\)/],
    [["run", "--frobnicate"], /unknown option '--frobnicate'$/],
    [["rnu"], /unknown command 'rnu' \(did you mean run\?\)/],
  ])("%j", (args, message) => {
    const r = jit386(...(args as string[]));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expectOneLineError(r, message as RegExp);
  });

  test("closest: a unique prefix either way, else within a third of the name's length; nothing for a stranger", () => {
    const names = ["engine", "mem", "max-instructions", "stats", "serial"];
    expect(closest("max", names)).toBe("max-instructions");
    expect(closest("s", names)).toBeUndefined();
    expect(closest("enigne", names)).toBe("engine");
    expect(closest("MEM", names)).toBe("mem");
    expect(closest("memory", names)).toBe("mem");
    expect(closest("m", names)).toBeUndefined();
    expect(closest("xyz", names)).toBeUndefined();
  });
});

describe("one definition drives parsing", () => {
  const def = {
    name: "try",
    summary: "a test command",
    args: [{ name: "FILE", optional: true, help: "a file" }],
    options: {
      count: int("N", "how many", { min: 1, max: 9 }, 3),
      mode: choice(["fast", "slow"], "speed"),
      name: text("NAME", "a name"),
      verbose: flag("say more"),
      log: optionalText("FILE", "log to stderr or FILE"),
    },
    run: async () => 0,
  };

  test("values, defaults, '=' and separate values, a flag, an optional value, positionals and '--'", () => {
    expect(parseCommand(def, [])).toEqual({ values: { count: 3, mode: undefined, name: undefined, verbose: false, log: undefined }, args: [] });
    expect(parseCommand(def, ["f", "--count=0x7", "--mode", "slow", "--name", "-x", "--verbose", "--log"])).toEqual({
      values: { count: 7, mode: "slow", name: "-x", verbose: true, log: "" },
      args: ["f"],
    });
    // An optional value is never taken from the next argument.
    expect(parseCommand(def, ["--log", "f"])?.args).toEqual(["f"]);
    expect(parseCommand(def, ["--log=out.txt"])?.values.log).toBe("out.txt");
    expect(parseCommand(def, ["--", "--count"])?.args).toEqual(["--count"]);
    expect(parseCommand(def, ["--count", "2", "--help"])).toBeUndefined();
  });

  test.each([
    [["--count", "10"], "option '--count' must be an integer from 1 to 9 (got '10')"],
    [["--count"], "option '--count' needs a value"],
    [["--count", "--verbose"], "option '--count' needs a value (got '--verbose'; write --count=--verbose if that is the value)"],
    [["--mode", "medium"], "option '--mode' must be fast or slow (got 'medium')"],
    [["--verbose=yes"], "option '--verbose' takes no value"],
    [["--help=me"], "option '--help' takes no value"],
    [["-v"], "unknown option '-v'"],
    [["--verbos"], "unknown option '--verbos' (did you mean --verbose?)"],
    [["a", "b"], "unexpected argument 'b'"],
  ])("%j: %s", (args, message) => {
    expect(() => parseCommand(def, args as string[])).toThrow(new UsageError(message as string));
  });

  test("a required argument that is missing", () => {
    const required = { ...def, args: [{ name: "IMAGE", optional: false, help: "an image" }] };
    expect(() => parseCommand(required, [])).toThrow("try: missing IMAGE (see 'jit386 help try')");
  });

  test("help shows each option's value, range and default from the same entry", () => {
    const help = commandHelp(command(def));
    expect(help).toMatch(/^usage: jit386 try \[FILE\] \[options\]\n/);
    expect(help).toMatch(/^ {2}--count N +how many \(1 to 9; default 3\)$/m);
    expect(help).toMatch(/^ {2}--mode fast\|slow +speed$/m);
    expect(help).toMatch(/^ {2}--verbose +say more$/m);
    expect(help).toMatch(/^ {2}--log\[=FILE\] +log to stderr or FILE$/m);
    expect(help).toMatch(/^ {2}-h, --help +print this help$/m);
  });
});

test("README.md's command reference is what the definitions print (npm run readme:cli rewrites it)", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const reference = commandReference(COMMANDS);
  expect(withCommandReference(readme, reference)).toBe(readme);
  for (const c of COMMANDS) expect(readme).toContain(commandHelp(c));
});
