/**
 * The projection's and pre-checks' edges, one rule of Aave's Pool per test: v3.5 rounding of each scaled mint and burn,
 * isolation debt on repay, automatic collateral, the boundaries of each check (equal passes, one more refuses), and
 * checks made at a later timestamp than the read. Numbers follow Aave's own formulas (SupplyLogic, BorrowLogic,
 * ValidationLogic, IsolationModeLogic); the chain tests (`test/actions.chain.test.ts`) hold the same code to the contracts.
 */
import { RAY, WAD } from "@ballast/core";
import { describe, expect, it } from "vitest";
import { basicPositions, makePositions, T0, USDC, WBTC, WETH } from "../test/fixtures.ts";
import { computeAccountData } from "./account.ts";
import {
  AaveActionRefusedError,
  BorrowCapExceededError,
  CollateralCannotCoverBorrowError,
  EModeBorrowError,
  HealthFactorTooLowError,
  InsufficientBalanceError,
  NoBorrowingPowerError,
  SiloedBorrowingError,
  SupplyCapExceededError,
} from "./errors.ts";
import { MAX_UINT256, SECONDS_PER_YEAR } from "./math.ts";
import { type AaveAction, projectAaveActions, reserveRiskParams, validateAaveAction } from "./project.ts";
import type { AavePositions } from "./types.ts";

const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
const YEAR_LATER = T0 + SECONDS_PER_YEAR;

type Positions = ReturnType<typeof makePositions>;
const ok = (p: Positions, action: AaveAction, options = {}) =>
  expect(() => validateAaveAction(p, action, options)).not.toThrow();
const refuses = (p: Positions, action: AaveAction, error: unknown, options = {}) =>
  expect(() => validateAaveAction(p, action, options)).toThrow(error as never);
/** The user's entry of a reserve after the actions. */
const userAfter = (p: Positions, actions: AaveAction[], index: number) =>
  projectAaveActions(p, actions).positions.userReserves.find((u) => u.index === index)!;

describe("projection: v3.5 rounding of scaled balances (latest) against half-up (legacy)", () => {
  // Indexes of 1.5: amounts whose scaled value has a fraction, so floor, ceil and half-up differ.
  const at15 = (version: "legacy" | "latest") =>
    makePositions({
      version,
      users: [{ asset: USDC, scaledATokenBalance: 10n, scaledVariableDebt: 10n }],
      reserves: { USDC: { liquidityIndex: (RAY * 3n) / 2n, variableBorrowIndex: (RAY * 3n) / 2n } },
    });
  const scaled = (version: "legacy" | "latest", action: AaveAction) => {
    const u = userAfter(at15(version), [action], 1);
    return [u.scaledATokenBalance, u.scaledVariableDebt];
  };

  it("supply mints floor(amount / index) aTokens on 3.5+, half-up before", () => {
    // 4 / 1.5 = 2.67
    expect(scaled("latest", { type: "supply", asset: USDC, amount: 4n })).toEqual([12n, 10n]);
    expect(scaled("legacy", { type: "supply", asset: USDC, amount: 4n })).toEqual([13n, 10n]);
  });

  it("withdraw burns ceil(amount / index) aTokens on 3.5+, half-up before; a partial withdraw is not 'all'", () => {
    // 5 / 1.5 = 3.33
    expect(scaled("latest", { type: "withdraw", asset: USDC, amount: 5n })).toEqual([6n, 10n]);
    expect(scaled("legacy", { type: "withdraw", asset: USDC, amount: 5n })).toEqual([7n, 10n]);
    expect(scaled("latest", { type: "withdraw", asset: USDC, amount: MAX_UINT256 })).toEqual([0n, 10n]);
  });

  it("borrow mints ceil(amount / index) debt on 3.5+, half-up before", () => {
    // 5 / 1.5 = 3.33
    expect(scaled("latest", { type: "borrow", asset: USDC, amount: 5n })).toEqual([10n, 14n]);
    expect(scaled("legacy", { type: "borrow", asset: USDC, amount: 5n })).toEqual([10n, 13n]);
  });

  it("repay burns floor(amount / index) debt on 3.5+, half-up before", () => {
    // 4 / 1.5 = 2.67
    expect(scaled("latest", { type: "repay", asset: USDC, amount: 4n })).toEqual([10n, 8n]);
    expect(scaled("legacy", { type: "repay", asset: USDC, amount: 4n })).toEqual([10n, 7n]);
  });
});

