/**
 * One region → one Wasm function `(entry: i32) -> i32`. Blocks are joined into
 * structured code by the dominator-tree renderer (jit/wasm/cfg.ts), so loops
 * inside the region are Wasm loops; every way out (a branch leaving the region,
 * an indirect branch, a helper that must return to the dispatcher, the
 * instruction budget, a write into translated code) jumps to the single exit
 * sequence, which writes back the registers and flag record the region's inline
 * code may have changed, EIP and the instruction count.
 *
 * The budget (JIT_BUDGET, set by the engine) is checked at every block start,
 * so compiled code never retires past the next device deadline.
 */
import { ARITH } from "../src/cpu/flags.js";
import * as L from "../src/cpu/layout.js";
import { OPCODES } from "../src/isa/opcodes.js";
import { OpClass } from "../src/isa/row.js";
import { Kind } from "./classify.js";
import { Ctx, EXIT_LABEL, FLAG_FIELDS, type ModuleServices, type Producer, RETURN_LABEL, SITE_BACK_BITS, SITE_BIAS } from "./emit/context.js";
import { JIT_BUDGET, RegionStatus } from "./layout.js";
import { Flow, type Region, type RegionBlock, type RegionInsn, type Successor } from "./region.js";
import { Cfg } from "./wasm/cfg.js";
import type { I32, Local, Stmt, WasmModule } from "./wasm/encoder.js";


/** Figures of one translated region. */
export interface TranslationInfo {
  /** Instructions emitted inline / through the helper (statically, per instruction). */
  inline: number;
  helper: number;
}

/** Per opcode-table row, the registers its operands and family touch besides ModRM, base and index. */
const FIXED_REGS: readonly number[] = OPCODES.map((row) => {
  let mask = 0;
  for (const o of row.operands) {
    if (o === "AL" || o === "AX" || o === "eAX") mask |= 1 << L.Reg.EAX;
    else if (o === "CL") mask |= 1 << L.Reg.ECX;
    else if (o === "DX") mask |= 1 << L.Reg.EDX;
  }
  const [family, name] = row.exec.split(".");
  if (family === "stack" || name === "call" || name === "ret") mask |= (1 << L.Reg.ESP) | (1 << L.Reg.EBP);
  if (name.startsWith("loop") || name === "jcxz") mask |= 1 << L.Reg.ECX;
  if (name === "cbw" || name === "cwd") mask |= (1 << L.Reg.EAX) | (1 << L.Reg.EDX);
  return mask;
});

/**
 * Registers an inline instruction may read or write, a superset: the ModRM and
 * opcode register fields (as full registers, and as the 8-bit register's
 * parent), base and index, and the fixed registers of its operands and family.
 */
function touched(ri: RegionInsn): number {
  const i = ri.insn;
  let mask = (1 << i.reg) | (1 << (i.reg & 3)) | FIXED_REGS[ri.row.id] | (ri.cls.emitter?.reads?.(i) ?? 0);
  if (i.mod === 3) mask |= (1 << i.rm) | (1 << (i.rm & 3));
  if (i.base >= 0) mask |= 1 << i.base;
  if (i.index >= 0) mask |= 1 << i.index;
  return mask;
}

function mayFault(ri: RegionInsn): boolean {
  return ri.cls.kind !== Kind.INLINE || ri.insn.mod !== 3 || ri.cls.emitter?.mayFault === true || ri.flow === Flow.DYNAMIC;
}

/** Per instruction of a block, the arithmetic flags possibly read after it before being overwritten. */
function flagLiveness(b: RegionBlock): number[] {
  const out = new Array<number>(b.insns.length);
  let live = ARITH;
  for (let k = b.insns.length - 1; k >= 0; k--) {
    out[k] = live;
    const ri = b.insns[k];
    if (mayFault(ri)) {
      live = ARITH;
      continue;
    }
    const row = ri.row;
    const written = row.flagsWritten & ARITH;
    const read = (row.flagsRead | (row.cls & OpClass.CONDFLAGS ? written : 0)) & ARITH;
    live = (live & ~written) | read;
  }
  return out;
}

