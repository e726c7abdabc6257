import {
  type BlockchainProviderConnector,
  FusionSDK,
  type HttpProviderConnector,
  type NetworkEnum,
} from "@1inch/fusion-sdk";
import { encodeFunctionData, erc20Abi, type Hash, hashDomain, type TypedDataDefinition } from "viem";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  advanceTimeTo,
  FUSION_EIP712_DOMAIN,
  type FusionApi,
  type FusionResolver,
  fund,
  fusionOrderExpiration,
  LIMIT_ORDER_PROTOCOL_ADDRESS,
  limitOrderProtocolAbi,
  sendAndWait,
  startFusionApi,
  startFusionResolver,
  testAccounts,
} from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

// The real LOP v4 + SimpleSettlement (compiled by the testkit), the Fusion API stand-in, and an order built, signed
// and submitted by @1inch/fusion-sdk unchanged: the stand-in must speak the wire format the SDK reads.
const chain = useTestChain({ chainId: 1 });
const { alice } = testAccounts;
const WETH = 10n ** 18n;

let api: FusionApi;
let resolver: FusionResolver | undefined;
beforeAll(async () => {
  api = await startFusionApi({ chains: [chain] });
});
afterAll(async () => {
  await api?.close();
});
afterEach(async () => {
  await resolver?.stop();
  resolver = undefined;
});

