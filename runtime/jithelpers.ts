/**
 * The JavaScript functions compiled code imports (jit/emit/names.ts). They are
 * called with the state synced (registers, flags, EIP, the count): a FAULT they
 * throw unwinds through Wasm and leaves the interpreter's state. Memory accesses
 * off the fast path never come here: compiled code leaves the region before
 * such an instruction and the interpreter runs it.
 */
import type { Cpu } from "../src/cpu/cpu.js";
import type { Insn } from "../src/decode/insn.js";
import { HANDLERS } from "../src/interp/registry.js";
import { JIT_STATUS } from "../jit/layout.js";
import type { JitStats } from "./jitstats.js";
import { OPCODES } from "../src/isa/opcodes.js";
import type { Profiler } from "./profiler.js";

const STATUS_I = JIT_STATUS >> 2;

export type HelperImports = Record<string, (...args: number[]) => number | void>;

/**
 * Imports for one module, whose generic-helper ids index `insns`. With a
 * profiler, each call is timed under the helper's name (the generic helper by
 * the instruction's mnemonic).
 */
export function helperImports(c: Cpu, insns: readonly Insn[], stats: JitStats, profiler?: Profiler): HelperImports {
  const plain = plainImports(c, insns, stats);
  if (!profiler) return plain;
  const execIds = insns.map((insn) => profiler.helper(`exec:${OPCODES[insn.row].mnemonic}`));
  const raiseId = profiler.helper("raise");
  const timed = (id: number, fn: () => number | void): number | void => {
    profiler.enter(id);
    try {
      return fn();
    } finally {
      profiler.leave();
    }
  };
  return {
    exec: (id: number) => timed(execIds[id], () => plain.exec(id)),
    raise: (vector: number, code: number) => timed(raiseId, () => plain.raise(vector, code)),
  };
}

function plainImports(c: Cpu, insns: readonly Insn[], stats: JitStats): HelperImports {
  const i32 = c.i32;
  return {
    /** Returns JIT_STATUS: non-zero when the handler wrote translated code. */
    exec(id: number): number {
      const insn = insns[id];
      const start = c.eip;
      c.eip = (start + insn.len) | 0;
      try {
        HANDLERS[insn.row](c, insn);
      } catch (e) {
        c.eip = start;
        throw e;
      }
      stats.helperCalls++;
      return i32[STATUS_I];
    },
    raise(vector: number, code: number): void {
      c.raise(vector, code);
    },
  };
}