function predecessors(region: Region): number[][] {
  const preds: number[][] = region.blocks.map(() => []);
  region.blocks.forEach((b, k) => {
    for (const s of [b.taken, b.next]) if (s && "block" in s && !preds[s.block].includes(k)) preds[s.block].push(k);
  });
  return preds;
}

/** Blocks in reverse postorder from the entries (every block of a region is reachable from one). */
function reversePostorder(region: Region): number[] {
  const seen = new Set<number>();
  const post: number[] = [];
  const visit = (k: number) => {
    seen.add(k);
    const b = region.blocks[k];
    for (const s of [b.next, b.taken]) if (s && "block" in s && !seen.has(s.block)) visit(s.block);
    post.push(k);
  };
  for (const e of region.entries) if (!seen.has(e)) visit(e);
  region.blocks.forEach((_, k) => {
    if (!seen.has(k)) visit(k);
  });
  return post.reverse();
}

function sameProducer(a: Producer | null, b: Producer | null): boolean {
  return a !== null && b !== null && a.op === b.op && a.size === b.size && a.mask === b.mask && a.carryIn === b.carryIn;
}

/** The producer all of `known` agree on, or null; `any` is false for a block nothing in the region reaches. */
function meet(known: (Producer | null)[], any: boolean): Producer | null {
  if (!any || known.length === 0) return null;
  const first = known[0];
  return known.every((p) => sameProducer(p, first)) ? first : null;
}

/**
 * Translates `region` into the function `name` of `m`, in four steps: scan the instructions
 * (what lives in locals), emit the blocks, join them by their edges into structured code, and
 * wrap that in the entry and the exit sequences.
 */
export function translateRegion(m: WasmModule, name: string, region: Region, services: ModuleServices): TranslationInfo {
  const scan = scanRegion(region);
  const x = new Ctx(m, region.mode, services, scan.writeBack, scan.usedRegs | scan.writeBack, scan.usesFlags, region.csLimit, region.eip);
  const blocks = emitBlocks(x, region);
  const body = joinBlocks(x, region, blocks);
  m.addFunction(name, ["i32"], "i32", x.localTypes, wrapExits(x, region, scan, body));
  m.exportFunction(name);
  return scan.info;
}

/** What the scan of a region's instructions finds before anything is emitted. */
interface RegionScan {
  /** Registers inline code writes: written back at every exit. */
  writeBack: number;
  /** Registers inline code may read or write (a superset). */
  usedRegs: number;
  /** Some inline instruction reads or writes flags. */
  usesFlags: boolean;
  info: TranslationInfo;
}

function scanRegion(region: Region): RegionScan {
  const scan: RegionScan = { writeBack: 0, usedRegs: 0, usesFlags: false, info: { inline: 0, helper: 0 } };
  for (const b of region.blocks) {
    for (const ri of b.insns) {
      if (ri.cls.kind === Kind.INLINE) {
        scan.writeBack |= ri.cls.emitter?.writes(ri.insn, region.mode) ?? 0;
        scan.usedRegs |= touched(ri);
        if (ri.row.flagsRead | ri.row.flagsWritten) scan.usesFlags = true;
        scan.info.inline++;
      } else {
        scan.info.helper++;
      }
    }
  }
  return scan;
}

/** An edge between emitted blocks (region blocks, then exit stubs), taken when `cond` is non-zero or, without one, by default. */
interface BlockEdge {
  from: number;
  to: number;
  cond?: I32;
}

/** The emitted code: one statement per region block, the exit stubs numbered after them, and their edges. */
interface EmittedBlocks {
  codes: Stmt[];
  stubs: Stmt[];
  edges: BlockEdge[];
}

/**
 * Emits every block. What each block's code assumes about the flag producer on entry: known
 * when every predecessor in the region leaves it the same and the dispatcher cannot enter
 * there. A loop header is first assumed to get its forward predecessors' producer; when a back
 * edge brings another, the region is emitted again with that header assuming nothing.
 */
