import { InvalidAmountError, RAY, WAD } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { basicPositions, makePositions, T0, USDC, WBTC, WETH } from "../test/fixtures.ts";
import { computeAccountData } from "./account.ts";
import {
  BorrowCapExceededError,
  BorrowingNotEnabledError,
  CollateralCannotCoverBorrowError,
  DebtCeilingExceededError,
  EModeBorrowError,
  HealthFactorTooLowError,
  InsufficientBalanceError,
  InsufficientLiquidityError,
  NoBorrowingPowerError,
  NoDebtError,
  NotBorrowableInIsolationError,
  ReserveFrozenError,
  ReserveInactiveError,
  ReservePausedError,
  SiloedBorrowingError,
  SupplyCapExceededError,
  UnknownReserveError,
} from "./errors.ts";
import { MAX_UINT256, SECONDS_PER_YEAR } from "./math.ts";
import { projectAaveActions, projectHealthFactor, validateAaveAction } from "./project.ts";

const E18 = 10n ** 18n;
const E6 = 10n ** 6n;

describe("computeAccountData (GenericLogic replay)", () => {
  it("computes collateral, debt, averages and the health factor", () => {
    const a = computeAccountData(basicPositions());
    expect(a.totalCollateralBase).toBe(2000n * 10n ** 8n);
    expect(a.totalDebtBase).toBe(1000n * 10n ** 8n);
    expect(a.ltv).toBe(8000n);
    expect(a.currentLiquidationThreshold).toBe(8250n);
    expect(a.healthFactor).toBe((165n * WAD) / 100n);
    expect(a.availableBorrowsBase).toBe(600n * 10n ** 8n);
  });

  it("weights LTV and threshold by collateral value and ignores non-collateral supply", () => {
    const p = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: 3n * E18 }, // 6,000 at 80/82.5
        { asset: WBTC, scaledATokenBalance: 10n ** 7n }, // 0.1 BTC = 6,000 at 70/75
        { asset: USDC, scaledATokenBalance: 500n * E6, collateral: false },
      ],
    });
    const a = computeAccountData(p);
    expect(a.totalCollateralBase).toBe(12_000n * 10n ** 8n);
    expect(a.ltv).toBe(7500n);
    expect(a.currentLiquidationThreshold).toBe(7875n);
    expect(a.healthFactor).toBe(MAX_UINT256);
  });

  it("accrues interest to the given timestamp", () => {
    const p = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledVariableDebt: 1000n * E6 },
      ],
      reserves: {
        WETH: { liquidityRate: RAY / 50n }, // 2%
        USDC: { variableBorrowRate: RAY / 10n }, // 10%
      },
    });
    const later = computeAccountData(p, { at: T0 + SECONDS_PER_YEAR });
    expect(later.totalCollateralBase).toBe(2040n * 10n ** 8n); // linear: exactly +2%
    expect(later.totalDebtBase > 1105n * 10n ** 8n && later.totalDebtBase < 1106n * 10n ** 8n).toBe(true);
  });

  it("uses the v3.5 floor/ceil rounding on latest markets", () => {
    const build = (version: "legacy" | "latest") =>
      makePositions({
        version,
        users: [
          { asset: WETH, scaledATokenBalance: 1n },
          { asset: USDC, scaledVariableDebt: 1n },
        ],
        reserves: { WETH: { liquidityIndex: (RAY * 3n) / 2n }, USDC: { price: 100_000_001n } },
      });
    const legacy = build("legacy");
    const latest = build("latest");
    // aToken balance 1 × 1.5: half up → 2 (legacy), floor → 1 (v3.5+).
    expect(legacy.userReserves[0]!.supplied).toBe(2n);
    expect(latest.userReserves[0]!.supplied).toBe(1n);
    // Debt value 1 × 100,000,001 / 1e6 = 100.000001: floor (legacy) vs ceil (v3.5+).
    expect(computeAccountData(legacy).totalDebtBase).toBe(100n);
    expect(computeAccountData(latest).totalDebtBase).toBe(101n);
  });
});

