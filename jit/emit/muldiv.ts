/**
 * MUL, IMUL (one, two and three operands), DIV, IDIV (src/interp/muldiv.ts).
 *
 * 32-bit products and dividends are i64 values. The Ctx has no i64 locals, so
 * an i64 expression needed twice is built twice. #DE (a zero divisor, a
 * quotient too wide for its destination) is raised before anything changes;
 * every division that could trap in Wasm is behind those tests.
 *
 * Flags as the interpreter leaves them: a multiplication stores CF = OF =
 * overflow and keeps the rest; a division keeps CF and OF, clears SF ZF PF and
 * sets AF.
 */
import { Vector } from "../../src/cpu/exceptions.js";
import { AF, CF, OF, PF, SF, ZF } from "../../src/cpu/flags.js";
import { Reg } from "../../src/cpu/layout.js";
import type { Insn } from "../../src/decode/insn.js";
import { sizeOf } from "../../src/interp/operands.js";
import type { I32, I64, Local } from "../wasm/encoder.js";
import { type Ctx, sx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { storeFlags } from "./flags.js";
import { readE } from "./operands.js";

const EAX_BIT = 1 << Reg.EAX;
const EAX_EDX = EAX_BIT | (1 << Reg.EDX);

function mulFlags(x: Ctx, overflow: I32): void {
  storeFlags(x, CF | OF, x.wasm.mul(overflow, x.wasm.c(CF | OF)));
}

function divFlags(x: Ctx): void {
  storeFlags(x, SF | ZF | AF | PF, x.wasm.c(AF));
}

/** The high half of the 64-bit product of two i32 values. */
function productHigh(x: Ctx, a: Local<"i32">, b: Local<"i32">, signed: boolean): I32 {
  const m = x.wasm;
  const ext = (v: Local<"i32">) => (signed ? m.extendS(m.get(v)) : m.extendU(m.get(v)));
  return m.wrap(m.shrU64(m.mul64(ext(a), ext(b)), m.c64(32n)));
}

/** MUL and IMUL r/m: AX = AL * r/m, DX:AX = AX * r/m, EDX:EAX = EAX * r/m. */
function widening(signed: boolean): EmitterFactory {
  return (row) => {
    const size = sizeOf(row.operands[0]);
    return {
      writes: (i) => (size(i) === 8 ? EAX_BIT : EAX_EDX),
      emit(x, i) {
        const m = x.wasm;
        const sz = size(i);
        const b = x.hold(readE(x, i, sz));
        if (sz === 32) {
          const a = x.hold(x.reg(Reg.EAX, 32));
          const lo = x.hold(m.mul(m.get(a), m.get(b)));
          const hi = x.hold(productHigh(x, a, b, signed));
          x.setReg(Reg.EAX, 32, m.get(lo));
          x.setReg(Reg.EDX, 32, m.get(hi));
          mulFlags(x, m.ne(m.get(hi), signed ? m.shrS(m.get(lo), m.c(31)) : m.c(0)));
          return;
        }
        const a = x.reg(Reg.EAX, sz);
        const p = x.hold(signed ? m.mul(sx(m, a, sz), sx(m, m.get(b), sz)) : m.mul(a, m.get(b)));
        x.setReg(Reg.EAX, 16, m.get(p));
        if (sz === 16) x.setReg(Reg.EDX, 16, m.shrU(m.get(p), m.c(16)));
        mulFlags(x, signed ? m.ne(m.get(p), sx(m, m.get(p), sz)) : m.gtU(m.get(p), m.c((1 << sz) - 1)));
      },
    };
  };
}

/** The truncating signed product of IMUL r, r/m (, imm): sets the flags, returns the result. */
function truncating(x: Ctx, a: Local<"i32">, b: Local<"i32">, size: number): I32 {
  const m = x.wasm;
  if (size === 16) {
    const p = x.hold(m.mul(m.ext16s(m.get(a)), m.ext16s(m.get(b))));
    mulFlags(x, m.ne(m.get(p), m.ext16s(m.get(p))));
    return m.get(p);
  }
  const lo = x.hold(m.mul(m.get(a), m.get(b)));
  mulFlags(x, m.ne(productHigh(x, a, b, true), m.shrS(m.get(lo), m.c(31))));
  return m.get(lo);
}

/** IMUL Gv,Ev (source: the r/m operand) and IMUL Gv,Ev,imm (r/m times the immediate). */
function imulTo(factor: (x: Ctx, i: Insn, size: number) => [I32, I32]): EmitterFactory {
  return (row) => {
    const size = sizeOf(row.operands[0]);
    return {
      writes: (i) => 1 << i.reg,
      emit(x, i) {
        const sz = size(i);
        const [a, b] = factor(x, i, sz);
        const ha = x.hold(a);
        x.setReg(i.reg, sz, truncating(x, ha, x.hold(b), sz));
      },
    };
  };
}

/** A dividend wider than 32 bits: EDX:EAX. */
function edxEax(x: Ctx): I64 {
  const m = x.wasm;
  return m.or64(m.shl64(m.extendU(x.reg(Reg.EDX, 32)), m.c64(32n)), m.extendU(x.reg(Reg.EAX, 32)));
}

/**
 * DIV and IDIV. The quotient and remainder of the narrow sizes, and the
 * remainder of the 32-bit one once the quotient is known to fit, come from i32
 * arithmetic: n - q * d is exact in its low 32 bits.
 */
function divide(signed: boolean): EmitterFactory {
  return (row) => {
    const size = sizeOf(row.operands[0]);
    return {
      // #DE is possible whatever the operand: the translator must keep every flag live before it.
      mayFault: true,
      writes: (i) => (size(i) === 8 ? EAX_BIT : EAX_EDX),
      emit(x, i) {
        const m = x.wasm;
        const sz = size(i);
        const e = readE(x, i, sz);
        const d = x.hold(signed ? sx(m, e, sz) : e);
        x.raiseIf(m.eqz(m.get(d)), Vector.DE, 0);
        const ext = (v: I32) => (signed ? m.extendS(v) : m.extendU(v));
        const div64 = (n: I64) => (signed ? m.divS64(n, ext(m.get(d))) : m.divU64(n, ext(m.get(d))));
        if (sz === 32) {
          if (signed) {
            // -2^63 / -1 traps in Wasm; its quotient is out of range anyway.
            const minOverMinusOne = m.and(m.and(m.eq(x.reg(Reg.EDX, 32), m.c(0x80000000)), m.eqz(x.reg(Reg.EAX, 32))), m.eq(m.get(d), m.c(-1)));
            x.raiseIf(minOverMinusOne, Vector.DE, 0);
          } else {
            x.raiseIf(m.geU(x.reg(Reg.EDX, 32), m.get(d)), Vector.DE, 0);
          }
          const q = x.hold(m.wrap(div64(edxEax(x))));
          if (signed) x.raiseIf(m.ne(m.wrap(m.shrU64(div64(edxEax(x)), m.c64(32n))), m.shrS(m.get(q), m.c(31))), Vector.DE, 0);
          const r = x.hold(m.sub(x.reg(Reg.EAX, 32), m.mul(m.get(q), m.get(d))));
          x.setReg(Reg.EAX, 32, m.get(q));
          x.setReg(Reg.EDX, 32, m.get(r));
          divFlags(x);
          return;
        }
        const wide = sz === 8 ? x.reg(Reg.EAX, 16) : m.or(m.shl(x.reg(Reg.EDX, 16), m.c(16)), x.reg(Reg.EAX, 16));
        const n = x.hold(signed && sz === 8 ? m.ext16s(wide) : wide);
        const q = x.hold(m.wrap(div64(ext(m.get(n)))));
        x.raiseIf(signed ? m.ne(m.get(q), sx(m, m.get(q), sz)) : m.gtU(m.get(q), m.c((1 << sz) - 1)), Vector.DE, 0);
        const r = m.sub(m.get(n), m.mul(m.get(q), m.get(d)));
        if (sz === 8) {
          x.setReg(Reg.EAX, 16, m.or(m.shl(m.and(r, m.c(0xff)), m.c(8)), m.and(m.get(q), m.c(0xff))));
        } else {
          x.setReg(Reg.EAX, 16, m.get(q));
          x.setReg(Reg.EDX, 16, r);
        }
        divFlags(x);
      },
    };
  };
}

export const emitters: Record<string, EmitterFactory> = {
  mul: widening(false),
  imul: widening(true),
  imul2: imulTo((x, i, sz) => [x.reg(i.reg, sz), readE(x, i, sz)]),
  imul3: imulTo((x, i, sz) => [readE(x, i, sz), x.wasm.c(i.imm & (sz === 32 ? -1 : 0xffff))]),
  div: divide(false),
  idiv: divide(true),
};
