import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Kills any anvil a worker leaves behind (crash, timeout) when the run ends; builds the `ballast` bin the tests run.
    globalSetup: ["@ballast/testkit/global-setup", "../apps/keeper/test/bin-setup.ts"],
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
