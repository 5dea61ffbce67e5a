/**
 * The x87 instructions (opcode-table rows D8..DF and 9B, exec "fpu.*").
 *
 * Every handler starts with the device-not-available check (and, for waiting
 * instructions, the pending-error check), reads its memory operand, and only
 * then records the instruction and data pointers and touches the FPU, so a
 * fault leaves the FPU as it was. Stores check the whole destination before
 * writing any of it. Arithmetic is in src/cpu/x87/float80.ts (exact), the
 * transcendental functions in src/cpu/x87/fpumath.ts, the state in src/cpu/x87/fpu.ts.
 *
 * Masked exceptions store their default results. An unmasked invalid-operation,
 * zero-divide or denormal exception leaves destination and stack alone
 * (compares still set the condition codes, and a denormal single or double is
 * still loaded); an unmasked overflow or underflow stores the exponent-wrapped
 * result in a register and nothing in memory (SDM Vol. 1 §8.5).
 */
import type { Cpu } from "../cpu/cpu.js";
import { AF, CF, OF, PF, SF as EFLAGS_SF, ZF } from "../cpu/flags.js";
import * as F from "../cpu/x87/float80.js";
import { Cls, type F80, HI, LO, Rel, SE } from "../cpu/x87/float80.js";
import * as S from "../cpu/x87/fpu.js";
import * as E from "../cpu/x87/fpuenv.js";
import * as M from "../cpu/x87/fpumath.js";
import { Sreg } from "../cpu/layout.js";
import type { Insn } from "../decode/insn.js";
import type { OpRow } from "../isa/row.js";
import { eaOffset, type Handler } from "./operands.js";
import type { HandlerFactory } from "./registry.js";

const A = F.f80();
const B = F.f80();
/** The default NaN, as a register image. */
const INDEF = F.f80(F.INDEF_SE, F.INDEF_HI, 0);
const ONE = F.f80(0x3fff, 0x80000000, 0);
/** FNSAVE/FRSTOR image and packed-BCD scratch, used within one instruction (ARCHITECTURE.md "Module-level scratch"). */
const image = new DataView(new ArrayBuffer(E.ENV_SIZE_32 + E.REGS_SIZE));
const bcdIn = new Uint8Array(10);

/** Memory operand formats. */
const enum Mem {
  F32,
  F64,
  F80,
  I16,
  I32,
  I64,
  BCD,
}

function memKind(row: OpRow): Mem {
  const code = row.operands[0];
  const integer = row.mnemonic.startsWith("FI");
  if (row.mnemonic === "FBLD" || row.mnemonic === "FBSTP") return Mem.BCD;
  if (code === "Mt") return Mem.F80;
  if (code === "Mw") return Mem.I16;
  if (code === "Mq") return integer ? Mem.I64 : Mem.F64;
  return integer ? Mem.I32 : Mem.F32;
}

const isMemOperand = (code: string | undefined) => code !== undefined && code[0] === "M";

/** FOP: the low three bits of the first opcode byte and the ModRM byte. */
function fopOf(i: Insn): number {
  return ((i.op & 7) << 8) | (i.mod << 6) | (i.reg << 3) | i.rm;
}

function recordInsn(c: Cpu, i: Insn): void {
  S.setInstructionPointer(c, c.segSel(Sreg.CS), (c.eip - i.len) | 0, fopOf(i));
}

function recordMem(c: Cpu, i: Insn, off: number): void {
  recordInsn(c, i);
  S.setDataPointer(c, c.segSel(i.seg), off);
}

/** A waiting non-control instruction starts: checks, then fresh rounding state. */
function enter(c: Cpu): void {
  S.checkWaiting(c);
  S.begin(c);
}