describe("projection: bookkeeping", () => {
  it("a reserve the user has no entry for gets one, not flagged as collateral until Aave would", () => {
    const p = basicPositions();
    const bare: AavePositions = { ...p, userReserves: p.userReserves.filter((u) => u.asset !== USDC) };
    const { userReserves } = projectAaveActions(bare, [
      { type: "borrow", asset: USDC, amount: 100n * E6 },
    ]).positions;
    expect(userReserves).toHaveLength(3);
    const usdc = userReserves.find((u) => u.asset === USDC)!;
    expect([usdc.index, usdc.debt, usdc.supplied, usdc.usageAsCollateralEnabledOnUser]).toEqual([
      1,
      100n * E6,
      0n,
      false,
    ]);
  });

  it("an entry of a reserve the read does not list is carried unchanged", () => {
    const p = basicPositions();
    const orphan = { ...p.userReserves[2]!, index: 7, supplied: 123n };
    const after = projectAaveActions({ ...p, userReserves: [...p.userReserves, orphan] }, [
      { type: "supply", asset: WETH, amount: E18 },
    ]).positions;
    expect(after.userReserves[3]).toEqual(orphan);
  });

  it("an account's debt is its variable plus its (legacy) stable debt", () => {
    const p = basicPositions();
    const withStable: AavePositions = {
      ...p,
      userReserves: p.userReserves.map((u) =>
        u.asset === USDC ? { ...u, principalStableDebt: 200n * E6, stableBorrowLastUpdateTimestamp: T0 } : u,
      ),
    };
    expect(userAfter(withStable, [{ type: "supply", asset: WETH, amount: E18 }], 1).debt).toBe(1200n * E6);
  });

  it("only a first supply turns collateral on; a later one keeps the user's choice", () => {
    const off = makePositions({ users: [{ asset: WETH, scaledATokenBalance: E18, collateral: false }] });
    const u = userAfter(off, [{ type: "supply", asset: WETH, amount: E18 }], 0);
    expect([u.supplied, u.usageAsCollateralEnabledOnUser]).toEqual([2n * E18, false]);
  });

  it("a first supply is collateral beside other collateral, but not beside an isolated one", () => {
    // ValidationLogic.validateUseAsCollateral: no collateral yet, or none in isolation mode (and no ceiling itself).
    const beside = (wbtc: object) =>
      makePositions({
        users: [{ asset: WBTC, scaledATokenBalance: 10n ** 8n, collateral: true }],
        reserves: { WBTC: wbtc },
      });
    const supplyWeth: AaveAction = { type: "supply", asset: WETH, amount: E18 };
    expect(userAfter(beside({}), [supplyWeth], 0).usageAsCollateralEnabledOnUser).toBe(true);
    expect(userAfter(beside({ debtCeiling: 1000_00n }), [supplyWeth], 0).usageAsCollateralEnabledOnUser).toBe(
      false,
    );
  });

  it("repaying in isolation mode lowers the collateral's isolated debt, to zero at most", () => {
    // IsolationModeLogic.updateIsolatedDebtIfIsolated: minus repaid / 10^(decimals − 2), floored at 0.
    const iso = (isolationModeTotalDebt: bigint) =>
      makePositions({
        users: [
          { asset: WBTC, scaledATokenBalance: 10n ** 8n, collateral: true },
          { asset: USDC, scaledVariableDebt: 500n * E6 },
        ],
        reserves: { WBTC: { debtCeiling: 10_000_00n, isolationModeTotalDebt } },
      });
    const repay: AaveAction = { type: "repay", asset: USDC, amount: 200_999_999n };
    expect(projectAaveActions(iso(500_00n), [repay]).positions.reserves[2]!.isolationModeTotalDebt).toBe(
      299_01n, // 500.00 − 200.99 (the repaid 200.999999 truncated to cents)
    );
    expect(projectAaveActions(iso(100_00n), [repay]).positions.reserves[2]!.isolationModeTotalDebt).toBe(0n);
  });

  it("repaying all with aTokens repays what the aTokens cover, not the whole debt", () => {
    // BorrowLogic.executeRepay: useATokens && amount == max → amount = aToken balance.
    const few = makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: E18 },
        { asset: USDC, scaledATokenBalance: 100n * E6, scaledVariableDebt: 800n * E6 },
      ],
    });
    for (const amount of [MAX_UINT256, 100n * E6]) {
      const u = userAfter(few, [{ type: "repay", asset: USDC, amount, useATokens: true }], 1);
      expect([u.supplied, u.debt]).toEqual([0n, 700n * E6]);
    }
    expect(() =>
      validateAaveAction(few, { type: "repay", asset: USDC, amount: MAX_UINT256, useATokens: true }),
    ).not.toThrow();
    refuses(
      few,
      { type: "repay", asset: USDC, amount: 100n * E6 + 1n, useATokens: true },
      InsufficientBalanceError,
    );
    refuses(
      makePositions({
        users: [
          { asset: WETH, scaledATokenBalance: E18 },
          { asset: USDC, scaledVariableDebt: E6 },
        ],
      }),
      { type: "repay", asset: USDC, amount: MAX_UINT256, useATokens: true },
      /^Aave repay with aTokens of USDC refused/,
    );
  });

  it("validate: checks each action on the state the previous ones leave, with the caller's minimum", () => {
    const empty = makePositions({});
    const borrow: AaveAction = { type: "borrow", asset: USDC, amount: 600n * E6 };
    const supply: AaveAction = { type: "supply", asset: WETH, amount: E18 };
    expect(() => projectAaveActions(empty, [borrow], { validate: true })).toThrow(NoBorrowingPowerError);
    expect(projectAaveActions(empty, [borrow]).account.totalDebtBase).toBe(600n * 10n ** 8n);
    expect(projectAaveActions(empty, [supply, borrow], { validate: true }).account.healthFactor).toBe(
      (2750n * WAD) / 1000n,
    );
    expect(() =>
      projectAaveActions(empty, [supply, borrow], { validate: true, minHealthFactor: 3n * WAD }),
    ).toThrow(HealthFactorTooLowError);
  });

  it("refuses an action type it does not know, naming it", () => {
    const odd = { type: "flashloan", asset: USDC, amount: 1n } as unknown as AaveAction;
    expect(() => projectAaveActions(basicPositions(), [odd])).toThrow(
      expect.objectContaining({
        field: "action.type",
        message: expect.stringContaining("supply|withdraw|borrow|repay"),
      }),
    );
    expect(() => validateAaveAction(basicPositions(), odd)).toThrow(
      expect.objectContaining({
        action: "action",
        message: expect.stringContaining("unknown action flashloan"),
      }),
    );
    expect(() => validateAaveAction(basicPositions(), odd)).toThrow(AaveActionRefusedError);
  });
});

