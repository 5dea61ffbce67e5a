/**
 * BT BTS BTR BTC (register or immediate bit offset) and BSF BSR (src/interp/bit.ts).
 *
 * With a register offset and a memory operand the offset is a signed bit index
 * from the operand's address: the operand-size word holding the bit is
 * accessed, anywhere in the segment. An immediate offset is taken modulo the
 * operand size.
 */
import { ARITH, CF, LazyOp } from "../../src/cpu/flags.js";
import type { I32, Local } from "../wasm/encoder.js";
import { type Ctx, sx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { storeFlags } from "./flags.js";
import { readMem, rmwMem } from "./memory.js";
import { ea, readE } from "./operands.js";

/** The operand `v` with the selected bit (`mask`) set, cleared or flipped. */
type Update = (x: Ctx, v: Local<"i32">, mask: I32) => I32;

/** BT (no update: nothing is written) and BTS BTR BTC. CF is the bit; the other flags keep their values. */
function bitTest(update: Update | undefined): EmitterFactory {
  return (row) => {
    const immediate = row.operands[1] === "Ib";
    return {
      writes: (i) => (update && i.mod === 3 ? 1 << i.rm : 0),
      emit(x, i) {
        const m = x.wasm;
        const sz = i.o32 ? 32 : 16;
        const offset = immediate ? undefined : x.hold(x.reg(i.reg, sz));
        const n = offset ? x.hold(m.and(m.get(offset), m.c(sz - 1))) : undefined;
        const index = () => (n ? m.get(n) : m.c(i.imm & (sz - 1)));
        const selected = (v: Local<"i32">) => m.and(m.shrU(m.get(v), index()), m.c(1));
        if (i.mod === 3) {
          const v = x.hold(x.reg(i.rm, sz));
          if (update) x.setReg(i.rm, sz, update(x, v, m.shl(m.c(1), index())));
          storeFlags(x, CF, selected(v));
          return;
        }
        let off = ea(x, i);
        if (offset) {
          off = m.add(off, m.shl(m.shrS(sx(m, m.get(offset), sz), m.c(sz === 32 ? 5 : 4)), m.c(sz === 32 ? 2 : 1)));
          if (!i.a32) off = m.and(off, m.c(0xffff));
        }
        if (!update) {
          storeFlags(x, CF, selected(readMem(x, i.seg, off, sz)));
          return;
        }
        // CF is stored inside the read-modify-write, after its last test that can leave the fast path.
        rmwMem(x, i.seg, off, sz, (v) => {
          storeFlags(x, CF, selected(v));
          return update(x, v, m.shl(m.c(1), index()));
        });
      },
    };
  };
}

/**
 * BSF/BSR: a zero source sets ZF and leaves the destination unchanged; the
 * record is a logical result of index | 0x100 otherwise (the interpreter's
 * encoding of the reference CPU's undefined flags), 0 for a zero source.
 */
function bitScan(index: (x: Ctx, v: Local<"i32">) => I32): EmitterFactory {
  return () => ({
    writes: (i) => 1 << i.reg,
    emit(x, i) {
      const m = x.wasm;
      const sz = i.o32 ? 32 : 16;
      const v = x.hold(readE(x, i, sz));
      const n = x.hold(index(x, v));
      x.setFlags(LazyOp.LOGIC, m.c(0), m.c(0), m.select(m.get(v), m.or(m.get(n), m.c(0x100)), m.c(0)), sz, ARITH, 0);
      x.setReg(i.reg, sz, m.select(m.get(v), m.get(n), x.reg(i.reg, sz)));
    },
  });
}

export const emitters: Record<string, EmitterFactory> = {
  bt: bitTest(undefined),
  bts: bitTest((x, v, b) => x.wasm.or(x.wasm.get(v), b)),
  btr: bitTest((x, v, b) => x.wasm.and(x.wasm.get(v), x.wasm.xor(b, x.wasm.c(-1)))),
  btc: bitTest((x, v, b) => x.wasm.xor(x.wasm.get(v), b)),
  bsf: bitScan((x, v) => x.wasm.ctz(x.wasm.get(v))),
  bsr: bitScan((x, v) => x.wasm.sub(x.wasm.c(31), x.wasm.clz(x.wasm.get(v)))),
};
