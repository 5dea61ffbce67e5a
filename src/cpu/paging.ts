/**
 * 32-bit paging (SDM Vol. 3 ch. 4): the two-level walk, 4 MiB pages (CR4.PSE),
 * global pages (CR4.PGE), accessed/dirty bits, #PF, and the software TLB whose
 * entry format layout.ts documents. Cpu.translate does the TLB lookup and calls
 * translateSlow on a miss or when the entry does not grant the access.
 */
import type { Cpu } from "./cpu.js";
import { Vector } from "./exceptions.js";
import * as L from "./layout.js";

const ENTRIES_I = L.TLB_ENTRIES >> 2;
const COUNT_I = L.TLB_COUNT >> 2;
const LIST_I = L.TLB_LIST >> 2;

/** Page-directory and page-table entry bits. */
const PTE_P = 0x001;
const PTE_RW = 0x002;
const PTE_US = 0x004;
const PTE_A = 0x020;
const PTE_D = 0x040;
const PDE_PS = 0x080;
const PTE_G = 0x100;
/** Bits 21..12 of a 4 MiB PDE: reserved on a Pentium Pro (no PAT, no PSE-36). */
const PDE_4M_RESERVED = 0x003ff000;

const CR0_WP = 0x10000;
const CR4_PSE = 0x10;
const CR4_PGE = 0x80;

/** #PF error code bits. */
export const PF_P = 1;
export const PF_W = 2;
export const PF_U = 4;
export const PF_RSVD = 8;

/** TLB entry bits an access needs (layout.ts), by kind of access. */
export const NEED_SUPER_READ = L.TLB_P;
export const NEED_USER_READ = L.TLB_P | L.TLB_US;
/** Supervisor write with CR0.WP = 0: read-only pages are writable. */
export const NEED_SUPER_WRITE = L.TLB_P | L.TLB_D;
export const NEED_SUPER_WRITE_WP = L.TLB_P | L.TLB_D | L.TLB_RW;
export const NEED_USER_WRITE = L.TLB_P | L.TLB_D | L.TLB_RW | L.TLB_US;

/**
 * Set on an entry while one flushTlb pass keeps it, so a page listed twice
 * (INVLPG'd, then refilled) is kept once. Never set outside flushTlb.
 */
const KEPT = 0x800;

function pageFault(c: Cpu, la: number, code: number, write: boolean, user: boolean): never {
  c.cr2 = la;
  return c.raise(Vector.PF, code | (write ? PF_W : 0) | (user ? PF_U : 0));
}

/** U/S and R/W already combined from both levels; CR0.WP governs supervisor writes. */
function allowed(c: Cpu, perm: number, write: boolean, user: boolean): boolean {
  if (user) return (perm & PTE_US) !== 0 && (!write || (perm & PTE_RW) !== 0);
  return !write || (perm & PTE_RW) !== 0 || (c.cr0 & CR0_WP) === 0;
}

/**
 * Walk the page tables for `la`, check the access, set the accessed bits (and the
 * dirty bit for a write) through the physical write path, cache the translation
 * and return the physical address. A faulting access changes no guest entry.
 */
export function translateSlow(c: Cpu, la: number, write: boolean, user: boolean): number {
  const a20 = c.a20Mask;
  const cr4 = c.cr4;
  const pdeAddr = ((c.cr3 & ~0xfff) | ((la >>> 20) & 0xffc)) & a20;
  const pde = c.readPhys32(pdeAddr);
  if (!(pde & PTE_P)) pageFault(c, la, 0, write, user);
  let frame: number;
  let bits: number;
  if (pde & PDE_PS && cr4 & CR4_PSE) {
    if (pde & PDE_4M_RESERVED) pageFault(c, la, PF_P | PF_RSVD, write, user);
    if (!allowed(c, pde, write, user)) pageFault(c, la, PF_P, write, user);
    const updated = pde | PTE_A | (write ? PTE_D : 0);
    if (updated !== pde) c.writePhys32(pdeAddr, updated);
    frame = (pde & 0xffc00000) | (la & 0x003ff000);
    bits = (pde & (PTE_RW | PTE_US)) | (updated & PTE_D) | L.TLB_PS | (pde & PTE_G && cr4 & CR4_PGE ? L.TLB_G : 0);
  } else {
    const pteAddr = ((pde & ~0xfff) | ((la >>> 10) & 0xffc)) & a20;
    const pte = c.readPhys32(pteAddr);
    if (!(pte & PTE_P)) pageFault(c, la, 0, write, user);
    const perm = pde & pte & (PTE_RW | PTE_US);
    if (!allowed(c, perm, write, user)) pageFault(c, la, PF_P, write, user);
    if (!(pde & PTE_A)) c.writePhys32(pdeAddr, pde | PTE_A);
    const updated = pte | PTE_A | (write ? PTE_D : 0);
    if (updated !== pte) c.writePhys32(pteAddr, updated);
    frame = pte & ~0xfff;
    bits = perm | (updated & PTE_D) | (pte & PTE_G && cr4 & CR4_PGE ? L.TLB_G : 0);
  }
  frame &= a20;
  const entry = frame | bits | L.TLB_P | (c.isRam(frame >>> 0, 0x1000) ? L.TLB_RAM : 0);
  const i = c.i32;
  const page = la >>> 12;
  if (i[ENTRIES_I + page] === 0) {
    let n = i[COUNT_I];
    if (n === L.TLB_LIST_CAPACITY) {
      // Only ghosts of INVLPG'd pages can fill the list; dropping every entry is always allowed.
      flushTlb(c, true);
      n = 0;
    }
    i[LIST_I + n] = page;
    i[COUNT_I] = n + 1;
  }
  i[ENTRIES_I + page] = entry;
  if (bits & L.TLB_PS) c.u8[L.TLB_LARGE + (la >>> 22)] = 1;
  return frame | (la & 0xfff);
}

