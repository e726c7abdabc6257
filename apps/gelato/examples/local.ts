/**
 * The Web3 Function end to end on a local testkit chain (no Gelato, no network): a Safe holding idle WETH, idle USDC
 * and an Aave WETH supply; the handler in band, then after ETH −30%; then `create-task --dry-run` against stand-in
 * Automate contracts. Run from the repo root: `pnpm exec tsx apps/gelato/examples/local.ts`
 */
import { setPrice, startTestChain } from "@ballast/testkit";
import { AUTOMATE_ADDRESS, createGelatoTask, formatReport, handler } from "../src/lib.ts";
import { chainArgs, contextFor, DEDICATED, owner, policyJson, seedSafe } from "../test/fixtures.ts";
import { installAutomateStandIn } from "../test/gelato-stand-in.ts";

const chain = await startTestChain({ chainId: 1 });
try {
  const safe = await seedSafe(chain); // the dedicated msg.sender (here: DEDICATED) is already a module
  const chains = [chainArgs(chain, safe)];

  const idle = await handler(contextFor(chain, { chains }));
  console.log("in band:", idle.canExec ? "canExec" : idle.message);

  await setPrice(chain, { asset: "WETH", usdPrice: 2_100n * 10n ** 8n });
  const moved = await handler(contextFor(chain, { chains }));
  if (moved.canExec)
    for (const c of moved.callData)
      console.log(`call ${c.to} ${c.data.slice(0, 10)}… (${(c.data.length - 2) / 2} bytes)`);
  else console.log("after the move:", moved.message);

  await installAutomateStandIn(chain, AUTOMATE_ADDRESS, DEDICATED);
  const { dedicatedMsgSender: _, ...entry } = chains[0]!;
  const report = await createGelatoTask({
    chainId: 1,
    rpcUrl: chain.rpcUrl,
    portfolio: JSON.stringify({ chains: [entry] }),
    policy: policyJson,
    owner: owner.address,
    w3fHash: "QmExampleCid",
    outDir: "/tmp/ballast-gelato-example",
    dryRun: true,
  });
  console.log(formatReport(report, true).split("\n").slice(0, 6).join("\n"));
} finally {
  await chain.stop();
}
