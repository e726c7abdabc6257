import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  encodeFunctionData,
  erc20Abi,
  maxUint256,
} from "viem";
import { describe, expect, it } from "vitest";
import {
  aavePoolAbi,
  delegateToSimple7702,
  delegationDesignator,
  fund,
  getPool,
  quoterV2Abi,
  simple7702AccountAbi,
  swapRouterAbi,
  testAccounts,
} from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

const chain = useTestChain({ chainId: 1 });
const { dave, erin } = testAccounts;

describe("EIP-7702 with Simple7702Account", () => {
  it("approves, swaps and supplies in ONE self-sent type-4 transaction", async () => {
    const { aave, uniswap, tokens, simple7702Account } = chain.deployment;
    const pool = getPool(chain.deployment, "WETH/USDC/500");
    const wallet = chain.walletClient(dave);
    const amountIn = 6_000n * 10n ** 6n;
    await fund(chain, { account: dave.address, token: "USDC", amount: amountIn });
    expect(await chain.publicClient.getCode({ address: dave.address })).toBeUndefined();

    const { result } = await chain.publicClient.simulateContract({
      address: uniswap.quoterV2,
      abi: quoterV2Abi,
      functionName: "quoteExactInputSingle",
      args: [
        {
          tokenIn: tokens.USDC.address,
          tokenOut: tokens.WETH.address,
          amountIn,
          fee: pool.fee,
          sqrtPriceLimitX96: 0n,
        },
      ],
    });
    const minOut = (result[0] * 997n) / 1000n;

    const calls = [
      {
        target: tokens.USDC.address,
        value: 0n,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: "approve",
          args: [uniswap.swapRouter, amountIn],
        }),
      },
      {
        target: uniswap.swapRouter,
        value: 0n,
        data: encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInputSingle",
          args: [
            {
              tokenIn: tokens.USDC.address,
              tokenOut: tokens.WETH.address,
              fee: pool.fee,
              recipient: dave.address,
              deadline: maxUint256,
              amountIn,
              amountOutMinimum: minOut,
              sqrtPriceLimitX96: 0n,
            },
          ],
        }),
      },
      {
        target: tokens.WETH.address,
        value: 0n,
        data: encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [aave.pool, minOut] }),
      },
      {
        target: aave.pool,
        value: 0n,
        data: encodeFunctionData({
          abi: aavePoolAbi,
          functionName: "supply",
          args: [tokens.WETH.address, minOut, dave.address, 0],
        }),
      },
    ];
    const data = encodeFunctionData({
      abi: simple7702AccountAbi,
      functionName: "executeBatch",
      args: [calls],
    });

    // executor 'self': the authorization's nonce is the transaction's nonce + 1.
    const nonce = await chain.publicClient.getTransactionCount({ address: dave.address });
    const authorization = await wallet.signAuthorization({
      account: dave,
      contractAddress: simple7702Account,
      executor: "self",
    });
    expect(authorization.nonce).toBe(nonce + 1);

    // Estimate WITH the authorization list: without it the estimate is for a call to a code-less EOA.
    const withAuth = await chain.publicClient.estimateGas({
      account: dave,
      to: dave.address,
      data,
      authorizationList: [authorization],
    });
    const withoutAuth = await chain.publicClient.estimateGas({ account: dave, to: dave.address, data });
    expect(withoutAuth).toBeLessThan(100_000n);
    expect(withAuth).toBeGreaterThan(withoutAuth * 3n);

    const hash = await wallet.sendTransaction({
      account: dave,
      to: dave.address,
      data,
      authorizationList: [authorization],
      gas: (withAuth * 13n) / 10n, // estimates for Uniswap/Aave can be exactly tight: pad
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    expect(receipt.type).toBe("eip7702");

    expect((await chain.publicClient.getCode({ address: dave.address }))?.toLowerCase()).toBe(
      delegationDesignator(simple7702Account),
    );
    const [usdcLeft, wethLeft, aWeth] = await Promise.all(
      [tokens.USDC.address, tokens.WETH.address, aave.reserves.WETH.aToken].map((address) =>
        chain.publicClient.readContract({
          address,
          abi: erc20Abi,
          functionName: "balanceOf",
          args: [dave.address],
        }),
      ),
    );
    expect(usdcLeft).toBe(0n);
    expect(aWeth).toBeGreaterThanOrEqual(minOut - 1n); // aToken rounding
    expect(wethLeft).toBe(result[0] - minOut); // the quote was exact; the slippage buffer stays idle
    expect(await chain.publicClient.getTransactionCount({ address: dave.address })).toBe(nonce + 2);
  });

  it("a failing call reverts the whole batch with ExecuteError, and delegateToSimple7702 delegates an EOA", async () => {
    const { tokens, uniswap } = chain.deployment;
    await delegateToSimple7702(chain, { account: erin });
    await fund(chain, { account: erin.address, token: "USDC", amount: 100n });
    const calls = [
      {
        target: tokens.USDC.address,
        value: 0n,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: "approve",
          args: [uniswap.swapRouter, 100n],
        }),
      },
      {
        target: tokens.USDC.address,
        value: 0n,
        data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [dave.address, 1_000n] }),
      },
    ];
    const error = await chain.publicClient
      .simulateContract({
        account: erin,
        address: erin.address,
        abi: simple7702AccountAbi,
        functionName: "executeBatch",
        args: [calls],
      })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BaseError);
    const reverted = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError);
    expect(reverted).toBeInstanceOf(ContractFunctionRevertedError);
    const { errorName, args } = (reverted as ContractFunctionRevertedError).data ?? {};
    expect(errorName).toBe("ExecuteError");
    expect(args?.[0]).toBe(1n); // the second call failed
    const [reason] = decodeErrorResult({ abi: [], data: args?.[1] as `0x${string}` }).args ?? [];
    expect(reason).toBe("ERC20: transfer amount exceeds balance");
  });
});