/** Read a memory operand into B, converted exactly to the register format. */
function readOperand(c: Cpu, i: Insn, kind: Mem, off: number): void {
  const seg = i.seg;
  switch (kind) {
    case Mem.F32:
      F.fromF32(c.read32(seg, off));
      break;
    case Mem.F64: {
      const la = c.linear(seg, off, 8, false);
      const lo = c.readLin32(la);
      F.fromF64(lo, c.readLin32((la + 4) | 0));
      break;
    }
    case Mem.F80: {
      const la = c.linear(seg, off, 10, false);
      B[LO] = c.readLin32(la);
      B[HI] = c.readLin32((la + 4) | 0);
      B[SE] = c.readLin16((la + 8) | 0);
      return;
    }
    case Mem.I16:
      F.fromInt32((c.read16(seg, off) << 16) >> 16);
      break;
    case Mem.I32:
      F.fromInt32(c.read32(seg, off));
      break;
    case Mem.I64: {
      const la = c.linear(seg, off, 8, false);
      const lo = c.readLin32(la);
      F.fromInt64(lo, c.readLin32((la + 4) | 0));
      break;
    }
    case Mem.BCD: {
      const la = c.linear(seg, off, 10, false);
      for (let k = 0; k < 10; k++) bcdIn[k] = c.readLin8((la + k) | 0);
      F.fromBcd(bcdIn);
      break;
    }
  }
  F.copyTo(B, F.res);
}

/** Checked linear address of an n-byte store: segment and every page probed, so the writes cannot fault. */
function storeLinear(c: Cpu, seg: number, off: number, n: number): number {
  const la = c.linear(seg, off, n, true);
  c.probeWrite(la, n);
  return la;
}

function write64(c: Cpu, seg: number, off: number, lo: number, hi: number): void {
  const la = storeLinear(c, seg, off, 8);
  c.writeLin32(la, lo);
  c.writeLin32((la + 4) | 0, hi);
}

function write80(c: Cpu, seg: number, off: number, x: F80): void {
  const la = storeLinear(c, seg, off, 10);
  c.writeLin32(la, x[LO]);
  c.writeLin32((la + 4) | 0, x[HI]);
  c.writeLin16((la + 8) | 0, x[SE]);
}

/** Set C3, C2, C0 to `bits`, leaving C1 to updateStatus. */
function setC320(c: Cpu, bits: number): void {
  S.setSw(c, (S.getSw(c) & ~(S.SW_C0 | S.SW_C2 | S.SW_C3)) | bits);
}

const REL_CC = [0, S.SW_C0, S.SW_C3, S.SW_C3 | S.SW_C2 | S.SW_C0];

// ---- arithmetic ---------------------------------------------------------------

const enum Op {
  ADD,
  MUL,
  SUB,
  SUBR,
  DIV,
  DIVR,
}
const OPS: Record<string, Op> = { FADD: Op.ADD, FMUL: Op.MUL, FSUB: Op.SUB, FSUBR: Op.SUBR, FDIV: Op.DIV, FDIVR: Op.DIVR };

/** dst op src, dst = a, src = b, into F.res. */
function arith(op: Op, a: F80, b: F80): void {
  switch (op) {
    case Op.ADD: return F.add(a, b, false);
    case Op.MUL: return F.mul(a, b);
    case Op.SUB: return F.add(a, b, true);
    case Op.SUBR: return F.add(b, a, true);
    case Op.DIV: return F.div(a, b);
    case Op.DIVR: return F.div(b, a);
  }
}

function arithFactory(row: OpRow): Handler {
  const name = row.mnemonic;
  const pop = name.endsWith("P");
  const op = OPS[name.replace(/^FI/, "F").replace(/P$/, "")];
  if (isMemOperand(row.operands[0])) {
    const kind = memKind(row);
    return (c, i) => {
      enter(c);
      const off = eaOffset(c, i);
      readOperand(c, i, kind, off);
      recordMem(c, i, off);
      if (S.stEmpty(c, 0)) S.stackUnderflow();
      else if (!S.unmasked(F.DE)) {
        S.loadSt(c, 0, A);
        arith(op, A, B);
      }
      if (!S.unmasked(S.PRE_EXC)) S.storeStRes(c, 0);
      S.updateStatus(c);
    };
  }
  const dstIsSt0 = row.operands[0] === "ST";
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    const dst = dstIsSt0 ? 0 : i.rm;
    const src = dstIsSt0 ? i.rm : 0;
    if (S.stEmpty(c, dst) || S.stEmpty(c, src)) S.stackUnderflow();
    else {
      S.loadSt(c, dst, A);
      S.loadSt(c, src, B);
      arith(op, A, B);
    }
    if (!S.unmasked(S.PRE_EXC)) {
      S.storeStRes(c, dst);
      if (pop) S.pop(c);
    }
    S.updateStatus(c);
  };
}

