import { Vector } from "../../src/cpu/exceptions.js";
import { CF, ZF } from "../../src/cpu/flags.js";
import { DATA, type OracleRow } from "./harness.js";
import { type InsnCase, insnTests, oracleTests } from "./table.js";

/** Results recorded on the reference CPU. */
const ROWS: OracleRow[] = [
  ["cmpxchg ecx,edx: equal", [0x0f, 0xb1, 0xd1], 0x5, 0x5, 0x9, 0x0, 0x5, 0x9, 0x9, 0x44],
  ["cmpxchg ecx,edx: not equal", [0x0f, 0xb1, 0xd1], 0x5, 0x7, 0x9, 0x8d5, 0x7, 0x7, 0x9, 0x91],
  ["cmpxchg ecx,edx: signed less", [0x0f, 0xb1, 0xd1], 0x80000000, 0x1, 0x9, 0x0, 0x1, 0x1, 0x9, 0x814],
  ["cmpxchg cx,dx: equal low half", [0x66, 0x0f, 0xb1, 0xd1], 0x12340005, 0x56780005, 0x9, 0x0, 0x12340005, 0x56780009, 0x9, 0x44],
  ["cmpxchg cl,dl: not equal", [0x0f, 0xb0, 0xd1], 0x1, 0xff, 0x9, 0x0, 0xff, 0xff, 0x9, 0x11],
  ["cmpxchg dl,al: equal", [0x0f, 0xb0, 0xc2], 0x9, 0x0, 0x9, 0x0, 0x9, 0x0, 0x9, 0x44],
  ["cmpxchg eax,eax", [0x0f, 0xb1, 0xc0], 0x7, 0x3, 0x0, 0x0, 0x7, 0x3, 0x0, 0x44],
  ["xadd ecx,edx", [0x0f, 0xc1, 0xd1], 0x0, 0x7fffffff, 0x1, 0x0, 0x0, 0x80000000, 0x7fffffff, 0x894],
  ["xadd ecx,edx: carry", [0x0f, 0xc1, 0xd1], 0x0, 0xffffffff, 0x1, 0x0, 0x0, 0x0, 0xffffffff, 0x55],
  ["xadd cx,dx", [0x66, 0x0f, 0xc1, 0xd1], 0x0, 0x1234ffff, 0x56780001, 0x0, 0x0, 0x12340000, 0x5678ffff, 0x55],
  ["xadd cl,ch", [0x0f, 0xc0, 0xe9], 0x0, 0x8080, 0x0, 0x0, 0x0, 0x8000, 0x0, 0x845],
  ["xadd ecx,ecx", [0x0f, 0xc1, 0xc9], 0x0, 0x3, 0x0, 0x0, 0x0, 0x6, 0x0, 0x4],
];

oracleTests("CMPXCHG and XADD on registers against the reference CPU", ROWS);

/** DS as a read-only data segment. */
const READ_ONLY_DS = { limit: -1, attr: 0xc091 };

insnTests("CMPXCHG with a memory destination", [
  {
    name: "stores the source when equal",
    mem: [[DATA, 32, 42]],
    regs: { EBX: DATA, EAX: 42, ECX: 99 },
    code: [0xf0, 0x0f, 0xb1, 0x0b], // lock cmpxchg [ebx], ecx
    outMem: [[DATA, 32, 99]],
    outRegs: { EAX: 42 },
    outFlags: { mask: ZF, value: ZF },
  },
  {
    name: "loads the accumulator and keeps memory when not equal",
    mem: [[DATA, 16, 0x1111]],
    regs: { EBX: DATA, EAX: 0xabcd2222, ECX: 99 },
    code: [0x66, 0x0f, 0xb1, 0x0b],
    outMem: [[DATA, 16, 0x1111]],
    outRegs: { EAX: 0xabcd1111 },
    outFlags: { mask: ZF | CF, value: 0 },
  },
  {
    name: "needs write access even when the comparison fails",
    mem: [[DATA, 32, 1]],
    ds: READ_ONLY_DS,
    regs: { EBX: DATA, EAX: 2 },
    code: [0x0f, 0xb1, 0x0b],
    fault: Vector.GP,
    outRegs: { EAX: 2 },
  },
]);

insnTests("XADD with a memory destination", [
  {
    name: "adds into memory and returns the old value",
    mem: [[DATA, 8, 0xf0]],
    regs: { EBX: DATA, EDX: 0x20 },
    code: [0xf0, 0x0f, 0xc0, 0x13], // lock xadd [ebx], dl
    outMem: [[DATA, 8, 0x10]],
    outRegs: { EDX: 0xf0 },
    outFlags: { mask: CF, value: CF },
  },
  {
    name: "faults on a read-only destination without touching the register",
    ds: READ_ONLY_DS,
    regs: { EBX: DATA, EDX: 5 },
    code: [0x0f, 0xc1, 0x13],
    fault: Vector.GP,
    outRegs: { EDX: 5 },
  },
]);

/** cmpxchg8b [esi] on the quadword `hi:lo` at DATA, with EDX:EAX = 0x22222222:0x11111111 and ECX:EBX = 0x44444444:0x33333333. */
function cmpxchg8b(lo: number, hi: number): Pick<InsnCase, "mem" | "regs" | "code"> {
  return {
    mem: [[DATA, 32, lo], [DATA + 4, 32, hi]],
    regs: { ESI: DATA, EAX: 0x11111111, EDX: 0x22222222, EBX: 0x33333333, ECX: 0x44444444 },
    code: [0x0f, 0xc7, 0x0e],
  };
}

insnTests("CMPXCHG8B", [
  {
    name: "stores ECX:EBX when EDX:EAX matches",
    ...cmpxchg8b(0x11111111, 0x22222222),
    code: [0xf0, 0x0f, 0xc7, 0x0e], // lock cmpxchg8b [esi]
    outMem: [[DATA, 32, 0x33333333], [DATA + 4, 32, 0x44444444]],
    outFlags: { mask: ZF, value: ZF },
  },
  {
    name: "loads EDX:EAX when only the high half differs",
    ...cmpxchg8b(0x11111111, 0x22222223),
    outMem: [[DATA, 32, 0x11111111], [DATA + 4, 32, 0x22222223]],
    outRegs: { EAX: 0x11111111, EDX: 0x22222223 },
    outFlags: { mask: ZF, value: 0 },
  },
  {
    name: "changes only ZF",
    ...cmpxchg8b(0, 0),
    flags: { value: 0x8d5, mask: 0x8d5 },
    outFlags: { mask: 0x8d5, value: 0x895 },
  },
  {
    name: "checks all eight bytes against the segment limit",
    ...cmpxchg8b(0, 0),
    ds: { limit: DATA + 6, attr: 0x4093 },
    fault: Vector.GP,
  },
  {
    name: "is undefined with a register operand",
    ...cmpxchg8b(0, 0),
    code: [0x0f, 0xc7, 0xc8],
    fault: Vector.UD,
  },
]);
