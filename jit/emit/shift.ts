/**
 * ROL ROR RCL RCR SHL SHR SAR by 1, an immediate or CL, and SHLD SHRD
 * (src/interp/shift.ts).
 *
 * The count is masked to 5 bits, and a masked count of 0 changes neither the
 * destination nor any flag. A memory destination is still checked for writing
 * and read then; here it is also written back unchanged, which nothing can
 * observe on the fast path (RAM, no code in the bytes). An immediate count is
 * known at translation; a count in CL is tested at run time, and the formulas
 * take either (Count).
 *
 * Flags as the interpreter leaves them: shifts make SF/ZF/PF lazy from the
 * result and store CF, OF and AF (always set) in EFLAGS; rotates store CF and OF
 * and drop them from the lazy mask.
 */
import { AF, CF, LazyOp, OF, PF, SF, ZF } from "../../src/cpu/flags.js";
import { Reg } from "../../src/cpu/layout.js";
import type { Insn } from "../../src/decode/insn.js";
import { sizeOf } from "../../src/interp/operands.js";
import type { I32, Local } from "../wasm/encoder.js";
import { type Ctx, sx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { onlyIf, storeFlags } from "./flags.js";
import { modifyE, regBit } from "./operands.js";

const SZP = SF | ZF | PF;

/** A masked, non-zero count: known at translation, or held in a local at run time. */
type Count = number | Local<"i32">;

/** The result and the CF (bit 0) and OF (bit 11) to store. */
interface Shifted {
  r: I32;
  cfOf: I32;
}

/** dst = op(dst, count); `i` gives the double shifts their source register. */
type Op = (x: Ctx, i: Insn, a: Local<"i32">, n: Count, size: number) => Shifted;

const maskOf = (size: number) => (size === 32 ? -1 : (1 << size) - 1);

/** n + k. */
function num(x: Ctx, n: Count, k = 0): I32 {
  const m = x.wasm;
  if (typeof n === "number") return m.c(n + k);
  return k === 0 ? m.get(n) : m.add(m.get(n), m.c(k));
}

/** k - n. */
function from(x: Ctx, k: number, n: Count): I32 {
  return typeof n === "number" ? x.wasm.c(k - n) : x.wasm.sub(x.wasm.c(k), x.wasm.get(n));
}

/** A test on the count, decided at translation when the count is known. */
function decide(x: Ctx, n: Count, known: (n: number) => boolean, run: (n: I32) => I32): boolean | I32 {
  return typeof n === "number" ? known(n) : run(x.wasm.get(n));
}

function pick(x: Ctx, c: boolean | I32, a: () => I32, b: () => I32): I32 {
  return c === true ? a() : c === false ? b() : x.wasm.select(c, a(), b());
}

function bit(x: Ctx, v: I32, k: number): I32 {
  return x.wasm.and(x.wasm.shrU(v, x.wasm.c(k)), x.wasm.c(1));
}

function cfOf(x: Ctx, cf: I32, of: I32): I32 {
  return x.wasm.or(cf, x.wasm.shl(of, x.wasm.c(11)));
}

const shl: Op = (x, _i, a, n, size) => {
  const m = x.wasm;
  const r = x.hold(m.and(m.shl(m.get(a), num(x, n)), m.c(maskOf(size))));
  const inRange = size === 32 || decide(x, n, (k) => k <= size, (v) => m.leU(v, m.c(size)));
  const cf = x.hold(pick(x, inRange, () => m.and(m.shrU(m.get(a), from(x, size, n)), m.c(1)), () => m.c(0)));
  return { r: m.get(r), cfOf: cfOf(x, m.get(cf), m.xor(bit(x, m.get(r), size - 1), m.get(cf))) };
};

const shr: Op = (x, _i, a, n, size) => {
  const m = x.wasm;
  const one = decide(x, n, (k) => k === 1, (v) => m.eq(v, m.c(1)));
  const of = pick(x, one, () => bit(x, m.get(a), size - 1), () => m.c(0));
  return { r: m.shrU(m.get(a), num(x, n)), cfOf: cfOf(x, m.and(m.shrU(m.get(a), num(x, n, -1)), m.c(1)), of) };
};

const sar: Op = (x, _i, a, n, size) => {
  const m = x.wasm;
  const s = x.hold(sx(m, m.get(a), size));
  return { r: m.and(m.shrS(m.get(s), num(x, n)), m.c(maskOf(size))), cfOf: m.and(m.shrS(m.get(s), num(x, n, -1)), m.c(1)) };
};

function rotate(left: boolean): Op {
  return (x, _i, a, n, size) => {
    const m = x.wasm;
    let r: Local<"i32">;
    if (size === 32) {
      r = x.hold(left ? m.rotl(m.get(a), num(x, n)) : m.rotr(m.get(a), num(x, n)));
    } else {
      const k = typeof n === "number" ? n & (size - 1) : x.hold(m.and(m.get(n), m.c(size - 1)));
      // A rotation by a multiple of the size still sets the flags; the formula gives `a` for k = 0.
      if (k === 0) r = a;
      else {
        const hi = left ? m.shl(m.get(a), num(x, k)) : m.shl(m.get(a), from(x, size, k));
        const lo = left ? m.shrU(m.get(a), from(x, size, k)) : m.shrU(m.get(a), num(x, k));
        r = x.hold(m.and(m.or(hi, lo), m.c(maskOf(size))));
      }
    }
    const cf = x.hold(left ? m.and(m.get(r), m.c(1)) : bit(x, m.get(r), size - 1));
    const of = left ? m.xor(bit(x, m.get(r), size - 1), m.get(cf)) : m.xor(m.get(cf), bit(x, m.get(r), size - 2));
    return { r: m.get(r), cfOf: cfOf(x, m.get(cf), of) };
  };
}

/** n mod (size + 1) for 8- and 16-bit rotates through CF, n in 1..31. */
function modulo(x: Ctx, n: Count, size: number): Count {
  const m = x.wasm;
  if (typeof n === "number") return n % (size + 1);
  const v = () => m.get(n);
  const wraps = size === 8 ? m.add(m.add(m.geU(v(), m.c(9)), m.geU(v(), m.c(18))), m.geU(v(), m.c(27))) : m.geU(v(), m.c(17));
  return x.hold(m.sub(v(), m.mul(wraps, m.c(size + 1))));
}

/**
 * Rotate through CF: a (size + 1)-bit rotation. In 32 bits the bits shifted
 * in from `a` are `(a >>> 1) >>> (32 - n)` (`(a << 1) << (32 - n)` for RCR),
 * which is 0 for n = 1 where a single shift by 33 - n would not be.
 */
function rotateCarry(left: boolean): Op {
  return (x, _i, a, n, size) => {
    const m = x.wasm;
    const cin = x.hold(x.flagBit(CF));
    let r: Local<"i32">;
    let cf: I32;
    if (size === 32) {
      const main = left ? m.shl(m.get(a), num(x, n)) : m.shrU(m.get(a), num(x, n));
      const carry = left ? m.shl(m.get(cin), num(x, n, -1)) : m.shl(m.get(cin), from(x, 32, n));
      const rest = left ? m.shrU(m.shrU(m.get(a), m.c(1)), from(x, 32, n)) : m.shl(m.shl(m.get(a), m.c(1)), from(x, 32, n));
      r = x.hold(m.or(m.or(main, carry), rest));
      cf = left ? m.and(m.shrU(m.get(a), from(x, 32, n)), m.c(1)) : m.and(m.shrU(m.get(a), num(x, n, -1)), m.c(1));
    } else {
      const k = modulo(x, n, size);
      const v = x.hold(m.or(m.shl(m.get(cin), m.c(size)), m.get(a)));
      let w = v;
      if (k !== 0) {
        const hi = left ? m.shl(m.get(v), num(x, k)) : m.shl(m.get(v), from(x, size + 1, k));
        const lo = left ? m.shrU(m.get(v), from(x, size + 1, k)) : m.shrU(m.get(v), num(x, k));
        w = x.hold(m.and(m.or(hi, lo), m.c((2 << size) - 1)));
      }
      r = x.hold(m.and(m.get(w), m.c(maskOf(size))));
      cf = m.shrU(m.get(w), m.c(size));
    }
    const c = x.hold(cf);
    const of = left ? m.xor(bit(x, m.get(r), size - 1), m.get(c)) : m.and(m.xor(m.shrU(m.get(r), m.c(size - 1)), m.shrU(m.get(r), m.c(size - 2))), m.c(1));
    return { r: m.get(r), cfOf: cfOf(x, m.get(c), of) };
  };
}

/**
 * SHLD: OF by the SHL rule for every count. A 16-bit count of 16 shifts the
 * source in whole (CF = bit 0 of the destination, OF = CF); above 16 the result
 * is the source rotated by count - 16 with CF = OF = 0 (the reference CPU).
 */
const shld: Op = (x, i, a, n, size) => {
  const m = x.wasm;
  const b = x.hold(x.reg(i.reg, size));
  if (size === 32) {
    const r = x.hold(m.or(m.shl(m.get(a), num(x, n)), m.shrU(m.get(b), from(x, 32, n))));
    const cf = x.hold(m.and(m.shrU(m.get(a), from(x, 32, n)), m.c(1)));
    return { r: m.get(r), cfOf: cfOf(x, m.get(cf), m.xor(bit(x, m.get(r), 31), m.get(cf))) };
  }
  const below = () => decide(x, n, (k) => k < 16, (v) => m.ltU(v, m.c(16)));
  const at16 = () => decide(x, n, (k) => k === 16, (v) => m.eq(v, m.c(16)));
  const r = x.hold(
    pick(
      x,
      below(),
      () => m.and(m.or(m.shl(m.get(a), num(x, n)), m.shrU(m.get(b), from(x, 16, n))), m.c(0xffff)),
      () => pick(x, at16(), () => m.get(b), () => m.and(m.or(m.shl(m.get(b), num(x, n, -16)), m.shrU(m.get(b), from(x, 32, n))), m.c(0xffff))),
    ),
  );
  const cf = x.hold(
    pick(
      x,
      below(),
      () => m.and(m.shrU(m.get(a), from(x, 16, n)), m.c(1)),
      () => pick(x, at16(), () => m.and(m.get(a), m.c(1)), () => m.c(0)),
    ),
  );
  const of = pick(x, below(), () => m.xor(bit(x, m.get(r), 15), m.get(cf)), () => pick(x, at16(), () => m.get(cf), () => m.c(0)));
  return { r: m.get(r), cfOf: cfOf(x, m.get(cf), of) };
};

/** SHRD: OF from the two top bits of the result; a 16-bit count above 16 rotates the source, CF = 0. */
const shrd: Op = (x, i, a, n, size) => {
  const m = x.wasm;
  const b = x.hold(x.reg(i.reg, size));
  let r: Local<"i32">;
  let cf: I32;
  if (size === 32) {
    r = x.hold(m.or(m.shrU(m.get(a), num(x, n)), m.shl(m.get(b), from(x, 32, n))));
    cf = m.and(m.shrU(m.get(a), num(x, n, -1)), m.c(1));
  } else {
    const within = () => decide(x, n, (k) => k <= 16, (v) => m.leU(v, m.c(16)));
    r = x.hold(
      pick(
        x,
        within(),
        () => m.and(m.shrU(m.or(m.shl(m.get(b), m.c(16)), m.get(a)), num(x, n)), m.c(0xffff)),
        () => m.and(m.or(m.shrU(m.get(b), num(x, n, -16)), m.shl(m.get(b), from(x, 32, n))), m.c(0xffff)),
      ),
    );
    cf = pick(x, within(), () => m.and(m.shrU(m.get(a), num(x, n, -1)), m.c(1)), () => m.c(0));
  }
  const of = m.and(m.xor(m.shrU(m.get(r), m.c(size - 1)), m.shrU(m.get(r), m.c(size - 2))), m.c(1));
  return { r: m.get(r), cfOf: cfOf(x, cf, of) };
};

/** Store the flags of a shifted result; returns the result. */
function finish(x: Ctx, s: Shifted, size: number, isRotate: boolean): I32 {
  const m = x.wasm;
  const res = x.hold(s.r);
  const flags = x.hold(s.cfOf);
  if (isRotate) {
    storeFlags(x, CF | OF, m.get(flags));
  } else {
    // CF, OF and AF are all stored: nothing of the previous record needs keeping.
    x.setFlags(LazyOp.LOGIC, m.c(0), m.c(0), m.get(res), size, SZP, 0);
    x.setEflags(m.or(m.and(x.eflags(), m.c(~(CF | OF))), m.or(m.get(flags), m.c(AF))));
  }
  return m.get(res);
}

function factory(op: Op, isRotate: boolean): EmitterFactory {
  return (row) => {
    const size = sizeOf(row.operands[0]);
    const countCode = row.operands[row.operands.length - 1];
    const known = (i: Insn) => (countCode === "1" ? 1 : i.imm & 0x1f);
    return {
      writes: (i) => (i.mod === 3 && (countCode === "CL" || known(i) !== 0) ? regBit(i.rm, size(i)) : 0),
      emit(x, i) {
        const m = x.wasm;
        const sz = size(i);
        if (countCode === "CL") {
          modifyE(x, i, sz, (a) => {
            const n = x.hold(m.and(x.reg(Reg.ECX, 8), m.c(0x1f)));
            const res = x.hold(m.get(a));
            onlyIf(x, m.get(n), () => x.emit(m.set(res, finish(x, op(x, i, a, n, sz), sz, isRotate))));
            return m.get(res);
          });
          return;
        }
        const n = known(i);
        if (n !== 0) modifyE(x, i, sz, (a) => finish(x, op(x, i, a, n, sz), sz, isRotate));
        else if (i.mod !== 3) modifyE(x, i, sz, () => null);
      },
    };
  };
}

export const emitters: Record<string, EmitterFactory> = {
  rol: factory(rotate(true), true),
  ror: factory(rotate(false), true),
  rcl: factory(rotateCarry(true), true),
  rcr: factory(rotateCarry(false), true),
  shl: factory(shl, false),
  shr: factory(shr, false),
  sar: factory(sar, false),
  shld: factory(shld, false),
  shrd: factory(shrd, false),
};
