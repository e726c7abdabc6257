import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Anvils a worker leaves behind are killed at the end; one PostgreSQL server serves the journal tests; the
    // `ballast` bin is built once for the tests that run it as a process.
    globalSetup: ["@ballast/testkit/global-setup", "@ballast/testkit/postgres-setup", "./test/bin-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
