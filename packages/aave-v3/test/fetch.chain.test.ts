/**
 * Reads on a real Aave V3 market (testkit, local anvil): one eth_call per fetch, and our collateral, debt and
 * health factor equal `getUserAccountData` to the unit, and `@aave/math-utils` within its rounding, after supply,
 * borrow, interest accrual and price moves.
 */
import { advanceTime, setPrice, type TestChain, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { createPublicClient, erc20Abi, http } from "viem";
import { multicall } from "viem/actions";
import { describe, expect, it } from "vitest";
import { computeAccountData } from "../src/account.ts";
import { fetchAavePositions } from "../src/fetch.ts";
import { fetchAaveMarket } from "../src/market.ts";
import { aaveReads, decodeAaveReads } from "../src/reads.ts";
import type { AavePositions } from "../src/types.ts";
import { aaveAccountSummary, aaveHoldings } from "../src/value.ts";
import { act, read, seedLiquidity, testkitMarket, token } from "./helpers.ts";
import { referenceUserSummary } from "./reference.ts";

const { alice, bob } = testAccounts;
const E18 = 10n ** 18n;

/**
 * |a − b| ≤ tolerance × |b| (+ 1e-12 absolute), for decimals from math-utils. Its compounding is not the contract's
 * three-term binomial (which undershoots by O((rate·t)⁴)): at ~120% APR over a month they differ by ~1e-6.
 */
function close(ours: number, reference: number, tolerance = 1e-5): void {
  expect(Math.abs(ours - reference)).toBeLessThanOrEqual(Math.abs(reference) * tolerance + 1e-12);
}

/** |a − b| ≤ bound. */
function closeAbs(ours: number, reference: number, bound: number): void {
  expect(Math.abs(ours - reference)).toBeLessThanOrEqual(bound + 1e-12);
}

/** Our numbers against the chain (exact) and against math-utils (within its rounding). */
async function crossCheck(chain: TestChain, p: AavePositions, blockNumber: bigint): Promise<void> {
  // 1. The GenericLogic replay equals getUserAccountData, read in the same eth_call, to the unit.
  const ours = computeAccountData(p);
  const { hasZeroLtvCollateral: _, ...replay } = ours;
  expect(replay).toEqual(p.account);

  // 2. @aave/math-utils on the same block: totals in base currency (8 decimals), health factor, per-reserve balances.
  const ref = await referenceUserSummary({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    version: p.market.version,
    uiPoolDataProvider: p.market.uiPoolDataProvider,
    poolAddressesProvider: p.market.poolAddressesProvider,
    user: p.user,
    blockTag: Number(blockNumber),
    timestamp: Number(p.timestamp),
  });
  // Aave truncates the value-weighted LTV and liquidation threshold to whole basis points; math-utils keeps them
  // exact. So those two, and what is derived from them (available borrows, health factor), agree within 1 bp.
  const base = Number(p.baseCurrency.unit);
  const collateral = Number(ours.totalCollateralBase) / base;
  close(collateral, Number(ref.totalCollateralMarketReferenceCurrency));
  close(Number(ours.totalDebtBase) / base, Number(ref.totalBorrowsMarketReferenceCurrency));
  closeAbs(Number(ours.currentLiquidationThreshold) / 1e4, Number(ref.currentLiquidationThreshold), 1e-4);
  closeAbs(Number(ours.ltv) / 1e4, Number(ref.currentLoanToValue), 1e-4);
  closeAbs(
    Number(ours.availableBorrowsBase) / base,
    Number(ref.availableBorrowsMarketReferenceCurrency),
    collateral * 1e-4,
  );
  if (ours.totalDebtBase > 0n) close(Number(ours.healthFactor) / 1e18, Number(ref.healthFactor), 2e-4);
  for (const u of p.userReserves) {
    const r = ref.userReservesData.find((x) => x.underlyingAsset === u.asset.toLowerCase())!;
    const decimals = p.reserves[u.index]!.decimals;
    close(Number(u.supplied) / 10 ** decimals, Number(r.underlyingBalance));
    close(Number(u.debt) / 10 ** decimals, Number(r.totalBorrows));
  }
}

for (const aave of ["3.6", "3.0"] as const)
  describe(`fetchAavePositions on the testkit's Aave ${aave} market`, () => {
    const chain = useTestChain({ chainId: 1, aave });
    it("builds the market from its PoolAddressesProvider and detects the data provider's layout", async () => {
      const { poolAddressesProvider, uiPoolDataProvider } = chain.deployment.aave;
      const market = await fetchAaveMarket(chain.publicClient, {
        poolAddressesProvider,
        uiPoolDataProvider,
        name: "testkit",
      });
      expect(market).toEqual(testkitMarket(chain));
      expect(market.version).toBe(aave === "3.6" ? "latest" : "legacy");
    });

    it("makes exactly one RPC request (one eth_call), whatever the number of reserves, composable with other reads", async () => {
      await seedLiquidity(chain, bob.address);
      await act(
        chain,
        alice.address,
        [
          { type: "supply", asset: token(chain, "WETH"), amount: 10n * E18 },
          { type: "supply", asset: token(chain, "WBTC"), amount: 10n ** 8n },
          { type: "borrow", asset: token(chain, "USDC"), amount: 20_000n * 10n ** 6n },
        ],
        { WETH: 10n * E18, WBTC: 10n ** 8n },
      );
      const requests: { method: string }[] = [];
      const counting = createPublicClient({
        chain: chain.chain,
        transport: http(chain.rpcUrl, {
          onFetchRequest: async (request) => {
            const body = (await request.clone().json()) as { method: string } | { method: string }[];
            requests.push(...(Array.isArray(body) ? body : [body]));
          },
        }),
      });
      const market = testkitMarket(chain);
      const p = await fetchAavePositions(counting, { market, user: alice.address });
      expect(requests.map((r) => r.method)).toEqual(["eth_call"]);
      expect(p.reserves).toHaveLength(3);
      expect(p.userReserves.filter((u) => u.supplied > 0n || u.debt > 0n)).toHaveLength(3);

      // Pinned to a block: still one request.
      requests.length = 0;
      const head = await chain.publicClient.getBlockNumber();
      await fetchAavePositions(counting, { market, user: alice.address, blockNumber: head });
      expect(requests.map((r) => r.method)).toEqual(["eth_call"]);

      // The engine's shape: Aave reads and wallet balances in the same aggregate3, decoded separately.
      requests.length = 0;
      const aave = aaveReads({ market, user: alice.address });
      const balances = (["WETH", "USDC", "WBTC"] as const).map((s) => ({
        address: token(chain, s),
        abi: erc20Abi,
        functionName: "balanceOf" as const,
        args: [alice.address] as const,
      }));
      const results = await multicall(counting, {
        contracts: [...aave, ...balances],
        batchSize: 0,
        blockNumber: head,
      });
      expect(requests).toHaveLength(1);
      const combined = decodeAaveReads({
        market,
        user: alice.address,
        results: results.slice(0, aave.length),
      });
      expect(combined.account).toEqual((await read(chain, alice.address, head)).account);
      expect(results.slice(aave.length).every((r) => r.status === "success")).toBe(true);
    });

    it("equals getUserAccountData exactly and math-utils within rounding, through supply, borrow, accrual and price moves", async () => {
      // Bob borrows most of the WETH the market holds: past its 45% kink the rate is ~190% APR, so interest compounds.
      await act(
        chain,
        bob.address,
        [
          { type: "supply", asset: token(chain, "WBTC"), amount: 1_000n * 10n ** 8n },
          { type: "borrow", asset: token(chain, "WETH"), amount: 13_000n * E18 },
        ],
        { WBTC: 1_000n * 10n ** 8n },
      );
      const user = alice.address;
      const check = async () => {
        const block = await chain.publicClient.getBlockNumber();
        const p = await read(chain, user, block);
        await crossCheck(chain, p, block);
        return p;
      };

      await act(chain, user, [{ type: "supply", asset: token(chain, "WETH"), amount: E18 }], { WETH: E18 });
      let p = await check();
      // Aave 3.5+ mints floor(amount / index) scaled units and reads floor(scaled × index): one wei may be lost when
      // the index is not a round number, i.e. depending on the seconds elapsed since bob's actions (it was a flake).
      const aWeth = await chain.publicClient.readContract({
        address: chain.deployment.aave.reserves.WETH.aToken,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [user],
        blockNumber: await chain.publicClient.getBlockNumber(),
      });
      expect(p.userReserves[0]!.supplied).toBe(aWeth);
      expect(E18 - p.userReserves[0]!.supplied).toBeGreaterThanOrEqual(0n);
      expect(E18 - p.userReserves[0]!.supplied).toBeLessThanOrEqual(1n);
      expect(p.account.healthFactor).toBe(2n ** 256n - 1n);

      await act(
        chain,
        user,
        [
          { type: "supply", asset: token(chain, "WBTC"), amount: 10n ** 8n },
          { type: "borrow", asset: token(chain, "USDC"), amount: 25_000n * 10n ** 6n },
          { type: "borrow", asset: token(chain, "WETH"), amount: (5n * E18) / 2n },
        ],
        { WBTC: 10n ** 8n },
      );
      p = await check();
      const hfAfterBorrow = p.account.healthFactor;

      // Interest accrues with no state update: balances come from the stored indexes compounded to the block time.
      // Ten days at ~190% APR add ~5% to the WETH debt.
      await advanceTime(chain, { seconds: 10 * 86_400 });
      p = await check();
      expect(p.userReserves[0]!.debt).toBeGreaterThan((5n * E18 * 105n) / 200n);
      expect(p.account.healthFactor).toBeLessThan(hfAfterBorrow);

      // Price moves: collateral WETH down, debt priced in USDC unchanged, WBTC up.
      await setPrice(chain, { asset: "WETH", usdPrice: 2_400n * 10n ** 8n, movePool: false });
      await setPrice(chain, { asset: "WBTC", usdPrice: 65_000n * 10n ** 8n, movePool: false });
      p = await check();

      // More time and a third party touching the reserves (indexes updated mid-way).
      await advanceTime(chain, { seconds: 3 * 86_400 });
      await act(chain, bob.address, [
        { type: "borrow", asset: token(chain, "USDC"), amount: 1_000n * 10n ** 6n },
      ]);
      await advanceTime(chain, { seconds: 3_600 });
      p = await check();

      // The core view: supply positive, debt negative, valued with the oracle prices.
      const holdings = aaveHoldings(p);
      expect(holdings.map((h) => [h.kind, h.exposures[0]!.amount > 0n])).toEqual([
        ["supply", true],
        ["debt", false],
        ["debt", false],
        ["supply", true],
      ]);
      const summary = aaveAccountSummary(p);
      expect(summary.healthFactor).toBe(p.account.healthFactor);
      expect(summary.collateralUsd).toBe(p.account.totalCollateralBase * 10n ** 10n);
    });
  });
