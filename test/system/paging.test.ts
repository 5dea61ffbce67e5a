/**
 * Paging: page tables built in guest RAM, translation through Cpu.translate and
 * real instructions, #PF (CR2 and error code), A/D bits, the TLB and its flushes.
 */
import { describe, expect, it } from "vitest";
import { CR0_PE, CR0_PG, CR0_WP, Cpu } from "../../src/cpu/cpu.js";
import { CodeWriteStage } from "../../src/cpu/codewrites.js";
import { FAULT } from "../../src/cpu/exceptions.js";
import * as L from "../../src/cpu/layout.js";
import { flushTlb, invalidatePage, setA20 } from "../../src/cpu/paging.js";
import { Interpreter } from "../../src/interp/interpreter.js";

const P = 1;
const RW = 2;
const US = 4;
const A = 0x20;
const D = 0x40;
const PS = 0x80;
const G = 0x100;
const CR4_PSE = 0x10;
const CR4_PGE = 0x80;

/** Physical layout: page directory, page tables, code; all below 1 MiB. */
const PD = 0x1000;
const PT_FIRST = 0x2000;
const CODE = 0x8000;

class Machine {
  readonly cpu = new Cpu({ ramBytes: 8 << 20 });
  readonly interp = new Interpreter(this.cpu);
  private nextPt = PT_FIRST;

  constructor() {
    const c = this.cpu;
    for (let s = 0; s < 6; s++) c.setSegmentCache(s, s === L.Sreg.CS ? 0x08 : 0x10, 0, -1, s === L.Sreg.CS ? 0xc09b : 0xc093);
    c.cpl = 0;
    // Tests reuse CODE for different instructions: stale decodes must go.
    c.codeWrites.subscribe(CodeWriteStage.WATCH, (pa, size) => {
      this.interp.decodeCache.invalidateFrame(pa >>> 12);
      this.interp.decodeCache.invalidateFrame((pa + size - 1) >>> 12);
    });
    // Identity-map the first 64 KiB (tables and code), supervisor read/write.
    for (let pa = 0; pa < 0x10000; pa += 0x1000) this.map(pa, pa, P | RW);
    c.cr3 = PD;
    c.cr0 = c.cr0 | CR0_PE | CR0_PG;
  }

  pdeAddr(la: number): number {
    return PD + (la >>> 22) * 4;
  }

  /** Address of the PTE for `la`, creating a page table (P|RW|US in the PDE) if needed. */
  pteAddr(la: number, pdeFlags = P | RW | US): number {
    const c = this.cpu;
    let pde = c.readPhys32(this.pdeAddr(la));
    if (!(pde & P)) {
      pde = this.nextPt | pdeFlags;
      this.nextPt += 0x1000;
      c.writePhys32(this.pdeAddr(la), pde);
    }
    return (pde & ~0xfff) + ((la >>> 12) & 0x3ff) * 4;
  }

  map(la: number, pa: number, flags: number, pdeFlags = P | RW | US): void {
    this.cpu.writePhys32(this.pteAddr(la, pdeFlags), pa | flags);
  }

  pte(la: number): number {
    return this.cpu.readPhys32(this.pteAddr(la));
  }

  pde(la: number): number {
    return this.cpu.readPhys32(this.pdeAddr(la));
  }

  tlbEntry(la: number): number {
    return this.cpu.i32[(L.TLB_ENTRIES >> 2) + (la >>> 12)];
  }

  /** Run one instruction placed at CODE; returns the fault vector or -1. */
  exec(bytes: readonly number[]): number {
    const c = this.cpu;
    for (let k = 0; k < bytes.length; k++) c.writePhys8(CODE + k, bytes[k]);
    c.eip = CODE;
    try {
      this.interp.executeOne();
    } catch (e) {
      if (e !== FAULT) throw e;
      return FAULT.vector;
    }
    return -1;
  }
}

