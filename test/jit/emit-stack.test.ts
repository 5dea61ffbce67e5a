/**
 * PUSHA POPA ENTER (levels 0 and 1 inline, deeper ones through the helper) and
 * PUSH imm / PUSH r/m against the interpreter: both operand sizes on 32- and
 * 16-bit stacks (SP wrapping, ESP's high word kept), and stack accesses that
 * fault part-way, where the interpreter has already made some of the stores.
 */
import { describe as suite, expect, it } from "vitest";
import { Reg } from "../../src/cpu/layout.js";
import { Asm, M, producer, runCases, SLOTS, Values } from "./emit-harness.js";
import { type GuestMode, unmap } from "./support.js";

const SAVE = 0x70;
const POINTER = 0x48;

/** Save ESP, point it at `top` (or at the value in POINTER), run `body`, checkpoint, restore ESP. */
function onStack(code32: boolean, top: number | undefined, body: (a: Asm) => void, v: Values, k: number): Asm {
  const a = new Asm(code32);
  a.emit(...a.osz(32), 0x89, ...a.modrm(Reg.ESP, M(SAVE)));
  a.regs(v.registers());
  if (top === undefined) a.load(Reg.ESP, POINTER);
  else a.mov(Reg.ESP, top);
  producer(a, k, v);
  body(a);
  a.check();
  return a.emit(...a.osz(32), 0x8b, ...a.modrm(Reg.ESP, M(SAVE)));
}

function stackCases(mode: GuestMode, seed: number, count: number): Asm[] {
  const code32 = mode !== "real";
  const v = new Values(seed);
  const cases: Asm[] = [];
  for (let k = 0; k < count; k++) {
    // A 16-bit stack keeps ESP's high word and wraps SP (at 0 or just above, aligned so that no access
    // straddles the 64 KiB limit).
    const size = v.int(2) ? 32 : 16;
    const low = v.int(4) === 0 ? (v.int(4) * size) >> 3 : 0xc000 + 0x40 * v.int(16);
    const top = code32 ? 0x10800 + 0x40 * v.int(16) : (v.next() & 0xffff0000) | low;
    const o = (a: Asm) => a.osz(size);
    cases.push(
      onStack(
        code32,
        top,
        (a) => {
          switch (k % 5) {
            case 0:
              a.probe(...o(a), 0x60);
              break;
            case 1:
              a.probe(...o(a), 0x60).regs(v.registers()).probe(...o(a), 0x61);
              break;
            case 2: {
              const level = v.int(2);
              // Frames of up to 1 KiB, of even sizes: the new top stays in the stack's page or the one
              // below, and does not straddle the two (which would leave the fast path).
              a.probe(...o(a), 0xc8, 2 * v.int(128), v.int(4), level);
              // (A 16-bit ENTER leaves EBP's high word: a LEAVE on a 32-bit stack would read far away.)
              if (v.int(2) && (size === 32 || !code32)) a.emit(...o(a), 0xc9);
              break;
            }
            case 3:
              a.store(SLOTS + 8 * k, v.value());
              if (v.int(2)) a.probe(...o(a), 0x68, ...le(v.value(), size >> 3));
              else a.probe(...o(a), 0x6a, v.int(256));
              a.probe(...o(a), 0xff, ...a.modrm(6, M(SLOTS + 8 * k)));
              break;
            default:
              // Deeper nesting copies frame pointers: the helper runs it.
              a.mov(Reg.EBP, top - 0x20).emit(...o(a), 0xc8, 0x10, 0x00, 2 + v.int(3));
              a.helpers++;
          }
        },
        v,
        k,
      ),
    );
  }
  return cases;
}

const le = (x: number, n: number) => Array.from({ length: n }, (_, k) => (x >>> (8 * k)) & 0xff);

const MODES: GuestMode[] = ["flat", "real", "paged"];

suite("PUSHA POPA ENTER PUSH inline", () => {
  for (const mode of MODES) {
    it(`both operand sizes, ${mode}`, () => {
      runCases(mode, stackCases(mode, 37 + mode.length, 200));
    });
  }

  // Pages 0x65 and 0x67 are mapped, 0x64 and 0x66 are not: each instruction's accesses run from one
  // into the other. The first pass runs in the page of the first access, so that compiled code finds it
  // in the TLB and goes on to the access that faults.
  const faults: [string, number[], number, number][] = [
    ["PUSHAD stores into a missing page after some that succeeded", [0x60], 0x65800, 0x65010],
    ["PUSHA (16-bit operands)", [0x66, 0x60], 0x65800, 0x65008],
    ["POPAD reads across into a missing page", [0x61], 0x65800, 0x65fe8],
    ["ENTER whose new top of stack is in a missing page", [0xc8, 0x00, 0x01, 0x00], 0x67800, 0x67040],
    ["ENTER level 1 whose frame-pointer store is in a missing page", [0xc8, 0x00, 0x00, 0x01], 0x67800, 0x67004],
  ];
  for (const [name, bytes, good, bad] of faults) {
    it(`fault: ${name}`, () => {
      const v = new Values(bad);
      const a = onStack(true, undefined, (x) => x.probe(...bytes), v, 1);
      const r = runCases("paged", [a], {
        passes: 2,
        faults: true,
        setup: (w) => {
          unmap(w, 0x64);
          unmap(w, 0x66);
        },
        before: (pass) => new Asm(true).store(POINTER, pass === 0 ? good : bad).bytes,
      });
      expect(r.logs.jit.length).toBe(1);
      expect(r.jit.cpu.cr2 >>> 12).toBe(bad >= 0x67000 ? 0x66 : bytes[0] === 0x61 ? 0x66 : 0x64);
    });
  }
});
