import { describe, expect, it } from "vitest";
import { Vector } from "../../src/cpu/exceptions.js";
import { Reg, Sreg } from "../../src/cpu/layout.js";
import { DATA, exec, execFault, peek, poke, protectedMachine, realMachine, run, STACK_TOP } from "./harness.js";

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** Protected mode with a 16-bit (SS.B = 0) stack segment of 64 KiB. */
function stack16() {
  const m = protectedMachine();
  m.cpu.setSegmentCache(Sreg.SS, 0x10, 0, 0xffff, 0x0093);
  return m;
}

describe("PUSH and POP", () => {
  it("push and pop registers with 32- and 16-bit operands", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0x11223344);
    c.setReg32(Reg.EBX, 0x55667788);
    exec(m, [
      0x50, // push eax
      0x66, 0x53, // push bx
      0x59, // pop ecx  (bx in the low word, ax's low word above it)
      0x66, 0x5a, // pop dx
    ], 4);
    expect(peek(m, STACK_TOP - 4, 32)).toBe(0x11223344);
    expect(peek(m, STACK_TOP - 6, 16)).toBe(0x7788);
    expect(c.reg32(Reg.ECX)).toBe(0x33447788);
    expect(c.reg16(Reg.EDX)).toBe(0x1122);
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP);
  });

  it("PUSH ESP pushes the value before the push; POP ESP loads the popped value", () => {
    const m = protectedMachine();
    const c = m.cpu;
    exec(m, [0x54, 0x66, 0x54], 2); // push esp ; push sp
    expect(peek(m, STACK_TOP - 4, 32)).toBe(STACK_TOP);
    expect(peek(m, STACK_TOP - 6, 16)).toBe(STACK_TOP - 4);
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP - 6);
    const n = protectedMachine();
    poke(n, STACK_TOP, 32, 0x4321);
    exec(n, [0x5c]); // pop esp
    expect(n.cpu.reg32(Reg.ESP)).toBe(0x4321);
  });

  it("pushes immediates, sign-extending Ibs to the operand size", () => {
    const m = protectedMachine();
    exec(m, [
      0x68, ...le32(0x89abcdef), // push 0x89abcdef
      0x6a, 0x80, // push -128
      0x66, 0x6a, 0xff, // push word -1
      0x66, 0x68, 0x34, 0x12, // push word 0x1234
    ], 4);
    expect(peek(m, STACK_TOP - 4, 32) >>> 0).toBe(0x89abcdef);
    expect(peek(m, STACK_TOP - 8, 32)).toBe(-128);
    expect(peek(m, STACK_TOP - 10, 16)).toBe(0xffff);
    expect(peek(m, STACK_TOP - 12, 16)).toBe(0x1234);
    expect(m.cpu.reg32(Reg.ESP)).toBe(STACK_TOP - 12);
  });

  it("PUSH Ev forms an ESP-based address before the push", () => {
    const m = protectedMachine();
    poke(m, STACK_TOP + 4, 32, 0xfeedface);
    poke(m, DATA, 32, 0x01020304);
    exec(m, [
      0xff, 0x74, 0x24, 0x04, // push dword [esp+4]
      0xff, 0x35, ...le32(DATA), // push dword [DATA]
    ], 2);
    expect(peek(m, STACK_TOP - 4, 32) >>> 0).toBe(0xfeedface);
    expect(peek(m, STACK_TOP - 8, 32)).toBe(0x01020304);
  });

  it("POP Ev forms an ESP-based address after ESP is incremented", () => {
    const m = protectedMachine();
    const c = m.cpu;
    poke(m, STACK_TOP, 32, 0xaaaa5555);
    exec(m, [0x8f, 0x44, 0x24, 0x04]); // pop dword [esp+4]
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP + 4);
    expect(peek(m, STACK_TOP + 8, 32)).toBe(0xaaaa5555 | 0);
    expect(peek(m, STACK_TOP + 4, 32)).toBe(0);
    const n = protectedMachine();
    poke(n, STACK_TOP, 32, 0x77);
    exec(n, [0x8f, 0xc3]); // pop ebx (8F /0 register form)
    expect(n.cpu.reg32(Reg.EBX)).toBe(0x77);
  });

  it("POP Ev leaves ESP unchanged when the destination write faults", () => {
    const m = protectedMachine();
    m.cpu.setSegmentCache(Sreg.DS, 0x10, 0, -1, 0xc091); // read-only data
    expect(execFault(m, [0x8f, 0x05, ...le32(DATA)])).toBe(Vector.GP);
    expect(m.cpu.reg32(Reg.ESP)).toBe(STACK_TOP);
  });

  it("wraps SP on a 16-bit stack and keeps ESP's high word", () => {
    const m = stack16();
    const c = m.cpu;
    c.setReg32(Reg.ESP, 0x12340000);
    c.setReg32(Reg.EAX, 0xcafebabe | 0);
    exec(m, [0x50, 0x5b], 2); // push eax ; pop ebx
    expect(peek(m, 0xfffc, 32)).toBe(0xcafebabe | 0);
    expect(c.reg32(Reg.EBX)).toBe(0xcafebabe | 0);
    expect(c.reg32(Reg.ESP)).toBe(0x12340000);
  });

  it("faults with #SS and changes nothing when the push is outside the stack limit", () => {
    const m = protectedMachine();
    m.cpu.setSegmentCache(Sreg.SS, 0x10, 0, 0xffff, 0x4093);
    m.cpu.setReg32(Reg.ESP, 0x2);
    expect(execFault(m, [0x50])).toBe(Vector.SS);
    expect(m.cpu.reg32(Reg.ESP)).toBe(2);
  });

  it("works in real mode", () => {
    const m = realMachine();
    const c = m.cpu;
    c.setReg16(Reg.ESI, 0xbeef);
    exec(m, [0x56, 0x66, 0x6a, 0xfe, 0x66, 0x5f, 0x58], 4); // push si ; push dword -2 ; pop edi ; pop ax
    expect(c.reg32(Reg.EDI)).toBe(-2);
    expect(c.reg16(Reg.EAX)).toBe(0xbeef);
    expect(c.reg16(Reg.ESP)).toBe(STACK_TOP);
  });
});

