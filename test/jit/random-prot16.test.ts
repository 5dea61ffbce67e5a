/** Random differential test (random-harness.ts): 16-bit protected mode at CPL 0 (16-bit code, stack and gates; segments with bases and small limits). */
import { type KnownMismatches, randomSuite } from "./random-harness.js";

/** Known JIT/interpreter mismatches (bug -> case indices), counted and printed instead of failing until the engine is fixed. */
const KNOWN_MISMATCHES: KnownMismatches = {};

randomSuite("prot16", KNOWN_MISMATCHES);
