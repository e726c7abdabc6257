import { defineConfig } from "vitest/config";

export default defineConfig({
  // Replays run a few hundred steps per path: seconds, not milliseconds, on a loaded 2-core machine.
  test: { include: ["src/**/*.test.ts"], testTimeout: 120_000 },
});
