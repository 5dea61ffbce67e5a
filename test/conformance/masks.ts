/**
 * Architectural differences between the CPUs that produced the test suites (a
 * Harris 80C286, a 386EX) and the Pentium Pro class CPU jit386 emulates. Each
 * difference is one named rule: where it applies, the runner either masks the
 * bits that differ or replaces the test's expectation by what a P6 does. Rules
 * are applied only to the tests they describe, and the runner counts the tests
 * each rule changed, so a rule that starts hiding emulator bugs shows up in the
 * report. Nothing else is excluded.
 *
 * Instructions are examined here from their bytes and the initial registers,
 * independently of src/decode, so that an emulator bug cannot widen a rule.
 */
import type { MooTest, Reg16Name } from "./moo.js";

export const enum RuleId {
  FLAGS_12_15 = "flags-12-15-real-mode",
  EFLAGS_386_RESERVED = "eflags-386-reserved",
  LOCK_UD = "lock-non-lockable-ud",
  LENGTH_10 = "286-length-limit-10",
  FS_GS = "fs-gs-segment-registers",
  SS_OVERRUN = "ss-overrun-is-ss-fault",
  STRING_FAULT = "string-fault-registers",
  IP_PAST_FFFF = "ip-after-hlt-at-ffff",
}

export interface Rule {
  id: RuleId;
  /** The behaviour on each CPU and where it is documented. */
  reason: string;
}

export const RULES: readonly Rule[] = [
  {
    id: RuleId.FLAGS_12_15,
    reason:
      "In real mode the 286 keeps FLAGS bits 12-15 (IOPL, NT, bit 15) at 0: it ignores them in the LOADALL image " +
      "(80286 README: 'mask off the top four flags before setting them') and POPF/IRET cannot set them. A P6 at CPL 0 " +
      "in real mode loads IOPL and NT from POPF and IRET (SDM Vol. 2 POPF, IRET). Initial FLAGS are loaded with " +
      "bits 12-15 clear; after POPF and IRET bits 12-15 of FLAGS are not compared.",
  },
  {
    id: RuleId.EFLAGS_386_RESERVED,
    reason:
      "The 386EX sample reports EFLAGS bits 18-31 as 1. They are reserved on the 386; on a P6 bit 18 is AC, " +
      "19-20 VIF/VIP and 21 ID (SDM Vol. 1 §3.4.3) and the rest read as 0. Only bits 0-17 are loaded and compared.",
  },
  {
    id: RuleId.LOCK_UD,
    reason:
      "The 286 accepts LOCK before any instruction. From the 386 on, LOCK before an instruction other than " +
      "ADD ADC AND BTC BTR BTS CMPXCHG CMPXCHG8B DEC INC NEG NOT OR SBB SUB XOR XADD XCHG, or before one of those " +
      "without a memory destination, raises #UD (SDM Vol. 2 LOCK). Expected instead: #UD at the instruction, " +
      "nothing changed.",
  },
  {
    id: RuleId.LENGTH_10,
    reason:
      "The 286 limits an instruction, prefixes included, to 10 bytes and raises interrupt 13 beyond (80286 " +
      "Programmer's Reference; every 11-byte instruction of the suite does so). The P6 limit is 15 bytes (SDM " +
      "Vol. 2, chapter 2, instruction format). For instructions of 11-15 bytes the expected interrupt 13 is " +
      "replaced by: the instruction completes and the HLT after it executes.",
  },
  {
    id: RuleId.FS_GS,
    reason:
      "MOV to or from Sreg 4 and 5 (FS, GS) is undefined on the 286 (#UD); the 386 and later have FS and GS " +
      "(SDM Vol. 2 MOV). The expected #UD is replaced by: the instruction completes and the HLT after it executes.",
  },
  {
    id: RuleId.SS_OVERRUN,
    reason:
      "In real mode the 286 raises interrupt 13 for an access beyond offset FFFFh in any segment, the stack " +
      "included. A P6 raises #SS (12) when the access is SS-relative and #GP (13) otherwise (SDM Vol. 2, " +
      "'Real-Address Mode Exceptions' of each instruction). Where the P6's first overrunning access is SS-relative, " +
      "vector 12 is pointed at the vector-13 handler and the emulator must have raised #SS.",
  },
  {
    id: RuleId.STRING_FAULT,
    reason:
      "When a word string instruction overruns a segment the 286 has already advanced SI/DI (and CX under REP) " +
      "for the aborted iteration, differently per instruction. A P6 fault leaves them at the start of the faulting " +
      "iteration (SDM Vol. 3 §6.5, faults are restartable; Vol. 2 REP). Expected SI, DI, CX are computed from the " +
      "initial state: the values at the first iteration whose access reaches offset FFFFh.",
  },
  {
    id: RuleId.IP_PAST_FFFF,
    reason:
      "A test ends with the HLT its NMI wakes; the final IP is the 16-bit IP that NMI pushed. After a HLT at offset " +
      "FFFFh the 286's 16-bit IP reads 0. A P6 does not wrap EIP in 16-bit code when execution runs past FFFFh (the " +
      "next fetch would exceed the CS limit and raise #GP), so its EIP is 10000h; an " +
      "interrupt would push 0000h as the 16-bit IP all the same. EIP 10000h is accepted where the test says IP 0.",
  },
];

