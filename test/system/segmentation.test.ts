/**
 * Segment-register loads through the descriptor-load helper: the accessed bit in
 * the guest's table, the descriptor shadow and its invalidation by guest writes,
 * and every fault with its error code.
 */
import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import * as L from "../../src/cpu/layout.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { PAGE_FLAG_DESCRIPTOR } from "../../src/cpu/descshadow.js";
import { ACC, asm, encodeDescriptor, GDT, LDT, SEL, SysMachine, TRAP } from "./machine.js";

const accessByte = (m: SysMachine, sel: number, table = GDT) => m.r8(table + (sel & ~7) + 5);

function run(m: SysMachine, ...code: number[][]): void {
  m.load(code.flat());
  m.step(code.length);
}

describe("accessed bit", () => {
  it("appears in the GDT entry after a load", () => {
    const m = new SysMachine();
    expect(accessByte(m, SEL.data0)).toBe(0x92);
    run(m, asm.movEaxImm(SEL.data0), asm.movDsAx);
    expect(accessByte(m, SEL.data0)).toBe(0x93);
    expect(m.cpu.segSel(Sreg.DS)).toBe(SEL.data0);
    expect(m.cpu.segAttr(Sreg.DS) & 0xff).toBe(0x93);
  });

  it("is set again after the guest clears it and reloads", () => {
    const m = new SysMachine();
    const shadow = m.cpu.descriptorShadow;
    run(m, asm.movEaxImm(SEL.data0), asm.movDsAx);
    const before = { ...shadow.stats };
    run(m, asm.andMem8(GDT + 0x15, 0xfe));
    expect(accessByte(m, SEL.data0)).toBe(0x92);
    expect(shadow.stats.invalidations).toBe(before.invalidations + 1);
    run(m, asm.movEaxImm(SEL.data0), asm.movEsAx);
    expect(accessByte(m, SEL.data0)).toBe(0x93);
    expect(shadow.stats.misses).toBe(before.misses + 1);
  });

  it("is not written when already set, and the load is a shadow hit", () => {
    const m = new SysMachine();
    const shadow = m.cpu.descriptorShadow;
    run(m, asm.movEaxImm(SEL.data0), asm.movDsAx);
    const before = { ...shadow.stats };
    run(m, asm.movEsAx, asm.movFsAx);
    expect(shadow.stats).toEqual({ ...before, hits: before.hits + 2 });
    expect(accessByte(m, SEL.data0)).toBe(0x93);
  });

  it("is not touched by a null selector load", () => {
    const m = new SysMachine();
    run(m, asm.movEaxImm(3), asm.movDsAx);
    expect(m.cpu.segSel(Sreg.DS)).toBe(3);
    expect(m.r32(GDT)).toBe(0);
    expect(m.r32(GDT + 4)).toBe(0);
    // Using the null segment faults with #GP(0).
    m.load(asm.movEaxMem(0x5000));
    expect(m.tryOne()).toBe(Vector.GP);
    expect(TRAP.code).toBe(0);
  });
});

