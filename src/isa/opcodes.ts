/**
 * The opcode table: the one source of truth for every IA-32 encoding jit386 knows
 * (Pentium Pro class, integer and x87; no MMX/SSE). Decoder, disassembler,
 * interpreter dispatch and JIT classification all read OPCODES.
 *
 * Line format (columns separated by "|"):
 *   encoding | mnemonic | operands | flags | class | feature | exec
 * encoding: [0F ]XX[+][/R][.m|.r][:N]
 *   "+"  the low 3 bits of the opcode name a register (operand Zb/Zv/Zd), 8 rows
 *   /R   ModRM.reg selects the row (group)      .m / .r  memory-only / register-only
 *   :N   ModRM.rm must be N (x87 register forms with a fixed rm)
 * mnemonic: one name, or "NAME16/NAME32" chosen by operand size (JCXZ/JECXZ: address size).
 * operands: SDM opcode-map notation (Appendix A): E/G/I/J/M/O/R/S/X/Y with size
 *   letters b w d v z p q t, fixed registers (AL, eAX, DX, CL, ES..GS, ST, STi), 1.
 * flags: r:<letters> read, w:<letters> written, u:<letters> undefined; letters
 *   o s z a p c d i t, I (IOPL), n (NT), r (RF), v (VM), A (AC), D (ID); "*" = all.
 * class: letters of OpClass: P priv, I iopl, S segment load, B branch, E block end,
 *   L lockable, R string, O port I/O, F x87, U undefined, W flags only if count != 0,
 *   M mode-dependent system state.
 * exec: interpreter semantics "family.name" (family = file in src/interp/).
 */
import { parseFlagLetters, WRITABLE } from "../cpu/flags.js";
import { type Feature, type ModSel, OpClass, type OpRow } from "./row.js";

const ALU = ["ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"] as const;
const ALU_FLAGS = ["w:oszapc", "w:oszapc u:a", "r:c w:oszapc", "r:c w:oszapc", "w:oszapc u:a", "w:oszapc", "w:oszapc u:a", "w:oszapc"];
const SHIFT = ["ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"] as const;
const SHIFT_FLAGS = ["w:co u:o", "w:co u:o", "r:c w:co u:o", "r:c w:co u:o", "w:oszapc u:oa", "w:oszapc u:oa", "w:oszapc u:oa", "w:oszapc u:oa"];
/** Condition codes in encoding order, with the flags each one reads. */
export const CONDITIONS = [
  ["O", "o"], ["NO", "o"], ["B", "c"], ["AE", "c"], ["E", "z"], ["NE", "z"], ["BE", "cz"], ["A", "cz"],
  ["S", "s"], ["NS", "s"], ["P", "p"], ["NP", "p"], ["L", "so"], ["GE", "so"], ["LE", "zso"], ["G", "zso"],
] as const;

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");

