/**
 * For the repository's own tests and tools: the machine (runtime/machine.ts, with
 * its CPU, devices and engine) behind a public Machine facade. Not exported by the
 * package.
 */
import type { Machine } from "./machine.js";

const cores = new WeakMap<object, Machine>();

/** Record (or, when disposed, forget) the machine behind a facade. */
export function registerCore(facade: object, core: Machine | undefined): void {
  if (core) cores.set(facade, core);
  else cores.delete(facade);
}

/** The machine behind `facade`, or undefined for anything else. */
export function machineCore(facade: object): Machine | undefined {
  return cores.get(facade);
}
