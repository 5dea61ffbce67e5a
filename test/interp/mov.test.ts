import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { CODE, DATA, exec, execFault, load, peek, poke, protectedMachine, realMachine, run } from "./harness.js";

const le16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

describe("MOV", () => {
  it("moves between registers and memory in every direction", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EBX, 0x11223344);
    c.setReg32(Reg.ECX, 0xaabbccdd | 0);
    poke(m, DATA + 4, 32, 0x55667788);
    exec(m, [
      0x89, 0xd8, // mov eax, ebx
      0x88, 0x0d, ...le32(DATA), // mov [DATA], cl
      0x66, 0x8b, 0x15, ...le32(DATA + 4), // mov dx, [DATA+4]
      0x8a, 0x35, ...le32(DATA + 5), // mov dh, [DATA+5]
    ], 4);
    expect(c.reg32(Reg.EAX)).toBe(0x11223344);
    expect(peek(m, DATA, 8)).toBe(0xdd);
    expect(peek(m, DATA + 1, 8)).toBe(0);
    expect(c.reg32(Reg.EDX)).toBe(0x7788);
    expect(c.eip).toBe(CODE + 2 + 6 + 7 + 6);
  });

  it("keeps the high word of a 16-bit destination register", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EDI, 0x12345678);
    exec(m, [0x66, 0xbf, 0xcd, 0xab]); // mov di, 0xabcd
    expect(m.cpu.reg32(Reg.EDI)).toBe(0x1234abcd);
  });

  it("loads immediates into 8- and 32-bit registers and memory", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0x11111111);
    exec(m, [
      0xb4, 0x9a, // mov ah, 0x9a
      0xbf, ...le32(0x87654321), // mov edi, 0x87654321
      0xc7, 0x05, ...le32(DATA), ...le32(0xdeadbeef), // mov dword [DATA], 0xdeadbeef
      0x66, 0xc7, 0x05, ...le32(DATA + 4), ...le16(0x1234), // mov word [DATA+4], 0x1234
      0xc6, 0x05, ...le32(DATA + 6), 0x56, // mov byte [DATA+6], 0x56
      0xc6, 0xc1, 0x7f, // mov cl, 0x7f
    ], 6);
    expect(c.reg32(Reg.EAX)).toBe(0x11119a11);
    expect(c.reg32(Reg.EDI) >>> 0).toBe(0x87654321);
    expect(peek(m, DATA, 32) >>> 0).toBe(0xdeadbeef);
    expect(peek(m, DATA + 4, 32)).toBe(0x00561234);
    expect(c.reg8(Reg.ECX)).toBe(0x7f);
  });

  it("uses moffs operands in the address size with the segment override", () => {
    const m = protectedMachine();
    const c = m.cpu;
    poke(m, DATA, 32, 0xcafef00d);
    poke(m, 0x1234, 32, 0x0badc0de);
    c.setSegmentCache(Sreg.FS, 0x18, DATA, -1, 0xc093);
    exec(m, [
      0xa0, ...le32(DATA), // mov al, [DATA]
      0x67, 0x66, 0xa1, ...le16(0x1234), // mov ax, [0x1234] (16-bit address)
      0x64, 0xa1, ...le32(2), // mov eax, fs:[2]
    ], 2);
    expect(c.reg32(Reg.EAX)).toBe(0xc0de);
    run(m);
    expect(c.reg32(Reg.EAX)).toBe(0xcafe);
    c.setReg32(Reg.EAX, 0x01020304);
    load(m, CODE + 0x100, [
      0xa3, ...le32(DATA + 8), // mov [DATA+8], eax
      0xa2, ...le32(DATA + 12), // mov [DATA+12], al
      0x64, 0xa3, ...le32(0x20), // mov fs:[0x20], eax
    ]);
    c.eip = CODE + 0x100;
    run(m, 3);
    expect(peek(m, DATA + 8, 32)).toBe(0x01020304);
    expect(peek(m, DATA + 12, 32)).toBe(0x04);
    expect(peek(m, DATA + 0x20, 32)).toBe(0x01020304);
  });

  it("faults on a segment-limit violation without changing the destination", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.DS, 0x10, 0, 0xffff, 0x4093);
    c.setReg32(Reg.EAX, 0x77);
    expect(execFault(m, [0x8b, 0x05, ...le32(0xfffe)])).toBe(Vector.GP); // mov eax, [0xfffe]
    expect(c.reg32(Reg.EAX)).toBe(0x77);
    expect(c.eip).toBe(CODE);
    const s = protectedMachine();
    s.cpu.setSegmentCache(Sreg.SS, 0x10, 0, 0xfff, 0x4093);
    s.cpu.setReg32(Reg.EBP, 0x1000);
    expect(execFault(s, [0x89, 0x45, 0x00])).toBe(Vector.SS); // mov [ebp], eax
  });

  it("wraps 16-bit addresses and faults on a word at offset 0xffff in real mode", () => {
    const m = realMachine();
    const c = m.cpu;
    c.setReg16(Reg.EBX, 0xffff);
    c.setReg16(Reg.ESI, 0x0003);
    poke(m, 0x0002, 16, 0x4321);
    exec(m, [0x8b, 0x00]); // mov ax, [bx+si]  -> offset 0x0002
    expect(c.reg16(Reg.EAX)).toBe(0x4321);
    const f = realMachine();
    expect(execFault(f, [0xa1, 0xff, 0xff])).toBe(Vector.GP); // mov ax, [0xffff]
  });
});

