/**
 * Segment-register instructions: PUSH/POP sreg, MOV to and from sreg, LDS LES
 * LFS LGS LSS. Every load goes through loadSegmentDescriptor; MOV SS and POP SS
 * open the interrupt shadow for the next instruction.
 */
import type { Cpu } from "../cpu/cpu.js";
import { INTERRUPT_SHADOW, Reg, Sreg } from "../cpu/layout.js";
import { loadSegmentDescriptor } from "../cpu/segmentation.js";
import { eaOffset, readE } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

const SREG_BY_NAME: Record<string, number> = { ES: Sreg.ES, CS: Sreg.CS, SS: Sreg.SS, DS: Sreg.DS, FS: Sreg.FS, GS: Sreg.GS };

function sregOf(name: string): number {
  const s = SREG_BY_NAME[name];
  if (s === undefined) throw new Error(`not a segment register operand: ${name}`);
  return s;
}

function openShadow(c: Cpu): void {
  c.i32[INTERRUPT_SHADOW >> 2] = 1;
}

/**
 * PUSH sreg. With a 32-bit operand size ESP moves by 4 but only the selector's
 * 16 bits are written, as Intel CPUs from the Pentium Pro on do.
 */
const push: HandlerFactory = (row) => {
  const s = sregOf(row.operands[0]);
  return (c, i) => {
    if (!i.o32) {
      c.push(c.segSel(s), 16);
      return;
    }
    const off = c.spOffset(-4);
    c.writeLin16(c.linear(Sreg.SS, off, 4, true), c.segSel(s));
    c.sp = off;
  };
};

/** POP sreg: ESP moves by the operand size of the stack popped from, even when SS itself changes. */
const pop: HandlerFactory = (row) => {
  const s = sregOf(row.operands[0]);
  return (c, i) => {
    const bytes = i.o32 ? 4 : 2;
    const sel = c.peek(0, bytes << 3) & 0xffff;
    const big = c.ss32;
    const next = c.spOffset(bytes);
    loadSegmentDescriptor(c, s, sel);
    if (big) c.setReg32(Reg.ESP, next);
    else c.setReg16(Reg.ESP, next);
    if (s === Sreg.SS) openShadow(c);
  };
};

/** MOV Sw,Ew: loading CS this way is #UD, as are the encodings of sregs 6 and 7. */
const movto: HandlerFactory = () => (c, i) => {
  const s = i.reg;
  if (s === Sreg.CS || s > Sreg.GS) c.raiseUD();
  loadSegmentDescriptor(c, s, readE(c, i, 16));
  if (s === Sreg.SS) openShadow(c);
};

/** MOV Ew,Sw: a 32-bit register destination gets the selector zero-extended; memory always 16 bits. */
const movfrom: HandlerFactory = () => (c, i) => {
  const s = i.reg;
  if (s > Sreg.GS) c.raiseUD();
  const sel = c.segSel(s);
  if (i.mod === 3) c.setReg(i.rm, i.o32 ? 32 : 16, sel);
  else c.write(i.seg, eaOffset(c, i), 16, sel);
};

/** LDS LES LFS LGS LSS Gz,Mp: offset then selector; the segment load may fault before the register changes. */
const lfp: HandlerFactory = (row) => {
  const s = row.map === 0 ? (row.op === 0xc4 ? Sreg.ES : Sreg.DS) : row.op === 0xb2 ? Sreg.SS : row.op === 0xb4 ? Sreg.FS : Sreg.GS;
  return (c, i) => {
    const size = i.o32 ? 32 : 16;
    const off = eaOffset(c, i);
    const offset = c.read(i.seg, off, size);
    const sel = c.read(i.seg, (off + (size >> 3)) | 0, 16);
    loadSegmentDescriptor(c, s, sel);
    c.setReg(i.reg, size, offset);
  };
};

export const handlers: Record<string, HandlerFactory> = { push, pop, movto, movfrom, lfp };
