// A portfolio checked the way both Ballast apps check theirs, then turned into what the engine and the batch firewall
// take. PORTFOLIO (JSON, the shape below) replaces the built-in one (the package test: a local anvil's Aave market).
import {
  ConfigError,
  chainShape,
  checkPortfolio,
  firewallContractsOf,
  parseWith,
  policyOf,
  policySchema,
} from "@ballast/config";
import { z } from "zod";

// Your app's document: the shared chain fields (yours may add its own, e.g. how it reaches the chain) and the policy.
const schema = z
  .object({ chains: z.record(z.string(), z.object(chainShape)), policy: policySchema })
  .superRefine((doc, ctx) => {
    const chains = Object.entries(doc.chains).map(([key, chain]) => ({ key, path: ["chains", key], chain }));
    checkPortfolio(chains, doc.policy, ctx);
  });

const portfolio = process.env.PORTFOLIO
  ? JSON.parse(process.env.PORTFOLIO)
  : {
      chains: {
        base: {
          chainId: 8453,
          tokens: {
            WETH: { address: "0x4200000000000000000000000000000000000006", decimals: 18 },
            USDC: { address: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", decimals: 6 },
          },
          aave: "AaveV3Base", // a market of the address book, or its addresses
        },
      },
      policy: {
        sleeves: [
          { id: "eth", chain: "base", kind: "token", asset: "WETH", weight: "60%" },
          { id: "usdc-supply", chain: "base", kind: "aave-supply", asset: "USDC", weight: "40%" },
        ],
        bands: { absolute: "5%", relative: "25%" },
        maxSlippage: "0.5%",
      },
    };

const config = parseWith(schema, portfolio, "portfolio");
const { sleeves, rules } = policyOf(config.policy, Object.values(config.chains));
for (const s of sleeves) console.log("sleeve", s.id, s.kind, s.weightBps, "bps");
console.log("slippage", rules.maxSlippageBps, "bps");
for (const [key, chain] of Object.entries(config.chains))
  for (const c of firewallContractsOf(chain)) console.log("firewall", key, c.kind.name, c.address);

// Every mistake at once, each by its path in the document.
try {
  const [first, ...rest] = portfolio.policy.sleeves;
  parseWith(
    schema,
    { ...portfolio, policy: { ...portfolio.policy, sleeves: [first, ...rest, first] } },
    "portfolio",
  );
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  for (const issue of err.issues) console.log("invalid", issue.path, issue.message);
}
