/** One row of the opcode table: everything any layer needs to know about an encoding. */
export interface OpRow {
  /** Index in OPCODES; decoded instructions refer to rows by it. */
  readonly id: number;
  /** 0: one-byte map, 1: 0F two-byte map. */
  readonly map: number;
  readonly op: number;
  /** ModRM.reg selector for group encodings, -1 when the row is not a group member. */
  readonly reg: number;
  /** ModRM.rm selector (x87 register forms), -1 for any. */
  readonly rm: number;
  /** Which ModRM.mod values the row accepts. */
  readonly mod: ModSel;
  /** One name, or "NAME16/NAME32" chosen by operand size (CBW/CWDE); JCXZ/JECXZ by address size. */
  readonly mnemonic: string;
  /** Operands in SDM opcode-map notation (Eb, Gv, Iz, Jb, ...). */
  readonly operands: readonly string[];
  readonly hasModrm: boolean;
  /** EFLAGS bits the instruction reads / writes / leaves undefined. */
  readonly flagsRead: number;
  readonly flagsWritten: number;
  readonly flagsUndefined: number;
  /** OpClass bits. */
  readonly cls: number;
  readonly feature: Feature;
  /** Interpreter semantics: "family.name", family = file in src/interp/. */
  readonly exec: string;
}

export type ModSel = "any" | "mem" | "reg";
export type Feature = "86" | "186" | "286" | "386" | "486" | "586" | "686" | "fpu";

/** What the JIT's classification reads of an instruction (ARCHITECTURE.md "The JIT: Regions"). */
export const enum OpClass {
  /** Only at CPL 0 (#GP(0) otherwise). */
  PRIV = 1 << 0,
  /** Depends on IOPL (and the I/O bitmap for port access). */
  IOPL = 1 << 1,
  /** Loads a segment register through the descriptor-load helper. */
  SEGLOAD = 1 << 2,
  /** Changes EIP other than by falling through. */
  BRANCH = 1 << 3,
  /** Changes state a translation assumed (mode key), or must return to the dispatcher. */
  BLOCKEND = 1 << 4,
  /** Accepts a LOCK prefix (with a memory destination). */
  LOCKABLE = 1 << 5,
  /** String instruction: REP/REPE/REPNE apply. */
  STRING = 1 << 6,
  /** Port I/O. */
  IO = 1 << 7,
  /** x87 instruction. */
  FPU = 1 << 8,
  /** Undefined encoding: #UD. */
  UNDEFINED = 1 << 9,
  /** Writes its flags only for a non-zero count (shifts/rotates by CL): treat written flags as also read. */
  CONDFLAGS = 1 << 10,
  /** Prefix byte (never executes as an instruction on its own). */
  PREFIX = 1 << 11,
  /** Result depends on the CPU mode (real/protected/V86): descriptor-table and system-state access. */
  MODEDEP = 1 << 12,
}
