/** Random differential test (random-harness.ts): virtual-8086 mode (IOPL 0 or 3, the TSS I/O bitmap, exceptions to a ring-0 handler). */
import { type KnownMismatches, randomSuite } from "./random-harness.js";

/** Known JIT/interpreter mismatches (random-harness.ts KnownMismatches): none. */
const KNOWN_MISMATCHES: KnownMismatches = {};

randomSuite("v86", KNOWN_MISMATCHES);
