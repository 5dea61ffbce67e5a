/** Delivery of exceptions and interrupts. */
import type { Cpu } from "../cpu/cpu.js";
import { AC, IF, RF, TF } from "../cpu/flags.js";
import { IDTR_BASE, IDTR_LIMIT, Sreg } from "../cpu/layout.js";

export const enum InterruptKind {
  /** A fault or trap raised by an instruction. */
  EXCEPTION = 0,
  /** INT n / INT3 / INTO: subject to IDT gate DPL checks, EIP after the instruction. */
  SOFTWARE = 1,
  /** An external interrupt from the PIC. */
  EXTERNAL = 2,
}

/**
 * Real-address mode: push FLAGS, CS, IP and load CS:IP from the interrupt vector
 * table at IDTR.base (SDM Vol. 3 §20.1.4).
 */
export function deliverReal(c: Cpu, vector: number): void {
  const base = c.i32[IDTR_BASE >> 2];
  const limit = c.i32[IDTR_LIMIT >> 2] >>> 0;
  if (vector * 4 + 3 > limit) c.raiseGP(vector * 8 + 2);
  const ip = c.readLin16((base + vector * 4) | 0);
  const cs = c.readLin16((base + vector * 4 + 2) | 0);
  const flags = c.getEflags();
  const sp = c.spOffset(0);
  const fSp = (sp - 2) & 0xffff;
  const csSp = (sp - 4) & 0xffff;
  const ipSp = (sp - 6) & 0xffff;
  c.write16(Sreg.SS, fSp, flags);
  c.write16(Sreg.SS, csSp, c.segSel(Sreg.CS));
  c.write16(Sreg.SS, ipSp, c.eip);
  c.sp = ipSp;
  c.setFlags(IF | TF | AC | RF, false);
  c.loadSegmentReal(Sreg.CS, cs);
  c.eip = ip;
}

/** Deliver `vector`; protected-mode delivery goes through the IDT (system layer). */
export function deliverInterrupt(c: Cpu, vector: number, _kind: InterruptKind, _errorCode: number, _hasError: boolean): void {
  if (c.realAddressing && !c.v86) {
    deliverReal(c, vector);
    return;
  }
  // Protected-mode and V86 delivery (IDT gates, stack switch, task gates) belong to
  // the system layer; until it exists such a fault stops the CPU as a shutdown would.
  c.shutdown = true;
}
