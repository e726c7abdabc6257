import {
  type Address,
  applyBps,
  BPS,
  type Call,
  type Hex,
  InvalidAmountError,
  isqrt,
  max,
  min,
} from "@ballast/core";
import { encodeFunctionData, erc20Abi } from "viem";
import { positionManagerAbi } from "./abi.ts";
import { MAX_UINT128 } from "./constants.ts";
import { InvalidSlippageError } from "./errors.ts";
import { getAmountsForLiquidity, getLiquidityForAmounts } from "./math/liquidityAmounts.ts";
import { getSqrtRatioAtTick, MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "./math/tickMath.ts";
import { getPositionFees, getPositionPrincipal, type LpPosition, type TokenAmounts } from "./position.ts";
import { assertRange, type TickRange } from "./range.ts";

/** Throws {@link InvalidSlippageError} unless `bps` is an integer in [0, 10,000). */
export function assertSlippage(bps: bigint | number): bigint {
  if (typeof bps === "number" && !Number.isInteger(bps)) throw new InvalidSlippageError(bps);
  const b = BigInt(bps);
  if (b < 0n || b >= BPS) throw new InvalidSlippageError(bps);
  return b;
}

/** The least acceptable amount for an expected `amount` under a slippage limit: amount × (1 − bps), rounded down. */
export function minAmount(amount: bigint, slippageBps: bigint | number): bigint {
  return applyBps(amount, BPS - assertSlippage(slippageBps), "down");
}

/**
 * The sqrt prices of the band ±`slippageBps` around `sqrtPriceX96` (price, not sqrt price), clamped to what a
 * pool can reach. Liquidity mins are the amounts at the worst price inside this band.
 */
export function priceBand(
  sqrtPriceX96: bigint,
  slippageBps: bigint | number,
): { sqrtLower: bigint; sqrtUpper: bigint } {
  const bps = assertSlippage(slippageBps);
  const squared = sqrtPriceX96 * sqrtPriceX96;
  const sqrtLower = isqrt((squared * (BPS - bps)) / BPS);
  const sqrtUpper = isqrt((squared * (BPS + bps)) / BPS);
  return {
    sqrtLower: max(sqrtLower, MIN_SQRT_RATIO),
    sqrtUpper: sqrtUpper >= MAX_SQRT_RATIO ? MAX_SQRT_RATIO - 1n : sqrtUpper,
  };
}

/** An exact ERC-20 approval call. */
export function approveCall(token: Address, spender: Address, amount: bigint): Call {
  return {
    to: token,
    data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [spender, amount] }),
    value: 0n,
  };
}

const npmCall = (positionManager: Address, data: Hex): Call => ({ to: positionManager, data, value: 0n });

/** Folds consecutive calls to the position manager into one `multicall(bytes[])` call; other calls stay as they are. */
export function combinePositionManagerCalls(positionManager: Address, calls: readonly Call[]): Call[] {
  const out: Call[] = [];
  let run: Hex[] = [];
  const flush = () => {
    if (run.length === 1) out.push(npmCall(positionManager, run[0]!));
    else if (run.length > 1) {
      out.push(
        npmCall(
          positionManager,
          encodeFunctionData({ abi: positionManagerAbi, functionName: "multicall", args: [run] }),
        ),
      );
    }
    run = [];
  };
  for (const c of calls) {
    if (c.to.toLowerCase() === positionManager.toLowerCase() && c.value === 0n) run.push(c.data);
    else {
      flush();
      out.push(c);
    }
  }
  flush();
  return out;
}

