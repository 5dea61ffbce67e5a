/** CLC STC CMC CLD STD CLI STI SAHF LAHF SALC PUSHF POPF. */
import type { Cpu } from "../cpu/cpu.js";
import { AF, CF, DF, FIXED_ONE, IF, IOPL, PF, RF, SF, VM, WRITABLE, ZF } from "../cpu/flags.js";
import { INTERRUPT_SHADOW } from "../cpu/layout.js";
import type { Handler } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

const SHADOW_I = INTERRUPT_SHADOW >> 2;
const AH = 4;
const AH_FLAGS = SF | ZF | AF | PF | CF;
/** What POPF may write at CPL 0: everything but VM and RF (VIF/VIP do not exist without VME). */
const POPF_MASK = WRITABLE & ~(VM | RF);

function iopl(flags: number): number {
  return (flags & IOPL) >> 12;
}

/** CLI/STI: #GP(0) in protected mode when CPL > IOPL, in V86 mode when IOPL < 3. */
function checkIF(c: Cpu): void {
  const flags = c.eflagsRaw;
  if (flags & VM) {
    if (iopl(flags) < 3) c.raiseGP(0);
  } else if (c.protectedMode && c.cpl > iopl(flags)) {
    c.raiseGP(0);
  }
}

/** PUSHF/POPF in V86 mode need IOPL 3 (no VME). */
function checkV86(c: Cpu): void {
  const flags = c.eflagsRaw;
  if (flags & VM && iopl(flags) < 3) c.raiseGP(0);
}

function flagSetter(bit: number, on: boolean): HandlerFactory {
  return () => (c) => c.setFlags(bit, on);
}

const sti: Handler = (c) => {
  checkIF(c);
  // Interrupts wait one more instruction only when STI actually enables them.
  if (!(c.eflagsRaw & IF)) {
    c.setFlags(IF, true);
    c.i32[SHADOW_I] = 1;
  }
};

/** The image pushed has VM and RF clear. */
const pushf: Handler = (c, i) => {
  checkV86(c);
  c.push(c.getEflags() & ~(VM | RF), i.o32 ? 32 : 16);
};

/**
 * IOPL changes only at CPL 0 and IF only when CPL <= IOPL; both are silently kept
 * otherwise. Real mode counts as CPL 0, so all of IOPL and NT are writable there.
 * A 16-bit POPF writes only the low 16 bits. RF is cleared.
 */
const popf: Handler = (c, i) => {
  checkV86(c);
  const flags = c.eflagsRaw;
  const size = i.o32 ? 32 : 16;
  const v = c.pop(size);
  const cpl = c.protectedMode ? c.cpl : 0;
  let mask = POPF_MASK;
  if (cpl > 0) mask &= ~IOPL;
  if (cpl > iopl(flags)) mask &= ~IF;
  if (size === 16) mask &= 0xffff;
  c.setEflagsMasked(v & ~RF, mask | RF);
};

export const handlers: Record<string, HandlerFactory> = {
  clc: flagSetter(CF, false),
  stc: flagSetter(CF, true),
  cmc: () => (c) => c.setFlags(CF, c.getCF() === 0),
  cld: flagSetter(DF, false),
  std: flagSetter(DF, true),
  cli: () => (c) => {
    checkIF(c);
    c.setFlags(IF, false);
  },
  sti: () => sti,
  sahf: () => (c) => c.setEflagsMasked(c.reg8(AH), AH_FLAGS),
  lahf: () => (c) => c.setReg8(AH, (c.getEflags() & AH_FLAGS) | FIXED_ONE),
  salc: () => (c) => c.setReg8(0, c.getCF() ? 0xff : 0),
  pushf: () => pushf,
  popf: () => popf,
};
