/** Public embedding API of jit386. */
export { Cpu } from "../src/cpu/cpu.js";
export { Interpreter } from "../src/interp/interpreter.js";