/** Prefix bytes the 286 knows (64-67 are undefined opcodes on it, not prefixes). */
const PREFIXES_286 = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);

const ES = 0;
const CS = 1;
const SS = 2;
const DS = 3;
const SEGMENT_PREFIX: ReadonlyMap<number, number> = new Map([[0x26, ES], [0x2e, CS], [0x36, SS], [0x3e, DS]]);

interface InsnShape {
  lock: boolean;
  rep: boolean;
  /** Segment override (Sreg number; of several, the last one counts) or -1. */
  segment: number;
  opcode: number;
  /** Offset of the byte after the opcode (the ModRM byte for opcodes that have one). */
  next: number;
  modrm: number;
  /** Instruction length without the terminating HLT. */
  length: number;
}

function shapeOf(t: MooTest): InsnShape {
  const b = t.bytes;
  let k = 0;
  let segment = -1;
  let lock = false;
  let rep = false;
  for (; k < b.length && PREFIXES_286.has(b[k]); k++) {
    segment = SEGMENT_PREFIX.get(b[k]) ?? segment;
    lock ||= b[k] === 0xf0;
    rep ||= b[k] === 0xf2 || b[k] === 0xf3;
  }
  return { lock, rep, segment, opcode: b[k], next: k + 1, modrm: b[k + 1] ?? 0, length: b.length - 1 };
}

/** Opcodes whose memory-destination forms accept LOCK on a P6, by ModRM.reg (null: any reg). */
const LOCKABLE: ReadonlyMap<number, readonly number[] | null> = new Map<number, readonly number[] | null>([
  [0x00, null], [0x01, null], // ADD
  [0x08, null], [0x09, null], // OR
  [0x10, null], [0x11, null], // ADC
  [0x18, null], [0x19, null], // SBB
  [0x20, null], [0x21, null], // AND
  [0x28, null], [0x29, null], // SUB
  [0x30, null], [0x31, null], // XOR
  [0x80, [0, 1, 2, 3, 4, 5, 6]], [0x81, [0, 1, 2, 3, 4, 5, 6]], // group 1 without CMP
  [0x82, [0, 1, 2, 3, 4, 5, 6]], [0x83, [0, 1, 2, 3, 4, 5, 6]],
  [0x86, null], [0x87, null], // XCHG
  [0xf6, [2, 3]], [0xf7, [2, 3]], // NOT, NEG
  [0xfe, [0, 1]], [0xff, [0, 1]], // INC, DEC
]);

function lockableOnP6(s: InsnShape): boolean {
  const regs = LOCKABLE.get(s.opcode);
  if (regs === undefined) return false;
  if (s.modrm >> 6 === 3) return false;
  return regs === null || regs.includes((s.modrm >> 3) & 7);
}

// ---- the P6's first overrunning access ---------------------------------------

/** One memory access: segment (Sreg number), offset, size in bytes. */
interface Access {
  seg: number;
  off: number;
  size: number;
}

/** Initial 16-bit register values by name. */
type Regs = Partial<Record<Reg16Name, number>>;

function overruns(a: Access): boolean {
  return a.off + a.size - 1 > 0xffff;
}

/**
 * Size in bytes of the explicit ModRM memory operand of a one-byte opcode, 0 when
 * the opcode has no ModRM byte or its r/m operand touches no memory (LEA).
 */
function memoryOperandSize(op: number, reg: number): number {
  if (op < 0x40 && (op & 7) < 4) return op & 1 ? 2 : 1; // ALU Eb/Ev forms
  switch (op) {
    case 0x62: case 0xc4: case 0xc5: case 0xd8:
      return 4;
    case 0x69: case 0x6b: case 0x81: case 0x83: case 0x85: case 0x87: case 0x89: case 0x8b: case 0x8c: case 0x8e:
    case 0x8f: case 0xc1: case 0xc7: case 0xd1: case 0xd3: case 0xf7:
      return 2;
    case 0x80: case 0x82: case 0x84: case 0x86: case 0x88: case 0x8a: case 0xc0: case 0xc6: case 0xd0: case 0xd2:
    case 0xf6: case 0xfe:
      return 1;
    case 0xff:
      return reg === 3 || reg === 5 ? 4 : 2;
  }
  return 0;
}

