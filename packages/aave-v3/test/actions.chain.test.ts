/**
 * Actions on a real Aave V3 market (testkit, local anvil): projections equal what the chain reports after really
 * executing the action; encoded calls run as one EIP-7702 batch; forbidden actions are refused with typed errors,
 * and Aave itself reverts the same raw calls.
 */
import type { Call } from "@ballast/core";
import {
  delegateToSimple7702,
  ensureAave36Artifacts,
  fund,
  sendAndWait,
  simple7702AccountAbi,
  testAccounts,
  waitForSuccess,
} from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import {
  type Address,
  type BaseError,
  decodeErrorResult,
  encodeAbiParameters,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  keccak256,
  numberToHex,
  pad,
  parseAbi,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aavePoolAbi } from "../src/abi.ts";
import { type ComputedAccountData, computeAccountData } from "../src/account.ts";
import { encodeAaveActions, encodeBorrow, encodeSupply, encodeWithdraw } from "../src/encode.ts";
import {
  BorrowCapExceededError,
  CollateralCannotCoverBorrowError,
  DebtCeilingExceededError,
  EModeBorrowError,
  HealthFactorTooLowError,
  NotBorrowableInIsolationError,
  ReserveFrozenError,
  ReservePausedError,
  SupplyCapExceededError,
} from "../src/errors.ts";
import { MAX_UINT256 } from "../src/math.ts";
import { type AaveAction, projectAaveActions } from "../src/project.ts";
import type { AavePositions } from "../src/types.ts";
import { act, read, seedLiquidity, sendCalls, token } from "./helpers.ts";

const chain = useTestChain({ chainId: 1 });
const { alice, bob, carol, dave } = testAccounts;
const E18 = 10n ** 18n;
const E6 = 10n ** 6n;

const configuratorAbi = parseAbi([
  "function setReservePause(address asset, bool paused)",
  "function setReserveFreeze(address asset, bool freeze)",
  "function setSupplyCap(address asset, uint256 newSupplyCap)",
  "function setBorrowCap(address asset, uint256 newBorrowCap)",
  "function setBorrowableInIsolation(address asset, bool borrowable)",
  "function setEModeCategory(uint8 categoryId, uint16 ltv, uint16 liquidationThreshold, uint16 liquidationBonus, string label)",
  "function setAssetCollateralInEMode(address asset, uint8 categoryId, bool allowed)",
  "function setAssetBorrowableInEMode(address asset, uint8 categoryId, bool borrowable)",
  "function setAssetLtvzeroInEMode(address asset, uint8 categoryId, bool ltvzero)",
]);
const setUserEModeAbi = parseAbi(["function setUserEMode(uint8 categoryId)"]);
const poolConfigurator = () => chain.deployment.aave.poolConfigurator;

/** Runs a PoolConfigurator call as the deployer (pool/risk/emergency admin of the testkit market). */
async function configure<F extends (typeof configuratorAbi)[number]["name"]>(
  functionName: F,
  args: readonly unknown[],
) {
  await sendAndWait(
    chain,
    chain.walletClients.deployer,
    {
      to: poolConfigurator(),
      data: encodeFunctionData({ abi: configuratorAbi, functionName, args } as never),
    },
    `configurator ${functionName}`,
  );
}

/**
 * Writes bits of a reserve's configuration word in the Pool's storage, at the slot of `_reserves[asset]` found by
 * probing for the word `getConfiguration` reports (slot 52 on both Pools: VersionedInitializable takes 0–51).
 */
async function setConfigurationBits(
  asset: Address,
  start: bigint,
  width: bigint,
  value: bigint,
): Promise<void> {
  const pool = chain.deployment.aave.pool;
  const { data } = await chain.publicClient.readContract({
    address: pool,
    abi: reserveDataAbi,
    functionName: "getConfiguration",
    args: [asset],
  });
  const slotOf = (n: bigint) =>
    keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [asset, n]));
  const stored = async (n: bigint) =>
    BigInt((await chain.publicClient.getStorageAt({ address: pool, slot: slotOf(n) })) ?? "0x0");
  expect(await stored(52n)).toBe(data);
  const mask = ((1n << width) - 1n) << start;
  const next = (data & ~mask) | (value << start);
  await chain.testClient.setStorageAt({
    address: pool,
    index: slotOf(52n),
    value: pad(numberToHex(next), { size: 32 }),
  });
}
const reserveDataAbi = parseAbi([
  "struct ReserveConfigurationMap { uint256 data; }",
  "function getConfiguration(address asset) view returns (ReserveConfigurationMap)",
]);

