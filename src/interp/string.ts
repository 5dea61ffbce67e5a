/**
 * MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE.
 *
 * The source is seg:eSI (DS or the override), the destination always ES:eDI; the
 * address size picks SI/DI/CX or ESI/EDI/ECX, and 16-bit indexes wrap at 64 KiB.
 * Each iteration does its memory and port accesses before it moves the index
 * registers, and a REP loop commits the count after every iteration, so a fault
 * leaves the registers describing exactly the iterations that completed. REP
 * MOVS STOS LODS CMPS SCAS take runs of iterations at once where stringbulk.ts
 * shows that equivalent; port I/O always goes element by element.
 */
import type { Cpu } from "../cpu/cpu.js";
import { ARITH, DF, LazyOp } from "../cpu/flags.js";
import { checkIoPermission } from "../cpu/ioperm.js";
import { Reg, Sreg } from "../cpu/layout.js";
import type { Insn } from "../decode/insn.js";
import type { OpRow } from "../isa/row.js";
import { type Handler, sizeOf } from "./operands.js";
import type { HandlerFactory } from "./registry.js";
import { type Bulk, cmpsBulk, lodsBulk, movsBulk, scasBulk, stosBulk } from "./stringbulk.js";

/** One iteration; `delta` is the signed element size by DF. */
type Step = (c: Cpu, i: Insn, sz: number, delta: number) => void;

function index(c: Cpu, r: number, a32: boolean): number {
  return a32 ? c.i32[r] : c.u16[r << 1];
}

/** The 16-bit form wraps through the Uint16Array store and keeps the high word. */
function advance(c: Cpu, r: number, a32: boolean, delta: number): void {
  if (a32) c.i32[r] = (c.i32[r] + delta) | 0;
  else c.u16[r << 1] = c.u16[r << 1] + delta;
}

function compare(c: Cpu, a: number, b: number, sz: number): void {
  c.setLazy(LazyOp.SUB, a, b, (a - b) | 0, sz, ARITH);
}

function portIn(c: Cpu, port: number, sz: number): number {
  return sz === 8 ? c.ports.in8(port) : sz === 16 ? c.ports.in16(port) : c.ports.in32(port);
}

function portOut(c: Cpu, port: number, sz: number, v: number): void {
  if (sz === 8) c.ports.out8(port, v & 0xff);
  else if (sz === 16) c.ports.out16(port, v & 0xffff);
  else c.ports.out32(port, v);
}

const movs: Step = (c, i, sz, delta) => {
  const a32 = i.a32;
  const v = c.read(i.seg, index(c, Reg.ESI, a32), sz);
  c.write(Sreg.ES, index(c, Reg.EDI, a32), sz, v);
  advance(c, Reg.ESI, a32, delta);
  advance(c, Reg.EDI, a32, delta);
};

/** Flags of [seg:eSI] - [ES:eDI]. */
const cmps: Step = (c, i, sz, delta) => {
  const a32 = i.a32;
  const a = c.read(i.seg, index(c, Reg.ESI, a32), sz);
  const b = c.read(Sreg.ES, index(c, Reg.EDI, a32), sz);
  compare(c, a, b, sz);
  advance(c, Reg.ESI, a32, delta);
  advance(c, Reg.EDI, a32, delta);
};

const stos: Step = (c, i, sz, delta) => {
  const a32 = i.a32;
  c.write(Sreg.ES, index(c, Reg.EDI, a32), sz, c.reg(Reg.EAX, sz));
  advance(c, Reg.EDI, a32, delta);
};

const lods: Step = (c, i, sz, delta) => {
  const a32 = i.a32;
  c.setReg(Reg.EAX, sz, c.read(i.seg, index(c, Reg.ESI, a32), sz));
  advance(c, Reg.ESI, a32, delta);
};

/** Flags of eAX - [ES:eDI]. */
const scas: Step = (c, i, sz, delta) => {
  const a32 = i.a32;
  const b = c.read(Sreg.ES, index(c, Reg.EDI, a32), sz);
  compare(c, c.reg(Reg.EAX, sz), b, sz);
  advance(c, Reg.EDI, a32, delta);
};

/** The port is read only once the destination is known to be writable: a port read can have side effects. */
const ins: Step = (c, i, sz, delta) => {
  const a32 = i.a32;
  const n = sz >> 3;
  const port = c.reg16(Reg.EDX);
  checkIoPermission(c, port, n);
  const la = c.linear(Sreg.ES, index(c, Reg.EDI, a32), n, true);
  c.probeWrite(la, n);
  c.writeLin(la, sz, portIn(c, port, sz));
  advance(c, Reg.EDI, a32, delta);
};

const outs: Step = (c, i, sz, delta) => {
  const a32 = i.a32;
  const port = c.reg16(Reg.EDX);
  checkIoPermission(c, port, sz >> 3);
  portOut(c, port, sz, c.read(i.seg, index(c, Reg.ESI, a32), sz));
  advance(c, Reg.ESI, a32, delta);
};

/**
 * Without REP one iteration. With REP, iterations while eCX is non-zero (and, for
 * CMPS/SCAS, while ZF matches REPE/REPNE). The interpreter retires the instruction
 * once; the loop adds the other iterations to the count. After c.repBudget extra
 * iterations the loop yields with EIP still on the instruction, which resumes it.
 * Each element step may be followed by a bulk run of further iterations, never
 * past the count, the budget or an iteration that ends the loop on ZF.
 */
function repeated(row: OpRow, step: Step, bulk: Bulk | undefined, testsZF: boolean): Handler {
  const element = row.operands.find((o) => o[0] === "X" || o[0] === "Y");
  if (!element) throw new Error(`string row ${row.mnemonic} has no X/Y operand`);
  const size = sizeOf(element);
  return (c, i) => {
    const sz = size(i);
    const n = sz >> 3;
    const delta = c.eflagsRaw & DF ? -n : n;
    if (i.rep === 0) {
      step(c, i, sz, delta);
      return;
    }
    const a32 = i.a32;
    let count = a32 ? c.i32[Reg.ECX] >>> 0 : c.u16[Reg.ECX << 1];
    if (count === 0) return;
    const whileZF = i.rep === 1;
    let done = 0;
    try {
      for (;;) {
        step(c, i, sz, delta);
        let k = 1;
        if (bulk !== undefined) {
          const room = Math.min(count, c.repBudget + 1 - done) - 1;
          if (room > 0 && !(testsZF && c.getZF() !== whileZF)) k += bulk(c, i, sz, delta, room);
        }
        count -= k;
        if (a32) c.i32[Reg.ECX] = count;
        else c.u16[Reg.ECX << 1] = count;
        done += k;
        if (count === 0) break;
        if (testsZF && c.getZF() !== whileZF) break;
        if (done > c.repBudget) {
          c.eip = (c.eip - i.len) | 0;
          break;
        }
      }
    } catch (e) {
      // The iterations before the fault have retired.
      c.icount += done;
      throw e;
    }
    c.icount += done - 1;
  };
}

export const handlers: Record<string, HandlerFactory> = {
  movs: (row) => repeated(row, movs, movsBulk, false),
  cmps: (row) => repeated(row, cmps, cmpsBulk, true),
  stos: (row) => repeated(row, stos, stosBulk, false),
  lods: (row) => repeated(row, lods, lodsBulk, false),
  scas: (row) => repeated(row, scas, scasBulk, true),
  ins: (row) => repeated(row, ins, undefined, false),
  outs: (row) => repeated(row, outs, undefined, false),
};
