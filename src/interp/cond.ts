/** Jcc, SETcc, CMOVcc: the condition is the low four bits of the opcode. */
import { Sreg } from "../cpu/layout.js";
import type { OpRow } from "../isa/row.js";
import { eaOffset, type Handler, readE } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

/**
 * Jcc rel8 / rel16/32. The target wraps to 16 bits with a 16-bit operand size; a
 * target beyond the CS limit faults here (#GP(0) on the jump, not on the fetch).
 */
function jcc(row: OpRow): Handler {
  const cc = row.op & 0x0f;
  return (c, i) => {
    if (!c.cond(cc)) return;
    const target = i.o32 ? (c.eip + i.imm) | 0 : (c.eip + i.imm) & 0xffff;
    if (target >>> 0 > c.segLimit(Sreg.CS) >>> 0) c.raiseGP(0);
    c.eip = target;
  };
}

function setcc(row: OpRow): Handler {
  const cc = row.op & 0x0f;
  return (c, i) => {
    const v = c.cond(cc) ? 1 : 0;
    if (i.mod === 3) c.setReg8(i.rm, v);
    else c.write8(i.seg, eaOffset(c, i), v);
  };
}

/** The source is read whatever the condition, so a bad memory operand faults either way. */
function cmovcc(row: OpRow): Handler {
  const cc = row.op & 0x0f;
  return (c, i) => {
    const sz = i.o32 ? 32 : 16;
    const v = readE(c, i, sz);
    if (c.cond(cc)) c.setReg(i.reg, sz, v);
  };
}

export const handlers: Record<string, HandlerFactory> = { jcc, setcc, cmovcc };