describe("descriptor shadow", () => {
  it("counts a miss, then hits for the same descriptor", () => {
    const m = new SysMachine();
    const shadow = m.cpu.descriptorShadow;
    const s0 = { ...shadow.stats };
    run(m, asm.movEaxImm(SEL.data3), asm.movDsAx, asm.movEsAx, asm.movFsAx);
    expect(shadow.stats.misses - s0.misses).toBe(1);
    expect(shadow.stats.hits - s0.hits).toBe(2);
  });

  it("marks the table's frame and drops an entry when the guest rewrites it", () => {
    const m = new SysMachine();
    m.descriptor(8, 0x100000, 0xfff, 0x92, 0);
    run(m, asm.movEaxImm(0x40), asm.movEsAx);
    expect(m.cpu.segBase(Sreg.ES)).toBe(0x100000);
    expect(m.cpu.u8[L.PAGE_FLAGS_BASE + (GDT >>> 12)] & PAGE_FLAG_DESCRIPTOR).toBe(PAGE_FLAG_DESCRIPTOR);
    const [lo] = encodeDescriptor(0x3000, 0xfff, 0x92, 0);
    run(m, asm.movEaxImm(lo), asm.movMemEax(GDT + 0x40), asm.movEaxImm(0x40), asm.movEsAx);
    // The low dword holds base bits 15..0; bits 23..16 stay 0x10.
    expect(m.cpu.segBase(Sreg.ES)).toBe(0x103000);
  });

  it("keeps entries when other data in the same page is written", () => {
    const m = new SysMachine();
    const shadow = m.cpu.descriptorShadow;
    run(m, asm.movEaxImm(SEL.data0), asm.movDsAx);
    const s0 = { ...shadow.stats };
    // 0x1800 shares the GDT's page; the table ends at 0x17ff.
    run(m, asm.movEaxImm(0xcafe), asm.movMemEax(0x1800), asm.movMemEax(0x1804), asm.movMemEax(0x1ffc));
    expect(shadow.stats.invalidations).toBe(s0.invalidations);
    expect(m.r32(0x1800)).toBe(0xcafe);
    expect(m.r32(0x1ffc)).toBe(0xcafe);
    run(m, asm.movEaxImm(SEL.data0), asm.movEsAx);
    expect(shadow.stats.hits).toBe(s0.hits + 1);
    // A write to the neighbouring entry drops that entry only.
    run(m, asm.movEaxImm(SEL.data3), asm.movFsAx);
    const s1 = { ...shadow.stats };
    run(m, asm.movEaxImm(0), asm.movMemEax(GDT + 0x20));
    expect(shadow.stats.invalidations).toBe(s1.invalidations + 1);
    run(m, asm.movEaxImm(SEL.data0), asm.movEsAx);
    expect(shadow.stats.hits).toBe(s1.hits + 1);
  });

  it("follows a descriptor that spans two pages, through writes to either page", () => {
    const m = new SysMachine();
    // A GDT at 0x4ff4: entry 1 occupies 0x4ffc..0x5003.
    m.gdtBase = 0x4ff4;
    m.descriptor(1, 0x11223344, 0xfffff, 0x92, 0xc);
    m.w16(0x6000, 0x17);
    m.w32(0x6002, 0x4ff4);
    // LGDT [0x6000]
    run(m, [0x0f, 0x01, 0x15, 0x00, 0x60, 0x00, 0x00], asm.movEaxImm(0x08), asm.movDsAx);
    expect(m.cpu.segBase(Sreg.DS) >>> 0).toBe(0x11223344);
    expect(m.r8(0x4ffc + 5)).toBe(0x93);
    // Base bits 31..24 live in the second page, bits 7..0 in the first.
    m.cpu.setSegmentCache(Sreg.DS, SEL.data0, 0, -1, 0xc093);
    run(m, asm.movMem8(0x5003, 0x55), asm.movEaxImm(0x08), asm.movEsAx);
    expect(m.cpu.segBase(Sreg.ES) >>> 0).toBe(0x55223344);
    run(m, asm.movMem8(0x4ffe, 0x99), asm.movEaxImm(0x08), asm.movFsAx);
    expect(m.cpu.segBase(Sreg.FS) >>> 0).toBe(0x55223399);
    expect(m.cpu.u8[L.PAGE_FLAGS_BASE + 4] & PAGE_FLAG_DESCRIPTOR).toBe(PAGE_FLAG_DESCRIPTOR);
    expect(m.cpu.u8[L.PAGE_FLAGS_BASE + 5] & PAGE_FLAG_DESCRIPTOR).toBe(PAGE_FLAG_DESCRIPTOR);
  });

  it("forgets everything on invalidateAll, for host writes that bypass the write path", () => {
    const m = new SysMachine();
    const shadow = m.cpu.descriptorShadow;
    run(m, asm.movEaxImm(SEL.data3), asm.movDsAx);
    // Base bits 23..16 of entry 4, written straight into the memory view.
    m.cpu.u8[L.RAM_BASE + GDT + 0x24] = 0x05;
    run(m, asm.movEaxImm(SEL.data3), asm.movEsAx);
    expect(m.cpu.segBase(Sreg.ES)).toBe(0);
    shadow.invalidateAll();
    run(m, asm.movEaxImm(SEL.data3), asm.movFsAx);
    expect(m.cpu.segBase(Sreg.FS)).toBe(0x50000);
    expect(m.cpu.u8[L.PAGE_FLAGS_BASE + (GDT >>> 12)] & PAGE_FLAG_DESCRIPTOR).toBe(PAGE_FLAG_DESCRIPTOR);
  });

  it("follows a descriptor split across two non-adjacent physical frames", () => {
    const m = new SysMachine();
    const PD = 0x60000;
    const PT = 0x61000;
    for (let k = 0; k < 256; k++) m.w32(PT + k * 4, (k << 12) | 3);
    // Linear page 5 lives in frame 0x80: the descriptor at linear 0x4ffc..0x5003 is split.
    m.w32(PT + 5 * 4, 0x80000 | 3);
    m.w32(PD, PT | 3);
    m.cpu.cr3 = PD;
    m.cpu.cr0 = m.cpu.cr0 | (0x80000000 | 0);
    const [lo, hi] = encodeDescriptor(0x11223344, 0xfffff, 0x92, 0xc);
    m.w32(0x4ffc, lo);
    m.w32(0x80000, hi);
    m.w16(0x6000, 0x0f);
    m.w32(0x6002, 0x4ff4);
    // LGDT [0x6000]
    run(m, [0x0f, 0x01, 0x15, 0x00, 0x60, 0x00, 0x00], asm.movEaxImm(0x08), asm.movEsAx);
    expect(m.cpu.segBase(Sreg.ES) >>> 0).toBe(0x11223344);
    expect(m.r8(0x80001)).toBe(0x93);
    expect(m.cpu.u8[L.PAGE_FLAGS_BASE + 0x80] & PAGE_FLAG_DESCRIPTOR).toBe(PAGE_FLAG_DESCRIPTOR);
    run(m, asm.movMem8(0x5003, 0x66), asm.movEaxImm(0x08), asm.movFsAx);
    expect(m.cpu.segBase(Sreg.FS) >>> 0).toBe(0x66223344);
    run(m, asm.movMem8(0x4ffe, 0x77), asm.movEaxImm(0x08), asm.movGsAx);
    expect(m.cpu.segBase(Sreg.GS) >>> 0).toBe(0x66223377);
  });

  it("drops the GDT shadow on LGDT and the LDT shadow on LLDT", () => {
    const m = new SysMachine();
    const shadow = m.cpu.descriptorShadow;
    m.descriptor(1, 0x40000, 0xffff, 0x92, 0, LDT);
    run(m, asm.movEaxImm(SEL.ldt), asm.lldtAx, asm.movEaxImm(0x0c), asm.movFsAx);
    expect(m.cpu.segBase(Sreg.FS)).toBe(0x40000);
    expect(accessByte(m, 0x08, LDT)).toBe(0x93);
    const s0 = { ...shadow.stats };
    run(m, asm.movEaxImm(SEL.ldt), asm.lldtAx, asm.movEaxImm(0x0c), asm.movEsAx);
    // LLDT read the LDT descriptor from the GDT (a hit); the LDT entry itself missed.
    expect(shadow.stats.misses).toBe(s0.misses + 1);
    m.w16(0x6000, 0x7ff);
    m.w32(0x6002, GDT);
    const s1 = { ...shadow.stats };
    run(m, [0x0f, 0x01, 0x15, 0x00, 0x60, 0x00, 0x00], asm.movEaxImm(SEL.data0), asm.movEsAx);
    expect(shadow.stats.misses).toBe(s1.misses + 1);
  });

  it("re-reads the table when paging maps its page elsewhere", () => {
    const m = new SysMachine();
    // Identity-map the first 4 MiB with one page table, then point the GDT's page elsewhere.
    const PD = 0x60000;
    const PT = 0x61000;
    for (let k = 0; k < 1024; k++) m.w32(PT + k * 4, (k << 12) | 3);
    m.w32(PD, PT | 3);
    m.cpu.cr3 = PD;
    m.cpu.cr0 = m.cpu.cr0 | (0x80000000 | 0);
    run(m, asm.movEaxImm(SEL.data3), asm.movDsAx);
    expect(m.cpu.segBase(Sreg.DS)).toBe(0);
    // A copy of the GDT page at 0x70000 with entry 4's base changed.
    for (let k = 0; k < 0x1000; k += 4) m.w32(0x70000 + k, m.r32(GDT + k));
    const [lo, hi] = encodeDescriptor(0x7000, 0xfffff, ACC.data3, 0xc);
    m.w32(0x70000 + 0x20, lo);
    m.w32(0x70000 + 0x24, hi);
    m.w32(PT + 1 * 4, 0x70000 | 3);
    // INVLPG [0x1000], then reload.
    run(m, [0x0f, 0x01, 0x3d, 0x00, 0x10, 0x00, 0x00], asm.movEaxImm(SEL.data3), asm.movEsAx);
    expect(m.cpu.segBase(Sreg.ES)).toBe(0x7000);
    expect(m.r8(0x70000 + 0x25)).toBe(0xf3);
  });
});

