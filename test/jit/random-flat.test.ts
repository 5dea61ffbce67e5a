/** Random differential test, 32-bit flat protected mode (generator in randomcode.ts). */
import { describe } from "vitest";
import { randomTests } from "./randomcode.js";

describe("random instruction sequences, flat", () => randomTests("flat", 400, 100));
