/**
 * Guest memory access from compiled code (DESIGN principle 7). The fast path is
 * inline: segment base and limit by the segment's kind in the mode key, then the
 * software TLB entry (layout.ts) or, without paging, the A20 mask, and the RAM
 * load or store. Stores also look at the frame's page flags: a frame holding
 * decoded or translated code or descriptor tables leaves the fast path unless
 * only translated code is there and not in the chunk written. Everything else
 * (TLB miss, limit violation, MMIO, page crossing, code writes) calls a helper
 * that does what the interpreter does; a fault there leaves through the
 * region's fault exit with the registers as they were before the instruction
 * (emitters access memory before they change registers or flags).
 */
import { RAM_BASE, SEG_BASE, SEG_LIMIT, TLB_ENTRIES, TLB_RAM, PAGE_FLAGS_BASE } from "../../src/cpu/layout.js";
import {
  NEED_SUPER_READ,
  NEED_SUPER_WRITE,
  NEED_SUPER_WRITE_WP,
  NEED_USER_READ,
  NEED_USER_WRITE,
} from "../../src/cpu/paging.js";
import { SegKind } from "../modekey.js";
import type { I32, Local } from "../wasm/module.js";
import type { Ctx } from "./context.js";
import { Import, Lib } from "./names.js";

function need(x: Ctx, write: boolean): number {
  const mode = x.mode;
  const n = write ? (mode.user ? NEED_USER_WRITE : mode.wp ? NEED_SUPER_WRITE_WP : NEED_SUPER_WRITE) : mode.user ? NEED_USER_READ : NEED_SUPER_READ;
  return n | TLB_RAM;
}

/**
 * The fast-path test and the RAM offset of an access of `bytes` at offset `off`
 * in segment `seg`, or undefined when the segment always takes the helper.
 * Emits the statements that compute the linear address (and TLB entry).
 */
function fastPath(x: Ctx, seg: number, off: Local<"i32">, bytes: number, write: boolean): { ok: I32; ptr: () => I32 } | undefined {
  const m = x.m;
  const kind = x.mode.segKind(seg);
  if (kind === SegKind.OTHER) return undefined;
  const la = x.hold(kind === SegKind.FLAT ? m.get(off) : m.add(m.get(off), m.loadAt(SEG_BASE + 4 * seg)));
  let ok: I32;
  let ptr: () => I32;
  if (x.mode.pg) {
    const e = x.hold(m.load32(m.shl(m.shrU(m.get(la), m.c(12)), m.c(2)), TLB_ENTRIES));
    const bits = need(x, write);
    ok = m.eq(m.and(m.get(e), m.c(bits)), m.c(bits));
    ptr = () => m.or(m.and(m.get(e), m.c(~0xfff)), m.and(m.get(la), m.c(0xfff)));
  } else {
    const pa = x.mode.a20 ? la : x.hold(m.and(m.get(la), m.c(~0x100000)));
    ok = m.leU(m.get(pa), m.c(x.services.ramBytes - bytes));
    ptr = () => m.get(pa);
  }
  // An access crossing into the next page needs two translations and two code checks.
  if (bytes > 1) ok = m.and(ok, m.leU(m.and(m.get(la), m.c(0xfff)), m.c(0x1000 - bytes)));
  if (kind === SegKind.DATA) ok = m.and(m.leU(m.get(off), m.sub(m.loadAt(SEG_LIMIT + 4 * seg), m.c(bytes - 1))), ok);
  return { ok, ptr };
}

/** Read `bits` at `seg:off`; returns the local holding the (zero-extended) value. */
export function readMem(x: Ctx, seg: number, offset: I32, bits: number): Local<"i32"> {
  const m = x.m;
  const off = x.hold(offset);
  const v = x.temp();
  const fast = fastPath(x, seg, off, bits >> 3, false);
  const slow = m.block(null, [m.set(v, m.callI32(Import.READ, [m.c(seg), m.get(off), m.c(bits), ...x.where()])), ...x.afterSlow()]);
  if (!fast) x.emit(slow);
  else x.emit(m.if(fast.ok, m.set(v, m.load(bits, fast.ptr(), RAM_BASE)), slow));
  return v;
}

/**
 * For stores: the fast-path test extended by the page flags of the frame
 * written. A frame with flags stays fast only when the library's codeOk finds
 * nothing but translated code there, none of it in the bytes written (the
 * address computed when the TLB test failed is garbage, but its flag byte is
 * still inside the flag table, so the load is harmless).
 */
function storeFast(x: Ctx, fast: { ok: I32; ptr: () => I32 }, bytes: number): { fast: Local<"i32">; p: Local<"i32"> } {
  const m = x.m;
  const ok = x.hold(fast.ok);
  const p = x.hold(fast.ptr());
  const flags = m.load8(m.shrU(m.get(p), m.c(12)), PAGE_FLAGS_BASE);
  const guarded = m.ifI32(m.eqz(flags), m.c(1), m.callI32(Lib.CODE_OK, [m.get(p), m.c(bytes)]));
  return { fast: x.hold(m.ifI32(m.get(ok), guarded, m.c(0))), p };
}

/** Write `bits` of `value` at `seg:off`. */
export function writeMem(x: Ctx, seg: number, offset: I32, bits: number, value: I32): void {
  const m = x.m;
  const off = x.hold(offset);
  const val = x.hold(value);
  const fast = fastPath(x, seg, off, bits >> 3, true);
  const slow = m.block(null, [m.call(Import.WRITE, [m.c(seg), m.get(off), m.c(bits), m.get(val), ...x.where()]), ...x.afterSlow()]);
  if (!fast) {
    x.emit(slow);
    return;
  }
  const g = storeFast(x, fast, bits >> 3);
  x.emit(m.if(m.get(g.fast), m.store(bits, m.get(g.p), m.get(val), RAM_BASE), slow));
}

/**
 * Read-modify-write of `bits` at `seg:off`, checked for writing before the read
 * as the interpreter's rmwLinear does. `f` receives the old value and returns
 * the value to store (it may emit statements and set flags).
 */
export function rmwMem(x: Ctx, seg: number, offset: I32, bits: number, f: (old: Local<"i32">) => I32): void {
  const m = x.m;
  const bytes = bits >> 3;
  const off = x.hold(offset);
  const fast = fastPath(x, seg, off, bytes, true);
  const old = x.temp();
  const la = x.temp();
  const slow = m.block(null, [
    m.set(la, m.callI32(Import.RMW_LINEAR, [m.c(seg), m.get(off), m.c(bits), ...x.where()])),
    ...x.afterSlow(),
    m.set(old, m.callI32(Import.READ_LINEAR, [m.get(la), m.c(bits)])),
  ]);
  const slowWrite = (res: Local<"i32">) => m.block(null, [m.call(Import.WRITE_LINEAR, [m.get(la), m.c(bits), m.get(res)]), ...x.afterSlow()]);
  if (!fast) {
    x.emit(slow);
    const res = x.hold(f(old));
    x.emit(slowWrite(res));
    return;
  }
  const g = storeFast(x, fast, bytes);
  x.emit(m.if(m.get(g.fast), m.set(old, m.load(bits, m.get(g.p), RAM_BASE)), slow));
  const res = x.hold(f(old));
  x.emit(m.if(m.get(g.fast), m.store(bits, m.get(g.p), m.get(res), RAM_BASE), slowWrite(res)));
}
