/**
 * CMPXCHG and XADD (src/interp/atomic.ts); CMPXCHG8B runs through the helper.
 * One guest thread: LOCK needs nothing beyond the read-modify-write checking
 * for writing before it reads. A memory CMPXCHG always writes (its own value
 * back when the comparison fails). Registers and flags change inside the
 * read-modify-write, after its last test that can leave the fast path.
 */
import { ARITH, LazyOp } from "../../src/cpu/flags.js";
import { Reg } from "../../src/cpu/layout.js";
import { sizeOf } from "../../src/interp/operands.js";
import type { Local } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";
import type { EmitterFactory } from "./emitter.js";
import { rmwMem } from "./memory.js";
import { ea, regBit } from "./operands.js";

/** The flags of CMP accumulator, destination. */
function compare(x: Ctx, acc: Local<"i32">, dest: Local<"i32">, size: number): void {
  const m = x.wasm;
  x.setFlags(LazyOp.SUB, m.get(acc), m.get(dest), m.sub(m.get(acc), m.get(dest)), size, ARITH, 0);
}

const cmpxchg: EmitterFactory = (row) => {
  const size = sizeOf(row.operands[0]);
  return {
    writes: (i) => regBit(Reg.EAX, size(i)) | (i.mod === 3 ? regBit(i.rm, size(i)) : 0),
    emit(x, i) {
      const m = x.wasm;
      const sz = size(i);
      const acc = x.hold(x.reg(Reg.EAX, sz));
      const src = x.hold(x.reg(i.reg, sz));
      // The accumulator is read after the r/m write: as r/m itself, an equal compare leaves the source there.
      const finish = (dest: Local<"i32">, equal: Local<"i32">) => {
        compare(x, acc, dest, sz);
        x.setReg(Reg.EAX, sz, m.select(m.get(equal), x.reg(Reg.EAX, sz), m.get(dest)));
      };
      if (i.mod === 3) {
        const dest = x.hold(x.reg(i.rm, sz));
        const equal = x.hold(m.eq(m.get(acc), m.get(dest)));
        x.setReg(i.rm, sz, m.select(m.get(equal), m.get(src), m.get(dest)));
        finish(dest, equal);
        return;
      }
      rmwMem(x, i.seg, ea(x, i), sz, (dest) => {
        const equal = x.hold(m.eq(m.get(acc), m.get(dest)));
        finish(dest, equal);
        return m.select(m.get(equal), m.get(src), m.get(dest));
      });
    },
  };
};

/** TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so XADD r, r ends with the sum). */
const xadd: EmitterFactory = (row) => {
  const size = sizeOf(row.operands[0]);
  return {
    writes: (i) => regBit(i.reg, size(i)) | (i.mod === 3 ? regBit(i.rm, size(i)) : 0),
    emit(x, i) {
      const m = x.wasm;
      const sz = size(i);
      const src = x.hold(x.reg(i.reg, sz));
      const sum = (dest: Local<"i32">) => {
        const t = x.hold(m.add(m.get(dest), m.get(src)));
        x.setFlags(LazyOp.ADD, m.get(dest), m.get(src), m.get(t), sz, ARITH, 0);
        return m.get(t);
      };
      if (i.mod === 3) {
        const dest = x.hold(x.reg(i.rm, sz));
        const r = sum(dest);
        x.setReg(i.reg, sz, m.get(dest));
        x.setReg(i.rm, sz, r);
        return;
      }
      rmwMem(x, i.seg, ea(x, i), sz, (dest) => {
        const r = sum(dest);
        x.setReg(i.reg, sz, m.get(dest));
        return r;
      });
    },
  };
};

export const emitters: Record<string, EmitterFactory> = { cmpxchg, xadd };
