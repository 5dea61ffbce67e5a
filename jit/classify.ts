/**
 * Translation-time classification (ARCHITECTURE.md "The JIT: Regions").
 * The opcode table's class bits and the region's mode key decide, once per
 * instruction, what compiled code does with it: inline code, the interpreter's
 * handler through the generic helper, the handler and then a return to the
 * dispatcher (anything that may change the mode key or touch devices, and REP
 * strings), or an exception known at translation time.
 */
import { Vector } from "../src/cpu/exceptions.js";
import type { Insn } from "../src/decode/insn.js";
import { OpClass, type OpRow } from "../src/isa/row.js";
import type { Emitter } from "./emit/emitter.js";
import { EMITTERS } from "./emit/registry.js";
import type { Mode } from "./modekey.js";

export const enum Kind {
  /** An inline emitter produces the code. */
  INLINE,
  /** The generic helper runs the handler; compiled code continues after it. */
  HELPER,
  /** The generic helper runs the handler; compiled code then returns to the dispatcher. */
  HELPER_EXIT,
  /** The instruction raises `vector` whatever the operands: compiled code raises it. */
  FAULT,
}

export interface Classification {
  kind: Kind;
  emitter?: Emitter;
  vector?: number;
  code?: number;
}

/** CLI/STI at CPL > IOPL (or in V86 mode below IOPL 3), PUSHF/POPF in V86 mode below IOPL 3: #GP(0). */
function ioplFault(row: OpRow, mode: Mode): boolean {
  switch (row.exec) {
    case "flagops.cli":
    case "flagops.sti":
      return mode.vm ? mode.iopl < 3 : mode.pe && mode.cpl > mode.iopl;
    case "flagops.pushf":
    case "flagops.popf":
      return mode.vm && mode.iopl < 3;
  }
  return false;
}

export function classify(row: OpRow, i: Insn, mode: Mode): Classification {
  const cls = row.cls;
  if (cls & OpClass.UNDEFINED) {
    return row.exec === "misc.toolong" ? { kind: Kind.FAULT, vector: Vector.GP, code: 0 } : { kind: Kind.FAULT, vector: Vector.UD, code: 0 };
  }
  // As the interpreter's privilege check (src/interp/registry.ts): LLDT and LTR are not
  // recognised in V86 mode (#UD) before privilege matters.
  if (cls & OpClass.PRIV && cls & OpClass.MODEDEP && mode.vm) return { kind: Kind.FAULT, vector: Vector.UD, code: 0 };
  if (cls & OpClass.PRIV && mode.cpl !== 0) return { kind: Kind.FAULT, vector: Vector.GP, code: 0 };
  if (cls & OpClass.IOPL && ioplFault(row, mode)) return { kind: Kind.FAULT, vector: Vector.GP, code: 0 };
  if (cls & (OpClass.BLOCKEND | OpClass.SEGLOAD)) return { kind: Kind.HELPER_EXIT };
  const emitter = EMITTERS[row.id];
  if (emitter && (!emitter.accepts || emitter.accepts(i, mode))) return { kind: Kind.INLINE, emitter };
  // A REP string retires once per iteration: compiled code returns after it, with the count it left.
  if (cls & OpClass.STRING && i.rep !== 0) return { kind: Kind.HELPER_EXIT };
  return { kind: cls & OpClass.BRANCH ? Kind.HELPER_EXIT : Kind.HELPER };
}
