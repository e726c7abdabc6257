import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Stops any anvil a worker leaves behind (crash, timeout) when the run ends.
    globalSetup: ["@ballast/testkit/global-setup"],
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
