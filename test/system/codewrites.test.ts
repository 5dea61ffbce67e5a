/**
 * The code-write owner (src/cpu/codewrites.ts): its subscribers hear a write in
 * one fixed order, and every path that writes guest RAM reaches them (the CPU's
 * stores, bulk REP strings, stores from compiled code, device DMA, the API's
 * writeMemory). Writes are watched with page-flag bit 7, the bit reserved for
 * test harnesses, or land on real decoded or translated code.
 */
import { describe, expect, it } from "vitest";
import { CodeWriteStage, nearCode } from "../../src/cpu/codewrites.js";
import { CodeOwner } from "../../src/cpu/codemap.js";
import { PAGE_BUS_WRITE, PAGE_DECODED, PAGE_FLAGS_BASE, PAGE_TRANSLATED, Reg } from "../../src/cpu/layout.js";
import { addLibrary } from "../../jit/library.js";
import { WasmModule } from "../../jit/wasm/encoder.js";
import { JitEngine } from "../../runtime/jit.js";
import { createMachine } from "../../runtime/index.js";
import { machineCore } from "../../runtime/internal.js";
import { createMachine as createCore } from "../../runtime/machine.js";
import { exec, load, protectedMachine, run } from "../interp/harness.js";
import { CODE, DATA, jitOptions, makeWorld } from "../jit/support.js";

const WATCH = 0x80;

/** Record every write the WATCH subscriber hears, as [pa, size] pairs. */
function watchWrites(c: { codeWrites: { subscribe(s: CodeWriteStage, l: (pa: number, size: number) => void): void } }): number[] {
  const writes: number[] = [];
  c.codeWrites.subscribe(CodeWriteStage.WATCH, (pa, size) => writes.push(pa, size));
  return writes;
}

describe("code-write subscribers", () => {
  it("a machine with the JIT has the descriptor shadow, the decode cache and the code cache subscribed, called in that order", () => {
    const m = createCore({ engine: "jit" });
    const cw = m.cpu.codeWrites;
    const heard: CodeWriteStage[] = [];
    for (const stage of [CodeWriteStage.DESCRIPTORS, CodeWriteStage.DECODED, CodeWriteStage.TRANSLATED]) {
      const own = cw.listener(stage);
      expect(own, `stage ${stage}`).toBeDefined();
      cw.subscribe(stage, (pa, size) => {
        heard.push(stage);
        own?.(pa, size);
      });
    }
    cw.subscribe(CodeWriteStage.WATCH, () => heard.push(CodeWriteStage.WATCH));
    m.cpu.u8[PAGE_FLAGS_BASE + 0x20] |= WATCH;
    m.cpu.writePhys32(0x20010, 1);
    expect(heard).toEqual([CodeWriteStage.DESCRIPTORS, CodeWriteStage.DECODED, CodeWriteStage.TRANSLATED, CodeWriteStage.WATCH]);
  });

  it("an interpreter-only machine has no code-cache subscriber", () => {
    const m = createCore({ engine: "interp" });
    expect(m.cpu.codeWrites.listener(CodeWriteStage.DESCRIPTORS)).toBeDefined();
    expect(m.cpu.codeWrites.listener(CodeWriteStage.DECODED)).toBeDefined();
    expect(m.cpu.codeWrites.listener(CodeWriteStage.TRANSLATED)).toBeUndefined();
  });

  it("the filter passes writes to marked chunks and to frames with other flags, and nothing else", () => {
    const m = protectedMachine();
    const c = m.cpu;
    exec(m, [0x41]); // inc ecx at CODE, decoded
    const sh = c.codeWrites.map.chunkShift;
    const flags = c.u8[PAGE_FLAGS_BASE + (CODE >>> 12)];
    expect(nearCode(c.u8, flags, CODE, 1, sh)).toBe(true);
    expect(nearCode(c.u8, flags, CODE + 0x800, 4, sh)).toBe(false);
    expect(nearCode(c.u8, 0, CODE, 1, sh)).toBe(false);
    expect(nearCode(c.u8, WATCH, DATA, 1, sh)).toBe(true);
  });

  it("compiled stores test the same filter: the Wasm codeOk is the negation of nearCode for a store within one frame", () => {
    const m = protectedMachine();
    const c = m.cpu;
    const sh = c.codeWrites.map.chunkShift;
    const w = new WasmModule();
    w.importMemory();
    addLibrary(w, sh);
    w.exportFunction("codeOk");
    const codeOk = new WebAssembly.Instance(new WebAssembly.Module(w.finish()), { env: { memory: c.memory } }).exports.codeOk as (pa: number, bytes: number) => number;
    const FLAGS = [0, PAGE_DECODED, PAGE_TRANSLATED, PAGE_DECODED | PAGE_TRANSLATED, 4, PAGE_BUS_WRITE, WATCH, PAGE_TRANSLATED | 4];
    let seed = 12345;
    const below = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const frames = [0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47];
    // Chunks are marked only where the frame's flags say an owner has code, as the caches keep it.
    frames.forEach((f, k) => {
      const owners = FLAGS[k] & (PAGE_DECODED | PAGE_TRANSLATED);
      for (let n = 0; n < 6 && owners !== 0; n++) c.codeWrites.map.set(owners & PAGE_DECODED ? CodeOwner.DECODED : CodeOwner.TRANSLATED, f, below(0x1000 >> sh), true);
      c.u8[PAGE_FLAGS_BASE + f] = FLAGS[k];
    });
    let passed = 0;
    for (let t = 0; t < 20000; t++) {
      const size = [1, 2, 4, 8, 10][below(5)];
      const f = frames[below(frames.length)];
      const pa = f * 0x1000 + below(0x1000 - size + 1);
      const flags = c.u8[PAGE_FLAGS_BASE + f];
      const near = nearCode(c.u8, flags, pa, size, sh);
      // Compiled stores call codeOk only for a frame with flags (jit/emit/memory.ts checkStore).
      const ok = flags === 0 ? 1 : codeOk(pa, size);
      expect(ok, `pa ${pa.toString(16)} size ${size}`).toBe(near ? 0 : 1);
      if (!near) passed++;
    }
    // Both answers occur.
    expect(passed).toBeGreaterThan(1000);
    expect(passed).toBeLessThan(19000);
  });
});