/** The account data our projection predicts, in `getUserAccountData`'s shape. */
const accountOf = ({ hasZeroLtvCollateral: _, ...a }: ComputedAccountData) => a;

/**
 * Alice's position, opened once for the tests of the enclosing describe (each test still reverts to it) and gone
 * after them: its ~20 transactions are not sent again for every test (under a busy machine's load, that setup alone
 * came near the 30 s test timeout).
 */
function fromOpenPosition(): void {
  let before: Hex | undefined;
  beforeAll(async () => {
    before = await chain.snapshot();
    await openPosition(alice.address);
  });
  afterAll(async () => {
    if (before) await chain.revert(before);
  });
}

/** Opens alice's position: 10 WETH + 1 WBTC supplied, 30,000 USDC and 3 WETH borrowed. */
async function openPosition(user: Address): Promise<void> {
  await seedLiquidity(chain, bob.address);
  await act(
    chain,
    user,
    [
      { type: "supply", asset: token(chain, "WETH"), amount: 10n * E18 },
      { type: "supply", asset: token(chain, "WBTC"), amount: 10n ** 8n },
      { type: "borrow", asset: token(chain, "USDC"), amount: 30_000n * E6 },
      { type: "borrow", asset: token(chain, "WETH"), amount: 3n * E18 },
    ],
    // Extra WETH and USDC in the wallet, so a "repay everything" can pay the interest as well.
    { WETH: 11n * E18, WBTC: 10n ** 8n, USDC: 1_000n * E6 },
  );
}

/** Aave 3.0's string error codes, by the name 3.6's custom error carries. */
const LEGACY_CODES: Record<string, string> = {
  "28": "ReserveFrozen",
  "29": "ReservePaused",
  "35": "HealthFactorLowerThanLiquidationThreshold",
  "36": "CollateralCannotCoverNewBorrow",
  "50": "BorrowCapExceeded",
  "51": "SupplyCapExceeded",
  "53": "DebtCeilingExceeded",
  "60": "AssetNotBorrowableInIsolation",
};

/**
 * Aave's error in a reverted call, by name: 3.6 reverts with custom errors of library `Errors` (decoded with the ABI
 * compiled from its source: reverts inside linked libraries are in no contract's ABI), 3.0 with a numeric string.
 */
async function aaveRevert(from: Address, call: { to: Address; data: `0x${string}` }): Promise<string> {
  try {
    await chain.publicClient.call({ account: from, to: call.to, data: call.data });
  } catch (e) {
    const raw = (e as BaseError).walk((x) => typeof (x as { data?: unknown }).data === "string") as {
      data?: Hex;
    } | null;
    if (raw?.data && raw.data.length >= 10) {
      const { errors } = await ensureAave36Artifacts();
      return decodeErrorResult({ abi: errors, data: raw.data }).errorName;
    }
    const code = /reason:\s*(\d+)/.exec(String((e as Error).message))?.[1];
    return (code && LEGACY_CODES[code]) ?? `unparsed: ${String((e as Error).message).slice(0, 200)}`;
  }
  return "no revert";
}

/** A raw Pool call, to check that Aave itself reverts what the encoders refuse. */
const raw = (
  functionName: "supply" | "borrow" | "withdraw",
  asset: Address,
  amount: bigint,
  user: Address,
) => ({
  to: chain.deployment.aave.pool,
  data:
    functionName === "supply"
      ? encodeFunctionData({ abi: aavePoolAbi, functionName, args: [asset, amount, user, 0] })
      : functionName === "borrow"
        ? encodeFunctionData({ abi: aavePoolAbi, functionName, args: [asset, amount, 2n, 0, user] })
        : encodeFunctionData({ abi: aavePoolAbi, functionName, args: [asset, amount, user] }),
});

