/**
 * `npm run readme:cli`: writes README.md's command reference from the command
 * definitions (runtime/commands/), between the markers runtime/help.ts names.
 * test/runtime/readme-cli.test.ts fails when the README and the definitions differ.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { COMMANDS } from "../runtime/commands/index.js";
import { commandReference, README_BEGIN, README_END, withCommandReference } from "../runtime/help.js";

const path = new URL("../README.md", import.meta.url).pathname;
const readme = readFileSync(path, "utf8");
const updated = withCommandReference(readme, commandReference(COMMANDS));
if (updated === undefined) {
  process.stderr.write(`readme-cli: README.md has no "${README_BEGIN}" ... "${README_END}" section\n`);
  process.exitCode = 1;
} else if (updated !== readme) {
  writeFileSync(path, updated);
  process.stdout.write("readme-cli: README.md's command reference updated\n");
}
