import { ensureAave36Artifacts } from "./compile.ts";
import { ensureFusionArtifacts } from "./fusion.ts";
import { killLiveAnvils, RUN_ENV, reapOrphanAnvils } from "./reaper.ts";

/**
 * vitest globalSetup: tags this run's anvils, kills anvils left over by dead processes, compiles the Aave v3.6
 * market and 1inch's LOP + Fusion settlement once per machine (cached; 18–35 s and 30–45 s the first time, so no
 * test hook waits for them), and on teardown kills
 * every anvil any worker of this run left running. Use: `globalSetup: ["@ballast/testkit/global-setup"]`.
 */
export default async function setup(): Promise<() => void> {
  const run = `${process.pid}-${Date.now()}`;
  process.env[RUN_ENV] = run;
  reapOrphanAnvils();
  await ensureAave36Artifacts();
  await ensureFusionArtifacts();
  return () => {
    reapOrphanAnvils(run);
    killLiveAnvils();
  };
}
