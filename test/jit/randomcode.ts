/**
 * Random guest code for the differential test (random-harness.ts). A sequence
 * is at most `maxLen` bytes and is followed by HLT padding; it is one of
 *
 * - structured: instruction templates (every ALU form, moves, extensions, LEA,
 *   XCHG/XADD/CMPXCHG with and without LOCK, SETcc, CMOVcc, shifts and double
 *   shifts, bit tests, multiplies and divides, BCD, flag instructions, string
 *   instructions with REP over a short count, PUSH/POP of every kind,
 *   ENTER/LEAVE, segment loads, port I/O, x87 loads and stores), forward
 *   conditional and unconditional branches, compare + branch pairs, CALL/RET
 *   pairs and at most one short loop with a bounded counter;
 * - table: rows drawn from the opcode table (src/isa/opcodes.ts) with random
 *   ModRM, prefixes and immediates, mixed with templates;
 * - raw: random bytes (undefined encodings, odd prefix combinations, wild
 *   jumps);
 * - fault: a few templates, then an instruction that faults or traps (divide
 *   error, #UD, INT n, INT3, INTO, BOUND, privileged and IOPL-sensitive
 *   instructions, accesses beyond a limit or into an unmapped page).
 *
 * Memory operands land in the data area: the generator knows EBX's initial value
 * and the segment bases, and builds 16- and 32-bit addressing forms ([EBX+disp],
 * [disp], [EBX*s+disp], [BX+disp], segment overrides, the address-size prefix)
 * whose linear address is inside it, around its page boundary more often than
 * not. Structured code never writes EBX or ESP.
 */
import { OPCODES } from "../../src/isa/opcodes.js";
import { OpClass, type OpRow } from "../../src/isa/row.js";

/** xorshift32: deterministic per seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

/** What the generator must know about the machine a sequence starts on. */
export interface Target {
  /** CS.D: default operand and address size 32. */
  code32: boolean;
  /** EBX at the start. */
  ebx: number;
  /** Linear base and limit of ES CS SS DS FS GS at the start. */
  segBase: readonly number[];
  segLimit: readonly number[];
  /** Linear address and size of the data area. */
  data: number;
  dataSize: number;
  /** Real-address mode or V86: segment registers take any value. */
  realAddressing: boolean;
  cpl: number;
  /** Selector of CS, and selectors worth loading into data segment registers. */
  csSel: number;
  selectors: readonly number[];
  /** Linear address of a HLT a far transfer can land on. */
  farTarget: number;
}

export type SequenceKind = "structured" | "table" | "raw" | "fault";

export interface Sequence {
  kind: SequenceKind;
  bytes: number[];
}

/** `v` as `n` (1, 2 or 4) little-endian bytes. */
function le(v: number, n: number): number[] {
  if (n === 1) return [v & 0xff];
  if (n === 2) return [v & 0xff, (v >>> 8) & 0xff];
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}
const fitsI8 = (d: number) => d >= -128 && d <= 127;
const SEG_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
const ES = 0;
const CS = 1;
const SS = 2;
const DS = 3;
const FS = 4;
const GS = 5;
const EAX = 0;
const ECX = 1;
const EDX = 2;
const EBX = 3;
const ESI = 6;
const EDI = 7;
/** Registers structured code may write: not ESP, not EBX. */
const DEST = [0, 1, 2, 5, 6, 7];

/** Opcode-table rows the table generator draws from: x87 rows less often, prefixes and bad rows never. */
const TABLE_ROWS = OPCODES.filter((r) => r.map >= 0 && !(r.cls & OpClass.FPU));
const FPU_ROWS = OPCODES.filter((r) => r.map >= 0 && (r.cls & OpClass.FPU) !== 0);
/** Memory operands of these sizes in bytes (x87 environments and states are the long ones). */
const MEM_SIZE: Record<string, number> = { Mt: 10, Mq: 8, Mp: 6, Ms: 6, Ma: 8, M: 108 };

/** A memory operand: prefixes (segment override, address size) and ModRM onwards. */
interface Mem {
  pre: number[];
  tail: number[];
}

class Gen {
  /** Registers the current item may write. */
  private dest = DEST;
  private dest8 = [0, 1, 2, 4, 5, 6];

  constructor(
    private readonly r: Rng,
    private readonly t: Target,
  ) {}