describe("health-factor projection against execution", () => {
  const cases: { name: string; action: (p: AavePositions) => AaveAction; useATokens?: boolean }[] = [
    { name: "supply", action: () => ({ type: "supply", asset: token(chain, "WETH"), amount: 2n * E18 }) },
    {
      name: "withdraw",
      action: () => ({ type: "withdraw", asset: token(chain, "WBTC"), amount: 3n * 10n ** 7n }),
    },
    { name: "borrow", action: () => ({ type: "borrow", asset: token(chain, "USDC"), amount: 5_000n * E6 }) },
    {
      name: "repay",
      action: () => ({ type: "repay", asset: token(chain, "USDC"), amount: 12_345_678_901n }),
    },
    {
      name: "repay max",
      action: () => ({ type: "repay", asset: token(chain, "WETH"), amount: MAX_UINT256 }),
    },
    {
      name: "repay with aTokens",
      action: () => ({ type: "repay", asset: token(chain, "WETH"), amount: E18, useATokens: true }),
    },
    {
      name: "repay max with aTokens",
      action: () => ({ type: "repay", asset: token(chain, "WETH"), amount: MAX_UINT256, useATokens: true }),
    },
  ];

  describe("from alice's open position", () => {
    fromOpenPosition();
    for (const c of cases) {
      it(`${c.name}: the projected account equals getUserAccountData after executing it`, async () => {
        const user = alice.address;
        const before = await read(chain, user);
        const action = c.action(before);
        // Execute a day later: the projection must carry the accrual up to the inclusion time.
        const at = before.timestamp + 86_400n;
        const projected = projectAaveActions(before, [action], { at, validate: true });
        const calls = encodeAaveActions({ positions: before, actions: [action], at });
        const receipt = await sendCalls(chain, user, calls, at);
        const after = await read(chain, user, receipt.blockNumber);
        expect(after.timestamp).toBe(at);
        expect(accountOf(projected.account)).toEqual(after.account);
        // Balances too, reserve by reserve: scaled balances, actual amounts and collateral flags.
        for (const u of after.userReserves) {
          const p = projected.positions.userReserves.find((x) => x.index === u.index)!;
          expect(p).toEqual(u);
        }
        // And the replay of the post-state read agrees with the chain as well.
        expect(accountOf(computeAccountData(after))).toEqual(after.account);
      });
    }
  });

  it("withdraw max leaves no supply and clears the collateral flag, as projected", async () => {
    const user = alice.address;
    await act(chain, user, [{ type: "supply", asset: token(chain, "WBTC"), amount: 10n ** 8n }], {
      WBTC: 10n ** 8n,
    });
    const before = await read(chain, user);
    const action: AaveAction = { type: "withdraw", asset: token(chain, "WBTC"), amount: MAX_UINT256 };
    const at = before.timestamp + 600n;
    const projected = projectAaveActions(before, [action], { at });
    const receipt = await sendCalls(chain, user, encodeWithdraw({ positions: before, ...action }), at);
    const after = await read(chain, user, receipt.blockNumber);
    expect(after.userReserves[2]!.supplied).toBe(0n);
    expect(after.userReserves[2]!.usageAsCollateralEnabledOnUser).toBe(false);
    expect(accountOf(projected.account)).toEqual(after.account);
  });
});

