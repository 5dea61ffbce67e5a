/** Exception vectors (SDM Vol. 3 §6.3.1). */
export const enum Vector {
  DE = 0,
  DB = 1,
  NMI = 2,
  BP = 3,
  OF = 4,
  BR = 5,
  UD = 6,
  NM = 7,
  DF = 8,
  TS = 10,
  NP = 11,
  SS = 12,
  GP = 13,
  PF = 14,
  MF = 16,
  AC = 17,
  MC = 18,
}

/** Vectors that push an error code when delivered as exceptions. */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

/**
 * A guest fault in flight. The interpreter throws the one preallocated instance
 * (no host Error, no stack capture); the run loop catches it, restores EIP to the
 * faulting instruction and delivers the exception. It never escapes the machine.
 */
export class CpuFault {
  vector = 0;
  errorCode = 0;
  hasErrorCode = false;
}

export const FAULT = new CpuFault();