/** The SDK over plain fetch (an empty 201 from submit is not JSON), signing with alice's viem account. */
function sdk(): FusionSDK {
  const json = async (res: Response) => {
    const text = await res.text();
    if (!res.ok) throw new Error(`${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const httpProvider: HttpProviderConnector = {
    get: async (url) => json(await fetch(url)),
    post: async (url, body) =>
      json(
        await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      ),
  };
  const blockchainProvider: BlockchainProviderConnector = {
    signTypedData: async (_wallet, typedData) => {
      const { EIP712Domain: _, ...types } = typedData.types;
      return alice.signTypedData({ ...typedData, types } as unknown as TypedDataDefinition);
    },
    ethCall: async () => {
      throw new Error("no chain call expected");
    },
  };
  return new FusionSDK({
    url: api.url,
    network: chain.chainId as NetworkEnum,
    httpProvider,
    blockchainProvider,
  });
}

/**
 * The SDK times orders by the host clock, the contracts by the chain's, and `evm_revert` (after each test) sets the
 * chain's clock back to the snapshot's: bring it to the host clock before an order is built.
 */
const syncClock = () => advanceTimeTo(chain, { timestamp: BigInt(Math.floor(Date.now() / 1000)) });

const balance = (token: "WETH" | "USDC") =>
  chain.publicClient.readContract({
    address: chain.deployment.tokens[token].address,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [alice.address],
  });

/** alice holds `amount` WETH approved to the LOP and places a WETH → USDC order through the SDK. */
async function placeOrder(amount: bigint) {
  const { tokens, fusion } = chain.deployment;
  await syncClock();
  await fund(chain, { account: alice.address, token: "WETH", amount });
  await sendAndWait(chain, chain.walletClients.alice, {
    to: tokens.WETH.address,
    data: encodeFunctionData({
      abi: erc20Abi,
      functionName: "approve",
      args: [fusion.limitOrderProtocol, amount],
    }),
  });
  return sdk().placeOrder({
    fromTokenAddress: tokens.WETH.address,
    toTokenAddress: tokens.USDC.address,
    amount: amount.toString(),
    walletAddress: alice.address,
  });
}

it("is deployed at the router's address with the domain the SDK signs for", async () => {
  const { fusion } = chain.deployment;
  expect(fusion.limitOrderProtocol).toBe(LIMIT_ORDER_PROTOCOL_ADDRESS);
  const separator = await chain.publicClient.readContract({
    address: fusion.limitOrderProtocol,
    abi: limitOrderProtocolAbi,
    functionName: "DOMAIN_SEPARATOR",
  });
  expect(separator).toBe(
    hashDomain({
      domain: {
        ...FUSION_EIP712_DOMAIN,
        chainId: BigInt(chain.chainId),
        verifyingContract: fusion.limitOrderProtocol,
      },
      types: {
        EIP712Domain: [
          { name: "name", type: "string" },
          { name: "version", type: "string" },
          { name: "chainId", type: "uint256" },
          { name: "verifyingContract", type: "address" },
        ],
      },
    }),
  );
});

it("fills an SDK order through the real contracts; the stand-in reports the fill from the chain", async () => {
  const [wethBefore, usdcBefore] = [await balance("WETH"), await balance("USDC")];
  const placed = await placeOrder(10n * WETH);
  const orderHash = placed.orderHash as Hash;
  expect(api.orders.map((o) => o.orderHash)).toEqual([orderHash.toLowerCase()]);
  // The settlement's auction: 10 WETH at the 3,000 feed, from 30,000 USDC down to 29,850 (−50 bps) over 180 s.
  expect(BigInt(placed.order.takingAmount)).toBe(29_850n * 10n ** 6n);

  resolver = startFusionResolver({ chains: [chain], api: api.url });
  const fill = await resolver.waitFor(orderHash);
  expect(fill.makingAmount).toBe(10n * WETH);
  expect(fill.takingAmount).toBeGreaterThanOrEqual(29_850n * 10n ** 6n);
  expect(fill.takingAmount).toBeLessThanOrEqual(30_000n * 10n ** 6n);
  expect(await balance("WETH")).toBe(wethBefore);
  expect((await balance("USDC")) - usdcBefore).toBe(fill.takingAmount);

  const status = await sdk().getOrderStatus(orderHash);
  expect(status.status).toBe("filled");
  expect(status.fills).toEqual([
    expect.objectContaining({
      txHash: fill.hash,
      filledMakerAmount: (10n * WETH).toString(),
      filledAuctionTakerAmount: fill.takingAmount.toString(),
    }),
  ]);
  expect(resolver.errors).toEqual([]);
});

it("fills only once the auction reaches the resolver's price", async () => {
  const placed = await placeOrder(WETH);
  const orderHash = placed.orderHash as Hash;
  // 2,990 USDC for 1 WETH: the auction starts at 3,000 and reaches 2,990 after 120 of its 180 s.
  const max = 2_990n * 10n ** 6n;
  resolver = startFusionResolver({ chains: [chain], api: api.url, maxTakingAmount: () => max });
  const start = BigInt(Math.floor(Date.now() / 1000));
  await expect(resolver.waitFor(orderHash, 300)).rejects.toThrow(/not filled/);
  await advanceTimeTo(chain, { timestamp: start + 130n });
  const fill = await resolver.waitFor(orderHash);
  expect(fill.takingAmount).toBeLessThanOrEqual(max);
  expect(fill.takingAmount).toBeGreaterThanOrEqual(2_985n * 10n ** 6n);
});

it("refuses a submission whose signature is not the maker's", async () => {
  const res = await fetch(`${api.url}/relayer/v2.0/${chain.chainId}/order/submit`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      order: {
        salt: "1",
        maker: alice.address,
        receiver: "0x0000000000000000000000000000000000000000",
        makerAsset: chain.deployment.tokens.WETH.address,
        takerAsset: chain.deployment.tokens.USDC.address,
        makingAmount: "1",
        takingAmount: "1",
        makerTraits: "0",
      },
      signature: await testAccounts.bob.signMessage({ message: "not an order" }),
      quoteId: "q",
      extension: "0x",
    }),
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ message: "invalid signature" });
});

// Last: it moves the chain's clock past the order's expiry.
it("never fills in never mode: the order expires on chain time, nothing moved", async () => {
  const wethBefore = await balance("WETH");
  resolver = startFusionResolver({ chains: [chain], api: api.url, mode: "never" });
  const placed = await placeOrder(WETH);
  const orderHash = placed.orderHash as Hash;
  const key = `${chain.chainId}:${orderHash.toLowerCase()}`;
  await expect.poll(() => resolver?.seen.has(key), { timeout: 10_000, interval: 20 }).toBe(true);
  expect((await sdk().getOrderStatus(orderHash)).status).toBe("pending");

  await advanceTimeTo(chain, { timestamp: fusionOrderExpiration(BigInt(placed.order.makerTraits)) + 1n });
  expect((await sdk().getOrderStatus(orderHash)).status).toBe("expired");
  const res = await fetch(`${api.url}/orders/v2.0/${chain.chainId}/order/active/?page=1&limit=10`);
  const active = (await res.json()) as { items: unknown[] };
  expect(active.items).toEqual([]);
  expect(resolver.fills).toEqual([]);
  expect((await balance("WETH")) - wethBefore).toBe(WETH);
  const allowance = await chain.publicClient.readContract({
    address: chain.deployment.tokens.WETH.address,
    abi: erc20Abi,
    functionName: "allowance",
    args: [alice.address, chain.deployment.fusion.limitOrderProtocol],
  });
  expect(allowance).toBe(WETH);
});
