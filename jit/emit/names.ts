/**
 * Names of the functions compiled code calls: imports (JavaScript helpers in
 * runtime/jithelpers.ts, signatures in jit/batch.ts) and library functions
 * defined in every module (jit/library.ts).
 */
export const enum Import {
  /** exec(id) -> status: run one instruction through the interpreter's handler (state synced; faults throw). */
  EXEC = "exec",
  /** raise(vector, code): throw the guest fault (state synced). */
  RAISE = "raise",
}

export const enum Lib {
  /** flag(bit, mask, op, a, b, res, size, eflags) -> 0/1: Cpu.flag over a lazy record and EFLAGS held in locals. */
  FLAG = "flag",
  /** codeOk(pa, bytes) -> 1 when a store there touches no translated code and needs no notification. */
  CODE_OK = "codeOk",
}
