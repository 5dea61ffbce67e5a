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

const STATUS_I = JIT_STATUS >> 2;

export type HelperImports = Record<string, (...args: number[]) => number | void>;

/** Imports for one module, whose generic-helper ids index `insns`. */
export function helperImports(c: Cpu, insns: readonly Insn[], stats: JitStats): HelperImports {
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
