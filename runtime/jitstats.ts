/** The JIT's counters, as one plain object the command line can print as JSON. */
export class JitStats {
  /** Regions translated and the guest instructions in them (inline / through the helper). */
  regionsTranslated = 0;
  instructionsTranslated = 0;
  inlineTranslated = 0;
  helperTranslated = 0;
  /** Hot entries that could not be translated at all (their first instruction is not translatable). */
  untranslatable = 0;
  modules = 0;
  /** Bytes of Wasm emitted. */
  wasmBytes = 0;
  /** Milliseconds spent translating, writing binaries and (sync) creating and instantiating modules. */
  translateMs = 0;
  /** Milliseconds from handing a module to WebAssembly.compile to its installation (async compile; overlaps execution). */
  compileLatencyMs = 0;
  /** Entries into the dispatcher that ran compiled code. */
  dispatches = 0;
  /** Region functions the dispatcher called (read from JIT_RUNS). */
  regionRuns = 0;
  /** Dispatches that ended on the instruction budget. */
  budgetExits = 0;
  /** Guest faults raised by helpers inside compiled code (memory faults are raised by the interpreter after the region leaves). */
  faults = 0;
  /** Translations dropped, by cause: a write into their code (installed / still compiling), JitEngine.reset. */
  invalidations = { codeWrite: 0, pendingCodeWrite: 0, reset: 0, evicted: 0, demoted: 0 };
  /** Modules evicted whole because the code cache was full. */
  evictedModules = 0;
  /** Writes into a code-map chunk holding translated code that touched none of its instruction bytes. */
  codePageDataWrites = 0;
  /** Generic-helper calls (instructions compiled code ran through the interpreter's handler). */
  helperCalls = 0;
  /** Instructions retired by compiled code, and by the interpreter while the JIT engine ran. */
  compiledInstructions = 0;
  interpretedInstructions = 0;
  /** Instructions of completed compiled blocks with no translation-time check at all (JitOptions.profile). */
  cleanInstructions = 0;
  /** Tier 2 (ARCHITECTURE.md, "Code generators and tiers"): rebuilds asked of the Binaryen thread, built, swapped in, dropped on arrival (region invalidated meanwhile), failed. */
  tier2 = { requested: 0, built: 0, swaps: 0, drops: 0, failed: 0 };
  /** Milliseconds the Binaryen thread spent on this engine's builds (both code generators; wall time in that thread). */
  binaryenMs = 0;
  /** Instructions the dispatcher's hotness counters saw retired (codegen "tiered"), and those retired in tier-2 code. */
  countedInstructions = 0;
  tier2Instructions = 0;
  /** Milliseconds the engine ran (its runUntil calls), for the share of translation. */
  runMs = 0;

  get executedInstructions(): number {
    return this.compiledInstructions + this.interpretedInstructions;
  }

  /** Share of executed instructions in blocks without checks (meaningful with JitOptions.profile). */
  get cleanShare(): number {
    return this.executedInstructions === 0 ? 0 : this.cleanInstructions / this.executedInstructions;
  }

  /** Generic-helper calls per thousand executed instructions. */
  get helpersPerThousand(): number {
    return this.executedInstructions === 0 ? 0 : (1000 * this.helperCalls) / this.executedInstructions;
  }

  /** Share of the engine's run time spent translating. */
  get translateShare(): number {
    return this.runMs === 0 ? 0 : this.translateMs / this.runMs;
  }

  /** Share of all executed instructions that ran as inline compiled code. */
  get inlineShare(): number {
    const total = this.executedInstructions;
    return total === 0 ? 0 : (this.compiledInstructions - this.helperCalls) / total;
  }

  /** Share of the counted instructions retired in tier-2 code. */
  get tier2Share(): number {
    return this.countedInstructions === 0 ? 0 : this.tier2Instructions / this.countedInstructions;
  }

  /** Main-thread translation cost per guest instruction translated, in microseconds. */
  get translateUsPerInstruction(): number {
    return this.instructionsTranslated === 0 ? 0 : (this.translateMs * 1000) / this.instructionsTranslated;
  }

  toJSON() {
    return {
      regionsTranslated: this.regionsTranslated,
      instructionsTranslated: this.instructionsTranslated,
      inlineTranslated: this.inlineTranslated,
      helperTranslated: this.helperTranslated,
      untranslatable: this.untranslatable,
      modules: this.modules,
      wasmBytes: this.wasmBytes,
      translateMs: this.translateMs,
      translateUsPerInstruction: this.translateUsPerInstruction,
      compileLatencyMs: this.compileLatencyMs,
      dispatches: this.dispatches,
      regionRuns: this.regionRuns,
      budgetExits: this.budgetExits,
      faults: this.faults,
      invalidations: { ...this.invalidations },
      evictedModules: this.evictedModules,
      codePageDataWrites: this.codePageDataWrites,
      helperCalls: this.helperCalls,
      compiledInstructions: this.compiledInstructions,
      interpretedInstructions: this.interpretedInstructions,
      inlineShare: this.inlineShare,
      cleanInstructions: this.cleanInstructions,
      cleanShare: this.cleanShare,
      helpersPerThousand: this.helpersPerThousand,
      tier2: { ...this.tier2 },
      binaryenMs: this.binaryenMs,
      countedInstructions: this.countedInstructions,
      tier2Instructions: this.tier2Instructions,
      tier2Share: this.tier2Share,
      runMs: this.runMs,
      translateShare: this.translateShare,
    };
  }
}
