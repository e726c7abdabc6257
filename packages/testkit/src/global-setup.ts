import { killLiveAnvils, RUN_ENV, reapOrphanAnvils } from "./reaper.ts";

/**
 * vitest globalSetup: tags this run's anvils, kills anvils left over by dead processes, and on teardown kills
 * every anvil any worker of this run left running. Use: `globalSetup: ["@ballast/testkit/global-setup"]`.
 */
export default function setup(): () => void {
  const run = `${process.pid}-${Date.now()}`;
  process.env[RUN_ENV] = run;
  reapOrphanAnvils();
  return () => {
    reapOrphanAnvils(run);
    killLiveAnvils();
  };
}