describe("PUSHA and POPA", () => {
  it("push all eight registers with the original ESP and pop them back, discarding that slot", () => {
    const m = protectedMachine();
    const c = m.cpu;
    for (let r = 0; r < 8; r++) if (r !== Reg.ESP) c.setReg32(r, 0x1000 * (r + 1) + r);
    exec(m, [0x60]); // pushad
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP - 32);
    for (let r = 0; r < 8; r++) {
      const expected = r === Reg.ESP ? STACK_TOP : 0x1000 * (r + 1) + r;
      expect(peek(m, STACK_TOP - 4 * (r + 1), 32)).toBe(expected);
    }
    for (let r = 0; r < 8; r++) if (r !== Reg.ESP) c.setReg32(r, 0);
    poke(m, STACK_TOP - 20, 32, 0x5555); // the saved ESP slot: ignored
    const n = protectedMachine();
    n.cpu.setReg32(Reg.ESP, STACK_TOP - 32);
    for (let k = 0; k < 32; k += 4) poke(n, STACK_TOP - 32 + k, 32, peek(m, STACK_TOP - 32 + k, 32));
    exec(n, [0x61]); // popad
    for (let r = 0; r < 8; r++) {
      expect(n.cpu.reg32(r)).toBe(r === Reg.ESP ? STACK_TOP : 0x1000 * (r + 1) + r);
    }
  });

  it("use 16-bit slots with a 16-bit operand and keep the high words", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EAX, 0xaaaa0001 | 0);
    c.setReg32(Reg.EDI, 0xbbbb0007 | 0);
    exec(m, [0x66, 0x60, 0x66, 0x61]); // pusha ; popa
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP - 16);
    expect(peek(m, STACK_TOP - 2, 16)).toBe(1);
    expect(peek(m, STACK_TOP - 10, 16)).toBe(STACK_TOP & 0xffff);
    expect(peek(m, STACK_TOP - 16, 16)).toBe(7);
    poke(m, STACK_TOP - 2, 16, 0x1111);
    poke(m, STACK_TOP - 16, 16, 0x7777);
    run(m); // popa
    expect(c.reg32(Reg.EAX)).toBe(0xaaaa1111 | 0);
    expect(c.reg32(Reg.EDI)).toBe(0xbbbb7777 | 0);
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP);
  });

  it("PUSHA faults before moving ESP when a slot is outside the stack", () => {
    const m = protectedMachine();
    m.cpu.setSegmentCache(Sreg.SS, 0x10, 0, 0xffff, 0x4093);
    m.cpu.setReg32(Reg.ESP, 0x1c); // room for 7 slots only
    expect(execFault(m, [0x60])).toBe(Vector.SS);
    expect(m.cpu.reg32(Reg.ESP)).toBe(0x1c);
  });

  it("POPA faults before changing any register when a slot is outside the stack", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.SS, 0x10, 0, 0xffff, 0x4093);
    c.setReg32(Reg.ESP, 0xffe4); // 7 slots below the limit
    c.setReg32(Reg.EDI, 0x99);
    expect(execFault(m, [0x61])).toBe(Vector.SS);
    expect(c.reg32(Reg.EDI)).toBe(0x99);
    expect(c.reg32(Reg.ESP)).toBe(0xffe4);
  });

  it("wrap around a 16-bit stack", () => {
    const m = realMachine();
    const c = m.cpu;
    c.setReg32(Reg.ESP, 0x0004);
    c.setReg16(Reg.EAX, 0xa0a0);
    c.setReg16(Reg.EDI, 0xd1d1);
    exec(m, [0x60]); // pusha
    expect(c.reg16(Reg.ESP)).toBe(0xfff4);
    expect(peek(m, 0x0002, 16)).toBe(0xa0a0);
    expect(peek(m, 0xfff4, 16)).toBe(0xd1d1);
    expect(peek(m, 0xfffa, 16)).toBe(0x0004);
  });
});

