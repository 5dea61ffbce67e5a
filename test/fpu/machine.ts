/**
 * A CPU in 32-bit flat protected mode (CPL 0) for the x87 tests, and helpers to
 * run encoded instructions on the Interpreter and to read or set x87 state.
 */
import { Cpu, CR0_PE } from "../../src/cpu/cpu.js";
import { FAULT } from "../../src/cpu/exceptions.js";
import { f80, HI, LO, SE } from "../../src/cpu/x87/float80.js";
import * as S from "../../src/cpu/x87/fpu.js";
import { RAM_BASE, Reg, Sreg } from "../../src/cpu/layout.js";
import { Interpreter } from "../../src/interp/interpreter.js";

export const CODE = 0x1000;
export const DATA = 0x8000;

/** An 80-bit value as 20 hex digits: sign/exponent, then significand. */
export type Hex80 = string;

export class Machine {
  readonly cpu = new Cpu({ ramBytes: 1 << 20 });
  readonly interp = new Interpreter(this.cpu);

  constructor() {
    const c = this.cpu;
    c.cr0 = c.cr0 | CR0_PE;
    c.setSegmentCache(Sreg.CS, 0x08, 0, 0xffffffff, 0xc09b);
    for (const s of [Sreg.DS, Sreg.ES, Sreg.SS, Sreg.FS, Sreg.GS]) c.setSegmentCache(s, 0x10, 0, 0xffffffff, 0xc093);
    c.setReg32(Reg.ESP, 0x7000);
    S.init(c);
  }

  /** Put bytes at a physical (= linear) address. */
  poke(addr: number, bytes: ArrayLike<number>): void {
    this.cpu.u8.set(bytes, RAM_BASE + addr);
    this.interp.decodeCache.clear();
  }

  peek(addr: number, n: number): Uint8Array {
    return this.cpu.u8.slice(RAM_BASE + addr, RAM_BASE + addr + n);
  }

  /**
   * Run `code` (hex or bytes) placed at offset `at` of CS, until EIP passes its
   * end. A fault propagates as FAULT (vector in FAULT.vector) with EIP at the
   * instruction.
   */
  run(code: string | ArrayLike<number>, at = CODE): void {
    const bytes = typeof code === "string" ? hexBytes(code) : code;
    this.poke(this.cpu.segBase(Sreg.CS) + at, bytes);
    const c = this.cpu;
    c.eip = at;
    const end = at + bytes.length;
    for (let n = 0; c.eip !== end; n++) {
      if (n > 1000) throw new Error("code did not finish");
      this.interp.executeOne();
    }
  }

  /** Run and return the vector of the fault raised, or -1. */
  fault(code: string | ArrayLike<number>, at = CODE): number {
    try {
      this.run(code, at);
      return -1;
    } catch (e) {
      if (e !== FAULT) throw e;
      return FAULT.vector;
    }
  }

  /** ST(i) as hex, or "-" when empty. */
  st(i: number): Hex80 | "-" {
    const c = this.cpu;
    if (S.stEmpty(c, i)) return "-";
    const v = f80();
    S.loadSt(c, i, v);
    return hex80(v[SE], v[HI], v[LO]);
  }

  /** Push values so that ST(0) is the first. */
  load(...values: Hex80[]): void {
    for (let k = values.length - 1; k >= 0; k--) {
      S.push(this.cpu, f80(...parse80(values[k])));
    }
  }

  get sw(): number {
    return S.getSw(this.cpu);
  }
  get cw(): number {
    return S.getCw(this.cpu);
  }
  set cw(v: number) {
    S.setCw(this.cpu, v);
  }
}

export function hexBytes(s: string): number[] {
  const out: number[] = [];
  const t = s.replace(/\s+/g, "");
  for (let k = 0; k + 1 < t.length; k += 2) out.push(parseInt(t.slice(k, k + 2), 16));
  return out;
}

export function hex80(se: number, hi: number, lo: number): Hex80 {
  return (
    (se & 0xffff).toString(16).padStart(4, "0") +
    (hi >>> 0).toString(16).padStart(8, "0") +
    (lo >>> 0).toString(16).padStart(8, "0")
  );
}

export function parse80(h: Hex80): [number, number, number] {
  return [parseInt(h.slice(0, 4), 16), parseInt(h.slice(4, 12), 16) >>> 0, parseInt(h.slice(12, 20), 16) >>> 0];
}

/** Little-endian bytes of a 32-bit value. */
export function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
