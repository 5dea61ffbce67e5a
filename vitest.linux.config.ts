import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test-long/**/*.test.ts"],
    testTimeout: 3_600_000,
    // The interpreter's whole boot (linux.test.ts) is the longest file by far: the JIT-only files run beside it.
    pool: "forks",
    maxWorkers: 2,
  },
});
