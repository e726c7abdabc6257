// An account's Aave position in one eth_call, and the calls that repay all its USDC debt.
// Base mainnet by default. RPC_URL, AAVE_MARKET (JSON, the shape of aaveMarkets.*), USDC point it at another market
// (the package test: a local anvil with Aave 3.6); USER_ADDRESS is whose position to read.
import { type AaveMarket, aaveMarkets, encodeRepay, fetchAavePositions, MAX_UINT256 } from "@ballast/aave-v3";
import { type Address, createPublicClient, formatUnits, http, isAddressEqual } from "viem";
import { base } from "viem/chains";

const env = process.env;
const client = createPublicClient({ chain: base, transport: http(env.RPC_URL) });
const market: AaveMarket = env.AAVE_MARKET ? JSON.parse(env.AAVE_MARKET) : aaveMarkets.AaveV3Base;
const user = (env.USER_ADDRESS ?? "0x0000000000000000000000000000000000000001") as Address;
const usdc = (env.USDC ?? "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913") as Address;

const positions = await fetchAavePositions(client, { market, user }); // one eth_call
console.log("health factor", formatUnits(positions.account.healthFactor, 18));
for (const u of positions.userReserves) {
  const r = positions.reserves[u.index]!;
  if (u.supplied || u.debt)
    console.log(r.symbol, formatUnits(u.supplied, r.decimals), formatUnits(-u.debt, r.decimals));
}

const usdcDebt = positions.userReserves.find((u) => isAddressEqual(positions.reserves[u.index]!.asset, usdc));
if (usdcDebt?.debt) {
  // approve, repay(max), approve(0): for one batch (EIP-7702 executeBatch, Safe MultiSend, …)
  for (const call of encodeRepay({ positions, asset: usdc, amount: MAX_UINT256 }))
    console.log(`call ${call.to} ${call.data}`);
}