describe("pre-checks: boundaries", () => {
  const wethOnly = makePositions({ users: [{ asset: WETH, scaledATokenBalance: E18 }] });

  it("a repay without debt names the operation", () => {
    refuses(
      wethOnly,
      { type: "repay", asset: USDC, amount: 1n },
      /^Aave repay of USDC refused: the account has no variable debt/,
    );
  });

  it("reserveRiskParams: a reserve's LTV and liquidation threshold for the account; an unknown reserve is named", () => {
    expect(reserveRiskParams(wethOnly, WETH)).toEqual({
      ltv: 8000n,
      liquidationThreshold: 8250n,
      inEMode: false,
    });
    expect(() => reserveRiskParams(wethOnly, "0x000000000000000000000000000000000000dEaD")).toThrow(/dEaD/);
  });

  it("an amount above uint256, or a timestamp before the read, is named", () => {
    expect(() =>
      validateAaveAction(wethOnly, { type: "supply", asset: WETH, amount: MAX_UINT256 + 1n }),
    ).toThrow(/expected a positive uint256/);
    expect(() =>
      validateAaveAction(wethOnly, { type: "supply", asset: WETH, amount: 1n }, { at: T0 - 1n }),
    ).toThrow(expect.objectContaining({ field: "at" }));
  });

  it("supply cap: counts idle, borrowed (variable and stable), unbacked and deficit; equal to the cap passes", () => {
    const capped = makePositions({
      reserves: {
        USDC: {
          supplyCap: 1000n,
          availableLiquidity: 400n * E6,
          virtualUnderlyingBalance: 400n * E6,
          totalScaledVariableDebt: 300n * E6,
          totalStableDebt: 100n * E6,
          unbacked: 100n * E6,
          deficit: 50n * E6,
        },
      },
    });
    ok(capped, { type: "supply", asset: USDC, amount: 50n * E6 });
    refuses(
      capped,
      { type: "supply", asset: USDC, amount: 50n * E6 + 1n },
      expect.objectContaining({ name: SupplyCapExceededError.name, totalSupplied: 950n * E6 }),
    );
  });

  it("borrow cap: counts variable and stable debt; reaching the cap exactly passes", () => {
    const capped = makePositions({
      users: [{ asset: WETH, scaledATokenBalance: E18 }],
      reserves: {
        USDC: { borrowCap: 1500n, totalScaledVariableDebt: 1000n * E6, totalStableDebt: 400n * E6 },
      },
    });
    ok(capped, { type: "borrow", asset: USDC, amount: 100n * E6 });
    refuses(capped, { type: "borrow", asset: USDC, amount: 100n * E6 + 1n }, BorrowCapExceededError);
  });

  it("withdraw: nothing supplied, more than supplied, or more than idle is refused; exactly idle passes", () => {
    refuses(wethOnly, { type: "withdraw", asset: USDC, amount: MAX_UINT256 }, InsufficientBalanceError);
    refuses(wethOnly, { type: "withdraw", asset: WETH, amount: E18 + 1n }, InsufficientBalanceError);
    const dry = makePositions({
      users: [{ asset: WETH, scaledATokenBalance: E18 }],
      reserves: { WETH: { availableLiquidity: E18 / 2n, virtualUnderlyingBalance: E18 / 2n } },
    });
    ok(dry, { type: "withdraw", asset: WETH, amount: E18 / 2n });
  });

  it("withdraw: the health factor only binds with debt, and may end exactly at the minimum", () => {
    // 0.5 WETH withdrawn of 1: HF = 1,000 × 0.825 / 1,000 = 0.825.
    ok(
      basicPositions(),
      { type: "withdraw", asset: WETH, amount: E18 / 2n },
      { minHealthFactor: (825n * WAD) / 1000n },
    );
    refuses(basicPositions(), { type: "withdraw", asset: WETH, amount: E18 / 2n }, HealthFactorTooLowError, {
      minHealthFactor: (825n * WAD) / 1000n + 1n,
    });
    ok(wethOnly, { type: "withdraw", asset: WETH, amount: E18 }, { minHealthFactor: 10n * WAD });
  });

  it("withdraw while borrowing with LTV-0 collateral: only the LTV-0 asset may leave", () => {
    // ValidationLogic.validateHFAndLtv: require(!hasZeroLtvCollateral || reserve.ltv == 0).
    const users = [
      { asset: WETH, scaledATokenBalance: E18 },
      { asset: WBTC, scaledATokenBalance: 10n ** 7n, collateral: true },
    ];
    const zeroLtvWbtc = { WBTC: { ltv: 0n } };
    const borrowing = makePositions({
      users: [...users, { asset: USDC, scaledVariableDebt: 100n * E6 }],
      reserves: zeroLtvWbtc,
    });
    refuses(
      borrowing,
      { type: "withdraw", asset: WETH, amount: E18 / 10n },
      /^Aave withdraw of WETH refused: the account holds collateral with LTV 0; only such assets can be withdrawn/,
    );
    ok(borrowing, { type: "withdraw", asset: WBTC, amount: 10n ** 6n });
    // Without debt the rule does not apply.
    ok(makePositions({ users, reserves: zeroLtvWbtc }), { type: "withdraw", asset: WETH, amount: E18 / 10n });
  });

  it("borrow: exactly the idle cash passes; the after-borrow health factor may end exactly at the minimum", () => {
    const dry = makePositions({
      users: [{ asset: WETH, scaledATokenBalance: E18 }],
      reserves: { USDC: { availableLiquidity: 10n * E6, virtualUnderlyingBalance: 10n * E6 } },
    });
    ok(dry, { type: "borrow", asset: USDC, amount: 10n * E6 });
    // 600 more on 1,000: HF = 1,650 / 1,600 = 1.03125 — above a minimum of 1.6 before, below it after.
    const borrow600: AaveAction = { type: "borrow", asset: USDC, amount: 600n * E6 };
    ok(basicPositions(), borrow600, { minHealthFactor: 1031250000000000000n });
    refuses(
      basicPositions(),
      borrow600,
      expect.objectContaining({ name: "HealthFactorTooLowError", action: "borrow" }),
      { minHealthFactor: 1031250000000000001n },
    );
    refuses(basicPositions(), borrow600, HealthFactorTooLowError, { minHealthFactor: (16n * WAD) / 10n });
    refuses(
      makePositions({}),
      { type: "borrow", asset: USDC, amount: 1n },
      /^Aave borrow of USDC refused: the account has no/,
    );
    refuses(
      makePositions({ users: [{ asset: WETH, scaledATokenBalance: E18 }], reserves: { WETH: { ltv: 0n } } }),
      { type: "borrow", asset: USDC, amount: 1n },
      /^Aave borrow of USDC refused: the account's collateral has LTV 0/,
    );
  });

  it("borrow: on 3.5+ the borrowed value rounds up against the LTV, before it truncates", () => {
    // 2,000 USDC at LTV 80% covers 1,600 of debt; 0.8 WETH + 1 wei is worth 1,600 and 2e-10 base units.
    const onUsdc = (version: "legacy" | "latest") =>
      makePositions({ version, users: [{ asset: USDC, scaledATokenBalance: 2000n * E6 }] });
    const borrow: AaveAction = { type: "borrow", asset: WETH, amount: (8n * E18) / 10n + 1n };
    ok(onUsdc("legacy"), borrow);
    refuses(onUsdc("latest"), borrow, CollateralCannotCoverBorrowError);
    ok(onUsdc("latest"), { ...borrow, amount: (8n * E18) / 10n });
  });
});

