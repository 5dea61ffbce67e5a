/**
 * Inline emitters by opcode-table row, built once from the row's `exec` like the
 * interpreter's handlers (src/interp/registry.ts). A row with no emitter, or
 * whose emitter declines an instruction form, runs through the generic helper.
 */
import { OPCODES } from "../../src/isa/opcodes.js";
import { emitters as alu } from "./alu.js";
import { emitters as atomic } from "./atomic.js";
import { emitters as bit } from "./bit.js";
import { emitters as cond } from "./cond.js";
import { emitters as control } from "./control.js";
import type { Emitter, EmitterFactory } from "./emitter.js";
import { emitters as flagops } from "./flagops.js";
import { emitters as misc } from "./misc.js";
import { emitters as mov } from "./mov.js";
import { emitters as muldiv } from "./muldiv.js";
import { emitters as shift } from "./shift.js";
import { emitters as stack } from "./stack.js";
import { emitters as string } from "./string.js";

const FAMILIES: Record<string, Record<string, EmitterFactory>> = { alu, atomic, bit, cond, control, flagops, misc, mov, muldiv, shift, stack, string };

/** Emitter per OPCODES row id, undefined where the helper runs the row. */
export const EMITTERS: readonly (Emitter | undefined)[] = OPCODES.map((row) => {
  const [family, name] = row.exec.split(".");
  return FAMILIES[family]?.[name]?.(row);
});
