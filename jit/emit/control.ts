/**
 * Near JMP CALL RET, LOOP LOOPE LOOPNE JCXZ (src/interp/control.ts). Direct
 * targets were checked against the CS limit at translation (jit/region.ts sends
 * the others to the helper); indirect ones are checked here, #GP(0) before any
 * register changes.
 */
import { Vector } from "../../src/cpu/exceptions.js";
import { Reg } from "../../src/cpu/layout.js";
import type { Insn } from "../../src/decode/insn.js";
import type { I32 } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";
import type { Emitter, EmitterFactory } from "./emitter.js";
import { readMem } from "./memory.js";
import { push, readE, setSp, spOffset } from "./operands.js";
import { Sreg } from "../../src/cpu/layout.js";

const ESP_BIT = 1 << Reg.ESP;

/** A computed branch target: masked to the operand size, #GP(0) beyond the CS limit (branchTo). */
function checkedTarget(x: Ctx, target: I32, o32: boolean): I32 {
  const m = x.wasm;
  const t = x.hold(o32 ? target : m.and(target, m.c(0xffff)));
  if (x.csLimit !== -1) x.raiseIf(m.gtU(m.get(t), m.c(x.csLimit)), Vector.GP, 0);
  return m.get(t);
}

const isRelative = (operands: readonly string[]) => operands[0][0] === "J";

const jmp: EmitterFactory = (row) =>
  isRelative(row.operands)
    ? { writes: () => 0 }
    : { writes: () => 0, target: (x, i) => checkedTarget(x, readE(x, i, i.o32 ? 32 : 16), i.o32) };

const call: EmitterFactory = (row): Emitter => {
  if (isRelative(row.operands)) {
    return { mayFault: true, writes: () => ESP_BIT, emit: (x, i) => push(x, x.wasm.c(x.nextEip), i.o32 ? 32 : 16) };
  }
  return {
    mayFault: true,
    writes: () => ESP_BIT,
    target(x, i) {
      const t = x.hold(checkedTarget(x, readE(x, i, i.o32 ? 32 : 16), i.o32));
      push(x, x.wasm.c(x.nextEip), i.o32 ? 32 : 16);
      return x.wasm.get(t);
    },
  };
};

const ret: EmitterFactory = () => ({
  mayFault: true,
  writes: () => ESP_BIT,
  target(x, i) {
    const size = i.o32 ? 32 : 16;
    const v = readMem(x, Sreg.SS, spOffset(x, 0), size);
    const t = x.hold(checkedTarget(x, x.wasm.get(v), i.o32));
    setSp(x, spOffset(x, (size >> 3) + i.imm));
    return x.wasm.get(t);
  },
});

/** The count register by address size, decremented; the branch needs it non-zero. */
function loop(kind: number): EmitterFactory {
  return () => ({
    writes: () => 1 << Reg.ECX,
    condition(x, i: Insn) {
      const m = x.wasm;
      const size = i.a32 ? 32 : 16;
      const count = x.hold(m.sub(x.reg(Reg.ECX, size), m.c(1)));
      const zf = kind === 0 ? undefined : x.hold(x.cond(kind === 1 ? 4 : 5));
      x.setReg(Reg.ECX, size, m.get(count));
      const nonzero = size === 32 ? m.get(count) : m.and(m.get(count), m.c(0xffff));
      return zf ? m.and(m.ne(nonzero, m.c(0)), m.get(zf)) : nonzero;
    },
  });
}

const jcxz: EmitterFactory = () => ({
  writes: () => 0,
  condition: (x, i) => x.wasm.eqz(x.reg(Reg.ECX, i.a32 ? 32 : 16)),
});

export const emitters: Record<string, EmitterFactory> = {
  jmp,
  call,
  ret,
  loop: loop(0),
  loope: loop(1),
  loopne: loop(2),
  jcxz,
};
