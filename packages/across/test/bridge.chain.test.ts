/**
 * The package against the real SpokePool on two local chains: quotes from the Across API stand-in (same wire
 * format, same client code as the real URL), deposits encoded here and sent by the keeper's account, fills by the
 * testkit's relayer through the real `fillRelay`, refunds through a root bundle on the origin.
 */

import type { Call } from "@ballast/core";
import {
  type AcrossApi,
  type AcrossRelayer,
  acrossApiError,
  advanceTimeTo,
  delegateToSimple7702,
  fund,
  simple7702AccountAbi,
  startAcrossApi,
  startAcrossRelayer,
  type TestChain,
  testAccounts,
  waitForSuccess,
} from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import { erc20Abi } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AcrossDepositRequest,
  AcrossFeeTooHighError,
  AcrossHttpError,
  AcrossOutputTooLowError,
  AcrossQuoteMismatchError,
  AcrossResponseError,
  createAcrossClient,
  depositFromReceipt,
  findDepositRefund,
  getDepositStatus,
  getLimits,
  quoteDeposit,
  readDepositState,
} from "../src/index.ts";

const a = useTestChain({ chainId: 1 });
const b = useTestChain({ chainId: 8453 });
const keeper = testAccounts.keeper.address;
const USDC = 10n ** 6n;

let api: AcrossApi;
let relayer: AcrossRelayer | undefined;
beforeAll(async () => {
  // 1 bp LP + 4 bps capital + 0.01 USDC gas: 5.1 bps on 1,000 USDC, 5.2 bps on 500.
  api = await startAcrossApi({ chains: [a, b], lpFeeBps: 1, capitalFeeBps: 4, gasFee: { USDC: 10_000n } });
});
afterAll(async () => {
  await api?.close();
});
afterEach(async () => {
  await relayer?.stop();
  relayer = undefined;
  api.faults.length = 0;
});

const client = () => createAcrossClient({ baseUrl: api.url, retries: 0 });

const usdc = (chain: TestChain) =>
  chain.publicClient.readContract({
    address: chain.deployment.tokens.USDC.address,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [keeper],
  });

/** The request the engine will make for a USDC leg a → b: config SpokePool, origin clock, planner minimum. */
async function leg(amount: bigint, patch: Partial<AcrossDepositRequest> = {}): Promise<AcrossDepositRequest> {
  const head = await a.publicClient.getBlock({ blockTag: "latest" });
  return {
    originChainId: a.chainId,
    destinationChainId: b.chainId,
    inputToken: a.deployment.tokens.USDC.address,
    outputToken: b.deployment.tokens.USDC.address,
    inputDecimals: 6,
    outputDecimals: 6,
    inputAmount: amount,
    minOutputAmount: (amount * 9_990n) / 10_000n,
    account: keeper,
    spokePool: a.deployment.across.spokePool,
    maxFeeBps: 10,
    now: Number(head.timestamp),
    ...patch,
  };
}

/**
 * Sends the package's calls as the keeper does: ONE `executeBatch` of its EIP-7702-delegated account (delegated on
 * first use; the per-test revert undoes it). Returns the deposit as the origin chain recorded it.
 */
async function send(calls: readonly Call[]) {
  const account = testAccounts.keeper;
  if (!(await a.publicClient.getCode({ address: keeper }))) await delegateToSimple7702(a, { account });
  const hash = await a.walletClient(account).writeContract({
    address: keeper,
    abi: simple7702AccountAbi,
    functionName: "executeBatch",
    args: [calls.map((c) => ({ target: c.to, value: c.value, data: c.data }))],
    gas: 1_000_000n,
  });
  const receipt = await waitForSuccess(a, hash, "keeper executeBatch");
  return depositFromReceipt({ receipt, spokePool: a.deployment.across.spokePool, originChainId: a.chainId });
}