describe("XCHG", () => {
  it("swaps registers through ModRM and the 91+ short forms", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 1);
    c.setReg32(Reg.EBX, 2);
    c.setReg32(Reg.ECX, 0x33334444);
    c.setReg32(Reg.EDI, 0x55556666);
    exec(m, [
      0x93, // xchg ebx, eax
      0x66, 0x87, 0xf9, // xchg cx, di
      0x86, 0xe0, // xchg al, ah
    ], 3);
    expect(c.reg32(Reg.EAX)).toBe(0x0200);
    expect(c.reg32(Reg.EBX)).toBe(1);
    expect(c.reg32(Reg.ECX)).toBe(0x33336666);
    expect(c.reg32(Reg.EDI)).toBe(0x55554444);
  });

  it("swaps a register with memory", () => {
    const m = protectedMachine();
    const c = m.cpu;
    poke(m, DATA, 32, 0xabcdef01);
    c.setReg32(Reg.EDX, 0x12345678);
    exec(m, [0x87, 0x15, ...le32(DATA), 0xf0, 0x86, 0x35, ...le32(DATA)], 2); // xchg [DATA], edx ; lock xchg [DATA], dh
    expect(c.reg32(Reg.EDX)).toBe(0xabcd7801 | 0);
    expect(peek(m, DATA, 32)).toBe(0x123456ef);
  });

  it("leaves the register alone when the memory operand faults", () => {
    const m = protectedMachine();
    m.cpu.setSegmentCache(Sreg.DS, 0x10, 0, 0xffff, 0x4091); // read-only data
    m.cpu.setReg32(Reg.EDX, 5);
    expect(execFault(m, [0x87, 0x15, ...le32(0x100)])).toBe(Vector.GP);
    expect(m.cpu.reg32(Reg.EDX)).toBe(5);
  });
});

describe("LEA", () => {
  it("computes the offset without touching memory", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.ECX, 0x40000000);
    exec(m, [
      0x8d, 0x44, 0x24, 0x08, // lea eax, [esp+8]
      0x8d, 0x1c, 0x8d, ...le32(0x10), // lea ebx, [ecx*4+0x10]  (wraps to 0x10)
    ], 2);
    expect(c.reg32(Reg.EAX)).toBe(0x8008);
    expect(c.reg32(Reg.EBX)).toBe(0x10);
  });

  it("wraps a 16-bit address and zero-extends it to a 32-bit operand", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EBX, 0x1234ffff);
    c.setReg32(Reg.EAX, -1);
    exec(m, [0x67, 0x8d, 0x47, 0x02]); // lea eax, [bx+2]
    expect(c.reg32(Reg.EAX)).toBe(1);
  });

  it("truncates a 32-bit address to a 16-bit operand", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0x0001fff0);
    c.setReg32(Reg.EDX, 0x77770000);
    exec(m, [0x66, 0x8d, 0x90, ...le32(0x20)]); // lea dx, [eax+0x20]
    expect(c.reg32(Reg.EDX)).toBe(0x77770010);
  });
});

describe("CBW CWDE CWD CDQ", () => {
  it("sign-extends the accumulator", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0x12345680);
    exec(m, [0x66, 0x98]); // cbw
    expect(c.reg32(Reg.EAX)).toBe(0x1234ff80);
    const n = protectedMachine();
    n.cpu.setReg32(Reg.EAX, 0x12348000);
    exec(n, [0x98]); // cwde
    expect(n.cpu.reg32(Reg.EAX)).toBe(0xffff8000 | 0);
    const p = protectedMachine();
    p.cpu.setReg32(Reg.EAX, 0x7fff);
    exec(p, [0x98]);
    expect(p.cpu.reg32(Reg.EAX)).toBe(0x7fff);
  });

  it("fills DX or EDX with the accumulator's sign", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0x00008000);
    c.setReg32(Reg.EDX, 0x12345678);
    exec(m, [0x66, 0x99]); // cwd
    expect(c.reg32(Reg.EDX)).toBe(0x1234ffff);
    const q = protectedMachine();
    q.cpu.setReg32(Reg.EAX, 0x7fff8000);
    q.cpu.setReg32(Reg.EDX, -1);
    exec(q, [0x99]); // cdq
    expect(q.cpu.reg32(Reg.EDX)).toBe(0);
    const n = protectedMachine();
    n.cpu.setReg32(Reg.EAX, -5);
    exec(n, [0x99]);
    expect(n.cpu.reg32(Reg.EDX)).toBe(-1);
  });
});

