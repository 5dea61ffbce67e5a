/** Random differential test, 32-bit protected mode with paging (generator in randomcode.ts). */
import { describe } from "vitest";
import { randomTests } from "./randomcode.js";

describe("random instruction sequences, paged", () => randomTests("paged", 400, 100));