/** Registers summed by the 16-bit ModRM forms, by rm. */
const BASE16: ReadonlyArray<ReadonlyArray<Reg16Name>> = [
  ["bx", "si"], ["bx", "di"], ["bp", "si"], ["bp", "di"], ["si"], ["di"], ["bp"], ["bx"],
];

/** The explicit memory operand's access, if the instruction has one. */
function explicitAccess(t: MooTest, s: InsnShape, r: Regs): Access | undefined {
  const b = t.bytes;
  const seg0 = s.segment >= 0 ? s.segment : DS;
  if (s.opcode === 0xa1 || s.opcode === 0xa3) return { seg: seg0, off: b[s.next] | (b[s.next + 1] << 8), size: 2 }; // moffs16
  const mod = s.modrm >> 6;
  const rm = s.modrm & 7;
  const size = memoryOperandSize(s.opcode, (s.modrm >> 3) & 7);
  if (size === 0 || mod === 3) return undefined;
  const d = s.next + 1;
  let off: number;
  let bpBased = false;
  if (mod === 0 && rm === 6) {
    off = b[d] | (b[d + 1] << 8);
  } else {
    off = 0;
    for (const name of BASE16[rm]) off += r[name] ?? 0;
    bpBased = rm === 2 || rm === 3 || rm === 6;
    if (mod === 1) off += (b[d] << 24) >> 24;
    else if (mod === 2) off += b[d] | (b[d + 1] << 8);
  }
  return { seg: s.segment >= 0 ? s.segment : bpBased ? SS : DS, off: off & 0xffff, size };
}

/** Words pushed (negative: popped) on the stack by an opcode of the 286 suite (LEAVE and POP m16 aside). */
function stackWords(op: number, reg: number, r: Regs): number {
  switch (op) {
    case 0x06: case 0x0e: case 0x16: case 0x1e: case 0x68: case 0x6a: case 0x9c: case 0xe8:
      return 1;
    case 0x07: case 0x17: case 0x1f: case 0x9d: case 0xc2: case 0xc3:
      return -1;
    case 0x60: return 8;
    case 0x61: return -8;
    case 0x9a: return 2;
    case 0xca: case 0xcb: return -2;
    case 0xcc: case 0xcd: return 3;
    case 0xce: return (r.flags ?? 0) & 0x800 ? 3 : 0;
    case 0xcf: return -3;
    case 0xff: return reg === 2 || reg === 6 ? 1 : reg === 3 ? 2 : 0;
  }
  if (op >= 0x50 && op <= 0x57) return 1;
  if (op >= 0x58 && op <= 0x5f) return -1;
  return 0;
}

function stackAccesses(words: number, sp: number): Access[] {
  const out: Access[] = [];
  for (let k = 0; k < Math.abs(words); k++) {
    out.push({ seg: SS, off: words > 0 ? (sp - 2 * (k + 1)) & 0xffff : (sp + 2 * k) & 0xffff, size: 2 });
  }
  return out;
}

/** Word string opcodes: which index registers each iteration uses, in access order. */
const STRING_WORD: ReadonlyMap<number, ReadonlyArray<"si" | "di">> = new Map<number, ReadonlyArray<"si" | "di">>([
  [0xa5, ["si", "di"]], // MOVSW
  [0xa7, ["si", "di"]], // CMPSW
  [0xab, ["di"]], // STOSW
  [0xad, ["si"]], // LODSW
  [0xaf, ["di"]], // SCASW
  [0x6d, ["di"]], // INSW
  [0x6f, ["si"]], // OUTSW
]);

interface StringFault {
  /** SI, DI, CX at the start of the faulting iteration. */
  regs: Regs;
  /** The iteration's overrunning accesses (CMPSW may overrun on both; the P6's order between them is not architectural). */
  faulting: Access[];
}

