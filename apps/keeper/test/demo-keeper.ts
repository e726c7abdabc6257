import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestChain, testAccounts } from "@ballast/testkit";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import { assembleKeeper } from "../src/assemble.ts";
import { loadConfig } from "../src/config.ts";
import {
  type DemoChains,
  demoConfigYaml,
  demoEnv,
  seedDemoPortfolio,
  startDemoChains,
} from "../src/demo-portfolio.ts";
import { type Fence, type Journal, openJournal } from "../src/journal.ts";
import type { Keeper } from "../src/keeper.ts";
import { createMetrics, type Metrics } from "../src/metrics.ts";

/** A test file's demo chains (seeded with the demo portfolio) and its temp folder for configs and journals. */
export type DemoSetup = { chains: DemoChains; list: TestChain[]; dir: string };

/** Starts the demo chains and a temp folder before the file's tests, stops and removes them after; filled in `beforeAll`. */
export function useDemoChains(name: string): DemoSetup {
  const setup = {} as DemoSetup;
  beforeAll(async () => {
    setup.chains = await startDemoChains();
    setup.list = [setup.chains.ethereum, setup.chains.base];
    await seedDemoPortfolio(setup.chains, testAccounts.keeper);
    setup.dir = mkdtempSync(join(tmpdir(), `ballast-${name}-`));
  });
  afterAll(async () => {
    await Promise.all(setup.list?.map((c) => c.stop()) ?? []);
    if (setup.dir) rmSync(setup.dir, { recursive: true, force: true });
  });
  return setup;
}

/** The demo config's options but its journal (the keeper's own, `<name>.db` in the setup's folder). */
export type DemoKeeperConfig = Omit<Parameters<typeof demoConfigYaml>[1], "journal">;

/**
 * A keeper that sends for the demo portfolio ("fund") with the demo key, silent, over its own journal `<name>.db`;
 * `fence` is checked in each send's journal transaction (a lease, as on Postgres). The caller closes `journal`.
 */
export async function demoKeeper(
  setup: DemoSetup,
  name: string,
  config: DemoKeeperConfig = {},
  fence?: Fence,
): Promise<{ k: Keeper; journal: Journal; metrics: Metrics }> {
  const file = join(setup.dir, `${name}.yaml`);
  writeFileSync(file, demoConfigYaml(setup.chains, { ...config, journal: join(setup.dir, `${name}.db`) }));
  const env = demoEnv();
  const loaded = loadConfig(file, env);
  const journal = await openJournal(loaded.keeper.journal);
  const metrics = createMetrics();
  const log = pino({ level: "silent" });
  const k = assembleKeeper(loaded, journal.forPortfolio("fund", fence), {
    env,
    needKeys: true,
    log,
    metrics,
  });
  return { k, journal, metrics };
}