function emitBlocks(x: Ctx, region: Region): EmittedBlocks {
  const preds = predecessors(region);
  const order = reversePostorder(region);
  const isEntry = new Set(region.entries);
  const pessimized = new Set<number>();
  for (;;) {
    const out: EmittedBlocks = { codes: new Array<Stmt>(region.blocks.length), stubs: [], edges: [] };
    const entryProducer = new Array<Producer | null>(region.blocks.length).fill(null);
    const exitProducer = new Array<Producer | null>(region.blocks.length).fill(null);
    const emitted = new Set<number>();
    for (const bi of order) {
      if (!isEntry.has(bi) && !pessimized.has(bi)) entryProducer[bi] = meet(preds[bi].filter((p) => emitted.has(p)).map((p) => exitProducer[p]), preds[bi].length > 0);
      exitProducer[bi] = emitBlock(x, region, bi, entryProducer[bi], out);
      emitted.add(bi);
    }
    const stale = order.find((bi) => entryProducer[bi] !== null && preds[bi].some((p) => !sameProducer(exitProducer[p], entryProducer[bi])));
    if (stale === undefined) return out;
    pessimized.add(stale);
  }
}

/** Emits block `bi` into `out`, assuming `producer` on entry; returns the producer it leaves. */
function emitBlock(x: Ctx, region: Region, bi: number, producer: Producer | null, out: EmittedBlocks): Producer | null {
  const m = x.wasm;
  const b = region.blocks[bi];
  const len = b.insns.length;
  x.beginBlock(len, producer);
  x.emit(
    m.if(m.gtU(m.add(m.get(x.retiredAtBlockEnd), m.c(len)), m.get(x.entryBudget)), x.returnAt(b.eip, 0)),
    m.set(x.retiredAtBlockEnd, m.add(m.get(x.retiredAtBlockEnd), m.c(len))),
  );
  const live = flagLiveness(b);
  let cond: Local<"i32"> | undefined;
  b.insns.forEach((ri, k) => {
    cond = emitInsn(x, ri, k, live[k]) ?? cond;
  });
  x.countClean();
  x.flushRecord();
  emitSuccessors(x, region, bi, cond, out);
  out.codes[bi] = m.block(null, x.blockCode);
  return x.flagProducer;
}

/** Emits the `k`th instruction of the block; returns the local holding its branch condition when it is a conditional branch. */
function emitInsn(x: Ctx, ri: RegionInsn, k: number, liveAfter: number): Local<"i32"> | undefined {
  const m = x.wasm;
  x.beginInsn(k, ri.eip, (ri.eip + ri.insn.len) | 0, liveAfter);
  const i = ri.insn;
  switch (ri.cls.kind) {
    case Kind.INLINE: {
      const e = ri.cls.emitter;
      if (!e) throw new Error("jit: inline instruction without emitter");
      if (ri.flow === Flow.COND && e.condition) return x.hold(e.condition(x, i));
      if (ri.flow === Flow.DYNAMIC && e.target) {
        const t = x.hold(e.target(x, i));
        x.countClean();
        x.emit(x.exit(m.get(t), x.retiredAfter(), RegionStatus.CHAIN));
      } else {
        e.emit?.(x, i);
      }
      return undefined;
    }
    case Kind.HELPER:
      x.helper(i, ri.row, false);
      return undefined;
    case Kind.HELPER_EXIT:
      x.helper(i, ri.row, true);
      // The count the handler left (a REP string adds its iterations), plus the instruction itself.
      x.emit(x.exit(m.loadAt(L.EIP), m.add(m.truncU(m.subF(m.loadF64At(L.ICOUNT), m.getF(x.entryIcount))), m.c(1)), RegionStatus.RETURN));
      return undefined;
    case Kind.FAULT:
      x.raise(ri.cls.vector ?? 0, ri.cls.code ?? 0);
      return undefined;
  }
}

/**
 * Block `bi`'s ways out: edges to blocks of the region, or exits to the dispatcher. The
 * renderer (jit/wasm/cfg.ts) evaluates edge conditions after the block's code, so where a block
 * has both, its exits become stub blocks of their own; a block with only exits ends in them.
 */