// ---- compares -------------------------------------------------------------------

function comFactory(row: OpRow): Handler {
  const name = row.mnemonic;
  const quiet = name.startsWith("FUCOM");
  const pops = name.endsWith("PP") ? 2 : name.endsWith("P") ? 1 : 0;
  // The condition codes are set even when an unmasked exception keeps the operands on the stack.
  const finish = (c: Cpu, rel: Rel) => {
    setC320(c, REL_CC[rel]);
    if (!S.unmasked(F.IE | F.DE)) {
      if (pops > 0) S.pop(c);
      if (pops > 1) S.pop(c);
    }
    S.updateStatus(c);
  };
  if (isMemOperand(row.operands[0])) {
    const kind = memKind(row);
    return (c, i) => {
      enter(c);
      const off = eaOffset(c, i);
      readOperand(c, i, kind, off);
      recordMem(c, i, off);
      let rel = Rel.UNORDERED;
      if (S.stEmpty(c, 0)) S.stackUnderflow();
      else {
        S.loadSt(c, 0, A);
        rel = F.compare(A, B, quiet);
      }
      finish(c, rel);
    };
  }
  const ftst = name === "FTST";
  const fixed = row.operands.length === 0;
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    const src = fixed ? 1 : i.rm;
    let rel = Rel.UNORDERED;
    if (S.stEmpty(c, 0) || (!ftst && S.stEmpty(c, src))) S.stackUnderflow();
    else {
      S.loadSt(c, 0, A);
      if (ftst) B.fill(0);
      else S.loadSt(c, src, B);
      rel = F.compare(A, B, quiet);
    }
    finish(c, rel);
  };
}

/** EFLAGS ZF, PF, CF by comparison result (OF, SF, AF cleared). */
const REL_EFLAGS = [0, CF, ZF, ZF | PF | CF];

function comiFactory(row: OpRow): Handler {
  const name = row.mnemonic;
  const quiet = name.startsWith("FUCOMI");
  const pop = name.endsWith("P");
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    let rel = Rel.UNORDERED;
    if (S.stEmpty(c, 0) || S.stEmpty(c, i.rm)) S.stackUnderflow();
    else {
      S.loadSt(c, 0, A);
      S.loadSt(c, i.rm, B);
      rel = F.compare(A, B, quiet);
    }
    c.setEflagsMasked(REL_EFLAGS[rel], ZF | PF | CF | OF | EFLAGS_SF | AF);
    if (pop && !S.unmasked(F.IE | F.DE)) S.pop(c);
    S.updateStatus(c);
  };
}

/** FXAM classes in C3:C2:C0, indexed by Cls: zero, normal, infinity, NaN, NaN, unsupported. */
const XAM_CC = [S.SW_C3, S.SW_C2, S.SW_C2 | S.SW_C0, S.SW_C0, S.SW_C0, 0];

function xam(c: Cpu, i: Insn): void {
  enter(c);
  recordInsn(c, i);
  S.loadSt(c, 0, A);
  let cc: number;
  if (S.stEmpty(c, 0)) cc = S.SW_C3 | S.SW_C0;
  else {
    const cls = F.classify(A);
    // Denormals (and pseudo-denormals) are a class of their own.
    cc = cls === Cls.FINITE && (A[SE] & 0x7fff) === 0 ? S.SW_C3 | S.SW_C2 : XAM_CC[cls];
  }
  const sw = S.getSw(c) & ~S.SW_CC;
  S.setSw(c, sw | cc | (A[SE] & 0x8000 ? S.SW_C1 : 0));
}

