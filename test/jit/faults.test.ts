/**
 * Exact faults in compiled code: the state a fault leaves (registers, EFLAGS as
 * pushed by the exception, EIP of the faulting instruction, CR2, instruction
 * count) is the interpreter's. A memory access off the fast path leaves the
 * region before its instruction and the interpreter raises the fault; a fault
 * in a generic helper unwinds through the region with the state synced.
 */
import { describe as suite, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { DATA, describe, HANDLER, load, runBoth, unmap } from "./support.js";

suite("faults inside compiled code", () => {
  it("a page fault on the third memory access of a region", () => {
    // mov ecx,5 / mov esi,0x10000
    // .l: mov edi,[esi+ecx*4] / mov eax,[esi+0x40] / add eax,ecx / mov [edi],eax / dec ecx / jnz .l / hlt
    const code = [0xb9, 0x05, 0x00, 0x00, 0x00, 0xbe, 0x00, 0x00, 0x01, 0x00, 0x8b, 0x3c, 0x8e, 0x8b, 0x46, 0x40, 0x01, 0xc8, 0x89, 0x07, 0x49, 0x75, 0xf3, 0xf4];
    const r = runBoth("paged", code, (w) => {
      for (let k = 2; k <= 5; k++) w.cpu.writePhys32(DATA + 4 * k, DATA + 0x1000 * k);
      w.cpu.writePhys32(DATA + 4, 0x50010);
      w.cpu.writePhys32(DATA + 0x40, 0x1234);
      unmap(w, 0x50);
    });
    expect(describe(r.differences)).toBe("");
    const c = r.jit.cpu;
    expect(c.cr2).toBe(0x50010);
    expect(c.eip).toBe(HANDLER + 1);
    // The iterations before the faulting one ran compiled.
    expect(r.engine.stats.compiledInstructions).toBeGreaterThan(5);
  });

  it("a divide error raised by the generic helper", () => {
    // mov ecx,4 / .l: mov eax,100 / xor edx,edx / lea ebx,[ecx-1] / add eax,ecx / div ebx / dec ecx / jnz .l / hlt
    const code = [0xb9, 0x04, 0x00, 0x00, 0x00, 0xb8, 0x64, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x8d, 0x59, 0xff, 0x01, 0xc8, 0xf7, 0xf3, 0x49, 0x75, 0xef, 0xf4];
    const r = runBoth("flat", code);
    expect(describe(r.differences)).toBe("");
    expect(r.engine.stats.faults).toBe(1);
    // The exception frame holds the EIP of the DIV.
    expect(r.jit.cpu.readPhys32(r.jit.cpu.reg32(4))).toBe(0x1000 + 17);
    expect(Vector.DE).toBe(0);
  });

  it("a #GP raised by a segment load in compiled code", () => {
    // mov ecx,10 / xor ebx,ebx / .l: add ebx,ecx / mov ax,[0x3000+ecx*2] / mov ds,ax / dec ecx / jnz .l / hlt
    // The selectors are 0x10 but for ECX = 3: 0x1234, beyond the GDT.
    const code = [
      0xb9, 0x0a, 0x00, 0x00, 0x00, 0x31, 0xdb, 0x01, 0xcb, 0x66, 0x8b, 0x84, 0x09, 0x00, 0x30, 0x00, 0x00, 0x8e, 0xd8, 0x49, 0x75,
      0xf1, 0xf4,
    ];
    const r = runBoth("flat", code, (w) => {
      for (let k = 1; k <= 10; k++) w.cpu.writePhys16(0x3000 + 2 * k, k === 3 ? 0x1234 : 0x10);
    });
    expect(describe(r.differences)).toBe("");
    const c = r.jit.cpu;
    expect(c.eip).toBe(HANDLER + 1);
    // The exception frame: error code (the selector's index and TI), then the EIP of the MOV DS.
    expect(c.readPhys32(c.reg32(4))).toBe(0x1234 & ~3);
    expect(c.readPhys32(c.reg32(4) + 4)).toBe(0x1000 + 17);
    expect(r.engine.stats.faults).toBe(1);
  });

  it("page faults that a handler resolves, retried after IRET, many times in one loop", () => {
    // mov ebx,0x40000 / .outer: mov ecx,8 / mov edi,ebx
    // .l: lea eax,[ecx*8+1] / add eax,edx / mov [edi+0x10],eax / add edx,[edi+0x10] / add edi,0x1000 / dec ecx / jnz .l
    // add ebx,0x10000 / cmp ebx,0x60000 / jb .outer / hlt
    const code = [
      0xbb, 0x00, 0x00, 0x04, 0x00, 0xb9, 0x08, 0x00, 0x00, 0x00, 0x89, 0xdf, 0x8d, 0x04, 0xcd, 0x01, 0x00, 0x00, 0x00, 0x01, 0xd0,
      0x89, 0x47, 0x10, 0x03, 0x57, 0x10, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00, 0x49, 0x75, 0xe8, 0x81, 0xc3, 0x00, 0x00, 0x01, 0x00,
      0x81, 0xfb, 0x00, 0x00, 0x06, 0x00, 0x72, 0xd3, 0xf4,
    ];
    // The #PF handler maps the page (identity) and counts at 0x10f00:
    // push eax / push ebx / mov eax,cr2 / shr eax,12 / mov ebx,eax / shl ebx,12 / or ebx,7
    // mov [0xa000+eax*4],ebx / inc dword [0x10f00] / pop ebx / pop eax / add esp,4 / iretd
    const handler = [
      0x50, 0x53, 0x0f, 0x20, 0xd0, 0xc1, 0xe8, 0x0c, 0x89, 0xc3, 0xc1, 0xe3, 0x0c, 0x83, 0xcb, 0x07, 0x89, 0x1c, 0x85, 0x00, 0xa0,
      0x00, 0x00, 0xff, 0x05, 0x00, 0x0f, 0x01, 0x00, 0x5b, 0x58, 0x83, 0xc4, 0x04, 0xcf,
    ];
    const r = runBoth("paged", code, (w) => {
      load(w, HANDLER, handler);
      for (let p = 0x50; p < 0x58; p++) unmap(w, p);
    });
    expect(describe(r.differences)).toBe("");
    expect(r.jit.cpu.readPhys32(0x10f00)).toBe(8);
    expect(r.jit.cpu.eip).toBe(0x1000 + code.length);
    expect(r.engine.stats.compiledInstructions).toBeGreaterThan(100);
  });
});
