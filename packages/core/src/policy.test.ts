import { describe, expect, it } from "vitest";
import {
  chain,
  DAI1,
  ETH,
  policy,
  registry,
  sleeve,
  snapshot,
  supply,
  token,
  USDC1,
  USDC8453,
  WETH1,
  WETH8453,
} from "../test/fixtures.ts";
import {
  DuplicateSleeveError,
  HoldingClaimedTwiceError,
  InvalidAmountError,
  InvalidCompositionError,
  InvalidPolicyError,
  PolicyWeightSumError,
  UnknownAssetError,
} from "./errors.ts";
import { WAD } from "./math.ts";
import type { AssetId } from "./model.ts";
import { bandWad, compositionOf, type Policy, type Sleeve, triggerModeOf, validatePolicy } from "./policy.ts";

const ok = () => policy([sleeve("a", "token", WETH1, 6000), sleeve("b", "supply", USDC1, 4000)]);
const lp = (shares: [bigint, bigint], weight = 4000): Sleeve => ({
  id: "lp",
  chainId: ETH,
  protocol: "uniswap-v3",
  kind: "lp",
  ref: `${ETH}:0xpool`,
  targetBps: weight,
  composition: [
    { asset: WETH1.id, shareWad: shares[0] },
    { asset: USDC1.id, shareWad: shares[1] },
  ],
});

