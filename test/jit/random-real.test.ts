/** Random differential test, real mode (generator in randomcode.ts). */
import { describe } from "vitest";
import { randomTests } from "./randomcode.js";

describe("random instruction sequences, real", () => randomTests("real", 400, 100));
