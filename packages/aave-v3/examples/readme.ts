// The README example, type-checked with the package (not run by the tests: it reads Base mainnet).
import { aaveMarkets, encodeRepay, fetchAavePositions, MAX_UINT256 } from "@ballast/aave-v3";
import { createPublicClient, formatUnits, http } from "viem";
import { base } from "viem/chains";

const client = createPublicClient({ chain: base, transport: http() });
const user = "0x0000000000000000000000000000000000000001";
const positions = await fetchAavePositions(client, { market: aaveMarkets.AaveV3Base, user }); // one eth_call

console.log("health factor", formatUnits(positions.account.healthFactor, 18));
for (const u of positions.userReserves) {
  const r = positions.reserves[u.index]!;
  if (u.supplied || u.debt)
    console.log(r.symbol, formatUnits(u.supplied, r.decimals), formatUnits(-u.debt, r.decimals));
}

const usdc = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const calls = encodeRepay({ positions, asset: usdc, amount: MAX_UINT256 }); // approve, repay(max), approve(0)
console.log(calls); // [{ to, data, value }, …] for one batch: EIP-7702 executeBatch, Safe MultiSend, …