describe("load faults and error codes", () => {
  function faultOf(m: SysMachine, sel: number, load: number[]): [number, number] {
    m.load([...asm.movEaxImm(sel), ...load]);
    m.step();
    m.tryOne();
    return [TRAP.vector, TRAP.code];
  }

  it("null SS is #GP(0)", () => {
    expect(faultOf(new SysMachine(), 0, asm.movSsAx)).toEqual([Vector.GP, 0]);
    expect(faultOf(new SysMachine(), 3, asm.movSsAx)).toEqual([Vector.GP, 0]);
  });

  it("SS with RPL or DPL other than CPL, or not writable, is #GP(sel)", () => {
    expect(faultOf(new SysMachine(), SEL.data0 | 1, asm.movSsAx)).toEqual([Vector.GP, SEL.data0]);
    expect(faultOf(new SysMachine(), SEL.data3 & ~3, asm.movSsAx)).toEqual([Vector.GP, 0x20]);
    const m = new SysMachine();
    m.descriptor(8, 0, 0xfffff, 0x90, 0xc);
    expect(faultOf(m, 0x40, asm.movSsAx)).toEqual([Vector.GP, 0x40]);
  });

  it("SS not present is #SS(sel); DS not present is #NP(sel)", () => {
    const m = new SysMachine();
    m.descriptor(8, 0, 0xfffff, 0x12, 0xc);
    m.descriptor(9, 0, 0xfffff, 0x72, 0xc);
    expect(faultOf(m, 0x40, asm.movSsAx)).toEqual([Vector.SS, 0x40]);
    // The error code carries the selector without its RPL.
    expect(faultOf(m, 0x4a, asm.movDsAx)).toEqual([Vector.NP, 0x48]);
    // Nothing changed: DS keeps its old selector, the entry stays unaccessed.
    expect(m.cpu.segSel(Sreg.DS)).toBe(SEL.data0);
    expect(m.r8(GDT + 0x4d)).toBe(0x72);
  });

  it("selectors beyond the table limit, or into a null LDT, are #GP(sel)", () => {
    expect(faultOf(new SysMachine(), 0x800, asm.movDsAx)).toEqual([Vector.GP, 0x800]);
    expect(faultOf(new SysMachine(), 0x0f, asm.movDsAx)).toEqual([Vector.GP, 0x0c]);
  });

  it("system and execute-only code descriptors cannot be loaded into DS; readable code can", () => {
    expect(faultOf(new SysMachine(), SEL.tssA, asm.movDsAx)).toEqual([Vector.GP, SEL.tssA]);
    const m = new SysMachine();
    m.descriptor(8, 0, 0xfffff, 0x98, 0xc);
    expect(faultOf(m, 0x40, asm.movDsAx)).toEqual([Vector.GP, 0x40]);
    expect(faultOf(new SysMachine(), SEL.code0, asm.movDsAx)).toEqual([-1, -1]);
  });

  it("DPL below CPL or RPL is #GP(sel); conforming code is exempt", () => {
    const m = new SysMachine();
    m.cpu.setSegmentCache(Sreg.CS, SEL.code3, 0, -1, 0xc0fb);
    m.cpu.cpl = 3;
    expect(faultOf(m, SEL.data0 | 3, asm.movDsAx)).toEqual([Vector.GP, SEL.data0]);
    expect(faultOf(new SysMachine(), SEL.data0 | 3, asm.movDsAx)).toEqual([Vector.GP, SEL.data0]);
    const c = new SysMachine();
    c.cpu.setSegmentCache(Sreg.CS, SEL.code3, 0, -1, 0xc0fb);
    c.cpu.cpl = 3;
    c.descriptor(8, 0, 0xfffff, 0x9e, 0xc);
    expect(faultOf(c, 0x43, asm.movDsAx)).toEqual([-1, -1]);
  });

  it("MOV CS is #UD", () => {
    expect(faultOf(new SysMachine(), SEL.code0, asm.movCsAx)).toEqual([Vector.UD, 0]);
  });
});

