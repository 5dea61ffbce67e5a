/**
 * Interpreter dispatch: one handler per opcode-table row, built once from the
 * row's `exec` ("family.name") and its operands. Families are the files beside
 * this one, one instruction family each.
 */
import { OPCODES } from "../isa/opcodes.js";
import { OpClass, type OpRow } from "../isa/row.js";
import type { Handler } from "./operands.js";
import { handlers as alu } from "./alu.js";
import { handlers as atomic } from "./atomic.js";
import { handlers as bcd } from "./bcd.js";
import { handlers as bit } from "./bit.js";
import { handlers as cond } from "./cond.js";
import { handlers as control } from "./control.js";
import { handlers as fartransfer } from "./fartransfer.js";
import { handlers as flagops } from "./flagops.js";
import { handlers as fpu } from "./fpu.js";
import { handlers as io } from "./io.js";
import { handlers as misc } from "./misc.js";
import { handlers as mov } from "./mov.js";
import { handlers as muldiv } from "./muldiv.js";
import { handlers as segment } from "./segment.js";
import { handlers as shift } from "./shift.js";
import { handlers as stack } from "./stack.js";
import { handlers as string } from "./string.js";
import { handlers as system } from "./system.js";

export type HandlerFactory = (row: OpRow) => Handler;

const FAMILIES: Record<string, Record<string, HandlerFactory>> = {
  alu,
  atomic,
  bcd,
  bit,
  cond,
  control,
  fartransfer,
  flagops,
  fpu,
  io,
  misc,
  mov,
  muldiv,
  segment,
  shift,
  stack,
  string,
  system,
};

/**
 * Privileged instructions (OpClass.PRIV) fault with #GP(0) outside CPL 0, V86
 * included; those that only exist in protected mode (OpClass.MODEDEP: LLDT, LTR)
 * are #UD in V86 mode first, as in real mode.
 */
function privileged(h: Handler, protectedOnly: boolean): Handler {
  return (c, i) => {
    if (protectedOnly && c.v86) c.raiseUD();
    if (c.cpl !== 0) c.raiseGP(0);
    h(c, i);
  };
}

/** Rows whose exec names no handler; the registry test keeps this empty. */
export const MISSING: string[] = [];

function build(): Handler[] {
  const out: Handler[] = [];
  for (const row of OPCODES) {
    const [family, name] = row.exec.split(".");
    const factory = FAMILIES[family]?.[name];
    if (!factory) {
      MISSING.push(`${row.mnemonic} ${row.operands.join(",")} (${row.exec})`);
      out.push((c) => c.raiseUD());
      continue;
    }
    const handler = factory(row);
    out.push(row.cls & OpClass.PRIV ? privileged(handler, (row.cls & OpClass.MODEDEP) !== 0) : handler);
  }
  return out;
}

/** Handler per OPCODES row id. */
export const HANDLERS: readonly Handler[] = build();
