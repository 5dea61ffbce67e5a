/**
 * A decoded instruction. Instances are pooled (one per cached instruction slot, one
 * scratch for uncached decodes): decoding fills one in place and allocates nothing.
 */
export class Insn {
  /** Row id in OPCODES. */
  row = 0;
  /** Length in bytes, prefixes included. */
  len = 0;
  /** Operand size is 32 bits (after CS.D and the 66 prefix). */
  o32 = false;
  /** Address size is 32 bits (after CS.D and the 67 prefix). */
  a32 = false;
  /** Segment of the memory operand (Sreg number): override, else DS, or SS for BP/ESP/EBP bases. */
  seg = 3;
  /** Segment override prefix (Sreg number) or -1. */
  segOverride = -1;
  /** 0: none, 1: REP/REPE (F3), 2: REPNE (F2). */
  rep = 0;
  lock = false;
  /** ModRM fields; for "+r" rows (register in the opcode) `reg` holds that register. */
  mod = 0;
  reg = 0;
  rm = 0;
  /** Memory operand: base and index register (-1 none), scale as a shift count, displacement. */
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  /** First and second immediate (ENTER Iw,Ib; far pointer Ap: offset, selector). */
  imm = 0;
  imm2 = 0;
  /** CS.D it was decoded with: a cached instruction only stands for its bytes under the same default size. */
  cs32 = false;
  /** Opcode byte and map, as decoded (the row may be ROW_UD). */
  op = 0;
  map = 0;

  /** True when the ModRM operand is in memory. */
  get isMem(): boolean {
    return this.mod !== 3;
  }

  copyFrom(o: Insn): void {
    this.row = o.row;
    this.len = o.len;
    this.o32 = o.o32;
    this.a32 = o.a32;
    this.seg = o.seg;
    this.segOverride = o.segOverride;
    this.rep = o.rep;
    this.lock = o.lock;
    this.mod = o.mod;
    this.reg = o.reg;
    this.rm = o.rm;
    this.base = o.base;
    this.index = o.index;
    this.scale = o.scale;
    this.disp = o.disp;
    this.imm = o.imm;
    this.imm2 = o.imm2;
    this.cs32 = o.cs32;
    this.op = o.op;
    this.map = o.map;
  }
}
