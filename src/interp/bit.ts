/**
 * BT BTS BTR BTC (register or immediate bit offset) and BSF BSR.
 *
 * With a register offset and a memory operand the offset is a signed bit index
 * from the operand's address: the operand-size word holding the bit is accessed,
 * anywhere in the segment. An immediate offset is taken modulo the operand size.
 */
import type { Cpu } from "../cpu/cpu.js";
import { ARITH, CF, LazyOp } from "../cpu/flags.js";
import { EFLAGS } from "../cpu/layout.js";
import type { OpRow } from "../isa/row.js";
import { eaOffset, type Handler, readE, signExtend } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

const EFLAGS_I = EFLAGS >> 2;

/** What happens to the selected bit: v is the operand, m the mask of the bit. */
type Update = (v: number, m: number) => number;

/** BT*: CF is the bit; ZF and the undefined OF SF AF PF keep their values, as on the reference CPU. */
function setCF(c: Cpu, bit: number): void {
  c.materialize(CF);
  const i = c.i32;
  i[EFLAGS_I] = (i[EFLAGS_I] & ~CF) | bit;
}

/** BT (no update: nothing is written) and BTS BTR BTC. */
function bitTest(update: Update | undefined): HandlerFactory {
  return (row: OpRow): Handler => {
    const immediate = row.operands[1] === "Ib";
    return (c, i) => {
      const sz = i.o32 ? 32 : 16;
      const offset = immediate ? i.imm : c.reg(i.reg, sz);
      const n = offset & (sz - 1);
      const m = 1 << n;
      if (i.mod === 3) {
        const v = c.reg(i.rm, sz);
        if (update) c.setReg(i.rm, sz, update(v, m));
        setCF(c, (v >>> n) & 1);
        return;
      }
      let off = eaOffset(c, i);
      if (!immediate) {
        off += (signExtend(offset, sz) >> (sz === 32 ? 5 : 4)) * (sz >> 3);
        off = i.a32 ? off | 0 : off & 0xffff;
      }
      if (update) {
        const la = c.linear(i.seg, off, sz >> 3, true);
        c.probeWrite(la, sz >> 3);
        const v = c.readLin(la, sz);
        c.writeLin(la, sz, update(v, m));
        setCF(c, (v >>> n) & 1);
      } else {
        setCF(c, (c.read(i.seg, off, sz) >>> n) & 1);
      }
    };
  };
}

/**
 * BSF/BSR: a zero source sets ZF and leaves the destination unchanged. The other
 * flags are undefined; the reference CPU clears CF, OF, SF and AF and sets PF from
 * the bit index found (from 0 when there is none). A logical result of
 * index | 0x100 gives exactly that: never zero, sign bit clear, low byte the index.
 */
function bitScan(index: (v: number) => number): HandlerFactory {
  return (): Handler => (c, i) => {
    const sz = i.o32 ? 32 : 16;
    const v = readE(c, i, sz);
    if (v === 0) {
      c.setLazy(LazyOp.LOGIC, 0, 0, 0, sz, ARITH);
      return;
    }
    const n = index(v);
    c.setLazy(LazyOp.LOGIC, 0, 0, n | 0x100, sz, ARITH);
    c.setReg(i.reg, sz, n);
  };
}

export const handlers: Record<string, HandlerFactory> = {
  bt: bitTest(undefined),
  bts: bitTest((v, m) => v | m),
  btr: bitTest((v, m) => v & ~m),
  btc: bitTest((v, m) => v ^ m),
  bsf: bitScan((v) => 31 - Math.clz32(v & -v)),
  bsr: bitScan((v) => 31 - Math.clz32(v)),
};