/** The first iteration of a word string instruction whose access overruns, on a P6. */
function stringFault(s: InsnShape, r: Regs): StringFault | undefined {
  const uses = STRING_WORD.get(s.opcode);
  if (!uses) return undefined;
  const step = (r.flags ?? 0) & 0x400 ? -2 : 2;
  const count = s.rep ? (r.cx ?? 0) : 1;
  const srcSeg = s.segment >= 0 ? s.segment : DS;
  for (let k = 0; k < count; k++) {
    const si = ((r.si ?? 0) + step * k) & 0xffff;
    const di = ((r.di ?? 0) + step * k) & 0xffff;
    const accesses = uses.map((u) => (u === "si" ? { seg: srcSeg, off: si, size: 2 } : { seg: ES, off: di, size: 2 }));
    const faulting = accesses.filter(overruns);
    if (faulting.length) {
      const regs: Regs = {};
      if (uses.includes("si")) regs.si = si;
      if (uses.includes("di")) regs.di = di;
      if (s.rep) regs.cx = ((r.cx ?? 0) - k) & 0xffff;
      return { regs, faulting: s.opcode === 0xa7 ? faulting : faulting.slice(0, 1) };
    }
  }
  return undefined;
}

/**
 * The access a P6 faults on first, in instruction order (both of CMPSW's when it
 * overruns on both); empty when the model finds none.
 */
function firstOverrun(t: MooTest, s: InsnShape, r: Regs): Access[] {
  const str = stringFault(s, r);
  if (str) return str.faulting;
  if (STRING_WORD.has(s.opcode)) return [];
  const reg = (s.modrm >> 3) & 7;
  const mem = explicitAccess(t, s, r);
  const sp = r.sp ?? 0;
  let order: Access[];
  if (s.opcode === 0xc9) {
    order = stackAccesses(-1, r.bp ?? 0); // LEAVE: SP = BP, then POP BP
  } else if (s.opcode === 0x8f) {
    order = [...stackAccesses(-1, sp), ...(mem ? [mem] : [])]; // POP m16 reads the stack first
  } else {
    order = [...(mem ? [mem] : []), ...stackAccesses(stackWords(s.opcode, reg, r), sp)];
  }
  const first = order.find(overruns);
  return first ? [first] : [];
}

// ---- expectations ---------------------------------------------------------------

/** What the runner should expect of a test instead of its recorded final state. */
export const enum Expect {
  /** The recorded final state, with the adjustments of `Expectation`. */
  RECORDED,
  /** #UD raised by the instruction, no state changed. */
  UD,
  /** The instruction completes without a fault and the HLT after it executes. */
  COMPLETES,
}

export interface Expectation {
  kind: Expect;
  /** Rules that replaced or adjusted the expectation. */
  rules: RuleId[];
  /** Final register values of the P6 where the 286's differ. */
  regs: Regs;
  /**
   * Set when the P6 raises #SS where the 286 raised 13: the vectors the P6 may
   * raise (12 alone, or 12 or 13 when two accesses overrun in an order the
   * architecture leaves open).
   */
  ssVectors?: readonly number[];
}

/** The expectation for a 286 real-mode test under the rules. */
export function expectationFor286(t: MooTest): Expectation {
  const s = shapeOf(t);
  const vector = t.exception?.vector;
  const r: Regs = t.initial.regs16?.values ?? {};
  const out: Expectation = { kind: Expect.RECORDED, rules: [], regs: {} };
  const sreg = (s.modrm >> 3) & 7;
  if (s.lock && !lockableOnP6(s) && vector !== 6) {
    out.kind = Expect.UD;
    out.rules.push(RuleId.LOCK_UD);
  } else if (s.length > 10 && s.length <= 15 && vector === 13) {
    out.kind = Expect.COMPLETES;
    out.rules.push(RuleId.LENGTH_10);
  } else if ((s.opcode === 0x8c || s.opcode === 0x8e) && (sreg === 4 || sreg === 5) && vector === 6) {
    out.kind = Expect.COMPLETES;
    out.rules.push(RuleId.FS_GS);
  } else if (vector === 13) {
    const str = stringFault(s, r);
    const fin = t.final.regs16?.values ?? {};
    if (str && (Object.keys(str.regs) as Reg16Name[]).some((n) => str.regs[n] !== (fin[n] ?? r[n]))) {
      out.regs = str.regs;
      out.rules.push(RuleId.STRING_FAULT);
    }
    const first = firstOverrun(t, s, r);
    if (first.some((a) => a.seg === SS)) out.ssVectors = first.every((a) => a.seg === SS) ? [12] : [12, 13];
  }
  return out;
}

/** After POPF and IRET (286 suite), FLAGS bits 12-15 are not compared. */
export function flagsLoadedFromMemory(fileKey: string): boolean {
  return fileKey === "9D" || fileKey === "CF";
}

export const FLAGS_12_15 = 0xf000;
/** EFLAGS bits 0-17: what the 386 has. */
export const EFLAGS_386 = 0x3ffff;
