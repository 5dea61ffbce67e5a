/**
 * The APIC page under both engines: a compiled loop that now and then reads the
 * timer's current count and writes the TPR through MMIO (which holds the timer's
 * vector back while it is high), interrupted by the periodic local APIC timer,
 * takes every interrupt at the same instruction count as the interpreter; code fetched from an APIC register (the timer's initial
 * count, rewritten between calls) is never cached, by the decode cache or the
 * JIT.
 */
import { expect, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { compareCpus } from "../../runtime/diff.js";
import type { Machine } from "../../runtime/machine.js";
import { flatMachine } from "./support.js";

// 0x1000:
//   mov dword [0xFEE000F0], 0x1FF      ; software enable
//   mov dword [0xFEE003E0], 0xB        ; divide by 1
//   mov dword [0xFEE00320], 0x20040    ; periodic, vector 0x40
//   mov dword [0xFEE00380], 3000
//   sti
//   mov ecx, 200000
// .l: add ebx, ecx / imul eax, ebx, 7 / test cl, cl / jnz .s
//     mov eax, [0xFEE00390] / xor edx, eax / mov [0xFEE00080], ch   ; every 256th round: CCR, TPR (a byte write)
// .s: dec ecx / jnz .l
//   cli
//   mov dword [0xFEE00320], 0x10040    ; timer masked
//   xor eax, eax / mov esi, 1000
// .c: mov dword [0xFEE00380], 0xC340   ; "inc eax; ret" in the initial-count register
//   call 0xFEE00380 / call 0xFEE00380
//   mov dword [0xFEE00380], 0xC348     ; "dec eax; ret"
//   call 0xFEE00380 / dec esi / jnz .c
//   hlt
const MAIN = [
  0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0x00, 0x00, 0xc7, 0x05, 0xe0, 0x03, 0xe0, 0xfe, 0x0b, 0x00, 0x00, 0x00, 0xc7,
  0x05, 0x20, 0x03, 0xe0, 0xfe, 0x40, 0x00, 0x02, 0x00, 0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe, 0xb8, 0x0b, 0x00, 0x00, 0xfb, 0xb9,
  0x40, 0x0d, 0x03, 0x00, 0x01, 0xcb, 0x6b, 0xc3, 0x07, 0x84, 0xc9, 0x75, 0x0d, 0xa1, 0x90, 0x03, 0xe0, 0xfe, 0x31, 0xc2, 0x88,
  0x2d, 0x80, 0x00, 0xe0, 0xfe, 0x49, 0x75, 0xe7, 0xfa, 0xc7, 0x05, 0x20, 0x03, 0xe0, 0xfe, 0x40, 0x00, 0x01, 0x00, 0x31, 0xc0,
  0xbe, 0xe8, 0x03, 0x00, 0x00, 0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe, 0x40, 0xc3, 0x00, 0x00, 0xe8, 0x18, 0xf3, 0xdf, 0xfe, 0xe8,
  0x13, 0xf3, 0xdf, 0xfe, 0xc7, 0x05, 0x80, 0x03, 0xe0, 0xfe, 0x48, 0xc3, 0x00, 0x00, 0xe8, 0x04, 0xf3, 0xdf, 0xfe, 0x4e, 0x75,
  0xda, 0xf4,
];
// 0x2000, vector 0x40: inc dword [0x3000] / mov dword [0xFEE000B0], 0 / iretd
const HANDLER = [0xff, 0x05, 0x00, 0x30, 0x00, 0x00, 0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0xcf];

function machine(engine: "interp" | "jit"): { m: Machine; taken: number[] } {
  return flatMachine(engine, MAIN, 0x40, HANDLER);
}

const a = machine("interp");
const b = machine("jit");
const ra = a.m.runSync();
const rb = b.m.runSync();

it("takes the local APIC timer's interrupts at the same counts under both engines, MMIO in compiled code", () => {
  expect(ra.reason).toBe("halt");
  expect(rb).toEqual(ra);
  expect(a.taken.length).toBeGreaterThan(20);
  expect(b.taken).toEqual(a.taken);
  expect(b.m.cpu.readPhys32(0x3000)).toBe(a.taken.length);
  expect(compareCpus(a.m.cpu, b.m.cpu, true)).toEqual([]);
  const stats = (b.m.engine as { stats?: { compiledInstructions: number } }).stats;
  expect(stats?.compiledInstructions).toBeGreaterThan(100_000);
});

it("runs code fetched from an APIC register afresh every time, under both engines", () => {
  for (const { m } of [a, b]) {
    // 1000 rounds of inc, inc, dec: a stale decode of the register would count differently.
    expect(m.cpu.reg32(Reg.EAX)).toBe(1000);
    expect(m.interpreter.decodeCache.lookup(0xfee00380, true)).toBeUndefined();
  }
});