function generatedLines(): string[] {
  const out: string[] = [];
  ALU.forEach((m, k) => {
    const base = k * 8;
    const e = m.toLowerCase();
    const lock = m === "CMP" ? "" : "L";
    const f = ALU_FLAGS[k];
    out.push(`${hex(base)}|${m}|Eb,Gb|${f}|${lock}|86|alu.${e}`);
    out.push(`${hex(base + 1)}|${m}|Ev,Gv|${f}|${lock}|86|alu.${e}`);
    out.push(`${hex(base + 2)}|${m}|Gb,Eb|${f}||86|alu.${e}`);
    out.push(`${hex(base + 3)}|${m}|Gv,Ev|${f}||86|alu.${e}`);
    out.push(`${hex(base + 4)}|${m}|AL,Ib|${f}||86|alu.${e}`);
    out.push(`${hex(base + 5)}|${m}|eAX,Iz|${f}||86|alu.${e}`);
    out.push(`80/${k}|${m}|Eb,Ib|${f}|${lock}|86|alu.${e}`);
    out.push(`81/${k}|${m}|Ev,Iz|${f}|${lock}|86|alu.${e}`);
    out.push(`82/${k}|${m}|Eb,Ib|${f}|${lock}|86|alu.${e}`);
    out.push(`83/${k}|${m}|Ev,Ibs|${f}|${lock}|86|alu.${e}`);
  });
  SHIFT.forEach((m, k) => {
    const e = m === "SAL" ? "shl" : m.toLowerCase();
    const f = SHIFT_FLAGS[k];
    out.push(`C0/${k}|${m}|Eb,Ib|${f}|W|186|shift.${e}`);
    out.push(`C1/${k}|${m}|Ev,Ib|${f}|W|186|shift.${e}`);
    // A count of 1 defines OF (SDM: "OF is affected only for 1-bit shifts/rotates").
    const f1 = f.replace(/ u:o$/, "").replace(/ u:oa$/, " u:a");
    out.push(`D0/${k}|${m}|Eb,1|${f1}||86|shift.${e}`);
    out.push(`D1/${k}|${m}|Ev,1|${f1}||86|shift.${e}`);
    out.push(`D2/${k}|${m}|Eb,CL|${f}|W|86|shift.${e}`);
    out.push(`D3/${k}|${m}|Ev,CL|${f}|W|86|shift.${e}`);
  });
  CONDITIONS.forEach(([cc, r], k) => {
    out.push(`${hex(0x70 + k)}|J${cc}|Jb|r:${r}|B|86|cond.jcc`);
    out.push(`0F ${hex(0x80 + k)}|J${cc}|Jz|r:${r}|B|386|cond.jcc`);
    out.push(`0F ${hex(0x90 + k)}|SET${cc}|Eb|r:${r}||386|cond.setcc`);
    out.push(`0F ${hex(0x40 + k)}|CMOV${cc}|Gv,Ev|r:${r}||686|cond.cmovcc`);
  });
  return out;
}

