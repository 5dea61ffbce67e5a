/**
 * Decimal adjust: DAA DAS AAA AAS AAM AAD.
 *
 * Where the SDM leaves flags undefined they take the reference CPU's values, which
 * all follow one pattern: the flags of the one add or subtract that turns the old
 * value into the new one (DAA/DAS: AL plus or minus the whole correction, 8-bit;
 * AAA/AAS: AX plus or minus 0x106 or 0, 16-bit; AAD: AL + AH * imm, 8-bit).
 * AAM clears OF, AF and CF.
 */
import type { Cpu } from "../cpu/cpu.js";
import { Vector } from "../cpu/exceptions.js";
import { AF, ARITH, CF, LazyOp, OF, PF, SF, ZF } from "../cpu/flags.js";
import { EFLAGS } from "../cpu/layout.js";
import type { HandlerFactory } from "./registry.js";

const EFLAGS_I = EFLAGS >> 2;
const SZPO = SF | ZF | PF | OF;

/** SF ZF PF OF lazy from the add or subtract `op` of (a, b) → r; CF and AF stored as given. */
function adjustFlags(c: Cpu, op: LazyOp, a: number, b: number, r: number, size: number, cfAf: number): void {
  c.setLazy(op, a, b, r, size, SZPO);
  const i = c.i32;
  i[EFLAGS_I] = (i[EFLAGS_I] & ~(CF | AF)) | cfAf;
}

function daa(c: Cpu): void {
  const old = c.reg8(0);
  let al = old;
  let cfAf = 0;
  if ((old & 0x0f) > 9 || c.getAF()) {
    al += 6;
    cfAf = AF;
  }
  // A carry out of AL + 6 needs AL >= 0xFA, which the second adjustment covers.
  if (old > 0x99 || c.getCF()) {
    al += 0x60;
    cfAf |= CF;
  }
  al &= 0xff;
  adjustFlags(c, LazyOp.ADD, old, (al - old) & 0xff, al, 8, cfAf);
  c.setReg8(0, al);
}

function das(c: Cpu): void {
  const old = c.reg8(0);
  let al = old;
  let cfAf = 0;
  if ((old & 0x0f) > 9 || c.getAF()) {
    al -= 6;
    cfAf = old < 6 ? AF | CF : AF;
  }
  if (old > 0x99 || c.getCF()) {
    al -= 0x60;
    cfAf |= CF;
  }
  al &= 0xff;
  adjustFlags(c, LazyOp.SUB, old, (old - al) & 0xff, al, 8, cfAf);
  c.setReg8(0, al);
}

/** AAA / AAS: `op` is the 16-bit add or subtract of 0x106 applied to AX when adjusting. */
function asciiAdjust(op: LazyOp, sign: number): (c: Cpu) => void {
  return (c) => {
    const ax = c.reg16(0);
    const adjust = (ax & 0x0f) > 9 || c.getAF();
    const b = adjust ? 0x106 : 0;
    const r = (ax + sign * b) & 0xffff;
    adjustFlags(c, op, ax, b, r, 16, adjust ? AF | CF : 0);
    c.setReg16(0, r & 0xff0f);
  };
}

export const handlers: Record<string, HandlerFactory> = {
  daa: () => daa,
  das: () => das,
  aaa: () => asciiAdjust(LazyOp.ADD, 1),
  aas: () => asciiAdjust(LazyOp.SUB, -1),
  aam: () => (c, i) => {
    const base = i.imm & 0xff;
    if (base === 0) c.raise(Vector.DE);
    const al = c.reg8(0);
    const r = al % base;
    c.setReg16(0, (Math.floor(al / base) << 8) | r);
    c.setLazy(LazyOp.LOGIC, 0, 0, r, 8, ARITH);
  },
  aad: () => (c, i) => {
    const al = c.reg8(0);
    const b = (c.reg8(4) * (i.imm & 0xff)) & 0xff;
    const r = (al + b) & 0xff;
    c.setLazy(LazyOp.ADD, al, b, r, 8, ARITH);
    c.setReg16(0, r);
  },
};