/** The #PF raised by `f`: its error code, with CR2; throws if `f` does not fault. */
function pageFault(m: Machine, f: () => void): { code: number; cr2: number } {
  try {
    f();
  } catch (e) {
    if (e !== FAULT) throw e;
    expect(FAULT.vector).toBe(14);
    expect(FAULT.hasErrorCode).toBe(true);
    return { code: FAULT.errorCode, cr2: m.cpu.cr2 >>> 0 };
  }
  throw new Error("no fault");
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

describe("translation", () => {
  it("maps a 4 KiB page to its frame for reads, writes and instructions", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c05000, 0x30000, P | RW);
    expect(c.translate(0x00c05123, false) >>> 0).toBe(0x30123);
    c.writePhys32(0x30010, 0x11223344);
    expect(c.readLin32(0x00c05010)).toBe(0x11223344);
    c.writeLin16(0x00c05020, 0xbeef);
    expect(c.readPhys16(0x30020)).toBe(0xbeef);
    // ADD [0x00c05010], EAX through the interpreter.
    c.setReg32(L.Reg.EAX, 0x10);
    expect(m.exec([0x01, 0x05, ...le32(0x00c05010)])).toBe(-1);
    expect(c.readPhys32(0x30010)).toBe(0x11223354);
  });

  it("fetches code through paging", () => {
    const m = new Machine();
    const c = m.cpu;
    // Linear 0x00700000 runs the bytes stored at physical 0x40000: ADD EAX, ECX.
    m.map(0x00700000, 0x40000, P);
    c.writePhys8(0x40000, 0x01);
    c.writePhys8(0x40001, 0xc8);
    c.setReg32(L.Reg.EAX, 5);
    c.setReg32(L.Reg.ECX, 7);
    c.eip = 0x00700000;
    m.interp.executeOne();
    expect(c.reg32(L.Reg.EAX)).toBe(12);
    expect(c.eip).toBe(0x00700002);
  });

  it("maps 4 MiB pages with CR4.PSE and PDE.PS, and ignores PS without PSE", () => {
    const m = new Machine();
    const c = m.cpu;
    c.writePhys32(m.pdeAddr(0x00800000), 0x00400000 | PS | P | RW);
    c.cr4 = CR4_PSE;
    expect(c.translate(0x00812345, false) >>> 0).toBe(0x00412345);
    expect(c.translate(0x00bffffc, true) >>> 0).toBe(0x007ffffc);
    c.writeLin32(0x00800100, 0xcafef00d);
    expect(c.readPhys32(0x00400100) >>> 0).toBe(0xcafef00d);

    // Without CR4.PSE the same PDE points to a page table at 0x00400000.
    c.writePhys32(0x00400000 + 0x12 * 4, 0x50000 | P);
    c.cr4 = 0;
    flushTlb(c, true);
    expect(c.translate(0x00812345, false) >>> 0).toBe(0x50345);
  });

  it("reports RSVD for reserved bits in a 4 MiB PDE", () => {
    const m = new Machine();
    const c = m.cpu;
    c.cr4 = CR4_PSE;
    c.writePhys32(m.pdeAddr(0x00800000), 0x00400000 | 0x2000 | PS | P | RW);
    expect(pageFault(m, () => c.readLin8(0x00800004))).toEqual({ code: 0x9, cr2: 0x00800004 });
    expect(pageFault(m, () => c.writeLin8(0x00800004, 1))).toEqual({ code: 0xb, cr2: 0x00800004 });
    expect(m.pde(0x00800000) & A).toBe(0);
  });

  it("writes the TLB entry in the documented format", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c05000, 0x30000, P | RW | US | D);
    m.map(0x00c06000, 0x30000, P);
    m.map(0x00c07000, 0xfee00000, P | RW);
    c.readLin8(0x00c05000);
    c.readLin8(0x00c06000);
    c.readLin8(0x00c07000);
    expect(m.tlbEntry(0x00c05000)).toBe(0x30000 | L.TLB_P | L.TLB_RW | L.TLB_US | L.TLB_D | L.TLB_RAM);
    expect(m.tlbEntry(0x00c06000)).toBe(0x30000 | L.TLB_P | L.TLB_RAM);
    // Beyond RAM (MMIO): no TLB_RAM, so compiled code would take the slow path.
    expect(m.tlbEntry(0x00c07000)).toBe((0xfee00000 | L.TLB_P | L.TLB_RW) | 0);
    c.cr4 = CR4_PSE;
    c.writePhys32(m.pdeAddr(0x00800000), 0x00400000 | PS | P | RW | G);
    c.readLin8(0x00801000);
    // G is cached only with CR4.PGE.
    expect(m.tlbEntry(0x00801000)).toBe(0x00401000 | L.TLB_P | L.TLB_RW | L.TLB_PS | L.TLB_RAM);
  });
});

