import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Kills any anvil a worker leaves behind (crash, timeout) when the run ends.
    globalSetup: ["@ballast/testkit/global-setup"],
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
