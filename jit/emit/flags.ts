/**
 * Flag updates the families share, each mirroring one Cpu method so that the
 * record and the stored EFLAGS word end exactly as the interpreter leaves them:
 * `materialize` (Cpu.materialize), `storeFlags` (materialize, then replace the
 * bits: Cpu.setFlags and the muldiv/shift/bit flag writers), and `onlyIf` for
 * the part of an instruction that runs only when a run-time condition holds
 * (a shift by CL changes nothing for a masked count of 0).
 */
import { OF } from "../../src/cpu/flags.js";
import type { I32 } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";

/** Move the flags of `bits` that may be lazy into EFLAGS and out of the mask. */
export function materialize(x: Ctx, bits: number): void {
  const m = x.wasm;
  // With the producer unknown the library reads a flag outside the mask from EFLAGS, which keeps it.
  const lazy = x.flagProducer ? bits & x.flagProducer.mask : bits;
  if (!lazy) return;
  let v = m.and(x.eflags(), m.c(~lazy));
  for (let bit = 1; bit <= OF; bit <<= 1) if (lazy & bit) v = m.or(v, m.shl(x.flagBit(bit), m.c(31 - Math.clz32(bit))));
  // Held before the mask changes: the library call reads the mask local.
  const t = x.hold(v);
  x.dropFlags(lazy);
  x.setEflags(m.get(t));
}

/**
 * EFLAGS bits `bits` := `v` (bits already in place), after taking them out of
 * the lazy mask. Whatever the old record said about them is overwritten, so
 * nothing needs materialising first.
 */
export function storeFlags(x: Ctx, bits: number, v: I32): void {
  const m = x.wasm;
  const t = x.hold(v);
  x.dropFlags(bits);
  x.setEflags(m.or(m.and(x.eflags(), m.c(~bits)), m.get(t)));
}

/**
 * Emit what `f` emits only when `cond` holds at run time. The record's
 * constant locals are brought up to date on both sides, and the producer is
 * unknown afterwards (later flag reads go through the library).
 */
export function onlyIf(x: Ctx, cond: I32, f: () => void): void {
  const m = x.wasm;
  // The two paths must agree on the record's mask, op and size locals.
  x.flushRecord();
  const outer = x.blockCode;
  x.blockCode = [];
  f();
  x.flushRecord();
  const inner = x.blockCode;
  x.blockCode = outer;
  x.emit(m.if(cond, m.block(null, inner)));
  x.flagProducer = null;
}
