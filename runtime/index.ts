/**
 * Public embedding API of jit386.
 *
 *   const m = createMachine({ memMiB: 64 });
 *   m.on("serial", (byte) => process.stdout.write(Uint8Array.of(byte)));
 *   bootImage(m, "guest.elf", bytes);
 *   const result = await m.run();
 */
export { createMachine, Machine } from "./machine.js";
export type { MachineEvents, MachineOptions, RunResult, StopReason } from "./machine.js";
export { bootImage, detectImage, readImage } from "./image.js";
export type { BootOptions, ImageKind } from "./image.js";
export { Cpu } from "../src/cpu/cpu.js";
export { Interpreter } from "../src/interp/interpreter.js";
export { disassemble, disassembleOne } from "../src/disasm/disasm.js";