// ---- loads and stores ---------------------------------------------------------------

/**
 * Push F.res, or fault the stack when ST(7) is in use. Only an invalid
 * operation stops a load: a denormal single or double is loaded (normalised)
 * even when DE is unmasked, as the reference x87 does.
 */
function pushRes(c: Cpu): void {
  if (!S.stEmpty(c, 7)) S.stackOverflow();
  if (!S.unmasked(F.IE)) S.push(c, F.res);
  S.updateStatus(c);
}

function ldFactory(row: OpRow): Handler {
  if (!isMemOperand(row.operands[0])) {
    return (c, i) => {
      enter(c);
      recordInsn(c, i);
      if (S.stEmpty(c, i.rm)) S.stackUnderflow();
      else S.loadSt(c, i.rm, F.res);
      pushRes(c);
    };
  }
  const kind = memKind(row);
  const signals = kind === Mem.F32 || kind === Mem.F64;
  return (c, i) => {
    enter(c);
    const off = eaOffset(c, i);
    readOperand(c, i, kind, off);
    recordMem(c, i, off);
    if (signals && F.classify(B) === Cls.SNAN) {
      F.env.flags = (F.env.flags & ~F.DE) | F.IE;
      B[HI] |= 0x40000000;
    }
    F.copyTo(F.res, B);
    pushRes(c);
  };
}

/** Convert ST(0) (or the default NaN when empty) to the store format and write it. */
function storeValue(c: Cpu, i: Insn, kind: Mem, off: number): boolean {
  const empty = S.stEmpty(c, 0);
  if (empty) F.copyTo(A, INDEF);
  else S.loadSt(c, 0, A);
  switch (kind) {
    case Mem.F32:
    case Mem.F64:
      F.toFloat(A, kind === Mem.F32 ? 32 : 64);
      break;
    case Mem.I16:
    case Mem.I32:
    case Mem.I64:
      F.toInt(A, kind === Mem.I16 ? 16 : kind === Mem.I32 ? 32 : 64, F.env.rc);
      break;
    case Mem.BCD:
      F.toBcd(A);
      break;
  }
  if (empty) S.stackUnderflow();
  if (S.unmasked(S.STORE_EXC)) return false;
  const seg = i.seg;
  switch (kind) {
    case Mem.F32: c.write32(seg, off, F.out[F.OUT_LO]); break;
    case Mem.F64: write64(c, seg, off, F.out[F.OUT_LO], F.out[F.OUT_HI]); break;
    case Mem.F80: write80(c, seg, off, A); break;
    case Mem.I16: c.write16(seg, off, F.out[F.OUT_LO]); break;
    case Mem.I32: c.write32(seg, off, F.out[F.OUT_LO]); break;
    case Mem.I64: write64(c, seg, off, F.out[F.OUT_LO], F.out[F.OUT_HI]); break;
    case Mem.BCD: {
      const la = storeLinear(c, seg, off, 10);
      for (let k = 0; k < 10; k++) c.writeLin8((la + k) | 0, F.bcd[k]);
      break;
    }
  }
  return true;
}

function stFactory(row: OpRow): Handler {
  const pop = row.mnemonic.endsWith("P");
  if (!isMemOperand(row.operands[0])) {
    return (c, i) => {
      enter(c);
      recordInsn(c, i);
      if (S.stEmpty(c, 0)) S.stackUnderflow();
      else S.loadSt(c, 0, F.res);
      if (!S.unmasked(S.PRE_EXC)) {
        S.storeStRes(c, i.rm);
        if (pop) S.pop(c);
      }
      S.updateStatus(c);
    };
  }
  const kind = memKind(row);
  return (c, i) => {
    enter(c);
    const off = eaOffset(c, i);
    const stored = storeValue(c, i, kind, off);
    recordMem(c, i, off);
    if (stored && pop) S.pop(c);
    S.updateStatus(c);
  };
}

const CONST_OF: Record<string, M.Const> = {
  FLD1: M.Const.ONE,
  FLDL2T: M.Const.L2T,
  FLDL2E: M.Const.L2E,
  FLDPI: M.Const.PI,
  FLDLG2: M.Const.LG2,
  FLDLN2: M.Const.LN2,
};

