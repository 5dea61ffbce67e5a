/** NOP (src/interp/misc.ts); the rest of the family runs through the helper. */
import type { EmitterFactory } from "./emitter.js";

export const emitters: Record<string, EmitterFactory> = {
  nop: () => ({ writes: () => 0, emit: () => {} }),
};