  /** Restrict destinations (a loop counter must survive the body), run `f`, restore. */
  private without<T>(reg: number, f: () => T): T {
    const [d, d8] = [this.dest, this.dest8];
    this.dest = d.filter((x) => x !== reg);
    this.dest8 = d8.filter((x) => (x & 3) !== reg);
    try {
      return f();
    } finally {
      this.dest = d;
      this.dest8 = d8;
    }
  }

  /** MOV r16, imm16 in this code size. */
  private movImm16(reg: number, v: number): number[] {
    return [...(this.t.code32 ? [0x66] : []), 0xb8 + reg, ...le(v, 2)];
  }

  /** MOV r32, imm32 in this code size. */
  private movImm32(reg: number, v: number): number[] {
    return [...(this.t.code32 ? [] : [0x66]), 0xb8 + reg, ...le(v, 4)];
  }

  private imm(n: number): number[] {
    const r = this.r;
    const v = r.chance(0.25) ? r.pick([0, 1, -1, 0x7f, 0x80, 0x7fff, 0x8000, 0x7fffffff, 0x80000000, 0xffff]) : r.next();
    return le(v, n);
  }

  /** An offset into the data area for an access of `bytes`: near its page boundary half of the time. */
  private dataOffset(bytes: number): number {
    const r = this.r;
    const size = this.t.dataSize;
    if (r.chance(0.5)) return 0xfc0 + r.int(0x80) - (bytes >> 1);
    if (r.chance(0.97)) return r.int(size - bytes + 1);
    // Past the end (an unmapped page, a segment limit) or anywhere in a 64 KiB segment.
    return r.chance(0.5) ? size - r.int(bytes) : r.int(0x10000);
  }

  /**
   * ModRM (SIB, displacement) with reg field `reg` addressing `bytes` bytes of
   * the data area, through a random segment and addressing form.
   */
  mem(reg: number, bytes = 4): Mem {
    const r = this.r;
    const t = this.t;
    const linear = t.data + this.dataOffset(bytes);
    for (let attempt = 0; attempt < 6; attempt++) {
      const seg = attempt === 5 ? DS : r.chance(0.6) ? DS : r.pick([ES, FS, GS, FS, GS, ES, SS, CS]);
      const a32 = attempt === 5 ? t.code32 : t.code32 !== r.chance(0.12);
      const off = (linear - t.segBase[seg]) >>> 0;
      if (!a32 && off > 0xffff) continue;
      if (attempt < 5 && off + bytes - 1 > t.segLimit[seg] >>> 0 && !r.chance(0.1)) continue;
      const pre: number[] = [];
      if (seg !== DS || r.chance(0.05)) pre.push(SEG_PREFIX[seg]);
      if (a32 !== t.code32) pre.push(0x67);
      return { pre, tail: a32 ? this.form32(reg, off) : this.form16(reg, off) };
    }
    throw new Error("unreachable");
  }

  private form32(reg: number, off: number): number[] {
    const r = this.r;
    const ebx = this.t.ebx;
    const k = r.int(10);
    if (k < 6) {
      const d = (off - ebx) | 0;
      const sib = k === 5 ? [(r.int(4) << 6) | (4 << 3) | EBX] : [];
      const rm = sib.length ? 4 : EBX;
      if (fitsI8(d) && r.chance(0.9)) return [0x40 | (reg << 3) | rm, ...sib, d & 0xff];
      return [0x80 | (reg << 3) | rm, ...sib, ...le(d, 4)];
    }
    if (k < 8) return [(reg << 3) | 5, ...le(off, 4)];
    const ss = r.int(4);
    return [(reg << 3) | 4, (ss << 6) | (EBX << 3) | 5, ...le(off - ebx * (1 << ss), 4)];
  }

  private form16(reg: number, off: number): number[] {
    const bx = this.t.ebx & 0xffff;
    if (this.r.chance(0.25)) return [(reg << 3) | 6, ...le(off, 2)];
    const d = (off - bx) & 0xffff;
    if (d <= 0x7f || d >= 0xff80) return [0x40 | (reg << 3) | 7, d & 0xff];
    return [0x80 | (reg << 3) | 7, ...le(d, 2)];
  }

  /** r/m for reg field `reg`: memory (40%) or one of `regs`. */
  private rm(reg: number, regs: readonly number[], bytes = 4): Mem {
    if (this.r.chance(0.4)) return this.mem(reg, bytes);
    return { pre: [], tail: [0xc0 | (reg << 3) | this.r.pick(regs)] };
  }