function ldconstFactory(row: OpRow): Handler {
  const zero = row.mnemonic === "FLDZ";
  const k = CONST_OF[row.mnemonic];
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    if (zero) F.setZero(0);
    else M.loadConstant(k);
    // Constants raise no precision exception and report no rounding in C1.
    F.env.flags = 0;
    pushRes(c);
  };
}

// ---- stack and register moves ---------------------------------------------------------

function xch(c: Cpu, i: Insn): void {
  enter(c);
  recordInsn(c, i);
  const e0 = S.stEmpty(c, 0);
  const ei = S.stEmpty(c, i.rm);
  S.loadSt(c, 0, A);
  S.loadSt(c, i.rm, B);
  if (e0 || ei) {
    S.stackUnderflow();
    if (S.unmasked(F.IE)) return S.updateStatus(c);
    if (e0) F.copyTo(A, INDEF);
    if (ei) F.copyTo(B, INDEF);
  }
  S.storeSt(c, 0, B);
  S.storeSt(c, i.rm, A);
  S.updateStatus(c);
}

/** FCMOVcc condition codes (Jcc numbering) by opcode byte and ModRM.reg. */
const CMOV_CC = [2, 4, 6, 10];

function cmovFactory(row: OpRow): Handler {
  const cc = CMOV_CC[row.reg] + (row.op === 0xdb ? 1 : 0);
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    if (S.stEmpty(c, 0) || S.stEmpty(c, i.rm)) {
      S.stackUnderflow();
      if (!S.unmasked(F.IE)) S.storeStRes(c, 0);
    } else if (c.cond(cc)) {
      S.loadSt(c, i.rm, A);
      S.storeSt(c, 0, A);
    }
    S.updateStatus(c);
  };
}

function stackFactory(row: OpRow): Handler {
  const delta = row.mnemonic === "FINCSTP" ? 1 : -1;
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    S.setTop(c, S.top(c) + delta);
    S.updateStatus(c);
  };
}

function ffree(c: Cpu, i: Insn): void {
  enter(c);
  recordInsn(c, i);
  S.freePhys(c, S.phys(c, i.rm));
}

// ---- one- and two-operand functions ---------------------------------------------------

function unaryFactory(row: OpRow): Handler {
  const name = row.mnemonic;
  if (name === "FCHS" || name === "FABS") {
    const abs = name === "FABS";
    return (c, i) => {
      enter(c);
      recordInsn(c, i);
      if (S.stEmpty(c, 0)) S.stackUnderflow();
      else {
        S.loadSt(c, 0, F.res);
        F.res[SE] = abs ? F.res[SE] & 0x7fff : F.res[SE] ^ 0x8000;
      }
      if (!S.unmasked(F.IE)) S.storeStRes(c, 0);
      S.updateStatus(c);
    };
  }
  if (name === "FPTAN" || name === "FSINCOS" || name === "FXTRACT") return pushingFactory(name);
  const trigFn = name === "FSIN" ? M.TRIG_SIN : name === "FCOS" ? M.TRIG_COS : 0;
  const compute =
    name === "FSQRT" ? F.sqrt : name === "FRNDINT" ? F.roundInt : name === "F2XM1" ? M.exp2m1 : null;
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    if (S.stEmpty(c, 0)) S.stackUnderflow();
    else {
      S.loadSt(c, 0, A);
      if (compute) compute(A);
      else if (!M.trig(A, trigFn)) {
        S.setSw(c, S.getSw(c) | S.SW_C2);
        return S.updateStatus(c);
      } else F.copyTo(F.res, trigFn === M.TRIG_SIN ? M.sinOut : M.cosOut);
    }
    if (trigFn) S.setSw(c, S.getSw(c) & ~S.SW_C2);
    if (!S.unmasked(S.PRE_EXC)) S.storeStRes(c, 0);
    S.updateStatus(c);
  };
}

