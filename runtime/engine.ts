/**
 * The run contract both engines implement, for the machine's loop: retire
 * instructions until progress (Cpu.progress: instructions retired plus
 * exceptions and interrupts delivered) reaches `target`, the CPU halts or shuts down,
 * or `shouldStop()` says so. `shouldStop` is asked after every instruction the
 * interpreter runs and after every return from compiled code, which returns
 * after any instruction that can change the answer (device access, STI, POPF,
 * IRET, ...); the first instruction always runs.
 */
import type { Interpreter } from "../src/interp/interpreter.js";

export interface Engine {
  readonly name: "interp" | "jit";
  runUntil(target: number, shouldStop: () => boolean): void;
}

export class InterpreterEngine implements Engine {
  readonly name = "interp";
  constructor(readonly interpreter: Interpreter) {}

  runUntil(target: number, shouldStop: () => boolean): void {
    const it = this.interpreter;
    const c = it.cpu;
    if (c.progress >= target || it.halted || c.shutdown) return;
    do it.step();
    while (c.progress < target && !it.halted && !c.shutdown && !shouldStop());
  }
}