  /** An instruction from its parts: [prefixes, memory prefixes, opcode, ModRM..., immediate]. */
  private insn(pre: number[], op: number[], m: Mem | null, imm: number[] = []): number[] {
    return m ? [...pre, ...m.pre, ...op, ...m.tail, ...imm] : [...pre, ...op, ...imm];
  }

  /** One template instruction, or a small group that belongs together. */
  item(depth = 0): number[] {
    const r = this.r;
    const t = this.t;
    const o16 = r.chance(0.15) ? [0x66] : [];
    const wide = o16.length === 0 === t.code32;
    const iz = wide ? 4 : 2;
    const bytes = wide ? 4 : 2;
    const any = [0, 1, 2, 3, 4, 5, 6, 7];
    const d = this.dest;
    const d8 = this.dest8;
    switch (r.int(40)) {
      case 0:
      case 1:
      case 2:
      case 3: {
        // ALU r/m,r and r,r/m in 8 and v sizes; CMP writes nothing.
        const k = r.int(8);
        const form = r.int(4);
        const byte = (form & 1) === 0;
        const sz = byte ? 1 : bytes;
        if (form < 2) return this.insn(byte ? [] : o16, [k * 8 + form], k === 7 ? this.rm(r.int(8), any, sz) : this.rm(r.int(8), byte ? d8 : d, sz));
        return this.insn(byte ? [] : o16, [k * 8 + form], this.rm(r.pick(k === 7 ? any : byte ? d8 : d), any, sz));
      }
      case 4: {
        const k = r.int(8);
        return r.chance(0.5) ? [k * 8 + 4, ...this.imm(1)] : [...o16, k * 8 + 5, ...this.imm(iz)];
      }
      case 5:
      case 6: {
        const k = r.int(8);
        const op = r.pick([0x80, 0x81, 0x83]);
        const lock = k !== 7 && r.chance(0.1) ? [0xf0] : [];
        const m = lock.length ? this.mem(k, op === 0x80 ? 1 : bytes) : this.rm(k, op === 0x80 ? d8 : d, op === 0x80 ? 1 : bytes);
        return this.insn([...lock, ...(op === 0x80 ? [] : o16)], [op], m, this.imm(op === 0x81 ? iz : 1));
      }
      case 7:
        if (r.chance(0.4)) return [...o16, 0x40 + r.pick(d) + 8 * r.int(2)];
        return r.chance(0.5) ? this.insn([], [0xfe], this.rm(r.int(2), d8, 1)) : this.insn(o16, [0xff], this.rm(r.int(2), d, bytes));
      case 8: {
        // TEST/NOT/NEG/MUL/IMUL, and DIV/IDIV (which fault now and then).
        const sub = r.pick([0, 2, 3, 4, 5, 6, 7]);
        const byte = r.chance(0.4);
        if (sub >= 4 && !(d.includes(EAX) && d.includes(EDX))) return [0x90];
        const tail = sub === 0 ? this.imm(byte ? 1 : iz) : [];
        const regs = sub === 2 || sub === 3 ? (byte ? d8 : d) : any;
        return this.insn(byte ? [] : o16, [byte ? 0xf6 : 0xf7], this.rm(sub, regs, byte ? 1 : bytes), tail);
      }
      case 9:
      case 10:
      case 11: {
        const op = r.pick([0x88, 0x89, 0x8a, 0x8b]);
        const byte = (op & 1) === 0;
        if (op < 0x8a) return this.insn(o16, [op], this.mem(r.int(8), byte ? 1 : bytes));
        return this.insn(o16, [op], this.rm(r.pick(byte ? d8 : d), any, byte ? 1 : bytes));
      }
      case 12: {
        if (r.chance(0.5)) return r.chance(0.5) ? [0xb0 + r.pick(d8), ...this.imm(1)] : [...o16, 0xb8 + r.pick(d), ...this.imm(iz)];
        const byte = r.chance(0.5);
        return this.insn(byte ? [] : o16, [byte ? 0xc6 : 0xc7], this.rm(0, byte ? d8 : d, byte ? 1 : bytes), this.imm(byte ? 1 : iz));
      }
      case 13: {
        // moffs: A0-A3 with an address in the data area (DS, or an override).
        const op = 0xa0 + r.int(4);
        if (!d.includes(EAX) && op < 0xa2) return [0x90];
        const seg = r.pick([DS, DS, ES, FS, GS]);
        const off = (t.data + this.dataOffset(4) - t.segBase[seg]) >>> 0;
        const a32 = !t.code32 && off > 0xffff ? true : t.code32;
        const pre = [...(seg === DS ? [] : [SEG_PREFIX[seg]]), ...(a32 !== t.code32 ? [0x67] : []), ...(op & 1 ? o16 : [])];
        return [...pre, op, ...le(off, a32 ? 4 : 2)];
      }
      case 14:
        return this.insn(o16, [0x0f, r.pick([0xb6, 0xb7, 0xbe, 0xbf])], this.rm(r.pick(d), any, 2));
      case 15: {
        // LEA: any addressing form, nothing accessed.
        const m = this.mem(r.pick(d));
        return this.insn(o16, [0x8d], { pre: m.pre.filter((b) => b === 0x67), tail: m.tail });
      }
      case 16:
        if (r.chance(0.3)) return [...o16, 0x90 + r.pick(d.filter((x) => x !== EAX).concat([0]))];
        if (r.chance(0.5)) return this.insn(r.chance(0.1) ? [0xf0] : [], [0x86], this.rm(r.pick(d8), d8, 1));
        return this.insn(o16, [0x87], this.rm(r.pick(d), d, bytes));
      case 17:
        if (!d.includes(EAX) || !d.includes(EDX)) return [0x90];
        return [...o16, r.pick([0x98, 0x99])];
      case 18:
        return this.insn([], [0x0f, 0x90 + r.int(16)], this.rm(0, d8, 1));
      case 19:
        return this.insn(o16, [0x0f, 0x40 + r.int(16)], this.rm(r.pick(d), any, bytes));
      case 20:
      case 21: {
        if (depth > 1) return this.item(depth);
        // Forward branches: over the next item, or a compare then a branch over it.
        const next = this.item(depth + 1);
        const cmp = r.chance(0.5) ? this.compare() : [];
        const cc = r.int(16);
        if (next.length > 127 || r.chance(0.25)) {
          const rel = t.code32 ? le(next.length, 4) : le(next.length, 2);
          return [...cmp, ...(r.chance(0.8) ? [0x0f, 0x80 + cc] : [0xe9]), ...rel, ...next];
        }
        if (r.chance(0.08) && d.includes(ECX)) return [...cmp, r.pick([0xe3, 0xe0, 0xe1, 0xe2]), next.length, ...next];
        return [...cmp, r.chance(0.9) ? 0x70 + cc : 0xeb, next.length, ...next];
      }
      case 22: {
        if (depth > 1) return this.item(depth);
        // CALL a one-item subroutine: call L / jmp over / L: item / ret / over:
        const body = this.item(depth + 1);
        const ret = r.chance(0.2) ? [0xc2, 0, 0] : [0xc3];
        const call = t.code32 ? [0xe8, 2, 0, 0, 0] : [0xe8, 2, 0];
        return [...call, 0xeb, body.length + ret.length, ...body, ...ret];
      }
      case 23: {
        // PUSH something, an item, POP into a destination or memory.
        const push = r.pick([
          [...o16, 0x50 + r.int(8)],
          [...o16, 0x68, ...this.imm(iz)],
          [...o16, 0x6a, ...this.imm(1)],
          this.insn(o16, [0xff], this.mem(6, bytes)),
          [r.pick([0x06, 0x0e, 0x16, 0x1e])],
          [0x0f, r.pick([0xa0, 0xa8])],
          [...o16, 0x9c],
        ]);
        const mid = depth > 0 ? [] : this.item(depth + 1);
        const pop = r.chance(0.2) ? this.insn(o16, [0x8f], this.mem(0, bytes)) : [...o16, 0x58 + r.pick(d)];
        return [...push, ...mid, ...pop];
      }
      case 24: {
        const op = r.pick([0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]);
        const byte = (op & 1) === 0;
        const imm = op < 0xd0 ? [r.chance(0.7) ? r.int(33) : r.int(256)] : [];
        return this.insn(byte ? [] : o16, [op], this.rm(r.int(8), byte ? d8 : d, byte ? 1 : bytes), imm);
      }
      case 25:
      {
        // Flag instructions (LAHF and SALC write AL).
        const op = r.pick([0xf5, 0xf8, 0xf9, 0xfc, 0x90, 0x9e, 0x9f, 0xd6, 0xf5, 0xf8, 0xf9, 0xfd]);
        return (op === 0x9f || op === 0xd6) && !d.includes(EAX) ? [0x90] : [op];
      }
      case 26: {
        if (r.chance(0.5)) return this.insn(o16, [0x0f, 0xaf], this.rm(r.pick(d), any, bytes));
        const op = r.pick([0x69, 0x6b]);
        return this.insn(o16, [op], this.rm(r.pick(d), any, bytes), this.imm(op === 0x69 ? iz : 1));
      }
      case 27: {
        // Bit tests: register offsets on registers, immediate offsets on memory.
        if (r.chance(0.5)) {
          const op = r.pick([0xa3, 0xab, 0xb3, 0xbb, 0xbc, 0xbd]);
          const reg = op >= 0xbc ? r.pick(d) : r.int(8);
          return [...o16, 0x0f, op, 0xc0 | (reg << 3) | (op === 0xa3 || op >= 0xbc ? r.int(8) : r.pick(d))];
        }
        const sub = 4 + r.int(4);
        const lock = sub > 4 && r.chance(0.15) ? [0xf0] : [];
        return this.insn([...lock, ...o16], [0x0f, 0xba], lock.length ? this.mem(sub, bytes) : this.rm(sub, d, bytes), [r.int(256)]);
      }
      case 28: {
        // SHLD/SHRD by an immediate or CL.
        const op = r.pick([0xa4, 0xa5, 0xac, 0xad]);
        return this.insn(o16, [0x0f, op], this.rm(r.int(8), d, bytes), op & 1 ? [] : [r.int(40)]);
      }
      case 29: {
        // XADD / CMPXCHG, LOCKed on memory now and then; BSWAP.
        if (r.chance(0.2)) return [0x0f, 0xc8 + r.pick(d)];
        const op = r.pick([0xb0, 0xb1, 0xc0, 0xc1]);
        const byte = (op & 1) === 0;
        if (!d.includes(EAX) && op < 0xc0) return [0x90];
        const lock = r.chance(0.3);
        const reg = op >= 0xc0 ? r.pick(byte ? d8 : d) : r.int(8);
        const m = lock ? this.mem(reg, byte ? 1 : bytes) : this.rm(reg, byte ? d8 : d, byte ? 1 : bytes);
        return this.insn(lock ? [0xf0, ...(byte ? [] : o16)] : byte ? [] : o16, [0x0f, op], m);
      }
      case 30: {
        // BCD adjustments (AAM 0 is a divide error).
        if (!d.includes(EAX)) return [0x90];
        const op = r.pick([0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5, 0xd7]);
        return op === 0xd4 || op === 0xd5 ? [op, r.chance(0.8) ? 10 : r.int(256)] : [op];
      }
      case 31:
        return this.string(o16);
      case 32:
        return this.segmentLoad(o16);
      case 33: {
        // ENTER/LEAVE (EBP is a destination), PUSHA/POPA around an item.
        if (!d.includes(5)) return [0x90];
        if (r.chance(0.5)) return [...o16, 0xc8, r.int(32), 0, r.int(3), ...(depth > 0 ? [] : this.item(depth + 1)), ...o16, 0xc9];
        return [...o16, 0x60, ...(depth > 0 ? [] : this.item(depth + 1)), ...o16, 0x61];
      }
      case 34: {
        // x87: load, arithmetic with memory, store, status word.
        const k = r.int(6);
        if (k === 0) return [0xdb, 0xe3];
        if (k === 1 && d.includes(EAX)) return [0xdf, 0xe0];
        const op = r.pick([0xd8, 0xd9, 0xdc, 0xdd, 0xdf, 0xdb]);
        const reg = op === 0xd9 || op === 0xdd || op === 0xdb ? r.pick([0, 2, 3]) : r.int(8);
        return this.insn([], [op], this.mem(reg, 8));
      }
      case 35: {
        // Port I/O (no device answers: reads give all ones); IOPL and the I/O bitmap decide at CPL 3 and in V86.
        if (!d.includes(EAX)) return [0x90];
        const port = r.chance(0.7) ? r.int(0x100) : r.int(0x10000);
        if (r.chance(0.5)) return [...o16, r.pick([0xe4, 0xe5, 0xe6, 0xe7]), port & 0xff];
        if (!d.includes(EDX)) return [0x90];
        return [...this.movImm16(EDX, port), ...o16, r.pick([0xec, 0xed, 0xee, 0xef])];
      }
      case 36:
        // RDTSC (the TSC counts retired instructions), the long NOP with a memory operand.
        if (r.chance(0.5) && d.includes(EAX) && d.includes(EDX)) return [0x0f, 0x31];
        return this.insn(o16, [0x0f, 0x1f], this.mem(0));
      case 37:
      case 38:
        if (depth > 0 || d.length < DEST.length) return this.item(depth);
        return this.loop();
      default:
        return this.compare();
    }
  }