describe("projection", () => {
  it("supply, borrow, withdraw and repay move the health factor as Aave would", () => {
    const p = basicPositions();
    expect(projectHealthFactor(p, { type: "supply", asset: WETH, amount: E18 }).healthFactor).toBe(
      (330n * WAD) / 100n,
    );
    expect(projectHealthFactor(p, { type: "borrow", asset: USDC, amount: 600n * E6 }).healthFactor).toBe(
      1031250000000000000n,
    );
    expect(projectHealthFactor(p, { type: "repay", asset: USDC, amount: 500n * E6 }).healthFactor).toBe(
      (330n * WAD) / 100n,
    );
    const repaid = projectHealthFactor(p, { type: "repay", asset: USDC, amount: MAX_UINT256 });
    expect(repaid.healthFactor).toBe(MAX_UINT256);
    expect(repaid.totalDebtBase).toBe(0n);
    const w = projectHealthFactor(p, { type: "withdraw", asset: WETH, amount: E18 / 2n });
    expect(w.healthFactor).toBe((825n * WAD) / 1000n);
  });

  it("withdrawing everything clears the collateral flag", () => {
    const p = makePositions({ users: [{ asset: WETH, scaledATokenBalance: E18 }] });
    const { positions } = projectAaveActions(p, [{ type: "withdraw", asset: WETH, amount: MAX_UINT256 }]);
    expect(positions.userReserves[0]!.usageAsCollateralEnabledOnUser).toBe(false);
    expect(positions.userReserves[0]!.supplied).toBe(0n);
  });

  it("a first supply enables collateral, except for LTV-0 and isolated assets", () => {
    const p = makePositions({ reserves: { WBTC: { ltv: 0n } } });
    const r = projectAaveActions(p, [
      { type: "supply", asset: WETH, amount: E18 },
      { type: "supply", asset: WBTC, amount: 10n ** 8n },
    ]).positions;
    expect(r.userReserves[0]!.usageAsCollateralEnabledOnUser).toBe(true);
    expect(r.userReserves[2]!.usageAsCollateralEnabledOnUser).toBe(false);
    const iso = makePositions({ reserves: { WETH: { debtCeiling: 1_000_000n } } });
    const r2 = projectAaveActions(iso, [{ type: "supply", asset: WETH, amount: E18 }]).positions;
    expect(r2.userReserves[0]!.usageAsCollateralEnabledOnUser).toBe(false);
  });

  it("repay with aTokens burns supply and debt together", () => {
    const p = makePositions({
      users: [
        { asset: USDC, scaledATokenBalance: 3000n * E6, scaledVariableDebt: 1000n * E6 },
        { asset: WETH, scaledATokenBalance: E18 },
      ],
    });
    const r = projectAaveActions(p, [{ type: "repay", asset: USDC, amount: MAX_UINT256, useATokens: true }]);
    const u = r.positions.userReserves[1]!;
    expect(u.debt).toBe(0n);
    expect(u.supplied).toBe(2000n * E6);
  });

  it("tracks isolation-mode debt on the isolated collateral", () => {
    const p = makePositions({
      users: [{ asset: WBTC, scaledATokenBalance: 10n ** 8n, collateral: true }],
      reserves: { WBTC: { debtCeiling: 10_000_00n }, USDC: { borrowableInIsolation: true } },
    });
    const r = projectAaveActions(p, [{ type: "borrow", asset: USDC, amount: 1234_567890n }]).positions;
    expect(r.reserves[2]!.isolationModeTotalDebt).toBe(1234_56n);
  });

  it("each action moves the reserve's cash and debt totals as the Pool does", () => {
    const cash = 10n ** 12n; // the fixture's USDC liquidity (and virtual balance)
    const p = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledATokenBalance: 500n * E6, scaledVariableDebt: 800n * E6 },
      ],
      reserves: { USDC: { totalScaledVariableDebt: 5000n * E6 } },
    });
    const usdc = (action: Parameters<typeof validateAaveAction>[1], from = p) => {
      const { reserves, userReserves } = projectAaveActions(from, [action]).positions;
      const r = reserves[1]!;
      return [
        r.availableLiquidity - cash,
        r.virtualUnderlyingBalance - cash,
        r.totalScaledVariableDebt,
        userReserves[1]!.supplied,
      ];
    };
    expect(usdc({ type: "supply", asset: USDC, amount: 100n * E6 })).toEqual([
      100n * E6,
      100n * E6,
      5000n * E6,
      600n * E6,
    ]);
    expect(usdc({ type: "withdraw", asset: USDC, amount: 100n * E6 })).toEqual([
      -100n * E6,
      -100n * E6,
      5000n * E6,
      400n * E6,
    ]);
    expect(usdc({ type: "borrow", asset: USDC, amount: 100n * E6 })).toEqual([
      -100n * E6,
      -100n * E6,
      5100n * E6,
      500n * E6,
    ]);
    expect(usdc({ type: "repay", asset: USDC, amount: 300n * E6 })).toEqual([
      300n * E6,
      300n * E6,
      4700n * E6,
      500n * E6,
    ]);
    // With aTokens the cash stays in the pool: only supply and debt burn.
    expect(usdc({ type: "repay", asset: USDC, amount: 300n * E6, useATokens: true })).toEqual([
      0n,
      0n,
      4700n * E6,
      200n * E6,
    ]);
    // A reserve total below the burn (a stale read) floors at zero rather than going negative.
    const stale = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledVariableDebt: 800n * E6 },
      ],
      reserves: { USDC: { totalScaledVariableDebt: 100n * E6 } },
    });
    expect(usdc({ type: "repay", asset: USDC, amount: 300n * E6 }, stale)[2]).toBe(0n);
  });

  it("refuses a timestamp before the read", () => {
    expect(() =>
      projectHealthFactor(basicPositions(), { type: "supply", asset: WETH, amount: 1n }, { at: T0 - 1n }),
    ).toThrow(InvalidAmountError);
  });
});

