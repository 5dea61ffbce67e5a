/**
 * A guest in an endless exception loop retires nothing: runs must still end at
 * their limit and on stop(), in both engines, with the engines agreeing
 * (ARCHITECTURE.md "Progress and the instruction limit").
 */
import { describe, expect, test } from "vitest";
import { bootImage, createMachine } from "../../runtime/api.js";
import { runDiff } from "../../runtime/diff.js";
import { addressImage } from "../support/images.js";

const UD2 = 0x20;

/**
 * A 4 KiB real-mode ROM whose #UD handler (IVT entry 6) is the UD2 that raises
 * it: every delivery pushes 6 bytes on a stack of its own (SS = 0x1000) that
 * wraps within its segment, so delivery stays legal for ever.
 */
function realModeLoop(): Uint8Array {
  const rom = new Uint8Array(0x1000).fill(0x90);
  rom.set(
    [
      0x31, 0xc0, // xor ax,ax
      0x8e, 0xd8, // mov ds,ax
      0xc7, 0x06, 0x18, 0x00, UD2, 0xf0, // mov word [0x18],0xF000+UD2
      0xc7, 0x06, 0x1a, 0x00, 0x00, 0xf0, // mov word [0x1a],0xF000
      0xb8, 0x00, 0x10, // mov ax,0x1000
      0x8e, 0xd0, // mov ss,ax
      0x31, 0xe4, // xor sp,sp
    ],
    0,
  );
  rom.set([0x0f, 0x0b], UD2);
  rom.set([0xea, 0x00, 0xf0, 0x00, 0xf0], 0xff0); // jmp far F000:F000
  return rom;
}
/** Instructions realModeLoop retires before its first UD2: the far jump, seven, nine NOPs. */
const REAL_MODE_SETUP = 17;

/**
 * The same in protected mode: IDT entry 6 an interrupt gate to the UD2 that
 * raises it, a 16-bit stack segment (SP wraps within its 64 KiB).
 */
function protectedModeLoop(): Uint8Array {
  const base = 0x100020;
  const code = [
    0x0f, 0x01, 0x15, 0, 0, 0, 0, // lgdt [gdtr]
    0xbc, 0x00, 0x00, 0x00, 0x01, // mov esp,0x1000000
    0x0f, 0x01, 0x1d, 0, 0, 0, 0, // lidt [idtr]
    0x66, 0xb8, 0x18, 0x00, // mov ax,0x18
    0x8e, 0xd0, // mov ss,ax
    0x31, 0xe4, // xor esp,esp
  ];
  const ud2 = base + code.length;
  code.push(0x0f, 0x0b);
  while ((base + code.length) & 7) code.push(0x90);
  const gdt = base + code.length;
  code.push(0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0, 0xff, 0xff, 0, 0, 0x20, 0x92, 0, 0);
  const idt = base + code.length;
  for (let v = 0; v < 8; v++) code.push(...(v === 6 ? [ud2 & 0xff, (ud2 >> 8) & 0xff, 0x08, 0, 0, 0x8e, (ud2 >> 16) & 0xff, ud2 >>> 24] : [0, 0, 0, 0, 0, 0, 0, 0]));
  const table = (at: number, limit: number) => [limit, 0, at & 0xff, (at >> 8) & 0xff, (at >> 16) & 0xff, at >>> 24];
  const gdtr = base + code.length;
  code.push(...table(gdt, 31));
  const idtr = base + code.length;
  code.push(...table(idt, 63));
  const put = (at: number, v: number) => code.splice(at, 4, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
  put(3, gdtr);
  put(15, idtr);
  return addressImage(code, 0x00010000, 0x1000);
}
const PROTECTED_SETUP = 6;

const guests = [
  { name: "real mode", image: realModeLoop, setup: REAL_MODE_SETUP },
  { name: "protected mode", image: protectedModeLoop, setup: PROTECTED_SETUP },
];

describe("an endless exception loop", () => {
  for (const g of guests) {
    for (const engine of ["interp", "jit"] as const) {
      test(`${g.name}, ${engine}: the limit counts delivered exceptions`, () => {
        const m = createMachine({ engine, memMiB: 16 });
        bootImage(m, g.image());
        const r = m.runSync(50_000);
        expect(r).toEqual({ reason: "limit", instructions: g.setup });
        expect(m.stats().delivered).toBe(50_000 - g.setup);
        // A second run goes on from there, bounded the same way.
        expect(m.runSync(1000)).toEqual({ reason: "limit", instructions: 0 });
        expect(m.stats().delivered).toBe(51_000 - g.setup);
      });

      test(`${g.name}, ${engine}: stop() ends the run`, async () => {
        const m = createMachine({ engine, memMiB: 16 });
        bootImage(m, g.image());
        const run = m.run();
        setTimeout(() => m.stop(), 50);
        const r = await run;
        expect(r).toEqual({ reason: "stopped", instructions: g.setup });
        expect(m.stats().delivered).toBeGreaterThan(0);
      });
    }

    test(`${g.name}: the engines agree in lockstep`, () => {
      const r = runDiff(g.image(), "loop.bin", { memMiB: 16, maxInstructions: 50_000 });
      expect(r.differences).toEqual([]);
      expect(r.stop).toBe("limit");
      expect(r.instructions).toBe(g.setup);
    });
  }
});