  /** CMP or TEST (the flag producer of a fused compare and branch). */
  private compare(): number[] {
    const r = this.r;
    const o16 = r.chance(0.15) ? [0x66] : [];
    const any = [0, 1, 2, 3, 5, 6, 7];
    switch (r.int(4)) {
      case 0:
        return this.insn(o16, [r.pick([0x39, 0x3b, 0x85])], this.rm(r.pick(any), any));
      case 1:
        return this.insn(o16, [0x83], this.rm(7, any), [r.int(256)]);
      case 2:
        return [0x38 + r.int(2) * 2, 0xc0 | (r.int(8) << 3) | r.int(8)];
      default:
        return [...o16, r.pick([0x3d, 0xa9]), ...this.imm(o16.length === 0 === this.t.code32 ? 4 : 2)];
    }
  }

  /** A loop of 1 to 4 iterations: counter setup, a body that leaves the counter alone, decrement and branch back. */
  private loop(): number[] {
    const r = this.r;
    const counter = r.pick([ECX, ECX, EDX, ESI, EDI]);
    const n = 1 + r.int(4);
    const body = this.without(counter, () => {
      const out: number[] = [];
      for (let k = 1 + r.int(3); k > 0; k--) out.push(...this.item(1));
      return out;
    });
    const setup = this.movImm32(counter, n);
    const k = counter === ECX ? r.int(4) : 1 + r.int(3);
    let tail: number[];
    if (k === 0) tail = [0xe2];
    else if (k === 1) tail = [0x48 + counter, 0x75];
    else if (k === 2) tail = [0x83, 0xe8 | counter, 1, 0x75];
    else tail = [0x48 + counter, 0x83, 0xf8 | counter, 0, 0x7f];
    const back = -(body.length + tail.length + 1);
    if (back < -128) return setup;
    return [...setup, ...body, ...tail, back & 0xff];
  }