describe("pre-checks at a later timestamp: debt accrued since the read counts", () => {
  // 1,000 USDC borrowed at 10% a year: ~1,105.17 a year later; the WETH collateral earns nothing.
  const accruing = makePositions({
    users: [
      { asset: WETH, scaledATokenBalance: E18 },
      { asset: USDC, scaledVariableDebt: 1000n * E6 },
    ],
    reserves: { USDC: { variableBorrowRate: RAY / 10n, totalScaledVariableDebt: 1000n * E6 } },
  });
  const later = { at: YEAR_LATER };

  it("the accrued debt is what the numbers below assume", () => {
    const debt = computeAccountData(accruing, later).totalDebtBase;
    expect(debt > 1105n * 10n ** 8n && debt < 1106n * 10n ** 8n).toBe(true);
  });

  it("borrow: LTV room and the health factor after are measured at the later time", () => {
    // At the read 600 fits the LTV exactly ((1,000 + 600) / 0.8 = 2,000); a year later it does not.
    ok(accruing, { type: "borrow", asset: USDC, amount: 600n * E6 });
    refuses(
      accruing,
      { type: "borrow", asset: USDC, amount: 600n * E6 },
      CollateralCannotCoverBorrowError,
      later,
    );
    // 100 more: HF 1,650 / 1,100 = 1.5 at the read, 1,650 / 1,205 = 1.37 a year later.
    const borrow100: AaveAction = { type: "borrow", asset: USDC, amount: 100n * E6 };
    const min = { minHealthFactor: (14n * WAD) / 10n };
    ok(accruing, borrow100, min);
    refuses(accruing, borrow100, HealthFactorTooLowError, { ...min, ...later });
  });

  it("withdraw: debt worth nothing at the read but something later binds the collateral then", () => {
    // 0.000000000004 WETH borrowed is 0.8 base units (legacy truncates to 0); at 30% a year it grows to 1.08.
    const dust = makePositions({
      users: [
        { asset: USDC, scaledATokenBalance: 100n * E6 },
        { asset: WETH, scaledVariableDebt: 4_000_000n },
      ],
      reserves: { WETH: { variableBorrowRate: (RAY * 3n) / 10n, totalScaledVariableDebt: 4_000_000n } },
    });
    const all: AaveAction = { type: "withdraw", asset: USDC, amount: MAX_UINT256 };
    ok(dust, all);
    refuses(dust, all, HealthFactorTooLowError, later);
  });

  it("withdraw: the health factor after is measured at the later time", () => {
    // 0.35 WETH out: HF 0.65 × 1,650 / 1,000 = 1.07 at the read, / 1,105 = 0.97 a year later.
    const withdraw: AaveAction = { type: "withdraw", asset: WETH, amount: (35n * E18) / 100n };
    ok(accruing, withdraw);
    refuses(accruing, withdraw, HealthFactorTooLowError, later);
  });
});

