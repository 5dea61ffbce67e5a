/**
 * The target description gdb reads through qXfer:features:read (gdb's manual,
 * "Target Descriptions"): architecture i386 and the org.gnu.gdb.i386.core
 * feature, whose register names, numbers and types are those gdb's i386 code
 * expects, in registers.ts's order.
 */
import { REGISTERS } from "./registers.js";

const EFLAGS_FIELDS: readonly [string, number][] = [
  ["CF", 0], ["", 1], ["PF", 2], ["AF", 4], ["ZF", 6], ["SF", 7], ["TF", 8], ["IF", 9], ["DF", 10], ["OF", 11],
  ["NT", 14], ["RF", 16], ["VM", 17], ["AC", 18], ["VIF", 19], ["VIP", 20], ["ID", 21],
];

const TYPES: Record<string, string> = {
  eip: 'type="code_ptr"',
  esp: 'type="data_ptr"',
  ebp: 'type="data_ptr"',
  eflags: 'type="i386_eflags"',
};

function registerType(name: string): string {
  if (TYPES[name]) return TYPES[name];
  if (name.startsWith("st")) return 'type="i387_ext"';
  return 'type="int32"';
}

/** The whole description, the core feature inline. */
function target(): string {
  const flags = EFLAGS_FIELDS.map(([name, bit]) => `      <field name="${name}" start="${bit}" end="${bit}"/>`).join("\n");
  const regs = REGISTERS.map((r, n) => {
    const group = n >= 16 ? ' group="float"' : "";
    return `    <reg name="${r.name}" bitsize="${r.bytes * 8}" ${registerType(r.name)} regnum="${n}"${group}/>`;
  }).join("\n");
  return `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>i386</architecture>
  <feature name="org.gnu.gdb.i386.core">
    <flags id="i386_eflags" size="4">
${flags}
    </flags>
${regs}
  </feature>
</target>
`;
}

/** The annexes gdb may ask for, by name. */
export const ANNEXES: ReadonlyMap<string, string> = new Map([["target.xml", target()]]);