const TABLE = `
06|PUSH|ES|||86|segment.push
07|POP|ES||S|86|segment.pop
0E|PUSH|CS|||86|segment.push
16|PUSH|SS|||86|segment.push
17|POP|SS||SE|86|segment.pop
1E|PUSH|DS|||86|segment.push
1F|POP|DS||S|86|segment.pop
27|DAA||r:ac w:szapc u:o||86|bcd.daa
2F|DAS||r:ac w:szapc u:o||86|bcd.das
37|AAA||r:a w:ac u:oszp||86|bcd.aaa
3F|AAS||r:a w:ac u:oszp||86|bcd.aas
40+|INC|Zv|w:oszap||86|alu.inc
48+|DEC|Zv|w:oszap||86|alu.dec
50+|PUSH|Zv|||86|stack.push
58+|POP|Zv|||86|stack.pop
60|PUSHA/PUSHAD||||186|stack.pusha
61|POPA/POPAD||||186|stack.popa
62.m|BOUND|Gv,Ma|||186|control.bound
63|ARPL|Ew,Gw|w:z|M|286|system.arpl
68|PUSH|Iz|||186|stack.push
69|IMUL|Gv,Ev,Iz|w:oc u:szap||186|muldiv.imul3
6A|PUSH|Ibs|||186|stack.push
6B|IMUL|Gv,Ev,Ibs|w:oc u:szap||186|muldiv.imul3
6C|INS|Yb,DX|r:d|IROE|186|string.ins
6D|INS|Yz,DX|r:d|IROE|186|string.ins
6E|OUTS|DX,Xb|r:d|IROE|186|string.outs
6F|OUTS|DX,Xz|r:d|IROE|186|string.outs
84|TEST|Eb,Gb|w:oszapc u:a||86|alu.test
85|TEST|Ev,Gv|w:oszapc u:a||86|alu.test
86|XCHG|Eb,Gb||L|86|mov.xchg
87|XCHG|Ev,Gv||L|86|mov.xchg
88|MOV|Eb,Gb|||86|mov.mov
89|MOV|Ev,Gv|||86|mov.mov
8A|MOV|Gb,Eb|||86|mov.mov
8B|MOV|Gv,Ev|||86|mov.mov
8C/0|MOV|Rv/Mw,Sw|||86|segment.movfrom
8C/1|MOV|Rv/Mw,Sw|||86|segment.movfrom
8C/2|MOV|Rv/Mw,Sw|||86|segment.movfrom
8C/3|MOV|Rv/Mw,Sw|||86|segment.movfrom
8C/4|MOV|Rv/Mw,Sw|||386|segment.movfrom
8C/5|MOV|Rv/Mw,Sw|||386|segment.movfrom
8D.m|LEA|Gv,M|||86|mov.lea
8E/0|MOV|Sw,Ew||S|86|segment.movto
8E/2|MOV|Sw,Ew||SE|86|segment.movto
8E/3|MOV|Sw,Ew||S|86|segment.movto
8E/4|MOV|Sw,Ew||S|386|segment.movto
8E/5|MOV|Sw,Ew||S|386|segment.movto
8F/0|POP|Ev|||86|stack.pop
90|NOP||||86|misc.nop
91|XCHG|Zv,eAX|||86|mov.xchg
92|XCHG|Zv,eAX|||86|mov.xchg
93|XCHG|Zv,eAX|||86|mov.xchg
94|XCHG|Zv,eAX|||86|mov.xchg
95|XCHG|Zv,eAX|||86|mov.xchg
96|XCHG|Zv,eAX|||86|mov.xchg
97|XCHG|Zv,eAX|||86|mov.xchg
98|CBW/CWDE||||86|mov.cbw
99|CWD/CDQ||||86|mov.cwd
9A|CALL|Ap||SBE|86|fartransfer.callf
9B|FWAIT||||86|fpu.fwait
9C|PUSHF/PUSHFD||r:*|I|86|flagops.pushf
9D|POPF/POPFD||w:*|IE|86|flagops.popf
9E|SAHF||w:szapc||86|flagops.sahf
9F|LAHF||r:szapc||86|flagops.lahf
A0|MOV|AL,Ob|||86|mov.mov
A1|MOV|eAX,Ov|||86|mov.mov
A2|MOV|Ob,AL|||86|mov.mov
A3|MOV|Ov,eAX|||86|mov.mov
A4|MOVS|Yb,Xb|r:d|R|86|string.movs
A5|MOVS|Yv,Xv|r:d|R|86|string.movs
A6|CMPS|Xb,Yb|r:d w:oszapc|R|86|string.cmps
A7|CMPS|Xv,Yv|r:d w:oszapc|R|86|string.cmps
A8|TEST|AL,Ib|w:oszapc u:a||86|alu.test
A9|TEST|eAX,Iz|w:oszapc u:a||86|alu.test
AA|STOS|Yb,AL|r:d|R|86|string.stos
AB|STOS|Yv,eAX|r:d|R|86|string.stos
AC|LODS|AL,Xb|r:d|R|86|string.lods
AD|LODS|eAX,Xv|r:d|R|86|string.lods
AE|SCAS|AL,Yb|r:d w:oszapc|R|86|string.scas
AF|SCAS|eAX,Yv|r:d w:oszapc|R|86|string.scas
B0+|MOV|Zb,Ib|||86|mov.mov
B8+|MOV|Zv,Iv|||86|mov.mov
C2|RET|Iw||B|86|control.ret
C3|RET|||B|86|control.ret
C4.m|LES|Gz,Mp||S|86|segment.lfp
C5.m|LDS|Gz,Mp||S|86|segment.lfp
C6/0|MOV|Eb,Ib|||86|mov.mov
C7/0|MOV|Ev,Iz|||86|mov.mov
C8|ENTER|Iw,Ib|||186|stack.enter
C9|LEAVE||||186|stack.leave
CA|RETF|Iw||SBE|86|fartransfer.retf
CB|RETF|||SBE|86|fartransfer.retf
CC|INT3||w:tnrv|SBE|86|control.int3
CD|INT|Ib|w:tnrv|SBE|86|control.int
CE|INTO||r:o w:tnrv|SBE|86|control.into
CF|IRET/IRETD||w:*|SBE|86|fartransfer.iret
D4|AAM|Ib|w:szp u:oac||86|bcd.aam
D5|AAD|Ib|w:szp u:oac||86|bcd.aad
D6|SALC||r:c||86|flagops.salc
D7|XLAT||||86|mov.xlat
E0|LOOPNE|Jb|r:z|B|86|control.loopne
E1|LOOPE|Jb|r:z|B|86|control.loope
E2|LOOP|Jb||B|86|control.loop
E3|JCXZ/JECXZ|Jb||B|86|control.jcxz
E4|IN|AL,Ib||IOE|86|io.in
E5|IN|eAX,Ib||IOE|86|io.in
E6|OUT|Ib,AL||IOE|86|io.out
E7|OUT|Ib,eAX||IOE|86|io.out
E8|CALL|Jz||B|86|control.call
E9|JMP|Jz||B|86|control.jmp
EA|JMP|Ap||SBE|86|fartransfer.jmpf
EB|JMP|Jb||B|86|control.jmp
EC|IN|AL,DX||IOE|86|io.in
ED|IN|eAX,DX||IOE|86|io.in
EE|OUT|DX,AL||IOE|86|io.out
EF|OUT|DX,eAX||IOE|86|io.out
F1|INT1||w:tnrv|SBE|386|control.int1
F4|HLT|||PE|86|control.hlt
F5|CMC||r:c w:c||86|flagops.cmc
F6/0|TEST|Eb,Ib|w:oszapc u:a||86|alu.test
F6/1|TEST|Eb,Ib|w:oszapc u:a||86|alu.test
F6/2|NOT|Eb||L|86|alu.not
F6/3|NEG|Eb|w:oszapc|L|86|alu.neg
F6/4|MUL|Eb|w:oc u:szap||86|muldiv.mul
F6/5|IMUL|Eb|w:oc u:szap||86|muldiv.imul
F6/6|DIV|Eb|u:oszapc||86|muldiv.div
F6/7|IDIV|Eb|u:oszapc||86|muldiv.idiv
F7/0|TEST|Ev,Iz|w:oszapc u:a||86|alu.test
F7/1|TEST|Ev,Iz|w:oszapc u:a||86|alu.test
F7/2|NOT|Ev||L|86|alu.not
F7/3|NEG|Ev|w:oszapc|L|86|alu.neg
F7/4|MUL|Ev|w:oc u:szap||86|muldiv.mul
F7/5|IMUL|Ev|w:oc u:szap||86|muldiv.imul
F7/6|DIV|Ev|u:oszapc||86|muldiv.div
F7/7|IDIV|Ev|u:oszapc||86|muldiv.idiv
F8|CLC||w:c||86|flagops.clc
F9|STC||w:c||86|flagops.stc
FA|CLI||w:i|I|86|flagops.cli
FB|STI||w:i|IE|86|flagops.sti
FC|CLD||w:d||86|flagops.cld
FD|STD||w:d||86|flagops.std
FE/0|INC|Eb|w:oszap|L|86|alu.inc
FE/1|DEC|Eb|w:oszap|L|86|alu.dec
FF/0|INC|Ev|w:oszap|L|86|alu.inc
FF/1|DEC|Ev|w:oszap|L|86|alu.dec
FF/2|CALL|Ev||B|86|control.call
FF/3.m|CALL|Mp||SBE|86|fartransfer.callf
FF/4|JMP|Ev||B|86|control.jmp
FF/5.m|JMP|Mp||SBE|86|fartransfer.jmpf
FF/6|PUSH|Ev|||86|stack.push
0F 00/0|SLDT|Rv/Mw||M|286|system.sldt
0F 00/1|STR|Rv/Mw||M|286|system.str
0F 00/2|LLDT|Ew||PME|286|system.lldt
0F 00/3|LTR|Ew||PM|286|system.ltr
0F 00/4|VERR|Ew|w:z|M|286|system.verr
0F 00/5|VERW|Ew|w:z|M|286|system.verw
0F 01/0.m|SGDT|Ms|||286|system.sgdt
0F 01/1.m|SIDT|Ms|||286|system.sidt
0F 01/2.m|LGDT|Ms||P|286|system.lgdt
0F 01/3.m|LIDT|Ms||P|286|system.lidt
0F 01/4|SMSW|Rv/Mw|||286|system.smsw
0F 01/6|LMSW|Ew||PE|286|system.lmsw
0F 01/7.m|INVLPG|M||PE|486|system.invlpg
0F 02|LAR|Gv,Ew|w:z|M|286|system.lar
0F 03|LSL|Gv,Ew|w:z|M|286|system.lsl
0F 06|CLTS|||PE|286|system.clts
0F 08|INVD|||P|486|misc.invd
0F 09|WBINVD|||P|486|misc.invd
0F 0B|UD2|||U|686|misc.ud
0F 1F/0|NOP|Ev|||686|misc.nop
0F 20.r|MOV|Rd,Cd||P|386|system.movfromcr
0F 21.r|MOV|Rd,Dd||P|386|system.movfromdr
0F 22.r|MOV|Cd,Rd||PE|386|system.movtocr
0F 23.r|MOV|Dd,Rd||PE|386|system.movtodr
0F 30|WRMSR|||PE|586|system.wrmsr
0F 31|RDTSC||||586|misc.rdtsc
0F 32|RDMSR|||P|586|system.rdmsr
0F 33|RDPMC||||686|misc.rdpmc
0F A0|PUSH|FS|||386|segment.push
0F A1|POP|FS||S|386|segment.pop
0F A2|CPUID||||586|misc.cpuid
0F A3|BT|Ev,Gv|w:c u:osap||386|bit.bt
0F A4|SHLD|Ev,Gv,Ib|w:oszapc u:oa|W|386|shift.shld
0F A5|SHLD|Ev,Gv,CL|w:oszapc u:oa|W|386|shift.shld
0F A8|PUSH|GS|||386|segment.push
0F A9|POP|GS||S|386|segment.pop
0F AB|BTS|Ev,Gv|w:c u:osap|L|386|bit.bts
0F AC|SHRD|Ev,Gv,Ib|w:oszapc u:oa|W|386|shift.shrd
0F AD|SHRD|Ev,Gv,CL|w:oszapc u:oa|W|386|shift.shrd
0F AF|IMUL|Gv,Ev|w:oc u:szap||386|muldiv.imul2
0F B0|CMPXCHG|Eb,Gb|w:oszapc|L|486|atomic.cmpxchg
0F B1|CMPXCHG|Ev,Gv|w:oszapc|L|486|atomic.cmpxchg
0F B2.m|LSS|Gz,Mp||SE|386|segment.lfp
0F B3|BTR|Ev,Gv|w:c u:osap|L|386|bit.btr
0F B4.m|LFS|Gz,Mp||S|386|segment.lfp
0F B5.m|LGS|Gz,Mp||S|386|segment.lfp
0F B6|MOVZX|Gv,Eb|||386|mov.movzx
0F B7|MOVZX|Gv,Ew|||386|mov.movzx
0F BA/4|BT|Ev,Ib|w:c u:osap||386|bit.bt
0F BA/5|BTS|Ev,Ib|w:c u:osap|L|386|bit.bts
0F BA/6|BTR|Ev,Ib|w:c u:osap|L|386|bit.btr
0F BA/7|BTC|Ev,Ib|w:c u:osap|L|386|bit.btc
0F BB|BTC|Ev,Gv|w:c u:osap|L|386|bit.btc
0F BC|BSF|Gv,Ev|w:z u:osapc||386|bit.bsf
0F BD|BSR|Gv,Ev|w:z u:osapc||386|bit.bsr
0F BE|MOVSX|Gv,Eb|||386|mov.movsx
0F BF|MOVSX|Gv,Ew|||386|mov.movsx
0F C0|XADD|Eb,Gb|w:oszapc|L|486|atomic.xadd
0F C1|XADD|Ev,Gv|w:oszapc|L|486|atomic.xadd
0F C7/1.m|CMPXCHG8B|Mq|w:z|L|586|atomic.cmpxchg8b
0F C8+|BSWAP|Zd|||486|mov.bswap
D8/0.m|FADD|Md||F|fpu|fpu.arith
D8/1.m|FMUL|Md||F|fpu|fpu.arith
D8/2.m|FCOM|Md||F|fpu|fpu.com
D8/3.m|FCOMP|Md||F|fpu|fpu.com
D8/4.m|FSUB|Md||F|fpu|fpu.arith
D8/5.m|FSUBR|Md||F|fpu|fpu.arith
D8/6.m|FDIV|Md||F|fpu|fpu.arith
D8/7.m|FDIVR|Md||F|fpu|fpu.arith
D8/0.r|FADD|ST,STi||F|fpu|fpu.arith
D8/1.r|FMUL|ST,STi||F|fpu|fpu.arith
D8/2.r|FCOM|STi||F|fpu|fpu.com
D8/3.r|FCOMP|STi||F|fpu|fpu.com
D8/4.r|FSUB|ST,STi||F|fpu|fpu.arith
D8/5.r|FSUBR|ST,STi||F|fpu|fpu.arith
D8/6.r|FDIV|ST,STi||F|fpu|fpu.arith
D8/7.r|FDIVR|ST,STi||F|fpu|fpu.arith
D9/0.m|FLD|Md||F|fpu|fpu.ld
D9/2.m|FST|Md||F|fpu|fpu.st
D9/3.m|FSTP|Md||F|fpu|fpu.st
D9/4.m|FLDENV|M||F|fpu|fpu.ldenv
D9/5.m|FLDCW|Mw||F|fpu|fpu.ldcw
D9/6.m|FNSTENV|M||F|fpu|fpu.stenv
D9/7.m|FNSTCW|Mw||F|fpu|fpu.stcw
D9/0.r|FLD|STi||F|fpu|fpu.ld
D9/1.r|FXCH|STi||F|fpu|fpu.xch
D9/2:0|FNOP|||F|fpu|fpu.nop
D9/4:0|FCHS|||F|fpu|fpu.unary
D9/4:1|FABS|||F|fpu|fpu.unary
D9/4:4|FTST|||F|fpu|fpu.com
D9/4:5|FXAM|||F|fpu|fpu.xam
D9/5:0|FLD1|||F|fpu|fpu.ldconst
D9/5:1|FLDL2T|||F|fpu|fpu.ldconst
D9/5:2|FLDL2E|||F|fpu|fpu.ldconst
D9/5:3|FLDPI|||F|fpu|fpu.ldconst
D9/5:4|FLDLG2|||F|fpu|fpu.ldconst
D9/5:5|FLDLN2|||F|fpu|fpu.ldconst
D9/5:6|FLDZ|||F|fpu|fpu.ldconst
D9/6:0|F2XM1|||F|fpu|fpu.unary
D9/6:1|FYL2X|||F|fpu|fpu.binary
D9/6:2|FPTAN|||F|fpu|fpu.unary
D9/6:3|FPATAN|||F|fpu|fpu.binary
D9/6:4|FXTRACT|||F|fpu|fpu.unary
D9/6:5|FPREM1|||F|fpu|fpu.binary
D9/6:6|FDECSTP|||F|fpu|fpu.stack
D9/6:7|FINCSTP|||F|fpu|fpu.stack
D9/7:0|FPREM|||F|fpu|fpu.binary
D9/7:1|FYL2XP1|||F|fpu|fpu.binary
D9/7:2|FSQRT|||F|fpu|fpu.unary
D9/7:3|FSINCOS|||F|fpu|fpu.unary
D9/7:4|FRNDINT|||F|fpu|fpu.unary
D9/7:5|FSCALE|||F|fpu|fpu.binary
D9/7:6|FSIN|||F|fpu|fpu.unary
D9/7:7|FCOS|||F|fpu|fpu.unary
DA/0.m|FIADD|Md||F|fpu|fpu.arith
DA/1.m|FIMUL|Md||F|fpu|fpu.arith
DA/2.m|FICOM|Md||F|fpu|fpu.com
DA/3.m|FICOMP|Md||F|fpu|fpu.com
DA/4.m|FISUB|Md||F|fpu|fpu.arith
DA/5.m|FISUBR|Md||F|fpu|fpu.arith
DA/6.m|FIDIV|Md||F|fpu|fpu.arith
DA/7.m|FIDIVR|Md||F|fpu|fpu.arith
DA/0.r|FCMOVB|ST,STi|r:c|F|686|fpu.cmov
DA/1.r|FCMOVE|ST,STi|r:z|F|686|fpu.cmov
DA/2.r|FCMOVBE|ST,STi|r:cz|F|686|fpu.cmov
DA/3.r|FCMOVU|ST,STi|r:p|F|686|fpu.cmov
DA/5:1|FUCOMPP|||F|fpu|fpu.com
DB/0.m|FILD|Md||F|fpu|fpu.ld
DB/2.m|FIST|Md||F|fpu|fpu.st
DB/3.m|FISTP|Md||F|fpu|fpu.st
DB/5.m|FLD|Mt||F|fpu|fpu.ld
DB/7.m|FSTP|Mt||F|fpu|fpu.st
DB/0.r|FCMOVNB|ST,STi|r:c|F|686|fpu.cmov
DB/1.r|FCMOVNE|ST,STi|r:z|F|686|fpu.cmov
DB/2.r|FCMOVNBE|ST,STi|r:cz|F|686|fpu.cmov
DB/3.r|FCMOVNU|ST,STi|r:p|F|686|fpu.cmov
DB/4:0|FNENI|||F|fpu|fpu.nop
DB/4:1|FNDISI|||F|fpu|fpu.nop
DB/4:2|FNCLEX|||F|fpu|fpu.clex
DB/4:3|FNINIT|||F|fpu|fpu.init
DB/4:4|FNSETPM|||F|fpu|fpu.nop
DB/5.r|FUCOMI|ST,STi|w:oszapc|F|686|fpu.comi
DB/6.r|FCOMI|ST,STi|w:oszapc|F|686|fpu.comi
DC/0.m|FADD|Mq||F|fpu|fpu.arith
DC/1.m|FMUL|Mq||F|fpu|fpu.arith
DC/2.m|FCOM|Mq||F|fpu|fpu.com
DC/3.m|FCOMP|Mq||F|fpu|fpu.com
DC/4.m|FSUB|Mq||F|fpu|fpu.arith
DC/5.m|FSUBR|Mq||F|fpu|fpu.arith
DC/6.m|FDIV|Mq||F|fpu|fpu.arith
DC/7.m|FDIVR|Mq||F|fpu|fpu.arith
DC/0.r|FADD|STi,ST||F|fpu|fpu.arith
DC/1.r|FMUL|STi,ST||F|fpu|fpu.arith
DC/4.r|FSUBR|STi,ST||F|fpu|fpu.arith
DC/5.r|FSUB|STi,ST||F|fpu|fpu.arith
DC/6.r|FDIVR|STi,ST||F|fpu|fpu.arith
DC/7.r|FDIV|STi,ST||F|fpu|fpu.arith
DD/0.m|FLD|Mq||F|fpu|fpu.ld
DD/2.m|FST|Mq||F|fpu|fpu.st
DD/3.m|FSTP|Mq||F|fpu|fpu.st
DD/4.m|FRSTOR|M||F|fpu|fpu.rstor
DD/6.m|FNSAVE|M||F|fpu|fpu.save
DD/7.m|FNSTSW|Mw||F|fpu|fpu.stsw
DD/0.r|FFREE|STi||F|fpu|fpu.free
DD/2.r|FST|STi||F|fpu|fpu.st
DD/3.r|FSTP|STi||F|fpu|fpu.st
DD/4.r|FUCOM|STi||F|fpu|fpu.com
DD/5.r|FUCOMP|STi||F|fpu|fpu.com
DE/0.m|FIADD|Mw||F|fpu|fpu.arith
DE/1.m|FIMUL|Mw||F|fpu|fpu.arith
DE/2.m|FICOM|Mw||F|fpu|fpu.com
DE/3.m|FICOMP|Mw||F|fpu|fpu.com
DE/4.m|FISUB|Mw||F|fpu|fpu.arith
DE/5.m|FISUBR|Mw||F|fpu|fpu.arith
DE/6.m|FIDIV|Mw||F|fpu|fpu.arith
DE/7.m|FIDIVR|Mw||F|fpu|fpu.arith
DE/0.r|FADDP|STi,ST||F|fpu|fpu.arith
DE/1.r|FMULP|STi,ST||F|fpu|fpu.arith
DE/3:1|FCOMPP|||F|fpu|fpu.com
DE/4.r|FSUBRP|STi,ST||F|fpu|fpu.arith
DE/5.r|FSUBP|STi,ST||F|fpu|fpu.arith
DE/6.r|FDIVRP|STi,ST||F|fpu|fpu.arith
DE/7.r|FDIVP|STi,ST||F|fpu|fpu.arith
DF/0.m|FILD|Mw||F|fpu|fpu.ld
DF/2.m|FIST|Mw||F|fpu|fpu.st
DF/3.m|FISTP|Mw||F|fpu|fpu.st
DF/4.m|FBLD|Mt||F|fpu|fpu.ld
DF/5.m|FILD|Mq||F|fpu|fpu.ld
DF/6.m|FBSTP|Mt||F|fpu|fpu.st
DF/7.m|FISTP|Mq||F|fpu|fpu.st
DF/4:0|FNSTSW|AX||F|fpu|fpu.stsw
DF/5.r|FUCOMIP|ST,STi|w:oszapc|F|686|fpu.comi
DF/6.r|FCOMIP|ST,STi|w:oszapc|F|686|fpu.comi
`;