describe("page faults", () => {
  it("not present: CR2 is the address, error code carries W/R and U/S", () => {
    const m = new Machine();
    const c = m.cpu;
    expect(pageFault(m, () => c.readLin32(0x00c00010))).toEqual({ code: 0, cr2: 0x00c00010 });
    expect(pageFault(m, () => c.writeLin32(0x00c00014, 1))).toEqual({ code: 2, cr2: 0x00c00014 });
    m.map(0x00c00000, 0x30000, 0);
    c.cpl = 3;
    expect(pageFault(m, () => c.readLin8(0x00c00fff))).toEqual({ code: 4, cr2: 0x00c00fff });
    expect(pageFault(m, () => c.writeLin8(0xfffff000, 1))).toEqual({ code: 6, cr2: 0xfffff000 });
  });

  it("a not-present PDE faults like a not-present PTE", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW);
    c.writePhys32(m.pdeAddr(0x00c00000), m.pde(0x00c00000) & ~P);
    expect(pageFault(m, () => c.readLin8(0x00c00000))).toEqual({ code: 0, cr2: 0x00c00000 });
  });

  it("instructions fault with EIP on the instruction and read-modify-write as a write", () => {
    const m = new Machine();
    const c = m.cpu;
    // ADD EAX, [0x00c00008]: a read.
    expect(m.exec([0x03, 0x05, ...le32(0x00c00008)])).toBe(14);
    expect(FAULT.errorCode).toBe(0);
    expect(c.cr2).toBe(0x00c00008);
    expect(c.eip).toBe(CODE);
    // ADD [0x00c0000c], EAX: the read is checked for writing.
    expect(m.exec([0x01, 0x05, ...le32(0x00c0000c)])).toBe(14);
    expect(FAULT.errorCode).toBe(2);
    expect(c.cr2).toBe(0x00c0000c);
  });

  it("user accesses to supervisor pages fault with P set, U/S combined from both levels", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW);
    m.map(0x01000000, 0x31000, P | RW | US, P | RW);
    m.map(0x01400000, 0x32000, P | RW | US);
    c.cpl = 3;
    expect(pageFault(m, () => c.readLin8(0x00c00004))).toEqual({ code: 5, cr2: 0x00c00004 });
    expect(pageFault(m, () => c.writeLin8(0x00c00004, 1))).toEqual({ code: 7, cr2: 0x00c00004 });
    expect(pageFault(m, () => c.readLin8(0x01000008))).toEqual({ code: 5, cr2: 0x01000008 });
    c.writeLin8(0x01400000, 0x5a);
    expect(c.readPhys8(0x32000)).toBe(0x5a);
    // The same pages at CPL 0, and at CPL 3 as an implicit system access.
    c.cpl = 0;
    expect(c.readLin8(0x00c00004)).toBe(0);
    c.cpl = 3;
    c.systemAccess = true;
    expect(c.readLin8(0x01000008)).toBe(0);
    c.systemAccess = false;
    expect(pageFault(m, () => c.readLin8(0x01000008)).code).toBe(5);
  });

  it("user code fetch from a supervisor page is a user read", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00700000, 0x40000, P | RW);
    c.cpl = 3;
    c.eip = 0x00700000;
    expect(pageFault(m, () => m.interp.executeOne())).toEqual({ code: 5, cr2: 0x00700000 });
  });

  it("read-only pages: user writes fault, supervisor writes fault only with CR0.WP", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | US);
    m.map(0x01000000, 0x31000, P | RW | US, P | US);
    c.cpl = 3;
    expect(c.readLin8(0x00c00000)).toBe(0);
    expect(pageFault(m, () => c.writeLin8(0x00c00001, 1))).toEqual({ code: 7, cr2: 0x00c00001 });
    // R/W combined: the PDE's R/W = 0 makes a writable PTE read-only.
    expect(pageFault(m, () => c.writeLin8(0x01000002, 1))).toEqual({ code: 7, cr2: 0x01000002 });

    c.cpl = 0;
    c.writeLin8(0x00c00001, 0x77);
    c.writeLin8(0x01000002, 0x66);
    expect(c.readPhys8(0x30001)).toBe(0x77);
    expect(c.readPhys8(0x31002)).toBe(0x66);
    expect(m.pte(0x00c00000) & D).toBe(D);

    // WP takes effect without a TLB flush: entries do not depend on it.
    c.cr0 = c.cr0 | CR0_WP;
    expect(pageFault(m, () => c.writeLin8(0x00c00003, 1))).toEqual({ code: 3, cr2: 0x00c00003 });
    expect(pageFault(m, () => c.writeLin32(0x01000004, 1))).toEqual({ code: 3, cr2: 0x01000004 });
    expect(m.exec([0x01, 0x05, ...le32(0x00c00008)])).toBe(14);
    expect(FAULT.errorCode).toBe(3);
    expect(c.readPhys8(0x30003)).toBe(0);
    c.cr0 = c.cr0 & ~CR0_WP;
    c.writeLin8(0x00c00003, 0x55);
    expect(c.readPhys8(0x30003)).toBe(0x55);
  });
});