describe("an Across leg on real contracts", () => {
  it("deposits what the package encodes in one batch of the keeper's account; the relayer fills and the recipient's balance rises by outputAmount", async () => {
    relayer = startAcrossRelayer({ chains: [a, b], mode: "never" }); // until the deposit is seen pending
    await fund(a, { account: keeper, token: "USDC", amount: 1_000n * USDC });
    const quote = await quoteDeposit(client(), await leg(1_000n * USDC));
    expect(quote.deposit.outputAmount).toBe(999_490_000n);
    const before = await usdc(b);

    const deposit = await send(quote.calls);
    expect(deposit).toMatchObject({
      destinationChainId: b.chainId,
      depositor: keeper,
      recipient: keeper,
      inputAmount: 1_000n * USDC,
      outputAmount: quote.deposit.outputAmount,
      fillDeadline: quote.deposit.fillDeadline,
    });
    expect(await usdc(a)).toBe(0n);
    const pending = await readDepositState(b.publicClient, {
      spokePool: b.deployment.across.spokePool,
      deposit,
    });
    expect(pending.state).toBe("pending");

    relayer.setMode("fill");
    await relayer.waitFor({ originChainId: a.chainId, depositId: deposit.depositId });
    expect((await usdc(b)) - before).toBe(quote.deposit.outputAmount);
    expect(
      await readDepositState(b.publicClient, { spokePool: b.deployment.across.spokePool, deposit }),
    ).toEqual({
      state: "filled",
    });
    const status = await getDepositStatus(client(), {
      originChainId: a.chainId,
      depositId: deposit.depositId,
    });
    expect([status.status, status.depositTxnRef]).toEqual(["filled", deposit.transactionHash]);
    expect(relayer.errors).toEqual([]);
  });

  // SpokePool 5.0.27 unwraps WETH for an EOA and for an EIP-7702-delegated one alike (`_is7702DelegatedWallet`):
  // only a contract (a Safe) receives WETH. The keeper's account gets ETH for a bridged WETH leg.
  it("bridged WETH arrives as native ETH at the keeper's account, with or without its EIP-7702 delegation", async () => {
    relayer = startAcrossRelayer({ chains: [a, b] });
    await fund(a, { account: keeper, token: "WETH", amount: 2n * 10n ** 18n });
    const weth = {
      inputToken: a.deployment.tokens.WETH.address,
      outputToken: b.deployment.tokens.WETH.address,
    };
    const balances = async () => ({
      eth: await b.publicClient.getBalance({ address: keeper }),
      weth: await b.publicClient.readContract({
        address: b.deployment.tokens.WETH.address,
        abi: erc20Abi,
        functionName: "balanceOf",
        args: [keeper],
      }),
    });
    const bridge = async () => {
      const quote = await quoteDeposit(
        client(),
        await leg(10n ** 18n, { ...weth, inputDecimals: 18, outputDecimals: 18 }),
      );
      const deposit = await send(quote.calls);
      await relayer!.waitFor({ originChainId: a.chainId, depositId: deposit.depositId });
      return quote.deposit.outputAmount;
    };

    let before = await balances(); // the keeper has no code on b yet
    let out = await bridge();
    expect(await balances()).toEqual({ eth: before.eth + out, weth: before.weth });

    await delegateToSimple7702(b, { account: testAccounts.keeper });
    before = await balances();
    out = await bridge();
    expect(await balances()).toEqual({ eth: before.eth + out, weth: before.weth });
    expect(relayer.errors).toEqual([]);
  });

  it("refuses hostile quotes (SpokePool, output, fee) before any call exists: nothing is sent", async () => {
    const nonce = await a.publicClient.getTransactionCount({ address: keeper });
    const tamper = (patch: Record<string, unknown>) =>
      api.faults.push((_req, honest) => ({ ...honest, json: { ...(honest.json as object), ...patch } }));

    tamper({ spokePoolAddress: b.deployment.accounts.whale });
    await expect(quoteDeposit(client(), await leg(500n * USDC))).rejects.toBeInstanceOf(
      AcrossQuoteMismatchError,
    );
    tamper({ outputAmount: "499000000" });
    await expect(quoteDeposit(client(), await leg(500n * USDC))).rejects.toBeInstanceOf(
      AcrossOutputTooLowError,
    );
    await expect(quoteDeposit(client(), await leg(500n * USDC, { maxFeeBps: 4 }))).rejects.toBeInstanceOf(
      AcrossFeeTooHighError,
    );

    expect(await a.publicClient.getTransactionCount({ address: keeper })).toBe(nonce);
    expect(
      await a.publicClient.readContract({
        address: a.deployment.across.spokePool,
        abi: (await import("../src/abi.ts")).spokePoolAbi,
        functionName: "numberOfDeposits",
      }),
    ).toBe(0);
  });

  it("types the stand-in's errors: API refusals, malformed answers", async () => {
    const tooLow = await quoteDeposit(client(), await leg(1n)).catch((e: unknown) => e);
    expect(tooLow).toBeInstanceOf(AcrossHttpError);
    expect(tooLow).toMatchObject({ status: 400, code: "AMOUNT_TOO_LOW" });

    api.faults.push(() => acrossApiError(400, "ROUTE_NOT_ENABLED", "Route is not enabled"));
    await expect(quoteDeposit(client(), await leg(500n * USDC))).rejects.toMatchObject({
      name: "AcrossHttpError",
      code: "ROUTE_NOT_ENABLED",
    });
    api.faults.push((_req, honest) => ({ json: { ...(honest.json as object), outputAmount: 499.5 } }));
    await expect(quoteDeposit(client(), await leg(500n * USDC))).rejects.toBeInstanceOf(AcrossResponseError);

    const limits = await getLimits(client(), {
      originChainId: a.chainId,
      destinationChainId: b.chainId,
      inputToken: a.deployment.tokens.USDC.address,
      outputToken: b.deployment.tokens.USDC.address,
    });
    expect(limits.relayerFeeDetails?.capitalFeePercent).toBe(4n * 10n ** 14n); // 4 bps, 1e18-scaled
  });

  it("a deposit never filled expires on the destination and is refunded on the origin, and both are detected", async () => {
    relayer = startAcrossRelayer({ chains: [a, b], mode: "never" });
    await fund(a, { account: keeper, token: "USDC", amount: 200n * USDC });
    const fromBlock = await a.publicClient.getBlockNumber();
    const quote = await quoteDeposit(client(), await leg(200n * USDC, { fillDeadlineSec: 120 }));
    const deposit = await send(quote.calls);
    const where = { spokePool: b.deployment.across.spokePool, deposit };
    expect(await readDepositState(b.publicClient, where)).toMatchObject({ state: "pending" });
    expect(await usdc(a)).toBe(0n);

    // Each chain to the same absolute time: an idle chain's head lags the other's by seconds.
    await Promise.all([a, b].map((c) => advanceTimeTo(c, { timestamp: BigInt(deposit.fillDeadline) + 1n })));
    expect(await readDepositState(b.publicClient, where)).toMatchObject({ state: "expired" });
    await relayer.waitFor({ originChainId: a.chainId, depositId: deposit.depositId, refunded: true });

    const refund = await findDepositRefund(a.publicClient, {
      spokePool: a.deployment.across.spokePool,
      deposit,
      fromBlock,
    });
    expect(refund).toMatchObject({ rootBundleId: 0, leafId: 0 });
    expect(await usdc(a)).toBe(200n * USDC);
    expect(await usdc(b)).toBe(0n);
    const status = await getDepositStatus(client(), {
      originChainId: a.chainId,
      depositId: deposit.depositId,
    });
    expect(status.status).toBe("refunded");
  });
});