/** Expected amounts a deposit of (amount0Desired, amount1Desired) uses at `sqrtPriceX96`, and the liquidity. */
export function depositAmounts(params: {
  readonly sqrtPriceX96: bigint;
  readonly tickLower: number;
  readonly tickUpper: number;
  readonly amount0Desired: bigint;
  readonly amount1Desired: bigint;
}): TokenAmounts & { liquidity: bigint } {
  const sqrtA = getSqrtRatioAtTick(params.tickLower);
  const sqrtB = getSqrtRatioAtTick(params.tickUpper);
  const liquidity = getLiquidityForAmounts(
    params.sqrtPriceX96,
    sqrtA,
    sqrtB,
    params.amount0Desired,
    params.amount1Desired,
  );
  const used = getAmountsForLiquidity(params.sqrtPriceX96, sqrtA, sqrtB, liquidity, true);
  return {
    liquidity,
    amount0: min(used.amount0, params.amount0Desired),
    amount1: min(used.amount1, params.amount1Desired),
  };
}

/** Amounts of `liquidity` in the range at a price, rounded down (the conservative side for a minimum). */
function floorAmounts(sqrtPriceX96: bigint, range: TickRange, liquidity: bigint): TokenAmounts {
  return getAmountsForLiquidity(
    sqrtPriceX96,
    getSqrtRatioAtTick(range.tickLower),
    getSqrtRatioAtTick(range.tickUpper),
    liquidity,
  );
}

/** Inputs of {@link encodeMint}. */
export type EncodeMintParameters = TickRange & {
  readonly positionManager: Address;
  readonly token0: Address;
  readonly token1: Address;
  readonly fee: number;
  /** When given, the range is checked against it (aligned, in bounds). */
  readonly tickSpacing?: number;
  readonly amount0Desired: bigint;
  readonly amount1Desired: bigint;
  /** The pool's current price. The mins are what the deposit uses at the worst price within ±slippage of it. */
  readonly sqrtPriceX96: bigint;
  readonly slippageBps: bigint | number;
  readonly recipient: Address;
  /** Unix seconds. */
  readonly deadline: bigint;
};

/** The deposit's liquidity, used amounts and mins as encoded. */
export type DepositQuote = {
  readonly liquidity: bigint;
  readonly amount0: bigint;
  readonly amount1: bigint;
  readonly amount0Min: bigint;
  readonly amount1Min: bigint;
};

function deposit(p: {
  sqrtPriceX96: bigint;
  tickLower: number;
  tickUpper: number;
  amount0Desired: bigint;
  amount1Desired: bigint;
  slippageBps: bigint | number;
}): DepositQuote {
  if (p.amount0Desired < 0n) throw new InvalidAmountError("amount0Desired", p.amount0Desired, "≥ 0");
  if (p.amount1Desired < 0n) throw new InvalidAmountError("amount1Desired", p.amount1Desired, "≥ 0");
  const used = depositAmounts(p);
  const band = priceBand(p.sqrtPriceX96, p.slippageBps);
  // The price rising uses less token0, falling uses less token1: each min is taken at its worst edge.
  const atUpper = depositAmounts({ ...p, sqrtPriceX96: band.sqrtUpper });
  const atLower = depositAmounts({ ...p, sqrtPriceX96: band.sqrtLower });
  if (used.liquidity === 0n) {
    throw new InvalidAmountError(
      "amountDesired",
      `${p.amount0Desired}/${p.amount1Desired}`,
      "amounts that mint some liquidity in the range at this price",
    );
  }
  return {
    ...used,
    amount0Min: min(used.amount0, floorAmounts(band.sqrtUpper, p, atUpper.liquidity).amount0),
    amount1Min: min(used.amount1, floorAmounts(band.sqrtLower, p, atLower.liquidity).amount1),
  };
}

/**
 * Exact approvals of the desired amounts, the position-manager call, then each approval reset to zero: the position
 * manager pulls what the liquidity needs at the price of inclusion, which can be less than desired (the price moved
 * within the mins, rounding), and no allowance to it may outlive the batch. A reset costs ~3.9k gas when the approval
 * was spent, and refunds gas when it was not.
 */
