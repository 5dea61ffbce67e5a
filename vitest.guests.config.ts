import { defineConfig } from "vitest/config";

// Guests booted through firmware fetched by `npm run guests:bios` (run by `npm run test:guests`).
export default defineConfig({
  test: {
    include: ["test-guests/**/*.test.ts"],
    testTimeout: 600_000,
    pool: "threads",
    maxWorkers: 2,
  },
});