/**
 * FPTAN, FSINCOS, FXTRACT: ST(0) is replaced and a second result pushed. A
 * stack fault (empty ST(0), or ST(7) in use) leaves the default NaN in both.
 */
function pushingFactory(name: string): Handler {
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    if (S.stEmpty(c, 0)) S.stackUnderflow();
    else if (!S.stEmpty(c, 7)) S.stackOverflow();
    else {
      S.loadSt(c, 0, A);
      if (name === "FXTRACT") {
        F.extract(A);
        F.copyTo(B, F.res);
        F.copyTo(A, F.extractExp);
      } else {
        const tan = name === "FPTAN";
        if (!M.trig(A, tan ? M.TRIG_TAN : M.TRIG_SIN | M.TRIG_COS)) {
          S.setSw(c, S.getSw(c) | S.SW_C2);
          return S.updateStatus(c);
        }
        F.copyTo(A, tan ? M.tanOut : M.sinOut);
        if (!tan) F.copyTo(B, M.cosOut);
        else F.copyTo(B, F.isNaNOrBad(F.classify(A)) ? A : ONE);
        S.setSw(c, S.getSw(c) & ~S.SW_C2);
      }
      if (!S.unmasked(S.PRE_EXC)) {
        S.storeSt(c, 0, A);
        S.push(c, B);
      }
      return S.updateStatus(c);
    }
    if (!S.unmasked(F.IE)) {
      S.storeSt(c, 0, INDEF);
      S.push(c, INDEF);
    }
    S.updateStatus(c);
  };
}

const enum Bin {
  YL2X,
  PATAN,
  PREM,
  PREM1,
  YL2XP1,
  SCALE,
}
const BINS: Record<string, Bin> = {
  FYL2X: Bin.YL2X,
  FPATAN: Bin.PATAN,
  FPREM: Bin.PREM,
  FPREM1: Bin.PREM1,
  FYL2XP1: Bin.YL2XP1,
  FSCALE: Bin.SCALE,
};

function binaryFactory(row: OpRow): Handler {
  const op = BINS[row.mnemonic];
  const popping = op === Bin.YL2X || op === Bin.PATAN || op === Bin.YL2XP1;
  const rem = op === Bin.PREM || op === Bin.PREM1;
  return (c, i) => {
    enter(c);
    recordInsn(c, i);
    let remCc = -1;
    if (S.stEmpty(c, 0) || S.stEmpty(c, 1)) S.stackUnderflow();
    else {
      S.loadSt(c, 0, A);
      S.loadSt(c, 1, B);
      switch (op) {
        case Bin.YL2X: M.ylog2x(B, A); break;
        case Bin.PATAN: M.atan2(B, A); break;
        case Bin.YL2XP1: M.ylog2xp1(B, A); break;
        case Bin.SCALE: F.scale(A, B); break;
        default: {
          F.rem(A, B, op === Bin.PREM1);
          const r = F.remainder;
          const q = r.quotient;
          remCc = r.done ? (q & 4 ? S.SW_C0 : 0) | (q & 2 ? S.SW_C3 : 0) | (r.partial ? S.SW_C2 : 0) : -2;
          if (r.done && q & 1) F.env.flags |= F.C1;
        }
      }
    }
    if (!S.unmasked(S.PRE_EXC)) {
      S.storeStRes(c, popping ? 1 : 0);
      if (popping) S.pop(c);
      if (rem) {
        const sw = S.getSw(c);
        if (remCc >= 0) S.setSw(c, (sw & ~(S.SW_C0 | S.SW_C2 | S.SW_C3)) | remCc);
        else S.setSw(c, sw & ~S.SW_C2);
      }
    }
    S.updateStatus(c);
  };
}

// ---- control ------------------------------------------------------------------------

/** Real-address layout of the environment: real mode and V86 mode. */
const realFormat = (c: Cpu) => !c.protectedMode || c.v86;

function envSize(i: Insn, regs: boolean): number {
  return (i.o32 ? E.ENV_SIZE_32 : E.ENV_SIZE_16) + (regs ? E.REGS_SIZE : 0);
}