describe("segment instructions", () => {
  it("POP SS opens the interrupt shadow; an external interrupt waits one instruction", () => {
    const m = new SysMachine();
    m.cpu.setFlags(0x200, true);
    m.idtGate(0x40, SEL.code0, 0x18000);
    m.code(0x18000, asm.hlt);
    m.load([...asm.movEaxImm(SEL.data0), ...asm.pushEax, 0x17, ...asm.nop, ...asm.nop]);
    m.step(3);
    expect(m.cpu.i32[L.INTERRUPT_SHADOW >> 2]).toBe(1);
    expect(m.interp.interrupt(0x40)).toBe(false);
    m.step();
    expect(m.interp.interrupt(0x40)).toBe(true);
    expect(m.cpu.eip).toBe(0x18000);
  });

  it("MOV r32,sreg zero-extends; MOV m16,sreg writes two bytes", () => {
    const m = new SysMachine();
    run(m, asm.movEaxImm(-1), asm.movEaxDs);
    expect(m.eax).toBe(SEL.data0);
    m.w32(0x5000, -1);
    run(m, [0x8c, 0x1d, 0x00, 0x50, 0x00, 0x00]);
    expect(m.r32(0x5000) >>> 0).toBe(0xffff0010);
  });

  it("PUSH sreg with a 32-bit operand moves ESP by 4 and writes 16 bits; POP DS loads it back", () => {
    const m = new SysMachine();
    m.w32(0x8ffc, 0xaaaaaaaa | 0);
    run(m, asm.pushDs);
    expect(m.esp).toBe(0x8ffc);
    expect(m.r32(0x8ffc) >>> 0).toBe(0xaaaa0010);
    m.cpu.setSegmentCache(Sreg.DS, 0, 0, 0, 0);
    run(m, asm.popDs);
    expect(m.esp).toBe(0x9000);
    expect(m.cpu.segSel(Sreg.DS)).toBe(SEL.data0);
  });

  it("LDS and LSS load the pointer; a faulting segment load leaves the register", () => {
    const m = new SysMachine();
    m.w32(0x5000, 0x12345678);
    m.w16(0x5004, SEL.data3);
    run(m, asm.movEbxImm(0x5000), asm.ldsEaxEbx);
    expect(m.eax).toBe(0x12345678);
    expect(m.cpu.segSel(Sreg.DS)).toBe(SEL.data3);
    m.w16(0x5004, SEL.data0);
    m.w32(0x5000, 0x7000);
    run(m, asm.movEbxImm(0x5000), asm.lssEspEbx);
    expect(m.esp).toBe(0x7000);
    m.w16(0x5004, 0);
    m.load(asm.lssEspEbx);
    expect(m.tryOne()).toBe(Vector.GP);
    expect(m.esp).toBe(0x7000);
  });

  it("an expand-down stack segment loaded from the GDT allows offsets above its limit only", () => {
    const m = new SysMachine();
    // Writable expand-down data, limit 0xfff, B = 1 (upper bound 4 GiB).
    m.descriptor(8, 0, 0x00fff, 0x96, 0x4);
    run(m, asm.movEaxImm(0x40), asm.movSsAx);
    m.set(Reg.ESP, 0x2000);
    run(m, asm.pushEax);
    expect(m.esp).toBe(0x1ffc);
    m.set(Reg.ESP, 0x1002);
    m.load(asm.pushEax);
    expect(m.tryOne()).toBe(Vector.SS);
    expect(TRAP.code).toBe(0);
    expect(m.esp).toBe(0x1002);
  });

  it("real mode: MOV DS loads selector * 16 without reading a descriptor", () => {
    const m = new SysMachine();
    m.cpu.cr0 = m.cpu.cr0 & ~1;
    for (let s = 0; s < 6; s++) m.cpu.loadSegmentReal(s, 0);
    const shadow = m.cpu.descriptorShadow;
    const s0 = { ...shadow.stats };
    m.load(asm.movDsAx, 0x7000);
    m.set(Reg.EAX, 0x1234);
    m.step();
    expect(m.cpu.segBase(Sreg.DS)).toBe(0x12340);
    expect(shadow.stats).toEqual(s0);
  });
});