describe("pre-checks", () => {
  const p = basicPositions();
  const refuses = (positions: typeof p, action: Parameters<typeof validateAaveAction>[1], error: unknown) =>
    expect(() => validateAaveAction(positions, action)).toThrow(error as never);

  it("refuses unknown reserves and zero amounts", () => {
    refuses(
      p,
      { type: "supply", asset: "0x000000000000000000000000000000000000dEaD", amount: 1n },
      UnknownReserveError,
    );
    refuses(p, { type: "supply", asset: WETH, amount: 0n }, InvalidAmountError);
  });

  it("refuses actions on inactive, paused and frozen reserves", () => {
    refuses(
      makePositions({ reserves: { WETH: { isActive: false } } }),
      { type: "supply", asset: WETH, amount: 1n },
      ReserveInactiveError,
    );
    const paused = makePositions({
      reserves: { USDC: { isPaused: true, totalScaledVariableDebt: 1000n * E6 } },
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledVariableDebt: 1000n * E6 },
      ],
    });
    refuses(paused, { type: "repay", asset: USDC, amount: 1n }, ReservePausedError);
    refuses(paused, { type: "borrow", asset: USDC, amount: 1n }, ReservePausedError);
    const frozen = makePositions({
      reserves: { USDC: { isFrozen: true } },
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledVariableDebt: 1000n * E6 },
      ],
    });
    refuses(frozen, { type: "supply", asset: USDC, amount: 1n }, ReserveFrozenError);
    refuses(frozen, { type: "borrow", asset: USDC, amount: 1n }, ReserveFrozenError);
    expect(() => validateAaveAction(frozen, { type: "repay", asset: USDC, amount: 1n })).not.toThrow();
  });

  it("refuses supplies over the supply cap, naming the numbers", () => {
    const capped = makePositions({
      reserves: {
        USDC: { supplyCap: 1000n, availableLiquidity: 900n * E6, virtualUnderlyingBalance: 900n * E6 },
      },
    });
    expect(() =>
      validateAaveAction(capped, { type: "supply", asset: USDC, amount: 100n * E6 }),
    ).not.toThrow();
    try {
      validateAaveAction(capped, { type: "supply", asset: USDC, amount: 100n * E6 + 1n });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SupplyCapExceededError);
      const err = e as SupplyCapExceededError;
      expect(err.cap).toBe(1000n);
      expect(err.totalSupplied).toBe(900n * E6);
      expect(err.shortMessage).toContain("USDC");
      expect(err.shortMessage).toContain("1000 USDC");
    }
  });

  it("refuses borrows over the borrow cap, when disabled, or beyond liquidity", () => {
    refuses(
      makePositions({
        reserves: { USDC: { borrowCap: 1500n, totalScaledVariableDebt: 1000n * E6 } },
        users: [{ asset: WETH, scaledATokenBalance: E18 }],
      }),
      { type: "borrow", asset: USDC, amount: 501n * E6 },
      BorrowCapExceededError,
    );
    refuses(
      makePositions({
        reserves: { USDC: { borrowingEnabled: false } },
        users: [{ asset: WETH, scaledATokenBalance: E18 }],
      }),
      { type: "borrow", asset: USDC, amount: 1n },
      BorrowingNotEnabledError,
    );
    refuses(
      makePositions({
        reserves: { USDC: { availableLiquidity: 10n, virtualUnderlyingBalance: 10n } },
        users: [{ asset: WETH, scaledATokenBalance: E18 }],
      }),
      { type: "borrow", asset: USDC, amount: 11n },
      InsufficientLiquidityError,
    );
  });

  it("refuses borrows the collateral cannot cover (LTV) or that would drop the health factor too low", () => {
    refuses(p, { type: "borrow", asset: USDC, amount: 600n * E6 + 1n }, CollateralCannotCoverBorrowError);
    expect(() => validateAaveAction(p, { type: "borrow", asset: USDC, amount: 600n * E6 })).not.toThrow();
    expect(() =>
      validateAaveAction(
        p,
        { type: "borrow", asset: USDC, amount: 600n * E6 },
        { minHealthFactor: (18n * WAD) / 10n },
      ),
    ).toThrow(HealthFactorTooLowError);
    refuses(makePositions({}), { type: "borrow", asset: USDC, amount: 1n }, NoBorrowingPowerError);
    refuses(
      makePositions({ users: [{ asset: WETH, scaledATokenBalance: E18 }], reserves: { WETH: { ltv: 0n } } }),
      { type: "borrow", asset: USDC, amount: 1n },
      NoBorrowingPowerError,
    );
  });

  it("refuses withdrawals that drop the health factor below 1, or exceed the balance", () => {
    refuses(p, { type: "withdraw", asset: WETH, amount: (E18 * 40n) / 100n }, HealthFactorTooLowError);
    expect(() =>
      validateAaveAction(p, { type: "withdraw", asset: WETH, amount: (E18 * 39n) / 100n }),
    ).not.toThrow();
    refuses(p, { type: "withdraw", asset: WETH, amount: 2n * E18 }, InsufficientBalanceError);
    refuses(p, { type: "withdraw", asset: WETH, amount: MAX_UINT256 }, HealthFactorTooLowError);
  });

  it("applies isolation-mode rules", () => {
    const iso = (usdc: object) =>
      makePositions({
        users: [{ asset: WBTC, scaledATokenBalance: 10n ** 8n, collateral: true }],
        reserves: { WBTC: { debtCeiling: 1000_00n, isolationModeTotalDebt: 900_00n }, USDC: usdc },
      });
    refuses(iso({}), { type: "borrow", asset: USDC, amount: 1n }, NotBorrowableInIsolationError);
    refuses(
      iso({ borrowableInIsolation: true }),
      { type: "borrow", asset: USDC, amount: 100_01n * 10n ** 4n },
      DebtCeilingExceededError,
    );
    expect(() =>
      validateAaveAction(iso({ borrowableInIsolation: true }), {
        type: "borrow",
        asset: USDC,
        amount: 100n * E6,
      }),
    ).not.toThrow();
  });

  it("applies e-mode and siloed-borrowing rules", () => {
    const legacy = makePositions({
      users: [{ asset: WETH, scaledATokenBalance: E18 }],
      userEModeCategoryId: 1,
      reserves: { WETH: { eModeCategoryId: 1 } },
      eModes: [
        {
          id: 1,
          label: "ETH",
          ltv: 9000n,
          liquidationThreshold: 9300n,
          liquidationBonus: 10100n,
          collateralBitmap: 1n,
          borrowableBitmap: 1n,
          ltvzeroBitmap: 0n,
          priceSource: "0x0000000000000000000000000000000000000000",
        },
      ],
    });
    refuses(legacy, { type: "borrow", asset: USDC, amount: 1n }, EModeBorrowError);
    expect(computeAccountData(legacy).currentLiquidationThreshold).toBe(9300n);
    const siloed = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledVariableDebt: 100n * E6 },
      ],
      reserves: { WBTC: { isSiloedBorrowing: true } },
    });
    refuses(siloed, { type: "borrow", asset: WBTC, amount: 1n }, SiloedBorrowingError);
  });

  it("each refusal names the operation, the reserve and the reason", () => {
    const frozen = makePositions({
      reserves: { USDC: { isFrozen: true } },
      users: [{ asset: WETH, scaledATokenBalance: E18 }],
    });
    refuses(
      frozen,
      { type: "supply", asset: USDC, amount: 1n },
      /^Aave supply of USDC refused: the reserve is frozen/,
    );
    refuses(
      frozen,
      { type: "borrow", asset: USDC, amount: 1n },
      /^Aave borrow of USDC refused: the reserve is frozen/,
    );
    const tooMuch = /^Aave withdraw of WETH refused: 2 WETH requested, the account has 1 WETH supplied/;
    refuses(p, { type: "withdraw", asset: WETH, amount: 2n * E18 }, tooMuch);
    expect(() => projectAaveActions(p, [{ type: "withdraw", asset: WETH, amount: 2n * E18 }])).toThrow(
      tooMuch,
    );
    refuses(
      p,
      { type: "withdraw", asset: WETH, amount: E18 / 2n },
      /^Aave withdraw of WETH refused: the health factor/,
    );
    const dry = makePositions({
      users: [{ asset: WETH, scaledATokenBalance: E18 }],
      reserves: {
        WETH: { availableLiquidity: E18 / 2n, virtualUnderlyingBalance: E18 / 2n },
        USDC: { availableLiquidity: 10n * E6, virtualUnderlyingBalance: 10n * E6 },
      },
    });
    refuses(
      dry,
      { type: "withdraw", asset: WETH, amount: (E18 * 6n) / 10n },
      /^Aave withdraw of WETH refused: 0.6 WETH/,
    );
    refuses(
      dry,
      { type: "borrow", asset: USDC, amount: 100n * E6 },
      /^Aave borrow of USDC refused: 100 USDC requested, 10 USDC available/,
    );
    // A 3.4+ market lends from its virtual balance (a donation does not count); older ones from the token balance.
    const lendable = (version: "legacy" | "latest", virtualUnderlyingBalance: bigint) =>
      makePositions({
        version,
        users: [{ asset: WETH, scaledATokenBalance: E18 }],
        reserves: { USDC: { availableLiquidity: 1000n * E6, virtualUnderlyingBalance } },
      });
    const borrow100 = { type: "borrow", asset: USDC, amount: 100n * E6 } as const;
    refuses(lendable("latest", 10n * E6), borrow100, /100 USDC requested, 10 USDC available/);
    expect(() => validateAaveAction(lendable("legacy", 10n * E6), borrow100)).not.toThrow();
    expect(() => validateAaveAction(lendable("latest", 0n), borrow100)).not.toThrow();
    refuses(
      makePositions({}),
      { type: "borrow", asset: USDC, amount: 1n },
      /refused: the account has no collateral\./,
    );
    refuses(
      makePositions({ users: [{ asset: WETH, scaledATokenBalance: E18 }], reserves: { WETH: { ltv: 0n } } }),
      { type: "borrow", asset: USDC, amount: 1n },
      /refused: the account's collateral has LTV 0\./,
    );
    // A health factor of exactly 1 already forbids a borrow (Aave: HF > 1), whatever the LTV room.
    const atOne = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledVariableDebt: 1650n * E6 },
      ],
    });
    expect(computeAccountData(atOne).healthFactor).toBe(WAD);
    expect(() => validateAaveAction(atOne, { type: "borrow", asset: USDC, amount: 1n })).toThrow(
      expect.objectContaining({ name: "HealthFactorTooLowError", action: "borrow", minimum: WAD + 1n }),
    );
    const fewATokens = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledATokenBalance: 100n * E6, scaledVariableDebt: 800n * E6 },
      ],
    });
    expect(() =>
      projectAaveActions(fewATokens, [{ type: "repay", asset: USDC, amount: 300n * E6, useATokens: true }]),
    ).toThrow(/^Aave repay with aTokens of USDC refused/);
    expect(() => validateAaveAction(p, { type: "supply", asset: WETH, amount: 0n })).toThrow(
      expect.objectContaining({ field: "supply.amount" }),
    );
    expect(() =>
      projectHealthFactor(p, { type: "supply", asset: WETH, amount: 1n }, { at: T0 - 1n }),
    ).toThrow(/expected a timestamp not before the read/);
  });

  it("refuses repaying a debt that does not exist, or with too few aTokens", () => {
    refuses(
      makePositions({ users: [{ asset: WETH, scaledATokenBalance: E18 }] }),
      { type: "repay", asset: USDC, amount: 1n },
      NoDebtError,
    );
    refuses(p, { type: "repay", asset: USDC, amount: 10n, useATokens: true }, InsufficientBalanceError);
  });
});