/** Write image[0..n) to memory, every byte checked first. */
function writeImage(c: Cpu, i: Insn, n: number): void {
  const la = storeLinear(c, i.seg, eaOffset(c, i), n);
  let k = 0;
  for (; k + 4 <= n; k += 4) c.writeLin32((la + k) | 0, image.getInt32(k, true));
  if (k < n) c.writeLin16((la + k) | 0, image.getUint16(k, true));
}

/** Read n bytes of memory into image[0..n). */
function readImage(c: Cpu, i: Insn, n: number): void {
  const la = c.linear(i.seg, eaOffset(c, i), n, false);
  let k = 0;
  for (; k + 4 <= n; k += 4) image.setInt32(k, c.readLin32((la + k) | 0), true);
  if (k < n) image.setUint16(k, c.readLin16((la + k) | 0), true);
}

/** FNSTENV, then every exception masked: nothing is pending any more. */
function stenv(c: Cpu, i: Insn): void {
  S.checkAvailable(c);
  E.writeEnv(c, image, i.o32, realFormat(c));
  writeImage(c, i, envSize(i, false));
  S.setCw(c, S.getCw(c) | 0x3f);
  S.recomputeEs(c);
}

function ldenv(c: Cpu, i: Insn): void {
  S.checkWaiting(c);
  readImage(c, i, envSize(i, false));
  E.readEnv(c, image, i.o32, realFormat(c));
}

function save(c: Cpu, i: Insn): void {
  S.checkAvailable(c);
  const n = E.writeEnv(c, image, i.o32, realFormat(c));
  E.writeRegs(c, image, n);
  writeImage(c, i, n + E.REGS_SIZE);
  S.init(c);
}

function rstor(c: Cpu, i: Insn): void {
  S.checkWaiting(c);
  readImage(c, i, envSize(i, true));
  const n = E.readEnv(c, image, i.o32, realFormat(c));
  E.readRegs(c, image, n);
}

function ldcw(c: Cpu, i: Insn): void {
  S.checkWaiting(c);
  S.setCw(c, c.read16(i.seg, eaOffset(c, i)));
  S.recomputeEs(c);
}

function stcw(c: Cpu, i: Insn): void {
  S.checkAvailable(c);
  c.write16(i.seg, eaOffset(c, i), S.getCw(c));
}

function stswFactory(row: OpRow): Handler {
  if (row.operands[0] === "AX") {
    return (c) => {
      S.checkAvailable(c);
      c.setReg16(0, S.getSw(c));
    };
  }
  return (c, i) => {
    S.checkAvailable(c);
    c.write16(i.seg, eaOffset(c, i), S.getSw(c));
  };
}

function nopFactory(row: OpRow): Handler {
  if (row.mnemonic === "FNOP") {
    return (c, i) => {
      S.checkWaiting(c);
      recordInsn(c, i);
    };
  }
  // FENI, FDISI, FSETPM: 8087/287 controls the 387 and later ignore.
  return (c) => S.checkAvailable(c);
}

const fixed = (h: Handler): HandlerFactory => () => h;

export const handlers: Record<string, HandlerFactory> = {
  arith: arithFactory,
  com: comFactory,
  comi: comiFactory,
  xam: fixed(xam),
  ld: ldFactory,
  st: stFactory,
  ldconst: ldconstFactory,
  xch: fixed(xch),
  cmov: cmovFactory,
  stack: stackFactory,
  free: fixed(ffree),
  unary: unaryFactory,
  binary: binaryFactory,
  ldenv: fixed(ldenv),
  stenv: fixed(stenv),
  save: fixed(save),
  rstor: fixed(rstor),
  ldcw: fixed(ldcw),
  stcw: fixed(stcw),
  stsw: stswFactory,
  clex: fixed((c) => {
    S.checkAvailable(c);
    S.clearExceptions(c);
  }),
  init: fixed((c) => {
    S.checkAvailable(c);
    S.init(c);
  }),
  fwait: fixed((c) => S.checkWait(c)),
  nop: nopFactory,
};