const approved = (
  positionManager: Address,
  deposits: readonly (readonly [Address, bigint])[],
  call: Call,
): Call[] => {
  const pulled = deposits.filter(([, amount]) => amount > 0n);
  return [
    ...pulled.map(([token, amount]) => approveCall(token, positionManager, amount)),
    call,
    ...pulled.map(([token]) => approveCall(token, positionManager, 0n)),
  ];
};

/**
 * A new position: exact approvals of the desired amounts to the position manager, `mint` whose mins are the amounts
 * used at the worst price within ±slippage of `sqrtPriceX96`, then `approve(positionManager, 0)` for each approved
 * token (the mint may pull less than desired). Pure and sync; returns the calls and the deposit.
 */
export function encodeMint(p: EncodeMintParameters): { calls: Call[]; deposit: DepositQuote } {
  if (p.tickSpacing !== undefined) assertRange(p, p.tickSpacing);
  const d = deposit(p);
  const mint = encodeFunctionData({
    abi: positionManagerAbi,
    functionName: "mint",
    args: [
      {
        token0: p.token0,
        token1: p.token1,
        fee: p.fee,
        tickLower: p.tickLower,
        tickUpper: p.tickUpper,
        amount0Desired: p.amount0Desired,
        amount1Desired: p.amount1Desired,
        amount0Min: d.amount0Min,
        amount1Min: d.amount1Min,
        recipient: p.recipient,
        deadline: p.deadline,
      },
    ],
  });
  return {
    calls: approved(
      p.positionManager,
      [
        [p.token0, p.amount0Desired],
        [p.token1, p.amount1Desired],
      ],
      npmCall(p.positionManager, mint),
    ),
    deposit: d,
  };
}

/** Inputs of {@link encodeIncrease}. */
export type EncodeIncreaseParameters = {
  readonly positionManager: Address;
  readonly position: Pick<LpPosition, "tokenId" | "token0" | "token1" | "tickLower" | "tickUpper">;
  readonly sqrtPriceX96: bigint;
  readonly amount0Desired: bigint;
  readonly amount1Desired: bigint;
  readonly slippageBps: bigint | number;
  readonly deadline: bigint;
};

/** Adds liquidity to an existing position: exact approvals, `increaseLiquidity` with mins as {@link encodeMint}, resets to 0. */
export function encodeIncrease(p: EncodeIncreaseParameters): { calls: Call[]; deposit: DepositQuote } {
  const { position } = p;
  const d = deposit({ ...p, tickLower: position.tickLower, tickUpper: position.tickUpper });
  const data = encodeFunctionData({
    abi: positionManagerAbi,
    functionName: "increaseLiquidity",
    args: [
      {
        tokenId: position.tokenId,
        amount0Desired: p.amount0Desired,
        amount1Desired: p.amount1Desired,
        amount0Min: d.amount0Min,
        amount1Min: d.amount1Min,
        deadline: p.deadline,
      },
    ],
  });
  return {
    calls: approved(
      p.positionManager,
      [
        [position.token0, p.amount0Desired],
        [position.token1, p.amount1Desired],
      ],
      npmCall(p.positionManager, data),
    ),
    deposit: d,
  };
}

/** Inputs of {@link encodeCollect}. */
export type EncodeCollectParameters = {
  readonly positionManager: Address;
  readonly tokenId: bigint;
  readonly recipient: Address;
  /** Default: everything owed (uint128 max). */
  readonly amount0Max?: bigint;
  readonly amount1Max?: bigint;
};

/** `collect`: sends owed tokens (withdrawn principal and fees) to `recipient`. */
export function encodeCollect(p: EncodeCollectParameters): Call {
  return npmCall(
    p.positionManager,
    encodeFunctionData({
      abi: positionManagerAbi,
      functionName: "collect",
      args: [
        {
          tokenId: p.tokenId,
          recipient: p.recipient,
          amount0Max: p.amount0Max ?? MAX_UINT128,
          amount1Max: p.amount1Max ?? MAX_UINT128,
        },
      ],
    }),
  );
}