describe("EIP-7702 batch", () => {
  it("approve + supply + borrow, encoded here, run as one executeBatch and land where projected", async () => {
    await seedLiquidity(chain, bob.address, { USDC: 1_000_000n * E6 });
    const account = carol;
    await fund(chain, { account: account.address, token: "WETH", amount: 5n * E18 });
    await delegateToSimple7702(chain, { account });

    const positions = await read(chain, account.address);
    const actions: AaveAction[] = [
      { type: "supply", asset: token(chain, "WETH"), amount: 5n * E18 },
      { type: "borrow", asset: token(chain, "USDC"), amount: 9_000n * E6 },
    ];
    const at = positions.timestamp + 12n;
    const calls: Call[] = encodeAaveActions({ positions, actions, at });
    expect(calls).toHaveLength(3); // approve, supply, borrow
    const projected = projectAaveActions(positions, actions, { at });

    await chain.testClient.setNextBlockTimestamp({ timestamp: at });
    const hash = await chain.walletClient(account).sendTransaction({
      to: account.address,
      data: encodeFunctionData({
        abi: simple7702AccountAbi,
        functionName: "executeBatch",
        args: [calls.map((c) => ({ target: c.to, value: c.value, data: c.data }))],
      }),
      gas: 2_000_000n,
    } as never);
    const receipt = await waitForSuccess(chain, hash, "executeBatch");

    const after = await read(chain, account.address, receipt.blockNumber);
    expect(after.userReserves[0]!.supplied).toBe(5n * E18);
    expect(after.userReserves[1]!.debt).toBe(9_000n * E6);
    expect(accountOf(projected.account)).toEqual(after.account);
    const usdc = await chain.publicClient.readContract({
      address: token(chain, "USDC"),
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [account.address],
    });
    expect(usdc).toBe(9_000n * E6);
    const allowance = await chain.publicClient.readContract({
      address: token(chain, "WETH"),
      abi: erc20Abi,
      functionName: "allowance",
      args: [account.address, chain.deployment.aave.pool],
    });
    expect(allowance).toBe(0n); // the exact approval was used up
  });
});

