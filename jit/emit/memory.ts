/**
 * Guest memory access from compiled code (ARCHITECTURE.md "The JIT: Emission"). The fast path is
 * inline: segment base and limit by the segment's kind in the mode key, then the
 * software TLB entry (layout.ts) or, without paging, the A20 mask, and the RAM
 * load or store. Stores also look at the frame's page flags: a frame holding
 * code stays on the fast path only when the code map marks neither end of the
 * bytes written, and a frame with descriptor tables never does.
 *
 * Everything else (a TLB miss, a limit violation, MMIO, a page crossing, a
 * write near code or to a descriptor table, a fault) leaves the region before
 * the instruction, and the interpreter runs it: it walks the page tables, raises
 * the fault or invalidates the code exactly as it always does, and compiled code
 * takes over again at the next block. So an instruction decides every access on
 * the fast path before it changes anything (emitters access memory before they
 * change registers or flags, and a read-modify-write checks for writing first):
 * the exit leaves the registers as they were before it.
 */
import { PAGE_FLAGS_BASE, RAM_BASE, SEG_BASE, SEG_LIMIT, TLB_ENTRIES, TLB_RAM, VIDEO_WINDOW, VIDEO_WINDOW_SIZE } from "../../src/cpu/layout.js";
import {
  NEED_SUPER_READ,
  NEED_SUPER_WRITE,
  NEED_SUPER_WRITE_WP,
  NEED_USER_READ,
  NEED_USER_WRITE,
} from "../../src/cpu/paging.js";
import { SegKind } from "../modekey.js";
import type { I32, Local } from "../wasm/encoder.js";
import type { Ctx } from "./context.js";
import { Lib } from "./names.js";

function need(x: Ctx, write: boolean): number {
  const mode = x.mode;
  const n = write ? (mode.user ? NEED_USER_WRITE : mode.wp ? NEED_SUPER_WRITE_WP : NEED_SUPER_WRITE) : mode.user ? NEED_USER_READ : NEED_SUPER_READ;
  return n | TLB_RAM;
}

/**
 * The fast-path test and the RAM offset of an access of `bytes` at offset `off`
 * in segment `seg`, or undefined when the segment always takes the interpreter.
 * Emits the statements that compute the linear address (and TLB entry).
 */
function fastPath(x: Ctx, seg: number, off: Local<"i32">, bytes: number, write: boolean): { ok: I32; ptr: () => I32 } | undefined {
  const m = x.wasm;
  const kind = x.mode.segKind(seg);
  if (kind === SegKind.OTHER) return undefined;
  const la = kind === SegKind.FLAT ? off : x.hold(m.add(m.get(off), m.loadAt(SEG_BASE + 4 * seg)));
  let ok: I32;
  let ptr: () => I32;
  if (x.mode.pg) {
    const e = x.hold(m.load32(m.and(m.shrU(m.get(la), m.c(10)), m.c(~3)), TLB_ENTRIES));
    const bits = need(x, write);
    ok = m.eq(m.and(m.get(e), m.c(bits)), m.c(bits));
    ptr = () => m.or(m.and(m.get(e), m.c(~0xfff)), m.and(m.get(la), m.c(0xfff)));
  } else {
    const pa = x.mode.a20 ? la : x.hold(m.and(m.get(la), m.c(~0x100000)));
    ok = m.leU(m.get(pa), m.c(x.services.ramBytes - bytes));
    // Outside the video window too (Cpu.isRam): a second unsigned compare.
    if (x.services.videoWindow) ok = m.and(ok, m.geU(m.sub(m.get(pa), m.c(VIDEO_WINDOW - bytes + 1)), m.c(VIDEO_WINDOW_SIZE + bytes - 1)));
    ptr = () => m.get(pa);
  }
  // An access crossing into the next page needs two translations and two code checks.
  if (bytes > 1) ok = m.and(ok, m.leU(m.and(m.get(la), m.c(0xfff)), m.c(0x1000 - bytes)));
  if (kind === SegKind.DATA) ok = m.and(m.leU(m.get(off), m.sub(m.loadAt(SEG_LIMIT + 4 * seg), m.c(bytes - 1))), ok);
  return { ok, ptr };
}

/** Read `bits` at `seg:off`; returns the local holding the (zero-extended) value. */
export function readMem(x: Ctx, seg: number, offset: I32, bits: number): Local<"i32"> {
  const m = x.wasm;
  const off = x.hold(offset);
  const fast = fastPath(x, seg, off, bits >> 3, false);
  if (!fast) {
    x.emit(x.exitBefore());
    return x.temp();
  }
  const p = x.temp();
  x.emit(m.if(m.eqz(fast.ok), x.exitBefore()), m.set(p, fast.ptr()));
  return x.hold(m.load(bits, m.get(p), RAM_BASE));
}

/**
 * For stores: whether the fast path holds and the frame written is free of
 * code at both ends of the bytes written (the code map chunks are larger than
 * any store), leaving the RAM offset in the returned local.
 */
function checkStore(x: Ctx, fast: { ok: I32; ptr: () => I32 }, bytes: number): Local<"i32"> {
  const m = x.wasm;
  const p = x.temp();
  const flags = m.load8(m.shrU(m.tee(p, fast.ptr()), m.c(12)), PAGE_FLAGS_BASE);
  const clear = m.ifI32(fast.ok, m.ifI32(flags, m.callI32(Lib.CODE_OK, [m.get(p), m.c(bytes)]), m.c(1)), m.c(0));
  x.emit(m.if(m.eqz(clear), x.exitBefore()));
  return p;
}

/** Write `bits` of `value` at `seg:off`. */
export function writeMem(x: Ctx, seg: number, offset: I32, bits: number, value: I32): void {
  const m = x.wasm;
  const off = x.hold(offset);
  const val = x.hold(value);
  const fast = fastPath(x, seg, off, bits >> 3, true);
  if (!fast) {
    x.emit(x.exitBefore());
    return;
  }
  const p = checkStore(x, fast, bits >> 3);
  x.emit(m.store(bits, m.get(p), m.get(val), RAM_BASE));
}

/**
 * Read-modify-write of `bits` at `seg:off`, checked for writing before the read
 * as the interpreter's rmwLinear does. `f` receives the old value and returns
 * the value to store (it may emit statements and set flags).
 */
export function rmwMem(x: Ctx, seg: number, offset: I32, bits: number, f: (old: Local<"i32">) => I32): void {
  const m = x.wasm;
  const bytes = bits >> 3;
  const off = x.hold(offset);
  const fast = fastPath(x, seg, off, bytes, true);
  if (!fast) {
    x.emit(x.exitBefore());
    f(x.temp());
    return;
  }
  const p = checkStore(x, fast, bytes);
  const old = x.hold(m.load(bits, m.get(p), RAM_BASE));
  const res = x.hold(f(old));
  x.emit(m.store(bits, m.get(p), m.get(res), RAM_BASE));
}
