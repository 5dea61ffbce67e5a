/**
 * What an external debugger (a gdb stub in the runtime) sees of instruction
 * execution: it is asked before every instruction the interpreter runs while it
 * is installed as Interpreter.monitor.
 */
export interface DebugMonitor {
  /**
   * Before the instruction at linear address `la` (CS.base + EIP) begins: true
   * stops the run there, with the instruction not executed and the
   * interpreter's attention raised.
   */
  beforeInstruction(la: number): boolean;
}