describe("accessed and dirty bits", () => {
  it("a read sets A on the PDE and PTE, the first write sets D", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW);
    expect(m.pde(0x00c00000) & (A | D)).toBe(0);
    expect(c.readLin32(0x00c00000)).toBe(0);
    expect(m.pde(0x00c00000) & (A | D)).toBe(A);
    expect(m.pte(0x00c00000) & (A | D)).toBe(A);
    // The TLB holds the page now, without D: the write must still reach the PTE.
    c.writeLin8(0x00c00004, 9);
    expect(m.pte(0x00c00000) & (A | D)).toBe(A | D);
    expect(m.pde(0x00c00000) & D).toBe(0);
    expect(m.tlbEntry(0x00c00000) & L.TLB_D).toBe(L.TLB_D);
  });

  it("a 4 MiB page keeps A and D in its PDE", () => {
    const m = new Machine();
    const c = m.cpu;
    c.cr4 = CR4_PSE;
    c.writePhys32(m.pdeAddr(0x00800000), 0x00400000 | PS | P | RW);
    c.readLin8(0x00800000);
    expect(m.pde(0x00800000)).toBe(0x00400000 | PS | P | RW | A);
    c.writeLin8(0x00a00000, 1);
    expect(m.pde(0x00800000)).toBe(0x00400000 | PS | P | RW | A | D);
  });

  it("a faulting access sets no accessed bit", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P);
    c.cr0 = c.cr0 | CR0_WP;
    pageFault(m, () => c.writeLin8(0x00c00000, 1));
    expect(m.pde(0x00c00000) & A).toBe(0);
    expect(m.pte(0x00c00000) & (A | D)).toBe(0);
  });

  it("A/D updates go through the physical write path seen by code-page tracking", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW);
    const pteAddr = m.pteAddr(0x00c00000);
    const writes: number[] = [];
    c.codeWrites.subscribe(CodeWriteStage.WATCH, (pa) => writes.push(pa));
    c.u8[L.PAGE_FLAGS_BASE + (pteAddr >>> 12)] |= 0x80;
    c.readLin8(0x00c00000);
    expect(writes).toEqual([pteAddr]);
    c.writeLin8(0x00c00000, 1);
    expect(writes).toEqual([pteAddr, pteAddr]);
  });
});

