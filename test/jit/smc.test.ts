/**
 * Self-modifying code: writes into translated code drop the translations
 * holding the bytes before the write lands, a region that patches itself leaves
 * at the next instruction boundary, and writes to data beside code on the same
 * page drop nothing. Bytes assembled with nasm from the listings in comments.
 */
import { describe as suite, expect, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { InterpreterEngine } from "../../runtime/engine.js";
import { JitEngine } from "../../runtime/jit.js";
import { compareCpus } from "../../runtime/diff.js";
import { CODE, describe, jitOptions, load, makeWorld, runBoth } from "./support.js";

suite("self-modifying code", () => {
  it("a store into the next instruction's immediate takes effect at once", () => {
    // mov ecx,20 / xor ebx,ebx / .l: mov [.patch+1],ecx / .patch: mov eax,0x11111111 / add ebx,eax / dec ecx / jnz .l / hlt
    const code = [
      0xb9, 0x14, 0x00, 0x00, 0x00, 0x31, 0xdb, 0x89, 0x0d, 0x0e, 0x10, 0x00, 0x00, 0xb8, 0x11, 0x11, 0x11, 0x11, 0x01, 0xc3, 0x49,
      0x75, 0xf0, 0xf4,
    ];
    for (const mode of ["flat", "paged"] as const) {
      const r = runBoth(mode, code);
      expect(describe(r.differences)).toBe("");
      expect(r.jit.cpu.reg32(Reg.EBX)).toBe(210);
      expect(r.engine.stats.invalidations.codeWrite).toBeGreaterThan(0);
    }
  });

  it("a store into a later block of the same region", () => {
    // mov ecx,20 / xor ebx,ebx / .l: test cl,1 / jz .later / mov [.later+2],cl
    // .later: add ebx,byte 1 / dec ecx / jnz .l / hlt
    const code = [
      0xb9, 0x14, 0x00, 0x00, 0x00, 0x31, 0xdb, 0xf6, 0xc1, 0x01, 0x74, 0x06, 0x88, 0x0d, 0x14, 0x10, 0x00, 0x00, 0x83, 0xc3, 0x01,
      0x49, 0x75, 0xef, 0xf4,
    ];
    const r = runBoth("flat", code);
    expect(describe(r.differences)).toBe("");
    // Odd counts patch the immediate to themselves; even counts add the last odd one.
    expect(r.jit.cpu.reg32(Reg.EBX)).toBe(19 + 19 + 17 + 17 + 15 + 15 + 13 + 13 + 11 + 11 + 9 + 9 + 7 + 7 + 5 + 5 + 3 + 3 + 1 + 1);
    expect(r.engine.stats.invalidations.codeWrite).toBeGreaterThan(0);
  });

  it("a store into another page's code between calls", () => {
    // page 0x1000: mov ecx,20 / xor ebx,ebx / .l: mov [func+1],ecx / call func / add ebx,eax / dec ecx / jnz .l / hlt
    // page 0x2000: func: mov eax,0 / ret
    const main = [
      0xb9, 0x14, 0x00, 0x00, 0x00, 0x31, 0xdb, 0x89, 0x0d, 0x01, 0x20, 0x00, 0x00, 0xe8, 0xee, 0x0f, 0x00, 0x00, 0x01, 0xc3, 0x49,
      0x75, 0xf0, 0xf4,
    ];
    const func = [0xb8, 0x00, 0x00, 0x00, 0x00, 0xc3];
    const r = runBoth("paged", main, (w) => load(w, CODE + 0x1000, func));
    expect(describe(r.differences)).toBe("");
    expect(r.jit.cpu.reg32(Reg.EBX)).toBe(210);
    expect(r.engine.stats.invalidations.codeWrite).toBeGreaterThan(0);
  });

  it("a tight loop patching its own immediate", () => {
    // mov ecx,50 / xor eax,eax / .l: add eax,byte 1 / inc byte [.l+2] / dec ecx / jnz .l / hlt
    const code = [0xb9, 0x32, 0x00, 0x00, 0x00, 0x31, 0xc0, 0x83, 0xc0, 0x01, 0xfe, 0x05, 0x09, 0x10, 0x00, 0x00, 0x49, 0x75, 0xf4, 0xf4];
    for (const mode of ["flat", "paged"] as const) {
      const r = runBoth(mode, code);
      expect(describe(r.differences)).toBe("");
      expect(r.jit.cpu.reg32(Reg.EAX)).toBe((50 * 51) / 2);
      expect(r.engine.stats.invalidations.codeWrite).toBeGreaterThan(0);
    }
  });

  it("a store through a second virtual mapping of the code's frame", () => {
    // page 0x1000: mov ecx,20 / xor ebx,ebx / .l: mov [0x41000+1],ecx / call 0x2000 / add ebx,eax
    //              call 0x41000 / add ebx,eax / dec ecx / jnz .l / hlt
    // page 0x2000, also mapped at 0x41000: mov eax,0 / ret
    const main = [
      0xb9, 0x14, 0x00, 0x00, 0x00, 0x31, 0xdb, 0x89, 0x0d, 0x01, 0x10, 0x04, 0x00, 0xe8, 0xee, 0x0f, 0x00, 0x00, 0x01, 0xc3, 0xe8,
      0xe7, 0xff, 0x03, 0x00, 0x01, 0xc3, 0x49, 0x75, 0xe9, 0xf4,
    ];
    const func = [0xb8, 0x00, 0x00, 0x00, 0x00, 0xc3];
    const r = runBoth("paged", main, (w) => {
      load(w, CODE + 0x1000, func);
      const table = w.cpu.readPhys32(w.cpu.cr3) & ~0xfff;
      w.cpu.writePhys32(table + 4 * 0x41, (CODE + 0x1000) | 7);
    });
    expect(describe(r.differences)).toBe("");
    // Both mappings run the function as last patched: 2 * (1 + ... + 20).
    expect(r.jit.cpu.reg32(Reg.EBX)).toBe(420);
    expect(r.engine.stats.invalidations.codeWrite).toBeGreaterThan(0);
  });

  it("code copied over translated code by REP MOVSB, a loader's bulk copy", () => {
    // mov edx,20 / xor ebx,ebx / .l: call 0x2000 / add ebx,eax / mov esi,0x3000 / test dl,1 / jz .even
    // mov esi,0x3010 / .even: mov edi,0x2000 / mov ecx,6 / cld / rep movsb / dec edx / jnz .l / hlt
    // 0x2000: mov eax,1 / ret; 0x3000: mov eax,2 / ret; 0x3010: mov eax,3 / ret
    const main = [
      0xba, 0x14, 0x00, 0x00, 0x00, 0x31, 0xdb, 0xe8, 0xf4, 0x0f, 0x00, 0x00, 0x01, 0xc3, 0xbe, 0x00, 0x30, 0x00, 0x00, 0xf6, 0xc2,
      0x01, 0x74, 0x05, 0xbe, 0x10, 0x30, 0x00, 0x00, 0xbf, 0x00, 0x20, 0x00, 0x00, 0xb9, 0x06, 0x00, 0x00, 0x00, 0xfc, 0xf3, 0xa4,
      0x4a, 0x75, 0xda, 0xf4,
    ];
    const version = (v: number) => [0xb8, v, 0x00, 0x00, 0x00, 0xc3];
    for (const mode of ["flat", "paged"] as const) {
      const r = runBoth(mode, main, (w) => {
        load(w, CODE + 0x1000, version(1));
        load(w, CODE + 0x2000, version(2));
        load(w, CODE + 0x2010, version(3));
      });
      expect(describe(r.differences)).toBe("");
      expect(r.jit.cpu.reg32(Reg.EBX)).toBe(48);
      expect(r.engine.stats.invalidations.codeWrite).toBeGreaterThan(0);
    }
  });

  it("a host write (a device or DMA copy) into translated code", () => {
    // mov ecx,1000 / .l: mov eax,1 / add ebx,eax / dec ecx / jnz .l / hlt; the host patches the immediate midway.
    const code = [0xb9, 0xe8, 0x03, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x01, 0xc3, 0x49, 0x75, 0xf7, 0xf4];
    const a = makeWorld("flat");
    const b = makeWorld("flat");
    load(a, CODE, code);
    load(b, CODE, code);
    const ia = new InterpreterEngine(a.interp);
    const jb = new JitEngine(b.cpu, b.interp, jitOptions);
    ia.runUntil(1500, () => false);
    jb.runUntil(1500, () => false);
    expect(jb.stats.compiledInstructions).toBeGreaterThan(0);
    for (const w of [a, b]) w.cpu.writePhys8(CODE + 6, 5);
    ia.runUntil(100_000, () => false);
    jb.runUntil(100_000, () => false);
    expect(compareCpus(a.cpu, b.cpu, true)).toEqual([]);
    expect(jb.stats.invalidations.codeWrite).toBeGreaterThan(0);
  });

  it("reset drops every translation when RAM is replaced behind the CPU's back", () => {
    // mov ecx,1000 / .l: mov eax,1 / add ebx,eax / dec ecx / jnz .l / hlt; the immediate is then rewritten directly in RAM.
    const code = [0xb9, 0xe8, 0x03, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x01, 0xc3, 0x49, 0x75, 0xf7, 0xf4];
    const a = makeWorld("flat");
    const b = makeWorld("flat");
    load(a, CODE, code);
    load(b, CODE, code);
    const ia = new InterpreterEngine(a.interp);
    const jb = new JitEngine(b.cpu, b.interp, jitOptions);
    ia.runUntil(1500, () => false);
    jb.runUntil(1500, () => false);
    for (const w of [a, b]) {
      load(w, CODE + 6, [7]);
      w.interp.decodeCache.clear();
    }
    jb.reset();
    expect(jb.stats.invalidations.reset).toBeGreaterThan(0);
    ia.runUntil(100_000, () => false);
    jb.runUntil(100_000, () => false);
    expect(compareCpus(a.cpu, b.cpu, true)).toEqual([]);
    expect(b.cpu.reg32(Reg.EBX)).toBe(a.cpu.reg32(Reg.EBX));
  });

  it("stores to data on a code page invalidate nothing", () => {
    // mov ecx,2000 / mov esi,data / .l: add [esi],ecx / mov eax,[esi] / mov [esi+4],eax / inc dword [esi+8]
    // mov [esi+ecx+16],cl / dec ecx / jnz .l / hlt  — data at 0x1800, on the code's page
    const code = [
      0xb9, 0xd0, 0x07, 0x00, 0x00, 0xbe, 0x00, 0x18, 0x00, 0x00, 0x01, 0x0e, 0x8b, 0x06, 0x89, 0x46, 0x04, 0xff, 0x46, 0x08, 0x88,
      0x4c, 0x0e, 0x10, 0x49, 0x75, 0xef, 0xf4,
    ];
    for (const mode of ["flat", "paged"] as const) {
      const r = runBoth(mode, code);
      expect(describe(r.differences)).toBe("");
      const s = r.engine.stats;
      expect(s.invalidations.codeWrite + s.invalidations.pendingCodeWrite).toBe(0);
      expect(s.compiledInstructions).toBeGreaterThan(10_000);
      // The loop's 8000 stores stayed on the inline path: an access off it leaves for the interpreter.
      expect(s.interpretedInstructions).toBeLessThan(100);
    }
  });
});
