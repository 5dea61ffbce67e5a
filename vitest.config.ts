import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "threads",
    // vitest keeps one core for itself by default; on the 2-core machines this runs on, use both.
    maxWorkers: 2,
  },
});
