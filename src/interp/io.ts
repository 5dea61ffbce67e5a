/** IN and OUT: port from an 8-bit immediate or DX, permission checked before the bus is touched. */
import type { Cpu } from "../cpu/cpu.js";
import { checkIoPermission } from "../cpu/ioperm.js";
import { Reg } from "../cpu/layout.js";
import type { Insn } from "../decode/insn.js";
import type { OpRow } from "../isa/row.js";
import { type Handler, sizeOf } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

function portOf(code: string): (c: Cpu, i: Insn) => number {
  return code === "DX" ? (c) => c.reg16(Reg.EDX) : (_c, i) => i.imm & 0xff;
}

function input(row: OpRow): Handler {
  const size = sizeOf(row.operands[0]);
  const port = portOf(row.operands[1]);
  return (c, i) => {
    const sz = size(i);
    const p = port(c, i);
    checkIoPermission(c, p, sz >> 3);
    const v = sz === 8 ? c.ports.in8(p) : sz === 16 ? c.ports.in16(p) : c.ports.in32(p);
    c.setReg(Reg.EAX, sz, v);
  };
}

function output(row: OpRow): Handler {
  const port = portOf(row.operands[0]);
  const size = sizeOf(row.operands[1]);
  return (c, i) => {
    const sz = size(i);
    const p = port(c, i);
    checkIoPermission(c, p, sz >> 3);
    if (sz === 8) c.ports.out8(p, c.reg8(Reg.EAX));
    else if (sz === 16) c.ports.out16(p, c.reg16(Reg.EAX));
    else c.ports.out32(p, c.reg32(Reg.EAX));
  };
}

export const handlers: Record<string, HandlerFactory> = {
  in: input,
  out: output,
};