describe("pre-checks: e-mode and siloed borrowing", () => {
  const eMode = (version: "legacy" | "latest", borrowableBitmap: bigint) =>
    makePositions({
      version,
      users: [{ asset: WETH, scaledATokenBalance: E18 }],
      userEModeCategoryId: 1,
      reserves: { WETH: { eModeCategoryId: 1 }, WBTC: { eModeCategoryId: 1 } },
      eModes: [
        {
          id: 1,
          label: "ETH",
          ltv: 9000n,
          liquidationThreshold: 9300n,
          liquidationBonus: 10100n,
          collateralBitmap: 1n,
          borrowableBitmap,
          ltvzeroBitmap: 0n,
          priceSource: "0x0000000000000000000000000000000000000000",
        },
      ],
    });
  const usdc: AaveAction = { type: "borrow", asset: USDC, amount: E6 };
  const wbtc: AaveAction = { type: "borrow", asset: WBTC, amount: 1000n };

  it("before 3.2 an asset is borrowable in the user's category if it belongs to it", () => {
    ok(eMode("legacy", 0n), wbtc);
    refuses(eMode("legacy", 0n), usdc, EModeBorrowError);
  });

  it("from 3.2 an asset is borrowable if the category's borrowable bitmap has its bit", () => {
    ok(eMode("latest", 1n << 1n), usdc); // USDC is reserve 1
    refuses(eMode("latest", 1n << 1n), wbtc, EModeBorrowError);
    refuses({ ...eMode("latest", 1n << 1n), eModes: [] }, usdc, EModeBorrowError); // category not in the read
  });

  const borrowing = (debts: string[], siloed: string[]) =>
    makePositions({
      users: [
        { asset: WETH, scaledATokenBalance: 10n * E18 },
        ...(debts.includes("USDC") ? [{ asset: USDC, scaledVariableDebt: 100n * E6 }] : []),
        ...(debts.includes("WBTC") ? [{ asset: WBTC, scaledVariableDebt: 10n ** 5n }] : []),
      ],
      reserves: Object.fromEntries(siloed.map((s) => [s, { isSiloedBorrowing: true }])),
    });

  it("a siloed asset may be borrowed alone, and more of it; nothing else beside it", () => {
    ok(borrowing([], ["WBTC"]), wbtc);
    ok(borrowing(["WBTC"], ["WBTC"]), wbtc);
    refuses(
      borrowing(["WBTC"], ["WBTC"]),
      usdc,
      /^Aave borrow of USDC refused: siloed borrowing: the account already borrows WBTC, which is siloed/,
    );
    refuses(
      borrowing(["USDC"], ["WBTC"]),
      wbtc,
      /^Aave borrow of WBTC refused: siloed borrowing: the asset is siloed and the account borrows other assets/,
    );
  });

  it("without a siloed asset in play, borrowing one more asset is allowed", () => {
    ok(borrowing(["USDC"], []), wbtc);
    ok(borrowing(["USDC", "WBTC"], []), usdc);
  });

  it("an account borrowing two assets, one of them since made siloed: not in siloed mode, so only that one is refused", () => {
    // UserConfiguration.getSiloedBorrowingState looks only at an account borrowing exactly one asset.
    ok(borrowing(["USDC", "WBTC"], ["WBTC"]), usdc);
    refuses(borrowing(["USDC", "WBTC"], ["WBTC"]), wbtc, SiloedBorrowingError);
    ok(borrowing(["USDC", "WBTC"], ["USDC"]), wbtc); // whichever of the two is siloed
  });
});
