/**
 * PUSH POP PUSHA POPA ENTER LEAVE. The stack pointer is SP or ESP by SS.B
 * (Cpu.sp / spOffset), the width of what moves by the operand size; every stack
 * access happens before any register changes.
 */
import type { Cpu } from "../cpu/cpu.js";
import { Reg, Sreg } from "../cpu/layout.js";
import type { OpRow } from "../isa/row.js";
import { eaOffset, type Handler, readE } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

function push(row: OpRow): Handler {
  switch (row.operands[0]) {
    case "Zv":
      // PUSH ESP pushes the value ESP had before the push: the register is read first.
      return (c, i) => {
        const sz = i.o32 ? 32 : 16;
        c.push(c.reg(i.reg, sz), sz);
      };
    case "Ev":
      return (c, i) => {
        const sz = i.o32 ? 32 : 16;
        c.push(readE(c, i, sz), sz);
      };
    default:
      // Iz and Ibs: the decoder already sign-extended Ibs; the write truncates to the operand size.
      return (c, i) => c.push(i.imm, i.o32 ? 32 : 16);
  }
}

function pop(row: OpRow): Handler {
  if (row.operands[0] === "Zv") {
    return (c, i) => {
      const sz = i.o32 ? 32 : 16;
      c.setReg(i.reg, sz, c.pop(sz));
    };
  }
  return (c, i) => {
    const sz = i.o32 ? 32 : 16;
    const v = c.read(Sreg.SS, c.spOffset(0), sz);
    const newSp = c.spOffset(sz >> 3);
    if (i.mod === 3) {
      c.sp = newSp;
      c.setReg(i.rm, sz, v);
      return;
    }
    // An ESP-based destination address is formed with ESP already incremented, but a
    // faulting write must leave ESP as it was: compute with the new value, then restore.
    const oldEsp = c.reg32(Reg.ESP);
    c.sp = newSp;
    const off = eaOffset(c, i);
    c.setReg32(Reg.ESP, oldEsp);
    c.write(i.seg, off, sz, v);
    c.sp = newSp;
  };
}

const pusha: HandlerFactory = () => (c, i) => {
  const sz = i.o32 ? 32 : 16;
  const n = sz >> 3;
  const sp = c.reg(Reg.ESP, sz);
  for (let r = Reg.EAX; r <= Reg.EDI; r++) {
    c.write(Sreg.SS, c.spOffset(-(r + 1) * n), sz, r === Reg.ESP ? sp : c.reg(r, sz));
  }
  c.sp = c.spOffset(-8 * n);
};

/** Slots read by POPA before any register is written (ARCHITECTURE.md "Module-level scratch"). */
const popped = new Int32Array(8);

const popa: HandlerFactory = () => (c, i) => {
  const sz = i.o32 ? 32 : 16;
  const n = sz >> 3;
  for (let k = 0; k < 8; k++) popped[k] = c.read(Sreg.SS, c.spOffset(k * n), sz);
  // Slot k holds register 7 - k (EDI first); the saved SP/ESP is discarded.
  for (let k = 0; k < 8; k++) if (k !== 7 - Reg.ESP) c.setReg(7 - k, sz, popped[k]);
  c.sp = c.spOffset(8 * n);
};

/** Wrap a stack offset to the stack-pointer size. */
function wrapSp(c: Cpu, off: number): number {
  return c.ss32 ? off | 0 : off & 0xffff;
}

/**
 * ENTER Iw,Ib (SDM Vol. 2 ENTER): the operand size sets the width of each push and
 * of the frame pointer written (BP keeps EBP's high word, as on the native CPU);
 * the stack size sets how SP/ESP and the copied frame pointers wrap.
 */
const enter: HandlerFactory = () => (c, i) => {
  const sz = i.o32 ? 32 : 16;
  const n = sz >> 3;
  const alloc = i.imm & 0xffff;
  const level = i.imm2 & 31;
  let off = c.spOffset(-n);
  c.write(Sreg.SS, off, sz, c.reg(Reg.EBP, sz));
  const frameTemp = i.o32 && !c.ss32 ? (c.reg32(Reg.ESP) & ~0xffff) | off : off;
  if (level > 0) {
    let bp = c.ss32 ? c.reg32(Reg.EBP) : c.reg16(Reg.EBP);
    for (let k = 1; k < level; k++) {
      bp = wrapSp(c, bp - n);
      const v = c.read(Sreg.SS, bp, sz);
      off = wrapSp(c, off - n);
      c.write(Sreg.SS, off, sz, v);
    }
    off = wrapSp(c, off - n);
    c.write(Sreg.SS, off, sz, frameTemp);
  }
  const top = wrapSp(c, off - alloc);
  // The new top of stack must be writable, though nothing is written there.
  c.probeWrite(c.linear(Sreg.SS, top, n, true), n);
  c.sp = top;
  c.setReg(Reg.EBP, sz, frameTemp);
};

const leave: HandlerFactory = () => (c, i) => {
  const sz = i.o32 ? 32 : 16;
  const top = c.ss32 ? c.reg32(Reg.EBP) : c.reg16(Reg.EBP);
  const v = c.read(Sreg.SS, top, sz);
  c.sp = wrapSp(c, top + (sz >> 3));
  c.setReg(Reg.EBP, sz, v);
};

export const handlers: Record<string, HandlerFactory> = {
  push,
  pop,
  pusha,
  popa,
  enter,
  leave,
};
