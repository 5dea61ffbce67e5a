/**
 * Help text from the command definitions: `jit386 help`, `jit386 help COMMAND`,
 * `jit386 COMMAND --help`, and the README's command reference
 * (`npm run readme:cli` writes it; test/runtime/readme-cli.test.ts checks it).
 */
import type { Command, Option } from "./options.js";

/** The option's spelling in help: "--mem MiB", "--stats[=FILE]", "--reboot". */
export function optionSyntax(name: string, o: Option<unknown>): string {
  if (o.value === undefined) return `--${name}`;
  return o.optionalValue ? `--${name}[=${o.value}]` : `--${name} ${o.value}`;
}

function usageLine(cmd: Command, program: string): string {
  const args = cmd.args.map((a) => (a.optional ? `[${a.name}]` : a.name));
  return ["usage:", program, cmd.name, ...args, "[options]"].join(" ");
}

/** Two aligned columns; the second column's lines are not wrapped (one line of help each). */
function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`.trimEnd());
}

/** Everything a command accepts, as `jit386 COMMAND --help` prints it. */
export function commandHelp(cmd: Command, program = "jit386"): string {
  const lines = [usageLine(cmd, program), "", `${cmd.summary}.`];
  if (cmd.args.length) lines.push("", "arguments:", ...table(cmd.args.map((a) => [a.name, a.help])));
  const rows: [string, string][] = Object.entries(cmd.options).map(([name, o]) => [optionSyntax(name, o), o.note ? `${o.help} (${o.note})` : o.help]);
  rows.push(["-h, --help", "print this help"]);
  lines.push("", "options:", ...table(rows));
  if (cmd.details) lines.push("", cmd.details.trim());
  return lines.join("\n") + "\n";
}

/** The list of commands, as `jit386 help` prints it. */
export function mainHelp(commands: readonly Command[]): string {
  return [
    "usage: jit386 COMMAND [options]",
    "",
    "commands:",
    ...table(commands.map((c) => [c.name, c.summary])),
    "",
    "'jit386 help COMMAND' or 'jit386 COMMAND --help' lists a command's options; 'jit386 --version' prints the version.",
  ].join("\n") + "\n";
}

export const README_BEGIN = "<!-- BEGIN command reference: generated from runtime/commands/ by `npm run readme:cli` -->";
export const README_END = "<!-- END command reference -->";

/** The README's command reference: each command's help, as the command line prints it. */
export function commandReference(commands: readonly Command[]): string {
  const parts = [README_BEGIN, "", "```text", "$ jit386 help", mainHelp(commands).trimEnd(), "```"];
  for (const c of commands) parts.push("", "```text", `$ jit386 help ${c.name}`, commandHelp(c).trimEnd(), "```");
  parts.push("", README_END);
  return parts.join("\n");
}

/** `readme` with its command reference replaced by `reference` (undefined when the markers are missing). */
export function withCommandReference(readme: string, reference: string): string | undefined {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) return undefined;
  return readme.slice(0, begin) + reference + readme.slice(end + README_END.length);
}