describe("TLB", () => {
  it("keeps global pages across a CR3 load and re-walks the others", () => {
    const m = new Machine();
    const c = m.cpu;
    c.cr4 = CR4_PGE;
    m.map(0x00c00000, 0x30000, P | RW | G);
    m.map(0x00c01000, 0x31000, P | RW);
    expect(c.translate(0x00c00000, false)).toBe(0x30000);
    expect(c.translate(0x00c01000, false)).toBe(0x31000);
    // Remap both without INVLPG: the TLB still answers with the old frames.
    m.map(0x00c00000, 0x40000, P | RW | G);
    m.map(0x00c01000, 0x41000, P | RW);
    expect(c.translate(0x00c00000, false)).toBe(0x30000);
    expect(c.translate(0x00c01000, false)).toBe(0x31000);
    flushTlb(c, false);
    expect(c.translate(0x00c00000, false)).toBe(0x30000);
    expect(c.translate(0x00c01000, false)).toBe(0x41000);
    flushTlb(c, true);
    expect(c.translate(0x00c00000, false)).toBe(0x40000);
  });

  it("treats G as non-global without CR4.PGE", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW | G);
    c.readLin8(0x00c00000);
    m.map(0x00c00000, 0x40000, P | RW | G);
    flushTlb(c, false);
    expect(c.translate(0x00c00000, false)).toBe(0x40000);
  });

  it("INVLPG drops one 4 KiB page, global or not", () => {
    const m = new Machine();
    const c = m.cpu;
    c.cr4 = CR4_PGE;
    m.map(0x00c00000, 0x30000, P | RW | G);
    m.map(0x00c01000, 0x31000, P | RW);
    c.readLin8(0x00c00000);
    c.readLin8(0x00c01000);
    m.map(0x00c00000, 0x40000, P | RW | G);
    m.map(0x00c01000, 0x41000, P | RW);
    invalidatePage(c, 0x00c00abc);
    expect(c.translate(0x00c00000, false)).toBe(0x40000);
    expect(c.translate(0x00c01000, false)).toBe(0x31000);
    invalidatePage(c, 0x00c01fff);
    expect(c.translate(0x00c01000, false)).toBe(0x41000);
  });

  it("INVLPG anywhere in a 4 MiB page drops all of it", () => {
    const m = new Machine();
    const c = m.cpu;
    c.cr4 = CR4_PSE | CR4_PGE;
    c.writePhys32(m.pdeAddr(0x00800000), 0x00400000 | PS | P | RW | G);
    expect(c.translate(0x00800000, false)).toBe(0x00400000);
    expect(c.translate(0x00bff000, false)).toBe(0x007ff000);
    c.writePhys32(m.pdeAddr(0x00800000), 0x00000000 | PS | P | RW | G);
    flushTlb(c, false);
    expect(c.translate(0x00bff000, false)).toBe(0x007ff000);
    invalidatePage(c, 0x00a00000);
    expect(c.translate(0x00800000, false)).toBe(0);
    expect(c.translate(0x00bff000, false)).toBe(0x003ff000);
  });

  it("a cached supervisor entry does not serve a user access", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW);
    c.readLin8(0x00c00000);
    c.cpl = 3;
    expect(pageFault(m, () => c.readLin8(0x00c00000)).code).toBe(5);
  });

  it("lists each kept global page once, however often INVLPG refilled it", () => {
    const m = new Machine();
    const c = m.cpu;
    c.cr4 = CR4_PGE;
    m.map(0x00c00000, 0x30000, P | RW | G);
    m.map(0x00c01000, 0x31000, P | RW);
    for (let k = 0; k < 5; k++) {
      c.readLin8(0x00c00000);
      c.readLin8(0x00c01000);
      invalidatePage(c, 0x00c00000);
      invalidatePage(c, 0x00c01000);
    }
    c.readLin8(0x00c00000);
    flushTlb(c, false);
    expect(c.i32[L.TLB_COUNT >> 2]).toBe(1);
    expect(c.i32[L.TLB_LIST >> 2]).toBe(0x00c00000 >>> 12);
    expect(m.tlbEntry(0x00c00000)).toBe(0x30000 | L.TLB_P | L.TLB_RW | L.TLB_G | L.TLB_RAM);
    expect(m.tlbEntry(0x00c01000)).toBe(0);
    flushTlb(c, true);
    expect(c.i32[L.TLB_COUNT >> 2]).toBe(0);
    expect(m.tlbEntry(0x00c00000)).toBe(0);
  });

  it("is not used with paging off", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW);
    c.readLin8(0x00c00000);
    c.cr0 = c.cr0 & ~CR0_PG;
    expect(c.translate(0x00c00123, true)).toBe(0x00c00123);
  });

  it("A20 masking applies to the walked frame and flushes cached ones", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x130000, P | RW);
    expect(c.translate(0x00c00004, false)).toBe(0x130004);
    setA20(c, false);
    expect(c.translate(0x00c00004, false)).toBe(0x030004);
    setA20(c, true);
    expect(c.translate(0x00c00004, false)).toBe(0x130004);
  });
});

