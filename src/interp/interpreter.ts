/**
 * The interpreter: fetch (through the decode cache), dispatch by opcode-table
 * row, retire. Faults unwind to here, EIP goes back to the faulting instruction
 * and the exception is delivered.
 */
import type { Cpu } from "../cpu/cpu.js";
import { FAULT, Vector } from "../cpu/exceptions.js";
import { HALTED, Sreg } from "../cpu/layout.js";
import { type CodeBytes, decode } from "../decode/decoder.js";
import { Insn } from "../decode/insn.js";
import { DecodeCache } from "./decodecache.js";
import { deliverInterrupt, InterruptKind } from "./interrupts.js";
import { HANDLERS } from "./registry.js";

/** Instruction bytes at CS:EIP+offset, limit-checked. */
class CodeFetcher implements CodeBytes {
  eip = 0;
  constructor(private readonly c: Cpu) {}
  byte(offset: number): number {
    const c = this.c;
    const off = (this.eip + offset) | 0;
    if (off >>> 0 > c.segLimit(Sreg.CS) >>> 0) c.raiseGP(0);
    return c.readPhys8(c.translate((c.segBase(Sreg.CS) + off) | 0, false));
  }
}

export class Interpreter {
  readonly decodeCache: DecodeCache;
  private readonly fetcher: CodeFetcher;
  private readonly scratch = new Insn();

  constructor(readonly cpu: Cpu) {
    this.decodeCache = new DecodeCache(cpu);
    this.fetcher = new CodeFetcher(cpu);
    // A write to a page with decoded instructions drops them before the write lands.
    const previous = cpu.onCodeWrite;
    cpu.onCodeWrite = (pa, size) => {
      previous(pa, size);
      this.decodeCache.invalidateFrame(pa >>> 12);
      this.decodeCache.invalidateFrame(((pa + size - 1) >>> 12) & 0xfffff);
    };
  }

  get halted(): boolean {
    return this.cpu.i32[HALTED >> 2] !== 0;
  }

  /** Decode (or find in the cache) the instruction at CS:EIP. */
  fetch(): Insn {
    const c = this.cpu;
    const eip = c.eip;
    const code32 = c.cs32;
    const la = (c.segBase(Sreg.CS) + eip) | 0;
    const pa = c.translate(la, false);
    const cached = this.decodeCache.lookup(pa, code32);
    if (cached) {
      if ((eip >>> 0) + cached.len - 1 > c.segLimit(Sreg.CS) >>> 0) c.raiseGP(0);
      return cached;
    }
    this.fetcher.eip = eip;
    const insn = this.scratch;
    decode(insn, this.fetcher, code32);
    if ((pa & 0xfff) + insn.len <= 0x1000) return this.decodeCache.store(pa, code32, insn);
    return insn;
  }

  /** Execute one instruction. A fault propagates as FAULT with EIP at the instruction. */
  executeOne(): void {
    const c = this.cpu;
    const start = c.eip;
    try {
      const insn = this.fetch();
      c.eip = (start + insn.len) | 0;
      HANDLERS[insn.row](c, insn);
      c.icount++;
    } catch (e) {
      c.eip = start;
      throw e;
    }
  }

  /** Execute one instruction; a fault is delivered as an exception. */
  step(): void {
    try {
      this.executeOne();
    } catch (e) {
      if (e !== FAULT) throw e;
      this.deliverFault();
    }
  }

  private deliverFault(): void {
    const c = this.cpu;
    const vector = FAULT.vector;
    const code = FAULT.errorCode;
    const hasError = FAULT.hasErrorCode;
    try {
      deliverInterrupt(c, vector, InterruptKind.EXCEPTION, code, hasError);
    } catch (e) {
      if (e !== FAULT) throw e;
      // A fault while delivering a fault: double fault, and a fault delivering that shuts down.
      if (vector === Vector.DF) {
        c.shutdown = true;
        return;
      }
      try {
        deliverInterrupt(c, Vector.DF, InterruptKind.EXCEPTION, 0, true);
      } catch (e2) {
        if (e2 !== FAULT) throw e2;
        c.shutdown = true;
      }
    }
  }

  /** Run until HLT, shutdown, or `limit` instructions retired. Returns instructions retired. */
  run(limit: number): number {
    const c = this.cpu;
    const start = c.icount;
    const end = start + limit;
    while (c.icount < end && !this.halted && !c.shutdown) this.step();
    return c.icount - start;
  }
}
