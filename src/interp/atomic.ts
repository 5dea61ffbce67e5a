/**
 * CMPXCHG, XADD, CMPXCHG8B. Guests run on one thread, so LOCK needs nothing beyond
 * doing every check before the first write.
 *
 * A memory destination of CMPXCHG / CMPXCHG8B is written whether or not the
 * comparison succeeds (with its own value when it fails), as the processor does:
 * so a read-only destination faults either way.
 */
import type { Cpu } from "../cpu/cpu.js";
import { ZF } from "../cpu/flags.js";
import type { Insn } from "../decode/insn.js";
import type { OpRow } from "../isa/row.js";
import { add, sub } from "./alu.js";
import { eaOffset, type Handler, rmwLinear, sizeOf } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

function cmpxchg(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  return (c, i) => {
    const sz = size(i);
    const acc = c.reg(0, sz);
    const src = c.reg(i.reg, sz);
    if (i.mod === 3) {
      const dest = c.reg(i.rm, sz);
      sub(c, acc, dest, sz);
      if (acc === dest) c.setReg(i.rm, sz, src);
      else c.setReg(0, sz, dest);
      return;
    }
    const la = rmwLinear(c, i, sz);
    const dest = c.readLin(la, sz);
    const equal = acc === dest;
    c.writeLin(la, sz, equal ? src : dest);
    sub(c, acc, dest, sz);
    if (!equal) c.setReg(0, sz, dest);
  };
}

/** TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so XADD r, r ends with the sum). */
function xadd(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  return (c, i) => {
    const sz = size(i);
    const src = c.reg(i.reg, sz);
    if (i.mod === 3) {
      const dest = c.reg(i.rm, sz);
      const sum = add(c, dest, src, sz);
      c.setReg(i.reg, sz, dest);
      c.setReg(i.rm, sz, sum);
      return;
    }
    const la = rmwLinear(c, i, sz);
    const dest = c.readLin(la, sz);
    const sum = add(c, dest, src, sz);
    c.writeLin(la, sz, sum);
    c.setReg(i.reg, sz, dest);
  };
}

/** EDX:EAX against m64: equal → m64 = ECX:EBX, ZF = 1; else EDX:EAX = m64, ZF = 0. */
function cmpxchg8b(c: Cpu, i: Insn): void {
  const la = c.linear(i.seg, eaOffset(c, i), 8, true);
  c.probeWrite(la, 8);
  const lo = c.readLin32(la);
  const hi = c.readLin32((la + 4) | 0);
  const equal = lo === c.reg32(0) && hi === c.reg32(2);
  if (equal) {
    c.writeLin32(la, c.reg32(3));
    c.writeLin32((la + 4) | 0, c.reg32(1));
  } else {
    c.writeLin32(la, lo);
    c.writeLin32((la + 4) | 0, hi);
    c.setReg32(0, lo);
    c.setReg32(2, hi);
  }
  c.setFlags(ZF, equal);
}

export const handlers: Record<string, HandlerFactory> = {
  cmpxchg,
  xadd,
  cmpxchg8b: () => cmpxchg8b,
};