/**
 * The physical address `la` maps to (unsigned), or -1 when it is not mapped, found from
 * the page tables in RAM without checking rights, setting accessed bits,
 * filling the TLB or faulting: what a debugger reads the guest's memory through.
 */
export function peekTranslate(c: Cpu, la: number): number {
  const a20 = c.a20Mask;
  if (c.cr0 >= 0) return (la & a20) >>> 0;
  const entry = (addr: number): number => (addr >>> 0 <= c.ramBytes - 4 ? c.readPhys32(addr) : 0);
  const pde = entry(((c.cr3 & ~0xfff) | ((la >>> 20) & 0xffc)) & a20);
  if (!(pde & PTE_P)) return -1;
  if (pde & PDE_PS && c.cr4 & CR4_PSE) return (((pde & 0xffc00000) | (la & 0x003fffff)) & a20) >>> 0;
  const pte = entry(((pde & ~0xfff) | ((la >>> 10) & 0xffc)) & a20);
  if (!(pte & PTE_P)) return -1;
  return (((pte & ~0xfff) | (la & 0xfff)) & a20) >>> 0;
}

/**
 * Drop cached translations: all of them, or all but the global ones (a CR3 load).
 * Costs one pass over the pages filled since the last flush.
 */
export function flushTlb(c: Cpu, includeGlobal: boolean): void {
  c.tlbEpoch++;
  const i = c.i32;
  const n = i[COUNT_I];
  c.u8.fill(0, L.TLB_LARGE, L.TLB_LARGE + 0x400);
  let kept = 0;
  for (let k = 0; k < n; k++) {
    const page = i[LIST_I + k];
    const e = i[ENTRIES_I + page];
    if (e & KEPT) continue;
    if (!includeGlobal && e & L.TLB_G) {
      i[ENTRIES_I + page] = e | KEPT;
      i[LIST_I + kept++] = page;
    } else {
      i[ENTRIES_I + page] = 0;
    }
  }
  for (let k = 0; k < kept; k++) {
    const page = i[LIST_I + k];
    const e = i[ENTRIES_I + page] & ~KEPT;
    i[ENTRIES_I + page] = e;
    if (e & L.TLB_PS) c.u8[L.TLB_LARGE + (page >>> 10)] = 1;
  }
  i[COUNT_I] = kept;
}

/**
 * INVLPG: drop the translation of the page holding `la`, global or not. When a
 * 4 MiB page may be cached around it, all 1024 entries of that 4 MiB go.
 */
export function invalidatePage(c: Cpu, la: number): void {
  c.tlbEpoch++;
  const region = la >>> 22;
  if (c.u8[L.TLB_LARGE + region]) {
    const first = ENTRIES_I + (region << 10);
    c.i32.fill(0, first, first + 1024);
    c.u8[L.TLB_LARGE + region] = 0;
  } else {
    c.i32[ENTRIES_I + (la >>> 12)] = 0;
  }
}

/**
 * Gate A20. TLB entries hold frames with the mask applied, so a change drops them
 * all; change Cpu.a20Mask only through here while paging may be on.
 */
export function setA20(c: Cpu, enabled: boolean): void {
  const mask = enabled ? -1 : ~0x100000;
  if (mask === c.a20Mask) return;
  c.a20Mask = mask;
  flushTlb(c, true);
}
