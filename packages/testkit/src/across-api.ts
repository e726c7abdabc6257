/**
 * A local stand-in for the Across API (`/suggested-fees`, `/limits`, `/deposit/status`) over testkit chains, speaking
 * the documented wire format: decimal strings, 1e18-scaled `pct`, errors as `{type: "AcrossApiError", code, status,
 * message, param}`. Quotes take their timestamp from the origin chain's latest block; deposit statuses are read from
 * the chains: `FundsDeposited` and refund leaves on the origin, `fillStatuses` and `FilledRelay` on the destination.
 */
import { type Hex, parseEventLogs } from "viem";
import { spokePoolArtifactAbi } from "./across.ts";
import type { RelayData } from "./across-relayer.ts";
import { acrossRelayHash } from "./across-relayer.ts";
import type { TestChain } from "./chain.ts";
import type { TokenSymbol } from "./config.ts";
import type { TokenInfo } from "./deployment.ts";
import { type StandIn, type StandInReply, type StandInRequest, startStandIn } from "./stand-in.ts";

/** Options of {@link startAcrossApi}. */
export type AcrossApiParameters = {
  chains: readonly TestChain[];
  /** LP fee in bps of the input. Default 1. */
  lpFeeBps?: number;
  /** Relayer capital fee in bps of the input. Default 4. */
  capitalFeeBps?: number;
  /** Relayer gas fee per token, in its base units. Default none. */
  gasFee?: Partial<Record<TokenSymbol, bigint>>;
  /** Route limits in input base units. Defaults: 1 unit and 10^30. */
  minDeposit?: bigint;
  maxDeposit?: bigint;
  /** `estimatedFillTimeSec` of quotes. Default 2. */
  estimatedFillTimeSec?: number;
  /** Fill window of quotes (`fillDeadline = timestamp + this`), seconds. Default 7,200 (the API's default). */
  fillDeadlineSec?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
};

/** A one-shot change to the next answer: receives the request and the honest reply, returns the one to send. */
export type AcrossApiFault = (req: StandInRequest, honest: StandInReply) => StandInReply;

/** The running stand-in: its URL (the client's `baseUrl`), the requests it saw, a queue of faults, `close()`. */
export type AcrossApi = StandIn & { readonly faults: AcrossApiFault[] };

const WAD = 10n ** 18n;

/** An Across API error body and status, as the real service sends them. */
export const acrossApiError = (
  status: number,
  code: string,
  message: string,
  param?: string,
): StandInReply => ({
  status,
  json: { type: "AcrossApiError", code, status, message, ...(param ? { param } : {}) },
});

/** Starts the stand-in on 127.0.0.1 (port 0). */
export async function startAcrossApi(params: AcrossApiParameters): Promise<AcrossApi> {
  const faults: AcrossApiFault[] = [];
  const honest = async (req: StandInRequest): Promise<StandInReply> => {
    if (params.apiKey && req.headers.authorization !== `Bearer ${params.apiKey}`)
      return { status: 401, json: { type: "AcrossApiError", status: 401, message: "Unauthorized" } };
    switch (req.path.replace(/\/+$/, "")) {
      case "/suggested-fees":
        return suggestedFees(params, req.query);
      case "/limits":
        return limits(params, req.query);
      case "/deposit/status":
        return depositStatus(params, req.query);
      default:
        return acrossApiError(404, "INVALID_PARAM", `no route ${req.path}`);
    }
  };
  const server = await startStandIn(async (req) => {
    const reply = await honest(req);
    const fault = faults.shift();
    return fault ? fault(req, reply) : reply;
  });
  return { ...server, faults };
}

type Route = { origin: TestChain; destination: TestChain; input: TokenInfo; output: TokenInfo };

/** Resolves and checks a route from the query, or returns the error reply the API gives. */
function route(params: AcrossApiParameters, q: URLSearchParams): Route | StandInReply {
  const chain = (key: string) => params.chains.find((c) => String(c.chainId) === q.get(key));
  const origin = chain("originChainId");
  const destination = chain("destinationChainId");
  if (!origin) return acrossApiError(400, "INVALID_PARAM", "Unsupported origin chain", "originChainId");
  if (!destination || destination === origin)
    return acrossApiError(400, "INVALID_PARAM", "Unsupported destination chain", "destinationChainId");
  const token = (c: TestChain, key: string) =>
    Object.values(c.deployment.tokens).find((t) => t.address.toLowerCase() === q.get(key)?.toLowerCase());
  const input = token(origin, "inputToken");
  const output = token(destination, "outputToken");
  if (!input || !output)
    return acrossApiError(404, "INVALID_PARAM", "Unable to find tokenDetails", "inputToken");
  if (input.symbol !== output.symbol)
    return acrossApiError(
      400,
      "ROUTE_NOT_ENABLED",
      `Route ${input.symbol} → ${output.symbol} is not enabled`,
    );
  return { origin, destination, input, output };
}

