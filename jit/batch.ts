/**
 * Batching: many regions become one Wasm module (ARCHITECTURE.md "The JIT:
 * Costs": one module per block costs ~470 µs, 200 functions per module ~75 µs
 * each). Each region is
 * an exported function; the module imports the one memory and the helpers, and
 * defines the library functions its regions call.
 */
import type { Insn } from "../src/decode/insn.js";
import type { ModuleServices } from "./emit/context.js";
import { Import } from "./emit/names.js";
import { addLibrary } from "./library.js";
import type { Region } from "./region.js";
import { type TranslationInfo, translateRegion } from "./translate.js";
import { type ModuleSnapshot, type ValType, WasmModule } from "./wasm/encoder.js";

const IMPORTS: [Import, ValType[], ValType | "none"][] = [
  [Import.EXEC, ["i32"], "i32"],
  [Import.RAISE, ["i32", "i32"], "none"],
];

/** A module's output: the binary, the instructions its generic-helper calls refer to, export names per region. */
export interface BuiltModule {
  binary: Uint8Array<ArrayBuffer>;
  insns: Insn[];
  names: string[];
  info: TranslationInfo[];
}

export class ModuleBuilder implements ModuleServices {
  private readonly m = new WasmModule();
  private readonly insns: Insn[] = [];
  private readonly names: string[] = [];
  private readonly info: TranslationInfo[] = [];

  constructor(
    readonly ramBytes: number,
    chunkShift: number,
    readonly profile = false,
    readonly videoWindow = false,
  ) {
    this.m.importMemory();
    for (const [name, params, result] of IMPORTS) this.m.importFunction(name, params, result);
    addLibrary(this.m, chunkShift);
  }

  helperId(i: Insn): number {
    this.insns.push(i);
    return this.insns.length - 1;
  }

  add(region: Region): void {
    const name = `r${this.names.length}`;
    this.info.push(translateRegion(this.m, name, region, this));
    this.names.push(name);
  }

  /** The module as arena data for a code generator elsewhere (another thread), with what installing it needs. */
  snapshot(): { snapshot: ModuleSnapshot; insns: Insn[]; names: string[] } {
    return { snapshot: this.m.snapshot(), insns: this.insns, names: this.names };
  }

  /** The module written by the direct encoder, or by `codegen` from the arena's snapshot. */
  finish(codegen?: (s: ModuleSnapshot) => Uint8Array<ArrayBuffer>): BuiltModule {
    const binary = codegen ? codegen(this.m.snapshot()) : this.m.finish();
    return { binary, insns: this.insns, names: this.names, info: this.info };
  }
}