/** Operand codes that imply a ModRM byte (a size letter or bare M; not fixed registers such as DX, ES). */
const MODRM_OPERAND = /^[EGMRSCD]([a-z]|$)|^STi$/;

function parseFlags(spec: string): [number, number, number] {
  let r = 0;
  let w = 0;
  let u = 0;
  for (const tok of spec.split(/\s+/).filter(Boolean)) {
    const [k, v] = tok.split(":");
    const m = v === "*" ? WRITABLE : parseFlagLetters(v);
    if (k === "r") r |= m;
    else if (k === "w") w |= m;
    else if (k === "u") u |= m;
    else throw new Error(`bad flags spec '${spec}'`);
  }
  return [r, w | u, u];
}

const CLASS_LETTERS: Record<string, number> = {
  P: OpClass.PRIV,
  I: OpClass.IOPL,
  S: OpClass.SEGLOAD,
  B: OpClass.BRANCH,
  E: OpClass.BLOCKEND,
  L: OpClass.LOCKABLE,
  R: OpClass.STRING,
  O: OpClass.IO,
  F: OpClass.FPU,
  U: OpClass.UNDEFINED,
  W: OpClass.CONDFLAGS,
  M: OpClass.MODEDEP,
};

function parseClass(s: string): number {
  let c = 0;
  for (const ch of s) {
    const b = CLASS_LETTERS[ch];
    if (b === undefined) throw new Error(`unknown class letter '${ch}'`);
    c |= b;
  }
  return c;
}