function fees(params: AcrossApiParameters, symbol: TokenSymbol, amount: bigint) {
  const lp = (amount * BigInt(params.lpFeeBps ?? 1)) / 10_000n;
  const capital = (amount * BigInt(params.capitalFeeBps ?? 4)) / 10_000n;
  const gas = params.gasFee?.[symbol] ?? 0n;
  const pct = (total: bigint) => (amount > 0n ? (total * WAD) / amount : 0n).toString();
  const fee = (total: bigint) => ({ pct: pct(total), total: total.toString() });
  const total = lp + capital + gas;
  return { lp, capital, gas, total, fee, pct };
}

function limitsOf(params: AcrossApiParameters) {
  const max = (params.maxDeposit ?? 10n ** 30n).toString();
  return {
    minDeposit: (params.minDeposit ?? 1n).toString(),
    maxDeposit: max,
    maxDepositInstant: max,
    maxDepositShortDelay: max,
    recommendedDepositInstant: max,
  };
}

const tokenJson = (t: TokenInfo, chainId: number) => ({
  address: t.address,
  symbol: t.symbol,
  decimals: t.decimals,
  chainId,
});

async function suggestedFees(params: AcrossApiParameters, q: URLSearchParams): Promise<StandInReply> {
  const r = route(params, q);
  if (!("origin" in r)) return r;
  const amountText = q.get("amount");
  if (!amountText || !/^\d+$/.test(amountText))
    return acrossApiError(400, "INVALID_PARAM", "Invalid parameter at path 'amount'", "amount");
  const amount = BigInt(amountText);
  if (amount > (params.maxDeposit ?? 10n ** 30n))
    return acrossApiError(400, "AMOUNT_TOO_HIGH", "Amount exceeds max. deposit limit");
  const f = fees(params, r.input.symbol, amount);
  if (f.total >= amount || amount < (params.minDeposit ?? 1n))
    return acrossApiError(400, "AMOUNT_TOO_LOW", "Sent amount is too low relative to fees");
  const block = await r.origin.publicClient.getBlock({ blockTag: "latest" });
  return {
    json: {
      estimatedFillTimeSec: params.estimatedFillTimeSec ?? 2,
      capitalFeePct: f.pct(f.capital),
      capitalFeeTotal: f.capital.toString(),
      relayGasFeePct: f.pct(f.gas),
      relayGasFeeTotal: f.gas.toString(),
      relayFeePct: f.pct(f.total),
      relayFeeTotal: f.total.toString(),
      lpFeePct: "0",
      timestamp: block.timestamp.toString(),
      isAmountTooLow: false,
      quoteBlock: block.number.toString(),
      exclusiveRelayer: "0x0000000000000000000000000000000000000000",
      exclusivityDeadline: 0,
      spokePoolAddress: r.origin.deployment.across.spokePool,
      destinationSpokePoolAddress: r.destination.deployment.across.spokePool,
      totalRelayFee: f.fee(f.total),
      relayerCapitalFee: f.fee(f.capital),
      relayerGasFee: f.fee(f.gas),
      lpFee: f.fee(f.lp),
      limits: limitsOf(params),
      fillDeadline: (block.timestamp + BigInt(params.fillDeadlineSec ?? 7_200)).toString(),
      outputAmount: (amount - f.total).toString(),
      inputToken: tokenJson(r.input, r.origin.chainId),
      outputToken: tokenJson(r.output, r.destination.chainId),
    },
  };
}

function limits(params: AcrossApiParameters, q: URLSearchParams): StandInReply {
  const r = route(params, q);
  if (!("origin" in r)) return r;
  const probe = 10n ** BigInt(r.input.decimals);
  const f = fees(params, r.input.symbol, probe);
  return {
    json: {
      ...limitsOf(params),
      relayerFeeDetails: {
        relayFeeTotal: (f.capital + f.gas).toString(),
        relayFeePercent: f.pct(f.capital + f.gas),
        gasFeeTotal: f.gas.toString(),
        gasFeePercent: f.pct(f.gas),
        capitalFeeTotal: f.capital.toString(),
        capitalFeePercent: f.pct(f.capital),
      },
    },
  };
}

