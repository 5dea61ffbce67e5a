/**
 * The contract of an inline emitter. Like interpreter handlers, emitters are
 * built once per opcode-table row by the family named in the row's `exec`
 * (jit/emit/<family>.ts mirrors src/interp/<family>.ts); rows without one run
 * through the generic helper.
 */
import type { Insn } from "../../src/decode/insn.js";
import type { OpRow } from "../../src/isa/row.js";
import type { Mode } from "../modekey.js";
import type { I32 } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";

export interface Emitter {
  /** Whether this instruction form is emitted inline under `mode`; absent means always. */
  accepts?(i: Insn, mode: Mode): boolean;
  /** Full registers the inline code writes (bit n = register n): written back at exits. */
  writes(i: Insn, mode: Mode): number;
  /** Full registers it reads that no operand names (PUSHA, XLAT), so the region keeps them in locals. */
  reads?(i: Insn): number;
  /** It can leave or fault without a ModRM memory operand (the stack, XLAT, #DE): every flag is live before it. */
  readonly mayFault?: boolean;
  /** The straight-line effect: everything for ordinary rows, the push of a near CALL. */
  emit?(x: Ctx, i: Insn): void;
  /** Conditional transfers (Jcc, LOOP, JCXZ): the branch is taken when this is non-zero. */
  condition?(x: Ctx, i: Insn): I32;
  /** Indirect transfers (RET, JMP/CALL r/m): the EIP compiled code leaves with. */
  target?(x: Ctx, i: Insn): I32;
}

export type EmitterFactory = (row: OpRow) => Emitter;