describe("forbidden actions", () => {
  /** Approves the pool so Aave's own checks (not the allowance) decide the raw call. */
  const approveAll = async (user: Address, symbol: "WETH" | "USDC" | "WBTC") =>
    sendAndWait(chain, chain.walletClient(user), {
      to: token(chain, symbol),
      data: encodeFunctionData({
        abi: erc20Abi,
        functionName: "approve",
        args: [chain.deployment.aave.pool, MAX_UINT256],
      }),
    });

  describe("from alice's open position", () => {
    fromOpenPosition();
    it("paused and frozen reserves", async () => {
      await fund(chain, { account: alice.address, token: "WETH", amount: E18 });
      await approveAll(alice.address, "WETH");
      await configure("setReservePause", [token(chain, "WETH"), true]);
      await configure("setReserveFreeze", [token(chain, "USDC"), true]);
      const p = await read(chain, alice.address);
      expect(p.reserves[0]!.isPaused).toBe(true);
      expect(p.reserves[1]!.isFrozen).toBe(true);

      expect(() => encodeSupply({ positions: p, asset: token(chain, "WETH"), amount: E18 })).toThrow(
        ReservePausedError,
      );
      expect(await aaveRevert(alice.address, raw("supply", token(chain, "WETH"), E18, alice.address))).toBe(
        "ReservePaused",
      );
      expect(() => encodeBorrow({ positions: p, asset: token(chain, "USDC"), amount: E6 })).toThrow(
        ReserveFrozenError,
      );
      expect(await aaveRevert(alice.address, raw("borrow", token(chain, "USDC"), E6, alice.address))).toBe(
        "ReserveFrozen",
      );
    });

    it("supply and borrow caps", async () => {
      const p0 = await read(chain, alice.address);
      const weth = p0.reserves[0]!;
      const usdc = p0.reserves[1]!;
      // Caps just above today's totals (whole tokens).
      const suppliedWeth =
        weth.availableLiquidity + (weth.totalScaledVariableDebt * weth.variableBorrowIndex) / 10n ** 27n;
      await configure("setSupplyCap", [weth.asset, suppliedWeth / E18 + 1n]);
      const debtUsdc = (usdc.totalScaledVariableDebt * usdc.variableBorrowIndex) / 10n ** 27n;
      await configure("setBorrowCap", [usdc.asset, debtUsdc / E6 + 100n]);
      await fund(chain, { account: alice.address, token: "WETH", amount: 2n * E18 });
      await approveAll(alice.address, "WETH");
      const p = await read(chain, alice.address);

      const headroom = (suppliedWeth / E18 + 1n) * E18 - suppliedWeth; // under 1 WETH
      expect(() => encodeSupply({ positions: p, asset: weth.asset, amount: 2n * E18 })).toThrow(
        SupplyCapExceededError,
      );
      expect(await aaveRevert(alice.address, raw("supply", weth.asset, 2n * E18, alice.address))).toBe(
        "SupplyCapExceeded",
      );
      expect(() => encodeSupply({ positions: p, asset: weth.asset, amount: headroom / 2n })).not.toThrow();
      expect(await aaveRevert(alice.address, raw("supply", weth.asset, headroom / 2n, alice.address))).toBe(
        "no revert",
      );

      expect(() => encodeBorrow({ positions: p, asset: usdc.asset, amount: 101n * E6 })).toThrow(
        BorrowCapExceededError,
      );
      expect(await aaveRevert(alice.address, raw("borrow", usdc.asset, 101n * E6, alice.address))).toBe(
        "BorrowCapExceeded",
      );
      expect(() => encodeBorrow({ positions: p, asset: usdc.asset, amount: 99n * E6 })).not.toThrow();
      expect(await aaveRevert(alice.address, raw("borrow", usdc.asset, 99n * E6, alice.address))).toBe(
        "no revert",
      );
    });

    it("borrows beyond the LTV and withdrawals below health factor 1", async () => {
      const p = await read(chain, alice.address);
      const available = p.account.availableBorrowsBase; // base currency (USD, 8 decimals) = USDC × 100
      const tooMuch = available / 100n + E6;
      expect(() => encodeBorrow({ positions: p, asset: token(chain, "USDC"), amount: tooMuch })).toThrow(
        CollateralCannotCoverBorrowError,
      );
      expect(
        await aaveRevert(alice.address, raw("borrow", token(chain, "USDC"), tooMuch, alice.address)),
      ).toBe("CollateralCannotCoverNewBorrow");
      expect(() =>
        encodeBorrow({ positions: p, asset: token(chain, "USDC"), amount: available / 100n - E6 }),
      ).not.toThrow();

      const wbtcOut = 9n * 10n ** 7n; // 0.9 of the 1 WBTC: HF ≈ 0.75
      expect(() => encodeWithdraw({ positions: p, asset: token(chain, "WBTC"), amount: wbtcOut })).toThrow(
        HealthFactorTooLowError,
      );
      expect(
        await aaveRevert(alice.address, raw("withdraw", token(chain, "WBTC"), wbtcOut, alice.address)),
      ).toBe("HealthFactorLowerThanLiquidationThreshold");
      const fine = 2n * 10n ** 7n;
      expect(() => encodeWithdraw({ positions: p, asset: token(chain, "WBTC"), amount: fine })).not.toThrow();
      expect(
        await aaveRevert(alice.address, raw("withdraw", token(chain, "WBTC"), fine, alice.address)),
      ).toBe("no revert");
    });
  });

  it("isolation mode: asset not borrowable in isolation, then the debt ceiling", async () => {
    // WBTC becomes an isolated asset with a 1,000.00 USD ceiling. The configurator only allows that while nobody
    // supplies the asset, and the testkit's market is seeded, so the ceiling is written into the reserve's
    // configuration word directly (checked against getReserveData first).
    await seedLiquidity(chain, bob.address, { USDC: 1_000_000n * E6 });
    await setConfigurationBits(token(chain, "WBTC"), 212n, 40n, 1_000_00n);
    const user = dave.address;
    await act(chain, user, [{ type: "supply", asset: token(chain, "WBTC"), amount: 10n ** 7n }], {
      WBTC: 10n ** 7n,
    });
    let p = await read(chain, user);
    expect(p.userReserves[2]!.usageAsCollateralEnabledOnUser).toBe(false); // isolated assets are not auto-enabled
    await sendAndWait(chain, chain.walletClient(user), {
      to: chain.deployment.aave.pool,
      data: encodeFunctionData({
        abi: aavePoolAbi,
        functionName: "setUserUseReserveAsCollateral",
        args: [token(chain, "WBTC"), true],
      }),
    });
    p = await read(chain, user);
    const usdc = token(chain, "USDC");
    expect(() => encodeBorrow({ positions: p, asset: usdc, amount: 100n * E6 })).toThrow(
      NotBorrowableInIsolationError,
    );
    expect(await aaveRevert(user, raw("borrow", usdc, 100n * E6, user))).toBe(
      "AssetNotBorrowableInIsolation",
    );

    await configure("setBorrowableInIsolation", [usdc, true]);
    p = await read(chain, user);
    expect(() => encodeBorrow({ positions: p, asset: usdc, amount: 1_000_01n * 10n ** 4n })).toThrow(
      DebtCeilingExceededError,
    );
    expect(await aaveRevert(user, raw("borrow", usdc, 1_000_01n * 10n ** 4n, user))).toBe(
      "DebtCeilingExceeded",
    );

    // Within the ceiling it goes through, and the isolated debt lands where projected.
    const action: AaveAction = { type: "borrow", asset: usdc, amount: 600n * E6 };
    const projected = projectAaveActions(p, [action]);
    await sendCalls(chain, user, encodeBorrow({ positions: p, ...action }));
    const after = await read(chain, user);
    expect(after.reserves[2]!.isolationModeTotalDebt).toBe(600_00n);
    expect(projected.positions.reserves[2]!.isolationModeTotalDebt).toBe(600_00n);
    expect(() => encodeBorrow({ positions: after, asset: usdc, amount: 400n * E6 + E6 })).toThrow(
      DebtCeilingExceededError,
    );
  });
});