function emitSuccessors(x: Ctx, region: Region, bi: number, cond: Local<"i32"> | undefined, out: EmittedBlocks): void {
  const m = x.wasm;
  const b = region.blocks[bi];
  const succs: { s: Successor; cond?: Local<"i32"> }[] = [];
  if (b.taken) succs.push({ s: b.taken, cond });
  if (b.next) succs.push({ s: b.next });
  if (succs.length === 2 && "block" in succs[0].s && "block" in succs[1].s && succs[0].s.block === succs[1].s.block) {
    out.edges.push({ from: bi, to: succs[0].s.block });
  } else if (succs.some((e) => "block" in e.s)) {
    for (const e of succs) {
      let to: number;
      if ("block" in e.s) to = e.s.block;
      else {
        to = region.blocks.length + out.stubs.length;
        out.stubs.push(x.exit(m.c(e.s.exit), m.get(x.retiredAtBlockEnd), RegionStatus.CHAIN));
      }
      out.edges.push({ from: bi, to, cond: e.cond && m.get(e.cond) });
    }
  } else {
    for (const e of succs) {
      const exit = x.exit(m.c((e.s as { exit: number }).exit), m.get(x.retiredAtBlockEnd), RegionStatus.CHAIN);
      x.emit(e.cond ? m.if(m.get(e.cond), exit) : exit);
    }
  }
}

/** The blocks joined by their edges into structured code; with several entries, a br_table on the entry parameter picks one. */
function joinBlocks(x: Ctx, region: Region, blocks: EmittedBlocks): Stmt {
  const m = x.wasm;
  const cfg = new Cfg(m);
  const ids = [...blocks.codes, ...blocks.stubs].map((c) => cfg.block(c));
  for (const e of blocks.edges) cfg.branch(ids[e.from], ids[e.to], e.cond);
  let entry = ids[region.entries[0]];
  if (region.entries.length > 1) {
    entry = cfg.switchBlock(m.nop(), m.get(x.entryIndex));
    region.entries.forEach((b, k) => {
      if (k > 0) cfg.switchBranch(entry, ids[b], [k]);
    });
    cfg.branch(entry, ids[region.entries[0]]);
  }
  return cfg.render(entry);
}

/**
 * The function body: the entry loads what lives in locals, then `body` runs; every way out
 * reaches the one exit sequence, which writes back what inline code may have changed, EIP,
 * the count and the budget left. Exits through RETURN_LABEL first unpack their site.
 */
function wrapExits(x: Ctx, region: Region, scan: RegionScan, body: Stmt): Stmt {
  const m = x.wasm;
  const prologue: Stmt[] = x.reload();
  prologue.push(m.setF(x.entryIcount, m.loadF64At(L.ICOUNT)), m.set(x.entryBudget, m.loadAt(JIT_BUDGET)));

  const exitCode: Stmt[] = [];
  for (let r = 0; r < 8; r++) if (scan.writeBack & (1 << r)) exitCode.push(m.storeAt(L.REG_BASE + 4 * r, m.get(x.regLocals[r])));
  if (scan.usesFlags) x.flagLocals.forEach((l, k) => exitCode.push(m.storeAt(FLAG_FIELDS[k], m.get(l))));
  exitCode.push(
    m.storeAt(L.EIP, m.get(x.exitEip)),
    m.storeF64At(L.ICOUNT, x.icountAt(m.get(x.exitRetired))),
    m.storeAt(JIT_BUDGET, m.sub(m.get(x.entryBudget), m.get(x.exitRetired))),
    m.return(m.get(x.exitStatus)),
  );
  // The sites: EIP from the packed offset, the count less the instructions taken back.
  const returns = [
    m.set(x.exitEip, m.add(m.c(region.eip - SITE_BIAS), m.shrU(m.get(x.returnSite), m.c(SITE_BACK_BITS)))),
    m.set(x.exitRetired, m.sub(m.get(x.retiredAtBlockEnd), m.and(m.get(x.returnSite), m.c((1 << SITE_BACK_BITS) - 1)))),
    m.set(x.exitStatus, m.c(RegionStatus.RETURN)),
  ];
  return m.block(null, [m.block(EXIT_LABEL, [...prologue, m.block(RETURN_LABEL, [body]), ...returns]), ...exitCode]);
}
