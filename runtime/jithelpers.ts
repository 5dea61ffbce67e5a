/**
 * The JavaScript functions compiled code imports (jit/emit/names.ts). Each does
 * what the interpreter does for the same access, faults included.
 *
 * exec and raise are called with the state synced (registers, flags, EIP, the
 * count): a FAULT they throw unwinds through Wasm leaving the interpreter's
 * state. The memory slow paths are called without syncing: they set EIP and the
 * count themselves from their arguments, catch a fault and report it with
 * STATUS_FAULT, and compiled code then writes back its registers and returns.
 * A helper that touched a device or hit translated code sets STATUS_EXIT so the
 * region returns to the dispatcher at the next instruction boundary.
 */
import type { Cpu } from "../src/cpu/cpu.js";
import * as L from "../src/cpu/layout.js";
import type { Insn } from "../src/decode/insn.js";
import { FAULT } from "../src/cpu/exceptions.js";
import { HANDLERS } from "../src/interp/registry.js";
import { JIT_STATUS, STATUS_EXIT, STATUS_FAULT } from "../jit/layout.js";
import type { JitStats } from "./jitstats.js";

const STATUS_I = JIT_STATUS >> 2;
const TLB_I = L.TLB_ENTRIES >> 2;
const CR0_I = L.CR_BASE >> 2;

export type HelperImports = Record<string, (...args: number[]) => number | void>;

/** Imports for one module, whose generic-helper ids index `insns`. */
export function helperImports(c: Cpu, insns: readonly Insn[], stats: JitStats): HelperImports {
  const i32 = c.i32;
  /** After an access at linear `la`: request an exit when a byte went to MMIO rather than RAM. */
  const checkDevice = (la: number, bytes: number) => {
    if (!inRam(la) || !inRam((la + bytes - 1) | 0)) i32[STATUS_I] |= STATUS_EXIT;
  };
  /** Where the instruction is: what the interpreter would show a device or leave after a fault. */
  const at = (eip: number, icount: number) => {
    stats.slowPathCalls++;
    c.eip = eip;
    c.icount = icount;
  };
  const faulted = (e: unknown): number => {
    if (e !== FAULT) throw e;
    i32[STATUS_I] |= STATUS_FAULT;
    return 0;
  };
  const inRam = (la: number): boolean => {
    if (i32[CR0_I] < 0) return (i32[TLB_I + (la >>> 12)] & L.TLB_RAM) !== 0;
    return (la & c.a20Mask) >>> 0 < c.ramBytes;
  };
  return {
    exec(id: number): number {
      const insn = insns[id];
      const start = c.eip;
      c.eip = (start + insn.len) | 0;
      try {
        HANDLERS[insn.row](c, insn);
      } catch (e) {
        c.eip = start;
        throw e;
      }
      stats.helperCalls++;
      return i32[STATUS_I];
    },
    raise(vector: number, code: number): void {
      c.raise(vector, code);
    },
    read(seg: number, off: number, bits: number, eip: number, icount: number): number {
      at(eip, icount);
      try {
        const la = c.linear(seg, off, bits >> 3, false);
        const v = c.readLin(la, bits);
        checkDevice(la, bits >> 3);
        return v;
      } catch (e) {
        return faulted(e);
      }
    },
    write(seg: number, off: number, bits: number, v: number, eip: number, icount: number): void {
      at(eip, icount);
      try {
        const la = c.linear(seg, off, bits >> 3, true);
        c.writeLin(la, bits, v);
        checkDevice(la, bits >> 3);
      } catch (e) {
        faulted(e);
      }
    },
    rmwLinear(seg: number, off: number, bits: number, eip: number, icount: number): number {
      at(eip, icount);
      try {
        const la = c.linear(seg, off, bits >> 3, true);
        c.probeWrite(la, bits >> 3);
        return la;
      } catch (e) {
        return faulted(e);
      }
    },
    readLinear(la: number, bits: number): number {
      const v = c.readLin(la, bits);
      checkDevice(la, bits >> 3);
      return v;
    },
    writeLinear(la: number, bits: number, v: number): void {
      c.writeLin(la, bits, v);
      checkDevice(la, bits >> 3);
    },
  };
}