describe("ENTER and LEAVE", () => {
  it("ENTER n,0 saves EBP, points EBP at it and allocates", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EBP, 0x12345678);
    exec(m, [0xc8, 0x10, 0x00, 0x00]); // enter 16, 0
    expect(peek(m, STACK_TOP - 4, 32)).toBe(0x12345678);
    expect(c.reg32(Reg.EBP)).toBe(STACK_TOP - 4);
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP - 4 - 16);
  });

  it("ENTER with nesting copies the outer frame pointers and pushes the new one", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EBP, 0x7000);
    poke(m, 0x6ffc, 32, 0xaaaa);
    poke(m, 0x6ff8, 32, 0xbbbb);
    exec(m, [0xc8, 0x08, 0x00, 0x23]); // enter 8, 35  (35 mod 32 = 3)
    expect(peek(m, STACK_TOP - 4, 32)).toBe(0x7000);
    expect(peek(m, STACK_TOP - 8, 32)).toBe(0xaaaa);
    expect(peek(m, STACK_TOP - 12, 32)).toBe(0xbbbb);
    expect(peek(m, STACK_TOP - 16, 32)).toBe(STACK_TOP - 4);
    expect(c.reg32(Reg.EBP)).toBe(STACK_TOP - 4);
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP - 16 - 8);
  });

  it("ENTER level 1 pushes only the new frame pointer", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EBP, 0x7000);
    exec(m, [0xc8, 0x00, 0x00, 0x01]); // enter 0, 1
    expect(peek(m, STACK_TOP - 8, 32)).toBe(STACK_TOP - 4);
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP - 8);
  });

  it("ENTER with a 16-bit operand on a 32-bit stack writes BP only, as the native CPU does", () => {
    // The same values as a native run of o16 enter 4,2 (low words of EBP and ESP: 50fc, 513c).
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.ESP, 0x513c);
    c.setReg32(Reg.EBP, 0x50fc);
    poke(m, 0x50f8, 32, 0xdeadbeef);
    exec(m, [0x66, 0xc8, 0x04, 0x00, 0x02]);
    expect(c.reg32(Reg.ESP)).toBe(0x513c - 10);
    expect(peek(m, 0x513a, 16)).toBe(0x50fc);
    expect(peek(m, 0x5138, 16)).toBe(0xdead);
    expect(peek(m, 0x5136, 16)).toBe(0x513a);
    expect(c.reg32(Reg.EBP)).toBe(0x513a);
    const n = protectedMachine();
    n.cpu.setReg32(Reg.EBP, 0x12345678);
    exec(n, [0x66, 0xc8, 0x10, 0x00, 0x00]); // o16 enter 16, 0
    expect(n.cpu.reg32(Reg.EBP)).toBe(0x12340000 | ((STACK_TOP - 2) & 0xffff));
    expect(n.cpu.reg32(Reg.ESP)).toBe(STACK_TOP - 0x12);
  });

  it("ENTER leaves every register unchanged when a frame-pointer copy faults", () => {
    const m = realMachine();
    const c = m.cpu;
    c.setReg32(Reg.ESP, 0x0002);
    c.setReg32(Reg.EBP, 0x0001);
    expect(execFault(m, [0xc8, 0x04, 0x00, 0x02])).toBe(Vector.SS); // [bp-2] = 0xffff straddles the limit
    expect(c.reg32(Reg.ESP)).toBe(2);
    expect(c.reg32(Reg.EBP)).toBe(1);
  });

  it("ENTER wraps SP and the copied frame pointers at 64 KiB", () => {
    const m = realMachine();
    const c = m.cpu;
    c.setReg32(Reg.ESP, 0x0002);
    c.setReg32(Reg.EBP, 0x0000);
    poke(m, 0xfffe, 16, 0x5151);
    exec(m, [0xc8, 0x04, 0x00, 0x02]); // enter 4, 2
    expect(peek(m, 0x0000, 16)).toBe(0x0000); // old BP
    expect(peek(m, 0xfffe, 16)).toBe(0x5151); // copy of [BP-2]
    expect(peek(m, 0xfffc, 16)).toBe(0x0000); // frame pointer
    expect(c.reg16(Reg.EBP)).toBe(0x0000);
    expect(c.reg16(Reg.ESP)).toBe(0xfff8);
  });

  it("ENTER checks that the new top of stack is inside the stack segment", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.SS, 0x10, 0, 0xffff, 0x4093);
    c.setReg32(Reg.ESP, 0x100);
    c.setReg32(Reg.EBP, 0x42);
    expect(execFault(m, [0xc8, 0x00, 0x02, 0x00])).toBe(Vector.SS); // enter 0x200, 0
    expect(c.reg32(Reg.ESP)).toBe(0x100);
    expect(c.reg32(Reg.EBP)).toBe(0x42);
  });

  it("LEAVE restores ESP from EBP and pops EBP", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setReg32(Reg.EBP, 0x12345678);
    exec(m, [0xc8, 0x20, 0x00, 0x00, 0xc9], 2); // enter 32, 0 ; leave
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP);
    expect(c.reg32(Reg.EBP)).toBe(0x12345678);
  });

  it("LEAVE with a 16-bit operand pops BP only; on a 16-bit stack SP = BP", () => {
    const m = stack16();
    const c = m.cpu;
    c.setReg32(Reg.ESP, 0xabcd0000 | 0);
    c.setReg32(Reg.EBP, 0x5555fff0);
    poke(m, 0xfff0, 16, 0x1234);
    exec(m, [0x66, 0xc9]);
    expect(c.reg32(Reg.ESP)).toBe(0xabcdfff2 | 0);
    expect(c.reg32(Reg.EBP)).toBe(0x55551234);
  });

  it("LEAVE faults without moving ESP when EBP points outside the stack", () => {
    const m = protectedMachine();
    const c = m.cpu;
    c.setSegmentCache(Sreg.SS, 0x10, 0, 0xffff, 0x4093);
    c.setReg32(Reg.EBP, 0x10000);
    expect(execFault(m, [0xc9])).toBe(Vector.SS);
    expect(c.reg32(Reg.ESP)).toBe(STACK_TOP);
    expect(c.reg32(Reg.EBP)).toBe(0x10000);
  });
});
