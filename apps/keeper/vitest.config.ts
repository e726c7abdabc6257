import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Anvils a worker leaves behind are killed at the end; one PostgreSQL server serves the journal tests.
    globalSetup: ["@ballast/testkit/global-setup", "@ballast/testkit/postgres-setup"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