describe("e-mode (3.6 bitmaps)", () => {
  it("collateral, borrowable and LTV-zero bitmaps: the replay equals getUserAccountData, a borrow lands as projected, a non-borrowable asset is refused", async () => {
    // Category 1: WETH and WBTC count as collateral at 90% / 93%; only WETH is borrowable.
    await configure("setEModeCategory", [1, 9000, 9300, 10100, "ETH correlated"]);
    for (const symbol of ["WETH", "WBTC"] as const)
      await configure("setAssetCollateralInEMode", [token(chain, symbol), 1, true]);
    await configure("setAssetBorrowableInEMode", [token(chain, "WETH"), 1, true]);
    await seedLiquidity(chain, bob.address);
    const user = carol.address;
    await act(
      chain,
      user,
      [
        { type: "supply", asset: token(chain, "WETH"), amount: 10n * E18 },
        { type: "supply", asset: token(chain, "WBTC"), amount: 10n ** 8n },
      ],
      { WETH: 10n * E18, WBTC: 10n ** 8n },
    );
    await sendAndWait(chain, chain.walletClient(user), {
      to: chain.deployment.aave.pool,
      data: encodeFunctionData({ abi: setUserEModeAbi, functionName: "setUserEMode", args: [1] }),
    });
    // Then the risk admin gives WBTC LTV 0 in the category (3.6 refuses to *enter* an e-mode holding such collateral:
    // InvalidCollateralInEmode), so it still counts for the liquidation threshold but not for borrowing power.
    await configure("setAssetLtvzeroInEMode", [token(chain, "WBTC"), 1, true]);

    const p = await read(chain, user);
    expect(p.userEModeCategoryId).toBe(1);
    expect(p.eModes).toEqual([
      expect.objectContaining({
        id: 1,
        label: "ETH correlated",
        ltv: 9000n,
        liquidationThreshold: 9300n,
        collateralBitmap: 0b101n,
        borrowableBitmap: 0b001n,
        ltvzeroBitmap: 0b100n,
      }),
    ]);
    expect(accountOf(computeAccountData(p))).toEqual(p.account);
    expect(p.account.currentLiquidationThreshold).toBe(9300n);
    // 30,000 USD of WETH at 90% and 60,000 USD of WBTC at LTV 0: 30% weighted.
    expect(p.account.ltv).toBe(3000n);

    const action: AaveAction = { type: "borrow", asset: token(chain, "WETH"), amount: 8n * E18 };
    const at = p.timestamp + 3_600n;
    const projected = projectAaveActions(p, [action], { at, validate: true });
    const receipt = await sendCalls(chain, user, encodeBorrow({ positions: p, ...action, at }), at);
    const after = await read(chain, user, receipt.blockNumber);
    expect(accountOf(projected.account)).toEqual(after.account);

    const usdc = token(chain, "USDC");
    expect(() => encodeBorrow({ positions: after, asset: usdc, amount: 100n * E6 })).toThrow(
      EModeBorrowError,
    );
    expect(await aaveRevert(user, raw("borrow", usdc, 100n * E6, user))).toBe("NotBorrowableInEMode");
  });
});
