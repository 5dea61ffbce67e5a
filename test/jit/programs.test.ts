/**
 * Small guest programs run under the interpreter and the JIT: identical final
 * state (registers, flags, segments, system registers, RAM) and instruction
 * count, and the JIT really ran them as compiled code. The bytes were assembled
 * with nasm from the source in the comment above each.
 */
import { describe as suite, expect, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { DATA, describe, runBoth, type World } from "./support.js";

function fillData(w: World, n: number, seed: number): void {
  let x = seed;
  for (let k = 0; k < n; k++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    w.cpu.writePhys32(DATA + 4 * k, x);
  }
}

suite("guest programs under both engines", () => {
  it("sums an array with MOVZX, MOVSX and LEA", () => {
    // mov esi,0x10000 / mov ecx,100 / xor eax,eax
    // .l: add eax,[esi] / movzx edx,byte [esi+1] / movsx edi,word [esi+2] / add eax,edx / sub eax,edi
    //     lea ebp,[eax+edx*2+7] / add esi,4 / dec ecx / jnz .l / hlt
    const code = [
      0xbe, 0x00, 0x00, 0x01, 0x00, 0xb9, 0x64, 0x00, 0x00, 0x00, 0x31, 0xc0, 0x03, 0x06, 0x0f, 0xb6, 0x56, 0x01, 0x0f, 0xbf, 0x7e,
      0x02, 0x01, 0xd0, 0x29, 0xf8, 0x8d, 0x6c, 0x50, 0x07, 0x83, 0xc6, 0x04, 0x49, 0x75, 0xe8, 0xf4,
    ];
    const r = runBoth("flat", code, (w) => fillData(w, 100, 7));
    expect(describe(r.differences)).toBe("");
    expect(r.jit.cpu.icount).toBe(r.interp.cpu.icount);
    expect(r.engine.stats.compiledInstructions).toBeGreaterThan(800);
  });

  it("computes fib(15) recursively with CALL, RET, PUSH and POP", () => {
    // mov eax,15 / call fib / hlt
    // fib: cmp eax,2 / jb .done / push eax / dec eax / call fib / mov ecx,eax / pop eax / push ecx
    //      sub eax,2 / call fib / pop ecx / add eax,ecx / .done: ret
    const code = [
      0xb8, 0x0f, 0x00, 0x00, 0x00, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0x83, 0xf8, 0x02, 0x72, 0x16, 0x50, 0x48, 0xe8, 0xf4, 0xff,
      0xff, 0xff, 0x89, 0xc1, 0x58, 0x51, 0x83, 0xe8, 0x02, 0xe8, 0xe8, 0xff, 0xff, 0xff, 0x59, 0x01, 0xc8, 0xc3,
    ];
    for (const mode of ["flat", "paged"] as const) {
      const r = runBoth(mode, code);
      expect(describe(r.differences)).toBe("");
      expect(r.jit.cpu.reg32(Reg.EAX)).toBe(610);
      expect(r.engine.stats.compiledInstructions).toBeGreaterThan(10000);
    }
  });

  it("bubble-sorts with XCHG and LOOP, then checksums with SETcc and CMOVcc", () => {
    // See the comment in the source for the full listing: two nested loops over 64 dwords at
    // 0x10000 (mov/cmp/jbe/xchg/mov/inc/add/loop/dec/jnz), then test/setnz/movzx/add/cmp/cmovae/xor.
    const code = [
      0x31, 0xed, 0xba, 0x3f, 0x00, 0x00, 0x00, 0xbe, 0x00, 0x00, 0x01, 0x00, 0x89, 0xd1, 0x8b, 0x06, 0x8b, 0x5e, 0x04, 0x39, 0xd8,
      0x76, 0x07, 0x93, 0x89, 0x06, 0x89, 0x5e, 0x04, 0x45, 0x83, 0xc6, 0x04, 0xe2, 0xeb, 0x4a, 0x75, 0xe1, 0xbe, 0x00, 0x00, 0x01,
      0x00, 0xb9, 0x40, 0x00, 0x00, 0x00, 0x31, 0xff, 0x8b, 0x06, 0xa8, 0x01, 0x0f, 0x95, 0xc3, 0x0f, 0xb6, 0xdb, 0x01, 0xdf, 0x3d,
      0x00, 0x00, 0x00, 0x80, 0x0f, 0x43, 0xc7, 0x31, 0xc7, 0x83, 0xc6, 0x04, 0x49, 0x75, 0xe4, 0xf4,
    ];
    for (const mode of ["flat", "paged"] as const) {
      const r = runBoth(mode, code, (w) => fillData(w, 64, 99));
      expect(describe(r.differences)).toBe("");
      const c = r.jit.cpu;
      for (let k = 0; k < 63; k++) expect(c.readPhys32(DATA + 4 * k) >>> 0).toBeLessThanOrEqual(c.readPhys32(DATA + 4 * k + 4) >>> 0);
      expect(r.engine.stats.compiledInstructions).toBeGreaterThan(r.engine.stats.interpretedInstructions);
    }
  });

  it("runs 16-bit real-mode code with byte registers, LOOP and memory read-modify-write", () => {
    // xor si,si / mov cx,256 / xor ax,ax / xor dx,dx
    // .l: mov bl,[si] / add al,bl / adc ah,0 / xor dh,bl / rol dx,1 / inc si / loop .l
    // push ax / push dx / pop bx / pop cx / mov [0x200],bx / mov [0x202],cx / mov di,0x300
    // mov word [di],0x1234 / add word [di],ax / sub byte [di+1],dl / neg word [di] / not byte [di+2] / hlt
    const code = [
      0x31, 0xf6, 0xb9, 0x00, 0x01, 0x31, 0xc0, 0x31, 0xd2, 0x8a, 0x1c, 0x00, 0xd8, 0x80, 0xd4, 0x00, 0x30, 0xde, 0xd1, 0xc2, 0x46,
      0xe2, 0xf2, 0x50, 0x52, 0x5b, 0x59, 0x89, 0x1e, 0x00, 0x02, 0x89, 0x0e, 0x02, 0x02, 0xbf, 0x00, 0x03, 0xc7, 0x05, 0x34, 0x12,
      0x01, 0x05, 0x28, 0x55, 0x01, 0xf7, 0x1d, 0xf6, 0x55, 0x02, 0xf4,
    ];
    const r = runBoth("real", code, (w) => {
      fillData(w, 64, 3);
      w.cpu.loadSegmentReal(3, DATA >>> 4);
    });
    expect(describe(r.differences)).toBe("");
    expect(r.engine.stats.compiledInstructions).toBeGreaterThan(1000);
  });
});