async function depositStatus(params: AcrossApiParameters, q: URLSearchParams): Promise<StandInReply> {
  const origin = params.chains.find((c) => String(c.chainId) === q.get("originChainId"));
  const idText = q.get("depositId");
  if (!origin || !idText || !/^\d+$/.test(idText))
    return acrossApiError(400, "INVALID_PARAM", "originChainId and depositId are required");
  const depositId = BigInt(idText);
  const logs = await origin.publicClient.getLogs({
    address: origin.deployment.across.spokePool,
    fromBlock: 0n,
    toBlock: "latest",
  });
  const event = parseEventLogs({ abi: spokePoolArtifactAbi(), eventName: "FundsDeposited", logs }).find(
    (e) => (e.args as { depositId: bigint }).depositId === depositId,
  );
  if (!event)
    return { status: 404, json: { error: "DepositNotFoundException", message: "Deposit not found" } };
  const { destinationChainId, ...args } = event.args as unknown as Omit<RelayData, "originChainId"> & {
    destinationChainId: bigint;
  };
  const destination = params.chains.find((c) => BigInt(c.chainId) === destinationChainId);
  const relayData: RelayData = { ...args, originChainId: BigInt(origin.chainId) };
  const base = {
    originChainId: origin.chainId,
    depositId: depositId.toString(),
    destinationChainId: Number(destinationChainId),
    depositTxnRef: event.transactionHash,
    depositTxHash: event.transactionHash,
    pagination: { currentIndex: 0, maxIndex: 0 },
  };
  if (!destination) return { json: { ...base, status: "pending", fillTxnRef: null } };
  const [status, block] = await Promise.all([
    destination.publicClient.readContract({
      address: destination.deployment.across.spokePool,
      abi: spokePoolArtifactAbi(),
      functionName: "fillStatuses",
      args: [acrossRelayHash(relayData, destination.chainId)],
    }) as Promise<bigint>,
    destination.publicClient.getBlock({ blockTag: "latest" }),
  ]);
  if (status === 2n)
    return { json: { ...base, status: "filled", fillTxnRef: await fillTx(destination, relayData) } };
  if (block.timestamp < BigInt(relayData.fillDeadline))
    return { json: { ...base, status: "pending", fillTxnRef: null } };
  const refund = await refundTx(origin, relayData);
  return {
    json: { ...base, status: refund ? "refunded" : "expired", fillTxnRef: null, depositRefundTxnRef: refund },
  };
}

/** The transaction of the fill of a relay on its destination (by origin chain and deposit id). */
async function fillTx(destination: TestChain, relayData: RelayData): Promise<Hex | null> {
  const logs = await destination.publicClient.getLogs({
    address: destination.deployment.across.spokePool,
    fromBlock: 0n,
    toBlock: "latest",
  });
  const fill = parseEventLogs({ abi: spokePoolArtifactAbi(), eventName: "FilledRelay", logs }).find((e) => {
    const args = e.args as { originChainId: bigint; depositId: bigint };
    return args.originChainId === relayData.originChainId && args.depositId === relayData.depositId;
  });
  return fill?.transactionHash ?? null;
}

/** The transaction of a refund leaf on the origin paying the deposit's input back to its depositor, if any. */
async function refundTx(origin: TestChain, relayData: RelayData): Promise<Hex | null> {
  const logs = await origin.publicClient.getLogs({
    address: origin.deployment.across.spokePool,
    fromBlock: 0n,
    toBlock: "latest",
  });
  const depositor = `0x${relayData.depositor.slice(-40)}`;
  const token = `0x${relayData.inputToken.slice(-40)}`;
  const leaf = parseEventLogs({
    abi: spokePoolArtifactAbi(),
    eventName: "ExecutedRelayerRefundRoot",
    logs,
  }).find((e) => {
    const args = e.args as { l2TokenAddress: string; refundAddresses: string[]; refundAmounts: bigint[] };
    return (
      args.l2TokenAddress.toLowerCase() === token &&
      args.refundAddresses.some(
        (a, i) => a.toLowerCase() === depositor && args.refundAmounts[i] === relayData.inputAmount,
      )
    );
  });
  return leaf?.transactionHash ?? null;
}