describe("page-crossing writes", () => {
  it("check both pages before writing a byte", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW);
    expect(pageFault(m, () => c.writeLin32(0x00c00ffe, 0x11223344))).toEqual({ code: 2, cr2: 0x00c01000 });
    expect(pageFault(m, () => c.writeLin16(0x00c00fff, 0x1122))).toEqual({ code: 2, cr2: 0x00c01000 });
    expect(c.readPhys32(0x30ffc)).toBe(0);

    // Read-only second page with WP: the same, with P set.
    m.map(0x00c01000, 0x31000, P);
    c.cr0 = c.cr0 | CR0_WP;
    expect(pageFault(m, () => c.writeLin32(0x00c00ffd, 0x11223344))).toEqual({ code: 3, cr2: 0x00c01000 });
    expect(c.readPhys32(0x30ffc)).toBe(0);

    // ADD [0x00c00ffe], EAX: the read-modify-write probes the second page first.
    m.map(0x00c01000, 0x31000, 0);
    c.writePhys16(0x30ffe, 0x1234);
    c.setReg32(L.Reg.EAX, 1);
    expect(m.exec([0x01, 0x05, ...le32(0x00c00ffe)])).toBe(14);
    expect(FAULT.errorCode).toBe(2);
    expect(c.cr2).toBe(0x00c01000);
    expect(c.readPhys16(0x30ffe)).toBe(0x1234);

    m.map(0x00c01000, 0x31000, P | RW);
    flushTlb(c, true);
    c.writeLin32(0x00c00ffe, 0x11223344);
    expect(c.readPhys16(0x30ffe)).toBe(0x3344);
    expect(c.readPhys16(0x31000)).toBe(0x1122);
    expect(c.readLin32(0x00c00ffe)).toBe(0x11223344);
  });

  it("a read crossing into a not-present page reports the second page", () => {
    const m = new Machine();
    const c = m.cpu;
    m.map(0x00c00000, 0x30000, P | RW);
    expect(pageFault(m, () => c.readLin32(0x00c00ffd))).toEqual({ code: 0, cr2: 0x00c01000 });
  });
});
