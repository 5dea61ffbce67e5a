/**
 * The public embedding API of jit386 (the package's main entry). See README.md,
 * "Embedding":
 *
 *   const m = createMachine({ memMiB: 64 });
 *   m.on("serial", (byte) => process.stdout.write(Uint8Array.of(byte)));
 *   bootImage(m, "guest.elf");
 *   const result = await m.run();
 */
export { bootImage, createMachine, detectImage, disassemble, Machine } from "./api.js";
export type { Instruction } from "./api.js";
export { ImageError, SnapshotError, UsageError } from "./errors.js";
export type { BootOptions, ImageKind, JitFigures, JitOptions, MachineEvents, MachineOptions, MachineStats, ProfileReport, RestoreOptions, RunResult, StopReason } from "./types.js";
