/** Port I/O permission: IOPL, then the TSS I/O permission bitmap (SDM Vol. 1 §19.5). */
import type { Cpu } from "./cpu.js";
import { IOPL, VM } from "./flags.js";
import { TR_ATTR, TR_BASE, TR_LIMIT } from "./layout.js";

/** Raise #GP(0) unless the current task may access `bytes` ports from `port`. */
export function checkIoPermission(c: Cpu, port: number, bytes: number): void {
  if (!c.protectedMode) return;
  const flags = c.eflagsRaw;
  if (!(flags & VM) && c.cpl <= (flags & IOPL) >>> 12) return;
  const i = c.i32;
  const type = i[TR_ATTR >> 2] & 0x0f;
  const limit = i[TR_LIMIT >> 2] >>> 0;
  // Only a 32-bit TSS has a bitmap; a 16-bit one (or none) denies everything.
  if ((type !== 0x9 && type !== 0xb) || limit < 103) c.raiseGP(0);
  const base = i[TR_BASE >> 2];
  const prev = c.systemAccess;
  c.systemAccess = true;
  try {
    const mapBase = c.readLin16((base + 102) | 0);
    const byteOff = mapBase + (port >>> 3);
    // The bitmap bits for the access may straddle two bytes; both must be within the TSS limit.
    if (byteOff + 1 > limit) c.raiseGP(0);
    const bits = c.readLin16((base + byteOff) | 0);
    if ((bits >>> (port & 7)) & ((1 << bytes) - 1)) c.raiseGP(0);
  } finally {
    c.systemAccess = prev;
  }
}
