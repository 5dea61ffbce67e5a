/**
 * SHL SHR SAR ROL ROR by 1 or an immediate (src/interp/shift.ts); counts in CL,
 * the rotates through CF and the double shifts run through the helper. A masked
 * count of 0 changes nothing but may still fault on its operand: the helper
 * keeps those too.
 *
 * Flags as the interpreter leaves them: shifts make SF/ZF/PF lazy from the
 * result and store CF, OF and AF (always set) in EFLAGS; rotates store CF and OF
 * and drop them from the lazy mask.
 */
import { AF, CF, LazyOp, OF, PF, SF, ZF } from "../../src/cpu/flags.js";
import type { Insn } from "../../src/decode/insn.js";
import { sizeOf } from "../../src/interp/operands.js";
import type { I32, Local } from "../wasm/module.js";
import { type Ctx, sx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { modifyE, regBit } from "./operands.js";

const SZP = SF | ZF | PF;

/** Result and the CF (bit 0) and OF (bit 11) to store, for a static count `n` (1..31). */
type Op = (x: Ctx, a: Local<"i32">, n: number, size: number) => { r: I32; cfOf: I32 };

const maskOf = (size: number) => (size === 32 ? -1 : (1 << size) - 1);

function bit(x: Ctx, v: I32, k: number): I32 {
  return x.m.and(x.m.shrU(v, x.m.c(k)), x.m.c(1));
}

const shl: Op = (x, a, n, size) => {
  const m = x.m;
  const r = x.hold(m.and(m.shl(m.get(a), m.c(n)), m.c(maskOf(size))));
  const cf = n <= size ? x.hold(bit(x, m.get(a), size - n)) : undefined;
  const top = bit(x, m.get(r), size - 1);
  const of = cf ? m.xor(top, m.get(cf)) : top;
  return { r: m.get(r), cfOf: cf ? m.or(m.get(cf), m.shl(of, m.c(11))) : m.shl(of, m.c(11)) };
};

const shr: Op = (x, a, n, size) => {
  const m = x.m;
  const cf = bit(x, m.get(a), n - 1);
  const of = n === 1 ? m.shl(bit(x, m.get(a), size - 1), m.c(11)) : undefined;
  return { r: m.shrU(m.get(a), m.c(n)), cfOf: of ? m.or(cf, of) : cf };
};

const sar: Op = (x, a, n, size) => {
  const m = x.m;
  const s = x.hold(sx(m, m.get(a), size));
  return { r: m.and(m.shrS(m.get(s), m.c(n)), m.c(maskOf(size))), cfOf: m.and(m.shrS(m.get(s), m.c(n - 1)), m.c(1)) };
};

function rotate(left: boolean): Op {
  return (x, a, n, size) => {
    const m = x.m;
    const k = n & (size - 1);
    let r: Local<"i32">;
    if (size === 32) r = x.hold(left ? rotl(x, m.get(a), k) : rotl(x, m.get(a), (32 - k) & 31));
    else if (k === 0) r = a;
    else {
      const hi = left ? m.shl(m.get(a), m.c(k)) : m.shl(m.get(a), m.c(size - k));
      const lo = left ? m.shrU(m.get(a), m.c(size - k)) : m.shrU(m.get(a), m.c(k));
      r = x.hold(m.and(m.or(hi, lo), m.c(maskOf(size))));
    }
    const cf = x.hold(left ? m.and(m.get(r), m.c(1)) : bit(x, m.get(r), size - 1));
    const of = left ? m.xor(bit(x, m.get(r), size - 1), m.get(cf)) : m.xor(m.get(cf), bit(x, m.get(r), size - 2));
    return { r: m.get(r), cfOf: m.or(m.get(cf), m.shl(of, m.c(11))) };
  };
}

function rotl(x: Ctx, v: I32, k: number): I32 {
  const m = x.m;
  return k === 0 ? v : m.or(m.shl(v, m.c(k)), m.shrU(v, m.c(32 - k)));
}

function factory(op: Op, isRotate: boolean): EmitterFactory {
  return (row) => {
    const size = sizeOf(row.operands[0]);
    const countCode = row.operands[1];
    const count = (i: Insn) => (countCode === "1" ? 1 : i.imm & 0x1f);
    return {
      accepts: (i) => (countCode === "1" || countCode === "Ib") && count(i) !== 0,
      writes: (i) => (i.mod === 3 ? regBit(i.rm, size(i)) : 0),
      emit(x, i) {
        const sz = size(i);
        const n = count(i);
        modifyE(x, i, sz, (a) => {
          const m = x.m;
          const { r, cfOf } = op(x, a, n, sz);
          const res = x.hold(r);
          const flags = x.hold(cfOf);
          const eflags = () => m.and(x.eflags(), m.c(~(CF | OF)));
          if (isRotate) {
            x.dropFlags(CF | OF);
            x.setEflags(m.or(eflags(), m.get(flags)));
          } else {
            // CF, OF and AF are all stored: nothing of the previous record needs keeping.
            x.setFlags(LazyOp.LOGIC, m.c(0), m.c(0), m.get(res), sz, SZP, 0);
            x.setEflags(m.or(eflags(), m.or(m.get(flags), m.c(AF))));
          }
          return m.get(res);
        });
      },
    };
  };
}

export const emitters: Record<string, EmitterFactory> = {
  shl: factory(shl, false),
  shr: factory(shr, false),
  sar: factory(sar, false),
  rol: factory(rotate(true), true),
  ror: factory(rotate(false), true),
};
