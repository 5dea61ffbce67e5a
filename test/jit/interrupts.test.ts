/**
 * Interrupts under both engines (ARCHITECTURE.md "The machine and virtual
 * time"): a loop in compiled code
 * with the PIT firing IRQ 0 takes every interrupt at the same instruction
 * count as the interpreter does, and ends in the same state.
 */
import { expect, it } from "vitest";
import { compareCpus } from "../../runtime/diff.js";
import type { Machine } from "../../runtime/machine.js";
import { flatMachine } from "./support.js";

// 0x1000: program the PIC (IRQ 0 at vector 0x20, the others masked) and the PIT (mode 2,
// divisor 100), sti, then: mov ecx,200000 / .l: add ebx,ecx / imul eax,ebx,7 / xor edx,eax /
// dec ecx / jnz .l / cli / hlt
const MAIN = [
  0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x20, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21, 0xb0, 0xfe, 0xe6, 0x21, 0xb0,
  0x34, 0xe6, 0x43, 0xb0, 0x64, 0xe6, 0x40, 0xb0, 0x00, 0xe6, 0x40, 0xfb, 0xb9, 0x40, 0x0d, 0x03, 0x00, 0x01, 0xcb, 0x6b, 0xc3,
  0x07, 0x31, 0xc2, 0x49, 0x75, 0xf6, 0xfa, 0xf4,
];
// 0x2000, IRQ 0: inc dword [0x3000] / push eax / mov al,0x20 / out 0x20,al / pop eax / iretd
const HANDLER = [0xff, 0x05, 0x00, 0x30, 0x00, 0x00, 0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf];

function machine(engine: "interp" | "jit"): { m: Machine; taken: number[] } {
  return flatMachine(engine, MAIN, 0x20, HANDLER);
}

it("takes the PIT's interrupts at the same instruction counts under both engines", () => {
  const a = machine("interp");
  const b = machine("jit");
  const ra = a.m.runSync();
  const rb = b.m.runSync();
  expect(rb).toEqual(ra);
  expect(ra.reason).toBe("halt");
  expect(a.taken.length).toBeGreaterThan(20);
  expect(b.taken).toEqual(a.taken);
  expect(b.m.cpu.readPhys32(0x3000)).toBe(a.taken.length);
  expect(compareCpus(a.m.cpu, b.m.cpu, true)).toEqual([]);
  const stats = (b.m.engine as { stats?: { compiledInstructions: number } }).stats;
  expect(stats?.compiledInstructions).toBeGreaterThan(500_000);
});