const ENCODING = /^(?:(0F) )?([0-9A-F]{2})(\+)?(?:\/([0-7]))?(?:\.([mr]))?(?::([0-7]))?$/;

function parseTable(): OpRow[] {
  const rows: OpRow[] = [];
  const lines = [...generatedLines(), ...TABLE.split("\n").map((l) => l.trim()).filter(Boolean)];
  for (const line of lines) {
    const cols = line.split("|");
    if (cols.length !== 7) throw new Error(`opcode table: bad line '${line}'`);
    const [enc, mnem, ops, flags, cls, feature, exec] = cols;
    const m = ENCODING.exec(enc);
    if (!m) throw new Error(`opcode table: bad encoding '${enc}'`);
    const map = m[1] ? 1 : 0;
    const op0 = parseInt(m[2], 16);
    const count = m[3] ? 8 : 1;
    const reg = m[4] !== undefined ? Number(m[4]) : -1;
    const rm = m[6] !== undefined ? Number(m[6]) : -1;
    const mod: ModSel = rm >= 0 ? "reg" : m[5] === "m" ? "mem" : m[5] === "r" ? "reg" : "any";
    const operands = ops ? ops.split(",") : [];
    const [fr, fw, fu] = parseFlags(flags);
    const hasModrm = reg >= 0 || operands.some((o) => MODRM_OPERAND.test(o));
    for (let k = 0; k < count; k++) {
      rows.push({
        id: rows.length,
        map,
        op: op0 + k,
        reg,
        rm,
        mod,
        mnemonic: mnem,
        operands,
        hasModrm,
        flagsRead: fr,
        flagsWritten: fw,
        flagsUndefined: fu,
        cls: parseClass(cls),
        feature: feature as Feature,
        exec,
      });
    }
  }
  return rows;
}

function special(id: number, mnemonic: string, exec: string): OpRow {
  return {
    id, map: -1, op: -1, reg: -1, rm: -1, mod: "any", mnemonic, operands: [], hasModrm: false,
    flagsRead: 0, flagsWritten: 0, flagsUndefined: 0, cls: OpClass.UNDEFINED | OpClass.BLOCKEND, feature: "86", exec,
  };
}

const parsed = parseTable();
/** Undefined encodings decode to this row: #UD. */
export const ROW_UD = parsed.length;
/** Instructions longer than 15 bytes decode to this row: #GP(0). */
export const ROW_TOO_LONG = parsed.length + 1;

export const OPCODES: readonly OpRow[] = [...parsed, special(ROW_UD, "(bad)", "misc.ud"), special(ROW_TOO_LONG, "(too long)", "misc.toolong")];