describe("XLAT", () => {
  it("reads [DS:EBX+AL], honouring the override and the address size", () => {
    const m = protectedMachine();
    const c = m.cpu;
    poke(m, DATA + 0x90, 8, 0x5a);
    c.setReg32(Reg.EBX, DATA);
    c.setReg32(Reg.EAX, 0x11223390);
    exec(m, [0xd7]);
    expect(c.reg32(Reg.EAX)).toBe(0x1122335a);

    const o = protectedMachine();
    o.cpu.setSegmentCache(Sreg.GS, 0x18, DATA, -1, 0xc093);
    poke(o, DATA + 0x100 + 0x10, 8, 0xc3);
    o.cpu.setReg32(Reg.EBX, 0x100);
    o.cpu.setReg32(Reg.EAX, 0x10);
    exec(o, [0x65, 0xd7]); // xlat gs:
    expect(o.cpu.reg8(Reg.EAX)).toBe(0xc3);

    const w = protectedMachine();
    poke(w, 0x0010, 8, 0x99);
    w.cpu.setReg32(Reg.EBX, 0x7fffff0);
    w.cpu.setReg32(Reg.EAX, 0x20);
    exec(w, [0x67, 0xd7]); // BX = 0xfff0, + 0x20 wraps to 0x0010
    expect(w.cpu.reg8(Reg.EAX)).toBe(0x99);
  });
});

describe("MOVZX MOVSX", () => {
  it("zero- and sign-extends bytes and words", () => {
    const m = protectedMachine();
    const c = m.cpu;
    poke(m, DATA, 16, 0x8001);
    c.setReg32(Reg.EBX, 0x000000f0);
    c.setReg32(Reg.EDX, 0x55555555);
    exec(m, [
      0x0f, 0xb6, 0xc3, // movzx eax, bl
      0x0f, 0xbe, 0xcb, // movsx ecx, bl
      0x0f, 0xbf, 0x35, ...le32(DATA), // movsx esi, word [DATA]
      0x0f, 0xb7, 0x3d, ...le32(DATA), // movzx edi, word [DATA]
      0x66, 0x0f, 0xbe, 0xd3, // movsx dx, bl
    ], 5);
    expect(c.reg32(Reg.EAX)).toBe(0xf0);
    expect(c.reg32(Reg.ECX)).toBe(-16);
    expect(c.reg32(Reg.ESI)).toBe(0xffff8001 | 0);
    expect(c.reg32(Reg.EDI)).toBe(0x8001);
    expect(c.reg32(Reg.EDX)).toBe(0x5555fff0);
  });

  it("reads the source register before writing an overlapping destination", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0x12345688);
    exec(m, [0x0f, 0xbe, 0xc0]); // movsx eax, al
    expect(m.cpu.reg32(Reg.EAX)).toBe(-120);
  });
});

describe("BSWAP", () => {
  it("reverses the bytes of a 32-bit register", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0x11223344);
    c.setReg32(Reg.EBX, 0x80a0c0e0 | 0);
    exec(m, [0x0f, 0xc8, 0x0f, 0xcb], 2);
    expect(c.reg32(Reg.EAX)).toBe(0x44332211);
    expect(c.reg32(Reg.EBX)).toBe(0xe0c0a080 | 0);
  });

  it("clears the low word with a 16-bit operand, as the native CPU does", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0x11223344);
    m.cpu.setReg32(Reg.EBX, 0xaabbccdd | 0);
    exec(m, [0x66, 0x0f, 0xc8, 0x66, 0x0f, 0xcb], 2);
    expect(m.cpu.reg32(Reg.EAX)).toBe(0x11220000);
    expect(m.cpu.reg32(Reg.EBX)).toBe(0xaabb0000 | 0);
  });
});

describe("opcode 98 after the XCHG short forms", () => {
  it("decodes as CWDE, not XCHG EAX,EAX", () => {
    const m = protectedMachine();
    m.cpu.setReg32(Reg.EAX, 0x0000ff00);
    exec(m, [0x98]);
    expect(m.cpu.reg32(Reg.EAX)).toBe(-256);
  });
});