describe("validatePolicy", () => {
  it("accepts a valid policy", () => {
    expect(() => validatePolicy(ok(), { assets: registry() })).not.toThrow();
  });

  it("rejects weights that do not sum to 100%, with the actual sum", () => {
    const p = policy([sleeve("a", "token", WETH1, 6000), sleeve("b", "supply", USDC1, 3000)]);
    expect(() => validatePolicy(p)).toThrow(PolicyWeightSumError);
    try {
      validatePolicy(p);
    } catch (e) {
      expect((e as PolicyWeightSumError).sumBps).toBe(9000);
    }
  });

  it("rejects duplicate ids and duplicate slots", () => {
    const dupId = policy([
      sleeve("b", "token", WETH1, 5000),
      sleeve("a", "token", USDC1, 1000),
      sleeve("a", "supply", USDC1, 4000),
    ]);
    expect(() => validatePolicy(dupId)).toThrow(DuplicateSleeveError);
    expect(() => validatePolicy(dupId)).toThrow(
      'Duplicate sleeve id "a" at policy.sleeves[2].id (first at policy.sleeves[1].id).',
    );
    const dupSlot = policy([sleeve("a", "token", WETH1, 6000), sleeve("b", "token", WETH1, 4000)]);
    expect(() => validatePolicy(dupSlot)).toThrow(DuplicateSleeveError);
    expect(() => validatePolicy(dupSlot)).toThrow(/same slot/);
    // The reason is in the error's context too (what `--json` and the journal carry).
    const reasonOf = (p: Policy) => {
      try {
        validatePolicy(p);
      } catch (e) {
        return (e as DuplicateSleeveError).context.reason;
      }
    };
    expect([reasonOf(dupId), reasonOf(dupSlot)]).toEqual(["id", "slot"]);
  });

  it("reports a holding claimed by two sleeves", () => {
    const dupSlot = policy([sleeve("a", "token", WETH1, 6000), sleeve("b", "token", WETH1, 4000)]);
    // The claimed holding is found among others: its id and field are the claimed one's.
    const snap = snapshot([chain(ETH, [supply(USDC1, "1", "u"), token(WETH1, "1", "w")])]);
    expect(() => validatePolicy(dupSlot, { snapshot: snap })).toThrow(HoldingClaimedTwiceError);
    try {
      validatePolicy(dupSlot, { snapshot: snap });
    } catch (e) {
      expect((e as HoldingClaimedTwiceError).holdingId).toBe("w");
      expect((e as HoldingClaimedTwiceError).field).toBe("snapshot.chains[0].holdings[1]");
      expect((e as HoldingClaimedTwiceError).sleeveIds).toEqual(["a", "b"]);
    }
  });

  it("rejects unknown assets, naming the field", () => {
    const p = ok();
    expect(() => validatePolicy(p, { assets: registry([WETH1]) })).toThrow(UnknownAssetError);
    expect(() => validatePolicy(p, { assets: registry([WETH1]) })).toThrow(/policy\.sleeves\[1\]\.ref/);
    const onOtherChain = policy([{ ...sleeve("a", "token", WETH8453, 10_000), chainId: ETH }]);
    expect(() => validatePolicy(onOtherChain, { assets: registry() })).toThrow(InvalidPolicyError);
  });

  it("checks signs: debt ≤ 0, the rest ≥ 0", () => {
    const p = policy([sleeve("a", "token", WETH1, 11_000), sleeve("d", "debt", USDC1, 1000)], {
      healthFactor: { floorWad: WAD, liquidationThresholdBps: {} },
    });
    expect(() => validatePolicy(p)).toThrow(InvalidPolicyError);
    expect(() => validatePolicy(p)).toThrow(/sleeves\[1\]\.targetBps/);
  });

  it("requires health-factor inputs with a debt sleeve", () => {
    const p = policy([sleeve("a", "supply", WETH1, 15_000), sleeve("d", "debt", USDC1, -5000)]);
    expect(() => validatePolicy(p)).toThrow(/policy\.healthFactor/);
    const low: Policy = { ...p, healthFactor: { floorWad: WAD / 2n, liquidationThresholdBps: {} } };
    expect(() => validatePolicy(low)).toThrow(InvalidPolicyError);
    const badLt: Policy = {
      ...p,
      healthFactor: { floorWad: WAD, liquidationThresholdBps: { [WETH1.id]: 12_000 } },
    };
    expect(() => validatePolicy(badLt)).toThrow(/liquidationThresholdBps/);
  });

  it("validates LP compositions", () => {
    const good = policy([sleeve("a", "token", WETH1, 6000), lp([WAD / 2n, WAD / 2n])]);
    expect(() => validatePolicy(good, { assets: registry() })).not.toThrow();
    const badSum = policy([sleeve("a", "token", WETH1, 6000), lp([WAD / 2n, WAD / 3n])]);
    expect(() => validatePolicy(badSum)).toThrow(InvalidCompositionError);
    const zero = policy([sleeve("a", "token", WETH1, 6000), lp([WAD, 0n])]);
    expect(() => validatePolicy(zero)).toThrow(/composition\[1\]\.shareWad/);
    const none = policy([sleeve("a", "token", WETH1, 6000), { ...lp([WAD, 0n]), composition: [] }]);
    expect(() => validatePolicy(none)).toThrow(InvalidCompositionError);
    const tokenComp = policy([
      { ...sleeve("a", "token", WETH1, 6000), composition: [{ asset: DAI1.id, shareWad: WAD }] },
      sleeve("b", "token", USDC1, 4000),
    ]);
    expect(() => validatePolicy(tokenComp)).toThrow(InvalidCompositionError);
  });

  it("validates rule fields", () => {
    expect(() => validatePolicy({ ...ok(), minTradeUsd: -1n })).toThrow(InvalidAmountError);
    expect(() => validatePolicy({ ...ok(), maxSlippageBps: 10_000 })).toThrow(/maxSlippageBps/);
    expect(() => validatePolicy({ ...ok(), maxSlippageBps: 1.5 })).toThrow(InvalidPolicyError);
    expect(() => validatePolicy({ ...ok(), bands: { absoluteBps: -1 } })).toThrow(/bands\.absoluteBps/);
    expect(() => validatePolicy({ ...ok(), rebalanceTo: "edge" as never })).toThrow(/rebalanceTo/);
    expect(() => validatePolicy({ ...ok(), trigger: "calendar" })).toThrow(/calendarSeconds/);
    expect(() => validatePolicy({ ...ok(), sleeves: [] })).toThrow(InvalidPolicyError);
  });

  it("names each bad field of a hand-written policy, word for word, and takes each field's edge", () => {
    const a = (over: Partial<Sleeve>): Policy => {
      const p = ok();
      return { ...p, sleeves: [{ ...p.sleeves[0]!, ...over }, p.sleeves[1]!] };
    };
    const bad: [Policy, string][] = [
      [a({ id: "" }), 'Invalid policy at policy.sleeves[0].id: expected a non-empty string, got "".'],
      [a({ id: 7 as never }), "Invalid policy at policy.sleeves[0].id: expected a non-empty string, got 7."],
      [a({ chainId: 0 }), "Invalid policy at policy.sleeves[0].chainId: expected a positive integer, got 0."],
      [
        a({ chainId: 1.5 }),
        "Invalid policy at policy.sleeves[0].chainId: expected a positive integer, got 1.5.",
      ],
      [
        a({ protocol: "" }),
        'Invalid policy at policy.sleeves[0].protocol: expected a protocol name such as "wallet" or "aave-v3", got "".',
      ],
      [
        a({ protocol: 1 as never }),
        'Invalid policy at policy.sleeves[0].protocol: expected a protocol name such as "wallet" or "aave-v3", got 1.',
      ],
      [a({ ref: "" }), 'Invalid policy at policy.sleeves[0].ref: expected a non-empty ref, got "".'],
      [a({ ref: 1 as never }), "Invalid policy at policy.sleeves[0].ref: expected a non-empty ref, got 1."],
      [
        a({ targetBps: -1 }),
        "Invalid policy at policy.sleeves[0].targetBps: expected ≥ 0 for a token sleeve, got -1.",
      ],
      [
        a({ kind: "debt", targetBps: 1 }),
        "Invalid policy at policy.sleeves[0].targetBps: expected ≤ 0 for a debt sleeve, got 1.",
      ],
      [
        { ...ok(), bands: undefined as never },
        "Invalid policy at policy.bands: expected { absoluteBps?, relativeBps? }, got undefined.",
      ],
      [
        { ...ok(), bands: 5 as never },
        "Invalid policy at policy.bands: expected { absoluteBps?, relativeBps? }, got 5.",
      ],
      [{ ...ok(), bands: { relativeBps: -1 } }, "policy.bands.relativeBps"],
      [
        { ...ok(), trigger: "often" as never },
        'Invalid policy at policy.trigger: expected "band", "calendar" or "hybrid", got "often".',
      ],
      [{ ...ok(), calendarSeconds: 0 }, "policy.calendarSeconds"],
      [
        { ...ok(), trigger: "hybrid" },
        'Invalid policy at policy.calendarSeconds: expected a period for trigger "hybrid", got undefined.',
      ],
      [{ ...ok(), cooldownSeconds: -1 }, "policy.cooldownSeconds"],
      [
        { ...ok(), minTradeUsd: 5 as never },
        "Invalid amount at policy.minTradeUsd: expected a USD wad ≥ 0, got 5.",
      ],
      [{ ...ok(), maxValueLossBps: 10_001 }, "policy.maxValueLossBps"],
      [{ ...ok(), maxCostOfDriftRemovedBps: -1 }, "policy.maxCostOfDriftRemovedBps"],
      [
        { ...ok(), maxTurnoverUsd: 0n },
        "Invalid amount at policy.maxTurnoverUsd: expected a USD wad > 0, got 0.",
      ],
      [
        { ...ok(), maxTurnoverUsd: 5 as never },
        "Invalid amount at policy.maxTurnoverUsd: expected a USD wad > 0, got 5.",
      ],
      [
        { ...ok(), bridge: null as never },
        "Invalid policy at policy.bridge: expected { premiumBps?, objective? }, got null.",
      ],
      [
        { ...ok(), bridge: 3 as never },
        "Invalid policy at policy.bridge: expected { premiumBps?, objective? }, got 3.",
      ],
      [
        { ...ok(), healthFactor: { floorWad: 2 as never, liquidationThresholdBps: {} } },
        "Invalid policy at policy.healthFactor.floorWad: expected a wad ≥ 1e18 (health factor ≥ 1), got 2.",
      ],
    ];
    for (const [p, message] of bad) {
      const thrown = (() => {
        try {
          validatePolicy(p);
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(thrown?.message, message).toContain(message);
    }
    // The edges each rule allows.
    const good: Policy[] = [
      a({ chainId: 1 }),
      a({ targetBps: 6000 }),
      { ...ok(), bands: {} },
      { ...ok(), bands: { relativeBps: 0, absoluteBps: 0 } },
      { ...ok(), trigger: "band" },
      { ...ok(), trigger: "calendar", calendarSeconds: 1 },
      { ...ok(), cooldownSeconds: 0 },
      { ...ok(), minTradeUsd: 0n },
      { ...ok(), maxCostOfDriftRemovedBps: 0 },
      { ...ok(), maxTurnoverUsd: 1n },
      { ...ok(), bridge: { objective: "cost" } },
      { ...ok(), bridge: { objective: "least-bridging" } },
      { ...ok(), healthFactor: { floorWad: WAD, liquidationThresholdBps: {} } },
    ];
    for (const p of good) expect(() => validatePolicy(p)).not.toThrow();
  });

  it("names the field of each sleeve, composition, duplicate and health-factor error, word for word", () => {
    const a = (over: Partial<Sleeve>): Policy => {
      const p = ok();
      return { ...p, sleeves: [{ ...p.sleeves[0]!, ...over }, p.sleeves[1]!] };
    };
    const lpc = (composition: Sleeve["composition"] | undefined): Policy =>
      policy([sleeve("a", "token", WETH1, 6000), { ...lp([WAD, 0n]), composition: composition as never }]);
    const half = WAD / 2n;
    const comp = (asset: { id: string }, shareWad: bigint) => ({ asset: asset.id as AssetId, shareWad });
    const onlyWethUsdc = { assets: registry([WETH1, USDC1]) };
    const tokenRef = `a token sleeve holds 100% of its ref ${WETH1.id}`;
    const cases: [Policy, Parameters<typeof validatePolicy>[1], string, string][] = [
      [
        { ...ok(), sleeves: [] },
        {},
        "policy.sleeves",
        "Invalid policy at policy.sleeves: expected at least one sleeve, got [].",
      ],
      [
        policy([sleeve("a", "token", WETH1, 6000), sleeve("a", "supply", USDC1, 4000)]),
        {},
        "policy.sleeves[1].id",
        'Duplicate sleeve id "a" at policy.sleeves[1].id (first at policy.sleeves[0].id).',
      ],
      [
        policy([sleeve("a", "token", WETH1, 6000), sleeve("b", "token", WETH1, 4000)]),
        {},
        "policy.sleeves[1]",
        'Sleeve at policy.sleeves[1] ("b") fills the same slot (chainId, protocol, kind, ref) as policy.sleeves[0] ("a").',
      ],
      [
        a({ kind: "nft" as never }),
        {},
        "policy.sleeves[0].kind",
        'Invalid policy at policy.sleeves[0].kind: expected one of token, supply, debt, lp, got "nft".',
      ],
      [
        a({ targetBps: 1.5 }),
        {},
        "policy.sleeves[0].targetBps",
        "Invalid policy at policy.sleeves[0].targetBps: expected an integer number of bps, got 1.5.",
      ],
      [
        { ...ok(), bands: { absoluteBps: 10_001 } },
        {},
        "policy.bands.absoluteBps",
        "Invalid policy at policy.bands.absoluteBps: expected an integer in [0, 10000], got 10001.",
      ],
      [
        { ...ok(), rebalanceTo: "edge" as never },
        {},
        "policy.rebalanceTo",
        'Invalid policy at policy.rebalanceTo: expected "target" or "band-edge", got "edge".',
      ],
      [
        { ...ok(), bridge: { objective: "least" as never } },
        {},
        "policy.bridge.objective",
        'Invalid policy at policy.bridge.objective: expected "cost" or "least-bridging", got "least".',
      ],
      [
        policy([sleeve("a", "supply", WETH1, 15_000), sleeve("d", "debt", USDC1, -5000)]),
        {},
        "policy.healthFactor",
        "Invalid policy at policy.healthFactor: expected { floorWad, liquidationThresholdBps } when the policy has a debt sleeve, got undefined.",
      ],
      // A floor read from YAML as a string is refused, not compared as a string.
      [
        { ...ok(), healthFactor: { floorWad: "2000000000000000000" as never, liquidationThresholdBps: {} } },
        {},
        "policy.healthFactor.floorWad",
        'Invalid policy at policy.healthFactor.floorWad: expected a wad ≥ 1e18 (health factor ≥ 1), got "2000000000000000000".',
      ],
      [
        { ...ok(), healthFactor: { floorWad: WAD, liquidationThresholdBps: { [DAI1.id]: 8000 } } },
        onlyWethUsdc,
        `policy.healthFactor.liquidationThresholdBps["${DAI1.id}"]`,
        `Unknown asset ${DAI1.id} at policy.healthFactor.liquidationThresholdBps["${DAI1.id}"].`,
      ],
      [
        policy([{ ...sleeve("a", "token", WETH8453, 10_000), chainId: ETH }]),
        { assets: registry() },
        "policy.sleeves[0].ref",
        `Invalid policy at policy.sleeves[0].ref: expected an asset on the sleeve's chain 1, got "${WETH8453.id}".`,
      ],
      // A token sleeve's composition, when given, is exactly 100% of its ref.
      ...[[comp(WETH1, WAD), comp(DAI1, 0n)], [], [comp(WETH1, half)]].map(
        (composition): [Policy, object, string, string] => [
          policy([{ ...sleeve("a", "token", WETH1, 10_000), composition }]),
          {},
          "policy.sleeves[0].composition",
          `Invalid composition at policy.sleeves[0].composition: ${tokenRef}.`,
        ],
      ),
      [
        lpc(undefined),
        {},
        "policy.sleeves[1].composition",
        "Invalid composition at policy.sleeves[1].composition: an LP sleeve needs a composition.",
      ],
      [
        lpc([]),
        {},
        "policy.sleeves[1].composition",
        "Invalid composition at policy.sleeves[1].composition: an LP sleeve needs a composition.",
      ],
      [
        lpc([{ asset: WETH1.id, shareWad: 1e18 as never }]),
        {},
        "policy.sleeves[1].composition[0].shareWad",
        "Invalid composition at policy.sleeves[1].composition[0].shareWad: expected a positive wad, got 1000000000000000000.",
      ],
      [
        lpc([comp(WETH1, half), comp(WETH1, half)]),
        {},
        "policy.sleeves[1].composition[1].asset",
        `Invalid composition at policy.sleeves[1].composition[1].asset: asset ${WETH1.id} appears twice.`,
      ],
      [
        lpc([comp(WETH1, half), comp(DAI1, half)]),
        onlyWethUsdc,
        "policy.sleeves[1].composition[1].asset",
        `Unknown asset ${DAI1.id} at policy.sleeves[1].composition[1].asset.`,
      ],
      [
        lpc([comp(WETH1, half), comp(USDC8453, half)]),
        {},
        "policy.sleeves[1].composition[1].asset",
        `Invalid composition at policy.sleeves[1].composition[1].asset: asset ${USDC8453.id} is not on the sleeve's chain 1.`,
      ],
      [
        lpc([comp(WETH1, half), comp(USDC1, WAD / 3n)]),
        {},
        "policy.sleeves[1].composition",
        "Invalid composition at policy.sleeves[1].composition: shares sum to 833333333333333333, expected 1e18 (100%).",
      ],
    ];
    for (const [p, context, field, message] of cases) {
      let thrown: (Error & { field?: string }) | undefined;
      try {
        validatePolicy(p, context);
      } catch (e) {
        thrown = e as Error & { field?: string };
      }
      expect([thrown?.field, thrown?.message], message).toEqual([field, message]);
    }
    const exact = policy([{ ...sleeve("a", "token", WETH1, 10_000), composition: [comp(WETH1, WAD)] }]);
    expect(() => validatePolicy(exact)).not.toThrow();
  });

  it("validates how bridges compete: a premium in [0, 10000] bps, a known objective", () => {
    expect(() =>
      validatePolicy({ ...ok(), bridge: { premiumBps: 25, objective: "least-bridging" } }),
    ).not.toThrow();
    expect(() => validatePolicy({ ...ok(), bridge: { premiumBps: -1 } })).toThrow(
      /policy\.bridge\.premiumBps/,
    );
    expect(() => validatePolicy({ ...ok(), bridge: { premiumBps: 2.5 } })).toThrow(InvalidPolicyError);
    expect(() => validatePolicy({ ...ok(), bridge: { objective: "least" as never } })).toThrow(
      /policy\.bridge\.objective/,
    );
  });
});

describe("bands and defaults", () => {
  it("applies the 5/25 rule: the smaller of absolute and relative × |target|", () => {
    const bands = { absoluteBps: 500, relativeBps: 2500 };
    expect(bandWad({ targetBps: 5000 }, bands)).toBe(WAD / 20n); // 5 points < 12.5
    expect(bandWad({ targetBps: 1000 }, bands)).toBe(WAD / 40n); // 2.5 points < 5
    expect(bandWad({ targetBps: -2000 }, bands)).toBe(WAD / 20n);
    expect(bandWad({ targetBps: 1000 }, { absoluteBps: 300 })).toBe((3n * WAD) / 100n);
    expect(bandWad({ targetBps: 1000 }, {})).toBe(0n);
  });

  it("defaults the composition and the trigger mode", () => {
    expect(compositionOf(sleeve("a", "supply", USDC1, 1))).toEqual([{ asset: USDC1.id, shareWad: WAD }]);
    expect(triggerModeOf(ok())).toBe("band");
    expect(triggerModeOf({ ...ok(), calendarSeconds: 60 })).toBe("hybrid");
  });

  it("validates against a snapshot without claims", () => {
    const snap = snapshot([chain(ETH, [supply(USDC1, "5")])]);
    expect(() => validatePolicy(ok(), { snapshot: snap })).not.toThrow();
  });
});
