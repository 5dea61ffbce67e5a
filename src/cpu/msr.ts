/**
 * Model-specific registers of a Pentium Pro (SDM Vol. 4, P6 family table), without
 * the SYSENTER MSRs and the machine-check banks, which this machine does not have.
 * Values live in the state block at MSR_BASE so both engines see them; the
 * time-stamp counter is the retired-instruction count plus an offset;
 * IA32_APIC_BASE belongs to the local APIC (Cpu.localApic), when there is one.
 */
import type { Cpu } from "./cpu.js";
import { ICOUNT, IDLE_SLOTS, MSR_BASE, TSC_OFFSET } from "./layout.js";

export const MSR_TSC = 0x10;
export const MSR_APIC_BASE = 0x1b;

const TWO_32 = 0x100000000;

const enum Access {
  /** Reads and writes store the value. */
  RW,
  /** Reads give the reset value; WRMSR is #GP(0). */
  RO,
  /** Writes are accepted and have no effect; reads give 0 (BIOS_UPDT_TRIG). */
  WO,
}

interface MsrDef {
  readonly index: number;
  readonly access: Access;
  /** Value after reset, low and high dword. */
  readonly lo: number;
  readonly hi: number;
}

const rw = (index: number): MsrDef => ({ index, access: Access.RW, lo: 0, hi: 0 });
const ro = (index: number, lo = 0): MsrDef => ({ index, access: Access.RO, lo, hi: 0 });

/** MTRRcap: 8 variable ranges, fixed ranges, write-combining. */
const MTRR_CAP = 0x508;

const DEFS: readonly MsrDef[] = [
  rw(0x00), // P5_MC_ADDR
  rw(0x01), // P5_MC_TYPE
  ro(0x17), // IA32_PLATFORM_ID
  rw(0x2a), // EBL_CR_POWERON
  { index: 0x79, access: Access.WO, lo: 0, hi: 0 }, // BIOS_UPDT_TRIG
  rw(0x88), // BBL_CR_D0..D2
  rw(0x89),
  rw(0x8a),
  rw(0x8b), // BIOS_SIGN
  rw(0xc1), // PERFCTR0, PERFCTR1
  rw(0xc2),
  ro(0xfe, MTRR_CAP),
  ro(0x179), // MCG_CAP: no banks
  rw(0x17a), // MCG_STATUS
  rw(0x186), // EVNTSEL0, EVNTSEL1
  rw(0x187),
  rw(0x1d9), // DEBUGCTLMSR
  ro(0x1db), // LASTBRANCHFROMIP, LASTBRANCHTOIP, LASTINTFROMIP, LASTINTTOIP
  ro(0x1dc),
  ro(0x1dd),
  ro(0x1de),
  ...Array.from({ length: 16 }, (_, k) => rw(0x200 + k)), // MTRRphysBase/Mask 0..7
  rw(0x250), // MTRRfix64K_00000
  rw(0x258), // MTRRfix16K_80000, _A0000
  rw(0x259),
  ...Array.from({ length: 8 }, (_, k) => rw(0x268 + k)), // MTRRfix4K_C0000.._F8000
  rw(0x2ff), // MTRRdefType
];

/** MSR index → slot. */
const SLOT = new Map<number, number>(DEFS.map((d, k) => [d.index, k]));
/** Slot k's lo/hi words, after TSC_OFFSET; Cpu.reset zeroes them, the reset value of every writable MSR. */
const SLOT_I = (MSR_BASE + 8) >> 2;

/** The time-stamp counter (exact below 2^53). */
/** The TSC counts virtual time (retired instructions plus slots skipped while halted), so it keeps running in HLT. */
export function readTsc(c: Cpu): number {
  return c.f64[ICOUNT >> 3] + c.f64[IDLE_SLOTS >> 3] + c.f64[TSC_OFFSET >> 3];
}

export function writeTsc(c: Cpu, value: number): void {
  c.f64[TSC_OFFSET >> 3] = value - c.f64[ICOUNT >> 3] - c.f64[IDLE_SLOTS >> 3];
}

/** RDMSR: the value of MSR `index` as [lo, hi] in `out`; false when the MSR does not exist. */
export function readMsr(c: Cpu, index: number, out: Int32Array): boolean {
  if (index === MSR_TSC) {
    const t = readTsc(c);
    out[0] = t % TWO_32 | 0;
    out[1] = Math.floor(t / TWO_32) | 0;
    return true;
  }
  if (index === MSR_APIC_BASE) {
    const apic = c.localApic;
    if (!apic) return false;
    out[0] = apic.baseLo;
    out[1] = apic.baseHi;
    return true;
  }
  const k = SLOT.get(index);
  if (k === undefined) return false;
  if (DEFS[k].access === Access.WO) {
    out[0] = 0;
    out[1] = 0;
    return true;
  }
  if (DEFS[k].access === Access.RO) {
    out[0] = DEFS[k].lo;
    out[1] = DEFS[k].hi;
    return true;
  }
  out[0] = c.i32[SLOT_I + 2 * k];
  out[1] = c.i32[SLOT_I + 2 * k + 1];
  return true;
}

/** WRMSR: false when the MSR does not exist or cannot be written (#GP(0)). */
export function writeMsr(c: Cpu, index: number, lo: number, hi: number): boolean {
  if (index === MSR_TSC) {
    writeTsc(c, (hi >>> 0) * TWO_32 + (lo >>> 0));
    return true;
  }
  if (index === MSR_APIC_BASE) return c.localApic?.writeBase(lo, hi) ?? false;
  const k = SLOT.get(index);
  if (k === undefined || DEFS[k].access === Access.RO) return false;
  if (DEFS[k].access === Access.WO) return true;
  c.i32[SLOT_I + 2 * k] = lo;
  c.i32[SLOT_I + 2 * k + 1] = hi;
  return true;
}