  /** A string instruction over a short count, pointers set into the data area first. */
  private string(o16: number[]): number[] {
    const r = this.r;
    const t = this.t;
    const d = this.dest;
    const op = r.pick([0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);
    const out: number[] = [];
    if (d.includes(ESI)) out.push(...this.movImm32(ESI, (t.data + this.dataOffset(64) - t.segBase[DS]) >>> 0));
    if (d.includes(EDI)) out.push(...this.movImm32(EDI, (t.data + this.dataOffset(64) - t.segBase[ES]) >>> 0));
    const rep = d.includes(ECX) && r.chance(0.7);
    if (rep) out.push(...this.movImm32(ECX, r.chance(0.1) ? 0 : r.int(12)));
    if ((op === 0xac || op === 0xad || op === 0xae || op === 0xaf) && !d.includes(EAX)) return out;
    if (!d.includes(ESI) || !d.includes(EDI)) return out;
    const pre = rep ? [r.pick([0xf3, 0xf3, 0xf2])] : [];
    // In 16-bit code the pointers are below 64 KiB, so ESI/EDI address the same bytes as SI/DI.
    if (!t.code32 && r.chance(0.1)) pre.push(0x67);
    if (r.chance(0.15)) pre.push(r.pick(SEG_PREFIX));
    return [...out, ...pre, ...o16, op];
  }

  /** Load a data segment register (from AX, memory or the stack), then read memory through the segments. */
  private segmentLoad(o16: number[]): number[] {
    const r = this.r;
    const t = this.t;
    const sreg = r.pick([ES, DS, FS, GS, ES, FS, GS, SS]);
    const sel = t.realAddressing ? r.pick([t.data >>> 4, (t.data >>> 4) + 1, 0, 0xffff, r.int(0x10000)]) : r.pick(t.selectors);
    let load: number[];
    if (r.chance(0.5) && this.dest.includes(EAX)) load = [...this.movImm16(EAX, sel), 0x8e, 0xc0 | (sreg << 3) | EAX];
    else if (r.chance(0.5)) load = this.insn([], [0x8e], this.mem(sreg, 2));
    else load = [r.pick([0x06, 0x0e, 0x16, 0x1e]), r.pick([0x07, 0x17, 0x1f])];
    return [...load, ...this.insn(o16, [0x8b], this.mem(r.pick(this.dest), 4))];
  }

  /** An instruction that faults or traps (or may). */
  fault(): number[] {
    const r = this.r;
    const t = this.t;
    switch (r.int(14)) {
      case 0:
        return [0x31, 0xc9, 0xf7, 0xf1]; // xor ecx,ecx / div ecx
      case 1:
        return [r.pick([0xf6, 0xf7]), 0xf0 | r.int(8)]; // div/idiv
      case 2:
        return r.pick([[0x0f, 0x0b], [0x0f, 0xff], [0xf0, 0x90], [0x8e, 0xc8], [0x0f, 0x20, 0xc8], [0xc4, 0xc0], [0xfe, 0x38]]);
      case 3:
        return [0xcd, r.int(256)];
      case 4:
        return r.pick([[0xcc], [0xce], [0xf1], [0xb0, 0x01, 0x04, 0x7f, 0xce]]); // the last: OF set, INTO traps
      case 5: // BOUND against a random pair in memory
        return this.insn([], [0x62], this.mem(r.pick(DEST), 8));
      case 6: // privileged
        return r.pick([[0xf4], [0xfa], [0xfb], [0x0f, 0x06], [0x0f, 0x20, 0xc0], [0x0f, 0x20, 0xd8], [0x0f, 0x09], [0x0f, 0x32], [0x0f, 0x21, 0xf8], [0xe4, 0x60], [0xec], [0x6c], [0x9d], [0xcf]]);
      case 7: // beyond a segment limit or into the unmapped page
        return this.insn([], [0x8b], this.farMem(r.pick(DEST)));
      case 8:
        return this.insn([], [0x89], this.farMem(r.int(8)));
      case 9: // a selector that does not work
        return [...this.movImm16(EAX, r.pick([0x08, 0x4b, 0x70, 0x7b, 0xfff8, 0x40, r.int(0x10000)])), 0x8e, 0xd8];
      case 10: // far transfers
        return t.code32 ? [0xea, ...le(t.farTarget, 4), ...le(t.csSel, 2)] : [0xea, ...le(t.farTarget, 2), ...le(t.csSel, 2)];
      case 11: // single-step trap: set TF through the stack
        // pushf / or dword [esp],0x100 / popf (16-bit: pushf / mov bp,sp / or word [bp+0],0x100 / popf) / nop
        return t.code32 ? [0x9c, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x90] : [0x9c, 0x89, 0xe5, 0x81, 0x4e, 0x00, 0x00, 0x01, 0x9d, 0x90];
      case 12: // CPL 3 or V86 with IOPL below 3
        return r.pick([[0xfa], [0xfb], [0x9c], [0x9d], [0xcd, 0x80], [0xcf], [0xe6, 0x80]]);
      default:
        return this.tableInsn();
    }
  }

  /** A memory operand at the edge: past the data area (unmapped in paged mode), a segment limit, a 64 KiB wrap. */
  private farMem(reg: number): Mem {
    const r = this.r;
    const t = this.t;
    const seg = r.pick([DS, GS, FS, SS, ES]);
    const linear = t.data + r.pick([t.dataSize, t.dataSize - 2, t.dataSize + 0x800, 0x1ffe, 0xfffe]);
    const off = (linear - t.segBase[seg]) >>> 0;
    const a32 = t.code32 || off > 0xffff;
    return { pre: [...(seg === DS ? [] : [SEG_PREFIX[seg]]), ...(a32 !== t.code32 ? [0x67] : [])], tail: a32 ? this.form32(reg, off) : this.form16(reg, off) };
  }

  /** One row of the opcode table with random prefixes, ModRM and immediates. */
  tableInsn(): number[] {
    const r = this.r;
    const t = this.t;
    const row: OpRow = r.chance(0.15) ? r.pick(FPU_ROWS) : r.pick(TABLE_ROWS);
    const pre: number[] = [];
    const o16 = r.chance(0.2);
    const wide = o16 !== t.code32;
    const a32 = t.code32;
    if (o16) pre.push(0x66);
    if (row.cls & OpClass.STRING && r.chance(0.5)) pre.push(r.pick([0xf3, 0xf2]));
    else if (r.chance(0.03)) pre.push(r.pick([0xf3, 0xf2]));
    let m: Mem | null = null;
    let memForm = false;
    if (row.hasModrm) {
      memForm = row.mod === "mem" || (row.mod === "any" && r.chance(0.5));
      const ops = row.operands;
      let reg = row.reg;
      if (reg < 0) {
        if (ops.includes("Sw")) reg = r.chance(0.9) ? r.int(6) : 6 + r.int(2);
        else if (ops.includes("Cd")) reg = r.chance(0.9) ? r.pick([0, 2, 3, 4]) : r.pick([1, 5, 6, 7]);
        else if (ops.includes("Dd")) reg = r.int(8);
        else reg = r.chance(0.9) ? r.pick(this.dest) : r.int(8);
      }
      if (memForm) {
        m = this.mem(reg, MEM_SIZE[ops.find((o) => o.startsWith("M")) ?? ""] ?? 4);
      } else {
        const rm = row.rm >= 0 ? row.rm : row.cls & OpClass.FPU || r.chance(0.1) ? r.int(8) : r.pick(this.dest);
        m = { pre: [], tail: [0xc0 | (reg << 3) | rm] };
      }
    }
    if ((row.cls & OpClass.LOCKABLE && memForm && r.chance(0.3)) || r.chance(0.02)) pre.push(0xf0);
    const imm: number[] = [];
    for (const o of row.operands) {
      if (o === "Ib" || o === "Ibs") imm.push(r.int(256));
      else if (o === "Iw") imm.push(...le(row.op === 0xc8 ? r.int(64) : r.int(0x10000), 2));
      else if (o === "Iz" || o === "Iv") imm.push(...this.imm(wide ? 4 : 2));
      else if (o === "Jb") imm.push(0);
      else if (o === "Jz") imm.push(...le(0, wide ? 4 : 2));
      else if (o === "Ap") imm.push(...le(t.farTarget, wide ? 4 : 2), ...le(r.chance(0.7) ? t.csSel : r.pick(t.selectors), 2));
      else if (o === "Ob" || o === "Ov") imm.push(...le((t.data + this.dataOffset(4) - t.segBase[DS]) >>> 0, a32 ? 4 : 2));
    }
    if (row.op === 0xc8 && row.map === 0) imm[2] = r.int(4);
    const op = row.map === 1 ? [0x0f, row.op] : [row.op];
    return this.insn(pre, op, m, imm);
  }
}

/** Fill `out` with items from `next` while they fit in `maxLen` bytes. */
function fill(out: number[], maxLen: number, count: number, next: () => number[]): void {
  for (let k = 0; k < count; k++) {
    const b = next();
    if (out.length + b.length > maxLen) continue;
    out.push(...b);
  }
}

/** One random sequence for `t`, at most `maxLen` bytes (the caller pads with HLT). */
export function generateSequence(r: Rng, t: Target, maxLen: number): Sequence {
  const g = new Gen(r, t);
  const bytes: number[] = [];
  const k = r.int(100);
  if (k < 45) {
    // Now and then a prefix that changes nothing (or little): a segment override, REP/REPNE.
    fill(bytes, maxLen, 2 + r.int(9), () => (r.chance(0.05) ? [r.pick([...SEG_PREFIX, 0xf2, 0xf3]), ...g.item()] : g.item()));
    return { kind: "structured", bytes };
  }
  if (k < 70) {
    fill(bytes, maxLen, 2 + r.int(7), () => (r.chance(0.6) ? g.tableInsn() : g.item()));
    return { kind: "table", bytes };
  }
  if (k < 88) {
    const n = 1 + r.int(Math.min(maxLen, 24));
    for (let j = 0; j < n; j++) bytes.push(r.chance(0.1) ? r.pick([0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x0f]) : r.int(256));
    return { kind: "raw", bytes };
  }
  fill(bytes, maxLen - 12, r.int(4), () => g.item());
  fill(bytes, maxLen, 1, () => g.fault());
  return { kind: "fault", bytes };
}
