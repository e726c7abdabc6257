import { erc20Abi, maxUint256 } from "viem";
import { describe, expect, it } from "vitest";
import { aavePoolAbi, fund, MARKET, setPrice, testAccounts } from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

const alice = testAccounts.alice;

const WAD = 10n ** 18n;
const PERCENTAGE_FACTOR = 10_000n;
// Aave's rounding: percentMul and wadDiv both round half up.
const percentMul = (value: bigint, bps: bigint) => (value * bps + PERCENTAGE_FACTOR / 2n) / PERCENTAGE_FACTOR;
const wadDiv = (a: bigint, b: bigint) => (a * WAD + b / 2n) / b;

for (const version of ["3.6", "3.0"] as const)
  describe(`Aave ${version} on the local market`, () => {
    const chain = useTestChain({ chainId: 1, aave: version });
    it("supply → borrow → price drop: getUserAccountData's health factor equals the one computed from prices and thresholds", async () => {
      const { aave, tokens } = chain.deployment;
      expect(aave.version).toBe(version);
      const wallet = chain.walletClients.alice;
      const send = async (hash: Promise<`0x${string}`>) => {
        const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: await hash });
        expect(receipt.status).toBe("success");
      };

      const supplied = 10n * 10n ** 18n; // 10 WETH = 30,000 USD at 3,000
      const borrowed = 15_000n * 10n ** 6n; // 15,000 USDC
      await fund(chain, { account: alice.address, token: "WETH", amount: supplied });
      await send(
        wallet.writeContract({
          address: tokens.WETH.address,
          abi: erc20Abi,
          functionName: "approve",
          args: [aave.pool, maxUint256],
        }),
      );
      await send(
        wallet.writeContract({
          address: aave.pool,
          abi: aavePoolAbi,
          functionName: "supply",
          args: [tokens.WETH.address, supplied, alice.address, 0],
          gas: 1_000_000n,
        }),
      );
      await send(
        wallet.writeContract({
          address: aave.pool,
          abi: aavePoolAbi,
          functionName: "borrow",
          args: [tokens.USDC.address, borrowed, 2n, 0, alice.address],
          gas: 1_000_000n,
        }),
      );
      expect(
        await chain.publicClient.readContract({
          address: tokens.USDC.address,
          abi: erc20Abi,
          functionName: "balanceOf",
          args: [alice.address],
        }),
      ).toBe(borrowed);

      const wethPrice = 2_000n * 10n ** 8n; // -33%
      const usdcPrice = MARKET.tokens.USDC.usdPrice;
      await setPrice(chain, { asset: "WETH", usdPrice: wethPrice });

      // One eth_call (Multicall3) so the balances and the account data see the same block and time.
      const [collateral, debt, account] = await chain.publicClient.multicall({
        allowFailure: false,
        contracts: [
          {
            address: aave.reserves.WETH.aToken,
            abi: erc20Abi,
            functionName: "balanceOf",
            args: [alice.address],
          },
          {
            address: aave.reserves.USDC.variableDebtToken,
            abi: erc20Abi,
            functionName: "balanceOf",
            args: [alice.address],
          },
          { address: aave.pool, abi: aavePoolAbi, functionName: "getUserAccountData", args: [alice.address] },
        ],
      });
      const [totalCollateralBase, totalDebtBase, , currentLiquidationThreshold, , healthFactor] = account;
      expect(collateral).toBeGreaterThanOrEqual(supplied);
      expect(debt).toBeGreaterThanOrEqual(borrowed);

      const lt = BigInt(MARKET.reserves.WETH.liquidationThreshold);
      const collateralBase = (collateral * wethPrice) / 10n ** 18n;
      const debtBase = (debt * usdcPrice) / 10n ** 6n;
      // 3.0: (collateral ⊗ LT) ⊘ debt. 3.6 (GenericLogic since 3.5): (collateral × LT) ⊘ debt / 10,000, so the
      // percentage is no longer rounded on its own; the debt value would round up (exact here: USDC at 1 USD).
      const expected =
        version === "3.6"
          ? wadDiv(collateralBase * lt, debtBase) / PERCENTAGE_FACTOR
          : wadDiv(percentMul(collateralBase, lt), debtBase);

      expect(totalCollateralBase).toBe(collateralBase);
      expect(totalDebtBase).toBe(debtBase);
      expect(currentLiquidationThreshold).toBe(lt);
      expect(healthFactor).toBe(expected);
      // 10 WETH × 2,000 × 82.5% / 15,000 = 1.1 (plus a few seconds of interest)
      expect(Number(healthFactor) / 1e18).toBeCloseTo(1.1, 4);
    });
  });
