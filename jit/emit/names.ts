/**
 * Names of the functions compiled code calls: imports (JavaScript helpers in
 * runtime/jithelpers.ts, signatures in jit/module.ts) and library functions
 * defined in every module (jit/library.ts).
 */
export const enum Import {
  /** exec(id) -> status: run one instruction through the interpreter's handler (state synced; faults throw). */
  EXEC = "exec",
  /** raise(vector, code): throw the guest fault (state synced). */
  RAISE = "raise",
  /**
   * The memory slow paths take the instruction's EIP and the retired-instruction
   * count before it (f64); a fault sets STATUS_FAULT instead of throwing.
   * read(seg, off, bits, eip, icount) -> value: segment-checked read.
   */
  READ = "read",
  /** write(seg, off, bits, value, eip, icount): segment-checked write. */
  WRITE = "write",
  /** rmwLinear(seg, off, bits, eip, icount) -> linear address checked and probed for writing. */
  RMW_LINEAR = "rmwLinear",
  /** readLinear(la, bits) -> value. */
  READ_LINEAR = "readLinear",
  /** writeLinear(la, bits, value). */
  WRITE_LINEAR = "writeLinear",
}

export const enum Lib {
  /** flag(bit, mask, op, a, b, res, size, eflags) -> 0/1: Cpu.flag over a lazy record and EFLAGS held in locals. */
  FLAG = "flag",
  /** codeOk(pa, bytes) -> 1 when a store there touches no translated code and needs no notification. */
  CODE_OK = "codeOk",
}
