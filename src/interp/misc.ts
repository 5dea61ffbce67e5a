/** NOP, the undefined and over-long encodings, INVD/WBINVD, RDTSC, CPUID. */
import type { Cpu } from "../cpu/cpu.js";
import { readMsr, readTsc } from "../cpu/msr.js";
import { Reg } from "../cpu/layout.js";
import type { HandlerFactory } from "./registry.js";

const CR4_TSD = 1 << 2;
const CR4_PCE = 1 << 8;
/** PERFCTR0; PERFCTR1 follows. */
const MSR_PERFCTR0 = 0xc1;
const TWO_32 = 0x100000000;

/** Highest basic CPUID leaf of a Pentium Pro. */
const MAX_LEAF = 2;
/** CPUID.01H:EAX: family 6, model 1, stepping 9. */
export const CPU_SIGNATURE = 0x619;
/** CPUID.01H:EDX without the APIC bit: FPU PSE TSC MSR CX8 MTRR PGE CMOV. */
export const CPU_FEATURES = (1 << 0) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15);
/** EAX EBX ECX EDX per leaf. */
const CPUID: readonly (readonly [number, number, number, number])[] = [
  // "GenuineIntel" in EBX, EDX, ECX order.
  [MAX_LEAF, 0x756e6547, 0x6c65746e, 0x49656e69],
  [CPU_SIGNATURE, 0, 0, CPU_FEATURES],
  // One call; descriptors 01 02 03 (TLBs), 42 (256 KiB L2), 0A (8 KiB L1 data), 04 (4 MiB data TLB), 06 (8 KiB L1 code).
  [0x03020101, 0, 0, 0x06040a42],
];

/** TSC = virtual time in instruction slots (msr.ts); #GP(0) outside CPL 0 when CR4.TSD restricts it. */
function rdtsc(c: Cpu): void {
  if ((c.cr4 & CR4_TSD) !== 0 && c.cpl > 0) c.raiseGP(0);
  const t = readTsc(c);
  c.setReg32(Reg.EAX, t % TWO_32 | 0);
  c.setReg32(Reg.EDX, Math.floor(t / TWO_32) | 0);
}

/** A 64-bit counter's halves, read and returned within one instruction (ARCHITECTURE.md "Module-level scratch"). */
const counter = new Int32Array(2);

/**
 * RDPMC: the 40-bit performance counter ECX (0 or 1) in EDX:EAX. Outside CPL 0
 * only with CR4.PCE; any other counter number is #GP(0).
 */
function rdpmc(c: Cpu): void {
  if ((c.cr4 & CR4_PCE) === 0 && c.cpl > 0) c.raiseGP(0);
  const n = c.reg32(Reg.ECX) >>> 0;
  if (n > 1 || !readMsr(c, MSR_PERFCTR0 + n, counter)) c.raiseGP(0);
  c.setReg32(Reg.EAX, counter[0]);
  c.setReg32(Reg.EDX, counter[1] & 0xff);
}

/** CPUID.01H:EDX.APIC: an on-chip local APIC, reported while IA32_APIC_BASE.EN is set. */
export const EDX_APIC = 1 << 9;

/**
 * Leaves above the maximum answer as the highest basic leaf does, as on Intel CPUs.
 * Leaf 1's EBX[31:24], the initial APIC ID, is 0: this machine's one processor.
 */
function cpuid(c: Cpu): void {
  const leaf = c.reg32(Reg.EAX) >>> 0;
  const k = leaf > MAX_LEAF ? MAX_LEAF : leaf;
  const r = CPUID[k];
  c.setReg32(Reg.EAX, r[0]);
  c.setReg32(Reg.EBX, r[1]);
  c.setReg32(Reg.ECX, r[2]);
  c.setReg32(Reg.EDX, k === 1 && c.localApic?.enabled ? r[3] | EDX_APIC : r[3]);
}

export const handlers: Record<string, HandlerFactory> = {
  nop: () => () => {},
  ud: () => (c) => c.raiseUD(),
  toolong: () => (c) => c.raiseGP(0),
  // Caches are not modelled; the registry has already checked CPL 0.
  invd: () => () => {},
  rdtsc: () => rdtsc,
  rdpmc: () => rdpmc,
  cpuid: () => cpuid,
};