describe("every write path reaches the subscribers", () => {
  it("the CPU's stores", () => {
    const m = protectedMachine();
    const writes = watchWrites(m.cpu);
    m.cpu.u8[PAGE_FLAGS_BASE + (DATA >>> 12)] |= WATCH;
    m.cpu.setReg32(Reg.EAX, 0x12345678);
    exec(m, [0xa3, ...le32(DATA + 8)]); // mov [DATA+8],eax
    expect(writes).toEqual([DATA + 8, 4]);
  });

  it("REP STOS in bulk stops at decoded code, which hears the write", () => {
    const m = protectedMachine();
    const c = m.cpu;
    // Decode an instruction in the middle of the data frame; the rest of the frame is data.
    load(m, DATA + 0x800, [0x41]);
    c.eip = DATA + 0x800;
    run(m);
    expect(c.codeWrites.map.marks(CodeOwner.DECODED, DATA + 0x800, 1)).toBe(true);
    const decoded: number[] = [];
    const own = c.codeWrites.listener(CodeWriteStage.DECODED);
    c.codeWrites.subscribe(CodeWriteStage.DECODED, (pa, size) => {
      decoded.push(pa, size);
      own?.(pa, size);
    });
    c.setReg32(Reg.EDI, DATA);
    c.setReg32(Reg.ECX, 0x400);
    c.setReg32(Reg.EAX, 0);
    exec(m, [0xf3, 0xab]); // rep stosd over the whole frame
    expect(c.reg32(Reg.ECX)).toBe(0);
    expect(decoded.slice(0, 2)).toEqual([DATA + 0x800, 4]);
    expect(c.codeWrites.map.marks(CodeOwner.DECODED, DATA + 0x800, 1)).toBe(false);
  });

  it("stores from compiled code", () => {
    const w = makeWorld("flat");
    // mov ecx,50 / .l: mov [DATA],ecx / dec ecx / jnz .l / hlt
    load(w, CODE, [0xb9, 50, 0, 0, 0, 0x89, 0x0d, ...le32(DATA), 0x49, 0x75, 0xf7, 0xf4]);
    const writes = watchWrites(w.cpu);
    w.cpu.u8[PAGE_FLAGS_BASE + (DATA >>> 12)] |= WATCH;
    const engine = new JitEngine(w.cpu, w.interp, jitOptions);
    engine.runUntil(10_000, () => false);
    expect(engine.stats.regionsTranslated).toBeGreaterThan(0);
    expect(writes.length / 2).toBe(50);
    expect(writes.slice(0, 2)).toEqual([DATA, 4]);
  });

  it("stores from compiled code into translated code drop the translation", () => {
    const w = makeWorld("flat");
    // mov ecx,50 / xor eax,eax / .l: add eax,byte 1 / inc byte [.l+2] / dec ecx / jnz .l / hlt
    load(w, CODE, [0xb9, 0x32, 0x00, 0x00, 0x00, 0x31, 0xc0, 0x83, 0xc0, 0x01, 0xfe, 0x05, 0x09, 0x10, 0x00, 0x00, 0x49, 0x75, 0xf4, 0xf4]);
    const engine = new JitEngine(w.cpu, w.interp, jitOptions);
    const translated: number[] = [];
    const own = w.cpu.codeWrites.listener(CodeWriteStage.TRANSLATED);
    w.cpu.codeWrites.subscribe(CodeWriteStage.TRANSLATED, (pa, size) => {
      translated.push(pa);
      own?.(pa, size);
    });
    engine.runUntil(10_000, () => false);
    expect(w.cpu.reg32(Reg.EAX)).toBe((50 * 51) / 2);
    expect(translated.length).toBe(50);
    expect(translated.every((pa) => pa === CODE + 9)).toBe(true);
    expect(engine.stats.invalidations.codeWrite).toBeGreaterThan(0);
  });

  it("device DMA (Cpu.writePhysBytes)", () => {
    const m = protectedMachine();
    const writes = watchWrites(m.cpu);
    m.cpu.u8[PAGE_FLAGS_BASE + (DATA >>> 12) + 1] |= WATCH;
    m.cpu.writePhysBytes(DATA + 0xff0, new Uint8Array(0x20));
    // Frame by frame: only the watched frame's part is heard.
    expect(writes).toEqual([DATA + 0x1000, 0x10]);
  });

  it("the API's writeMemory", () => {
    const facade = createMachine({ memMiB: 2 });
    const core = machineCore(facade);
    if (!core) throw new Error("no machine behind the facade");
    const writes = watchWrites(core.cpu);
    core.cpu.u8[PAGE_FLAGS_BASE + (DATA >>> 12)] |= WATCH;
    facade.writeMemory(DATA + 2, new Uint8Array([1, 2, 3]));
    expect(writes).toEqual([DATA + 2, 1, DATA + 3, 1, DATA + 4, 1]);
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