/** `burn`: destroys an empty position NFT (no liquidity, nothing owed). */
export function encodeBurn(p: { readonly positionManager: Address; readonly tokenId: bigint }): Call {
  return npmCall(
    p.positionManager,
    encodeFunctionData({ abi: positionManagerAbi, functionName: "burn", args: [p.tokenId] }),
  );
}

/** Inputs of {@link encodeDecrease}. */
export type EncodeDecreaseParameters = {
  /** The position as read (its pool state gives the expected amounts behind the mins). */
  readonly position: LpPosition;
  /** Liquidity to remove; default all of it. */
  readonly liquidity?: bigint;
  readonly slippageBps: bigint | number;
  readonly deadline: bigint;
  /** Who receives the tokens (normally the account itself). */
  readonly recipient: Address;
  /** Burn the NFT when all liquidity is removed (default true). */
  readonly burn?: boolean;
  /** Fold the calls into one position-manager `multicall` (default false: separate calls for the batch). */
  readonly combine?: boolean;
};

/** What a decrease returns at the read price: principal (guarded by the mins, its worst case within ±slippage) and fees. */
export type WithdrawalQuote = {
  readonly liquidity: bigint;
  readonly principal: TokenAmounts;
  readonly amount0Min: bigint;
  readonly amount1Min: bigint;
  /** Uncollected fees, collected with the principal. */
  readonly fees: TokenAmounts;
  /** Tokens guaranteed to arrive if the batch succeeds: mins + fees. */
  readonly guaranteed: TokenAmounts;
};

/**
 * Removes liquidity: `decreaseLiquidity` (mins: the principal at the worst price within ±slippage), `collect`
 * of everything owed to `recipient`, and `burn` when the position ends empty.
 */
export function encodeDecrease(p: EncodeDecreaseParameters): { calls: Call[]; withdrawal: WithdrawalQuote } {
  const { position } = p;
  const npm = position.positionManager;
  const liquidity = p.liquidity ?? position.liquidity;
  if (liquidity < 0n || liquidity > position.liquidity) {
    throw new InvalidAmountError("liquidity", liquidity, `an amount in [0, ${position.liquidity}]`);
  }
  const principal = getPositionPrincipal({
    sqrtPriceX96: position.poolState.sqrtPriceX96,
    tick: position.poolState.tick,
    tickLower: position.tickLower,
    tickUpper: position.tickUpper,
    liquidity,
  });
  // The principal at the worst price within ±slippage: less token0 when the price rises, less token1 when it falls.
  const band = priceBand(position.poolState.sqrtPriceX96, p.slippageBps);
  const amount0Min = min(principal.amount0, floorAmounts(band.sqrtUpper, position, liquidity).amount0);
  const amount1Min = min(principal.amount1, floorAmounts(band.sqrtLower, position, liquidity).amount1);
  // Fees accrue to the whole position; collect(max) takes them all, whatever share of liquidity is removed.
  const fees = getPositionFees(position);
  const calls: Call[] = [];
  if (liquidity > 0n) {
    calls.push(
      npmCall(
        npm,
        encodeFunctionData({
          abi: positionManagerAbi,
          functionName: "decreaseLiquidity",
          args: [{ tokenId: position.tokenId, liquidity, amount0Min, amount1Min, deadline: p.deadline }],
        }),
      ),
    );
  }
  calls.push(encodeCollect({ positionManager: npm, tokenId: position.tokenId, recipient: p.recipient }));
  if (liquidity === position.liquidity && (p.burn ?? true)) {
    calls.push(encodeBurn({ positionManager: npm, tokenId: position.tokenId }));
  }
  return {
    calls: p.combine ? combinePositionManagerCalls(npm, calls) : calls,
    withdrawal: {
      liquidity,
      principal,
      amount0Min,
      amount1Min,
      fees,
      guaranteed: { amount0: amount0Min + fees.amount0, amount1: amount1Min + fees.amount1 },
    },
  };
}
