/**
 * `ballast safe-permissions` applied for real: a Safe 1.3.0 whose only module is a Zodiac Roles v2 modifier, deployed
 * on a local chain from the bytecode `zodiac-roles-sdk` ships (Roles linked to its Integrity and Packer libraries,
 * the MultiSend unwrapper). The Roles owner applies the generated calls; the keeper, a role member, then sends the
 * batches Ballast builds (the Aave adapter's supply inside a MultiSendCallOnly envelope, a SwapRouter swap) — they
 * pass, an LP exit passes as separate calls and is refused folded into a multicall, the keeper's own planned batches
 * (exit, then entry) pass — and what Ballast never sends (a transfer to a stranger, a supply or a swap paying someone
 * else, an approval to a stranger) is refused on chain.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AGGREGATION_ROUTER_V6, aggregationRouterV6Abi, oneInchRouterKind } from "@ballast/1inch";
import { aavePoolAbi, aavePoolKind, encodeBorrow, encodeSupply, fetchAavePositions } from "@ballast/aave-v3";
import { FirewallError, SimulationFailedError, safeRolesExecutor } from "@ballast/chain";
import {
  ANVIL_PRIVATE_KEYS,
  createSafe,
  encodeMultiSend,
  execSafeTransaction,
  fund,
  type MultiSendCall,
  multiSendCallOnlyAbi,
  safeAbi,
  sendAndWait,
  swapRouterAbi,
  TEST_ACCOUNT_INDEX,
  testAccounts,
  testkitAaveMarket,
} from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import {
  combinePositionManagerCalls,
  encodeDecrease,
  encodeMint,
  fetchLpPositions,
  poolAbi,
  positionManagerAbi,
  rangeAround,
  uniswapPositionManagerKind,
  uniswapSwapRouterKind,
} from "@ballast/uniswap-v3";
import {
  type Address,
  type BaseError,
  ContractFunctionRevertedError,
  decodeFunctionData,
  encodeFunctionData,
  erc20Abi,
  type Hex,
  maxUint256,
  toFunctionSelector,
} from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { coercePermission, encodeKey } from "zodiac-roles-sdk";
import {
  Integrity__factory,
  MultiSendUnwrapper__factory,
  Packer__factory,
  Roles__factory,
} from "zodiac-roles-sdk/typechain";
import { loadConfig } from "../src/config.ts";
import { testkitChainYaml } from "../src/demo-portfolio.ts";
import { openJournal } from "../src/journal.ts";
import { keeperCycle } from "../src/keeper.ts";
import { createLogger } from "../src/log.ts";
import { createMetrics } from "../src/metrics.ts";
import { BALLAST_ROLE, MULTI_SEND_SELECTOR, permissionsOf } from "../src/safe-permissions.ts";
import { buildRuntime } from "../src/setup.ts";
import { ballastArgv } from "./bin.ts";

// The Roles bytecode in zodiac-roles-sdk (25,286 bytes of runtime code) is over EIP-170's 24,576: its build differs
// from the mastercopy deployed on mainnet, so this one chain lifts anvil's code-size limit.
const chain = useTestChain({ chainId: 1, anvilArgs: ["--disable-code-size-limit"] });
const owner = testAccounts.alice; // owns the Safe and the Roles modifier
const keeper = testAccounts.keeper; // the role member
const stranger = testAccounts.dave.address;
const rolesAbi = Roles__factory.abi;

let safe: Address;
let roles: Address;
let roleKey: Hex;
/** The `chains:` section of the config `ballast safe-permissions` was generated from (the Safe account). */
let chainsYaml: string;

async function deploy(abi: readonly unknown[], bytecode: string, args: unknown[] = []): Promise<Address> {
  const wallet = chain.walletClient(owner);
  const hash = await wallet.deployContract({
    abi: abi as never,
    bytecode: bytecode as Hex,
    args: args as never,
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error("no contract deployed");
  return receipt.contractAddress;
}

/**
 * The ERC-2470 singleton factory, where Roles v2 stores its packed conditions as contract code (CREATE2). On a real
 * chain it is deployed by the EIP's keyless transaction; its creation code (from the EIP) runs here the same way.
 */
const SINGLETON_FACTORY: Address = "0xce0042B868300000d44A59004Da54A005ffdcf9f";
const SINGLETON_FACTORY_INIT: Hex =
  "0x608060405234801561001057600080fd5b50610134806100206000396000f3fe6080604052348015600f57600080fd5b506004361060285760003560e01c80634af63f0214602d575b600080fd5b60cf60048036036040811015604157600080fd5b810190602081018135640100000000811115605b57600080fd5b820183602082011115606c57600080fd5b80359060200191846001830284011164010000000083111715608d57600080fd5b91908080601f016020809104026020016040519081016040528093929190818152602001838380828437600092019190915250929550509135925060eb915050565b604080516001600160a01b039092168252519081900360200190f35b6000818351602085016000f5939250505056fea26469706673582212206b44f8a82cb6b156bfcc3dc6aadd6df4eefd204bc928a4397fd15dacf6d5320564736f6c63430006020033";

async function installSingletonFactory(): Promise<void> {
  // Run the creation code (eth_call of a deployment returns the runtime code), and put the result at its address.
  const { data } = await chain.publicClient.call({ data: SINGLETON_FACTORY_INIT });
  await chain.publicClient.request({
    method: "anvil_setCode" as never,
    params: [SINGLETON_FACTORY, data] as never,
  });
}

const asOwner = (to: Address, data: Hex) =>
  sendAndWait(chain, chain.walletClient(owner), { to, data, gas: 10_000_000n });

beforeAll(async () => {
  const d = chain.deployment;
  await installSingletonFactory();
  const integrity = await deploy(Integrity__factory.abi, Integrity__factory.bytecode);
  const packer = await deploy(Packer__factory.abi, Packer__factory.bytecode);
  const unwrapper = await deploy(MultiSendUnwrapper__factory.abi, MultiSendUnwrapper__factory.bytecode);
  // The Safe's address is needed by the Roles constructor, and the Roles address by the Safe's module list.
  safe = await createSafe(chain, { owners: [owner.address] });
  roles = await deploy(
    rolesAbi,
    Roles__factory.linkBytecode({
      "contracts/Integrity.sol:Integrity": integrity,
      "contracts/packers/Packer.sol:Packer": packer,
    }),
    [owner.address, safe, safe],
  );
  await execSafeTransaction(chain, {
    safe,
    owners: [owner.address],
    to: safe,
    data: encodeFunctionData({ abi: safeAbi, functionName: "enableModule", args: [roles] }),
  });
  await asOwner(
    roles,
    encodeFunctionData({
      abi: rolesAbi,
      functionName: "setTransactionUnwrapper",
      args: [d.safe.multiSendCallOnly, MULTI_SEND_SELECTOR, unwrapper],
    }),
  );

  const yaml = testkitChainYaml("ethereum", chain, { keyVar: "K" })
    .replace("swap: [uniswap-v3]", "swap: [uniswap-v3, 1inch]")
    .replace(
      /account: \{[^}]*\}/,
      `account: { type: safe, safe: "${safe}", as: roles, roles: { modifier: "${roles}" }, key: env:K, multiSendCallOnly: "${d.safe.multiSendCallOnly}" }`,
    );
  chainsYaml = `chains:\n${yaml}`;
  // The role's calls come from the command a user runs: `ballast safe-permissions --json` (the modifier and the role
  // from the config's `as: roles` account).
  const dir = mkdtempSync(join(tmpdir(), "ballast-roles-"));
  const file = join(dir, "ballast.yaml");
  writeFileSync(
    file,
    `${chainsYaml}policy:\n  sleeves:\n    - { id: w, chain: ethereum, kind: token, asset: WETH, weight: 100% }\n  bands: { absolute: 2%, relative: 10% }\nkeeper:\n  journal: ${join(dir, "journal.db")}\n`,
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ballastArgv(["safe-permissions", "-c", file, "--member", keeper.address, "--json"]),
    { encoding: "utf8" },
  ).catch((e: { stdout: string; stderr: string }) => {
    throw new Error(`ballast safe-permissions failed: ${e.stdout}${e.stderr}`);
  });
  rmSync(dir, { recursive: true, force: true });
  const [perms] = JSON.parse(stdout) as { roleKey: Hex; calls: { to: Address; data: Hex }[] }[];
  roleKey = perms!.roleKey;
  expect(roleKey).toBe(encodeKey(BALLAST_ROLE));
  expect(perms!.calls.every((c) => c.to.toLowerCase() === roles.toLowerCase())).toBe(true);
  for (const call of perms!.calls) await asOwner(call.to, call.data);
  await fund(chain, { account: safe, token: "WETH", amount: 10n ** 19n });
}, 120_000);

const multiSend = (calls: readonly MultiSendCall[]) =>
  encodeFunctionData({
    abi: multiSendCallOnlyAbi,
    functionName: "multiSend",
    args: [encodeMultiSend(calls)],
  });

/** The keeper sends `calls` through its role: one MultiSendCallOnly envelope, unwrapped and checked call by call. */
const viaRole = (calls: readonly MultiSendCall[]) =>
  chain.walletClient(keeper).writeContract({
    address: roles,
    abi: rolesAbi,
    functionName: "execTransactionWithRole",
    args: [chain.deployment.safe.multiSendCallOnly, 0n, multiSend(calls), 1, roleKey, true],
    gas: 3_000_000n,
  });
/** Roles v2 `Status` values of a `ConditionViolation` (zodiac-roles-deployments). */
const STATUS = {
  TargetAddressNotAllowed: 2,
  FunctionNotAllowed: 3,
  OrViolation: 5,
  ParameterNotAllowed: 7,
} as const;

/** Why the Roles modifier refuses `calls` from the keeper: the `ConditionViolation` status, or "allowed". */
async function refusal(calls: readonly MultiSendCall[]): Promise<number | "allowed"> {
  try {
    await chain.publicClient.simulateContract({
      account: keeper,
      address: roles,
      abi: rolesAbi,
      functionName: "execTransactionWithRole",
      args: [chain.deployment.safe.multiSendCallOnly, 0n, multiSend(calls), 1, roleKey, true],
    });
    return "allowed";
  } catch (e) {
    const revert = (e as BaseError).walk((x) => x instanceof ContractFunctionRevertedError);
    const data = (revert as ContractFunctionRevertedError | null)?.data;
    if (data?.errorName !== "ConditionViolation") throw e;
    return Number(data.args?.[0]);
  }
}

const balance = (token: Address, who: Address) =>
  chain.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [who] });

describe(`ballast safe-permissions on a Safe with a Roles v2 modifier (role "${BALLAST_ROLE}")`, () => {
  it("lets the keeper supply to Aave for the Safe: the adapter's own calls, one MultiSend", async () => {
    const d = chain.deployment;
    const positions = await fetchAavePositions(chain.publicClient, {
      market: testkitAaveMarket(d),
      user: safe,
    });
    const calls = encodeSupply({ positions, asset: d.tokens.WETH.address, amount: 4n * 10n ** 18n });
    const hash = await viaRole(calls);
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    expect(await balance(d.aave.reserves.WETH.aToken, safe)).toBe(4n * 10n ** 18n);
    expect(await balance(d.tokens.WETH.address, safe)).toBe(6n * 10n ** 18n);
  });

  it("lets the keeper swap on the SwapRouter paying the Safe, and refuses the same swap paying a stranger", async () => {
    const d = chain.deployment;
    const swap = (recipient: Address): MultiSendCall[] => [
      {
        to: d.tokens.WETH.address,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: "approve",
          args: [d.uniswap.swapRouter, 10n ** 18n],
        }),
      },
      {
        to: d.uniswap.swapRouter,
        data: encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInputSingle",
          args: [
            {
              tokenIn: d.tokens.WETH.address,
              tokenOut: d.tokens.USDC.address,
              fee: 500,
              recipient,
              deadline: maxUint256,
              amountIn: 10n ** 18n,
              amountOutMinimum: 1n,
              sqrtPriceLimitX96: 0n,
            },
          ],
        }),
      },
    ];
    expect(await refusal(swap(stranger))).toBe(STATUS.ParameterNotAllowed);
    expect(await refusal(swap(safe))).toBe("allowed");
    const hash = await viaRole(swap(safe));
    expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    expect(await balance(d.tokens.USDC.address, safe)).toBeGreaterThan(2_000n * 10n ** 6n);
    expect(await balance(d.tokens.USDC.address, stranger)).toBe(0n);
  });

  it("checks a 1inch AggregationRouterV6 swap's receiver: the Safe passes, a stranger is refused", async () => {
    const { WETH, USDC } = chain.deployment.tokens;
    const swap = (dstReceiver: Address): MultiSendCall[] => [
      {
        to: AGGREGATION_ROUTER_V6,
        data: encodeFunctionData({
          abi: aggregationRouterV6Abi,
          functionName: "swap",
          args: [
            stranger,
            {
              srcToken: WETH.address,
              dstToken: USDC.address,
              srcReceiver: stranger,
              dstReceiver,
              amount: 10n ** 18n,
              minReturnAmount: 1n,
              flags: 0n,
            },
            "0x",
          ],
        }),
      },
    ];
    // The testkit puts 1inch's Limit Order Protocol at the router's address (Fusion); without code there, the call the
    // role allows succeeds empty (the file's per-test revert puts the code back).
    await chain.testClient.setCode({ address: AGGREGATION_ROUTER_V6, bytecode: "0x" });
    expect(await refusal(swap(stranger))).toBe(STATUS.ParameterNotAllowed);
    expect(await refusal(swap(safe))).toBe("allowed");
  });

  it("names every function by the selector the contracts dispatch on, for every kind of allowed contract", () => {
    const at = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;
    const perms = permissionsOf({
      chainId: 1,
      accounts: [safe],
      tokens: [at(1), at(2)],
      contracts: [
        { address: at(3), kind: aavePoolKind },
        { address: at(4), kind: uniswapPositionManagerKind },
        { address: at(5), kind: uniswapSwapRouterKind },
        { address: at(6), kind: oneInchRouterKind },
      ],
    });
    for (const p of perms) {
      const bare = p.signature.replace(/ [a-zA-Z]+(?=[,)])/g, ""); // parameter names do not change a selector
      expect(coercePermission(p).selector, p.signature).toBe(toFunctionSelector(`function ${bare}`));
    }
    // 2 approvals, 5 Aave, 5 position manager, 2 SwapRouter, 7 1inch; no transfer, no multicall.
    expect(perms.map((p) => p.signature.split("(")[0])).toEqual([
      ...["approve", "approve"],
      ...["supply", "withdraw", "borrow", "repay", "repayWithATokens"],
      ...["mint", "increaseLiquidity", "decreaseLiquidity", "collect", "burn"],
      ...["exactInputSingle", "exactInput"],
      ...["swap", "unoswap", "unoswap2", "unoswap3", "unoswapTo", "unoswapTo2", "unoswapTo3"],
    ]);
  });

  it("refuses what Ballast never sends: a transfer, a supply for a stranger, an approval to a stranger", async () => {
    const d = chain.deployment;
    const weth = d.tokens.WETH.address;
    const before = await balance(weth, safe);
    const transfer = encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [stranger, 1n] });
    expect(await refusal([{ to: weth, data: transfer }])).toBe(STATUS.FunctionNotAllowed);
    const approve = encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [stranger, 1n] });
    expect(await refusal([{ to: weth, data: approve }])).toBe(STATUS.OrViolation);
    const positions = await fetchAavePositions(chain.publicClient, {
      market: testkitAaveMarket(d),
      user: stranger,
    });
    const forStranger = encodeSupply({ positions, asset: weth, amount: 10n ** 18n });
    expect(await refusal(forStranger)).toBe(STATUS.ParameterNotAllowed);
    const usdcPool = encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [d.aave.pool, 1n] });
    expect(await refusal([{ to: d.tokens.WBTC.address, data: usdcPool }])).toBe(
      STATUS.TargetAddressNotAllowed,
    );
    expect(await balance(weth, safe)).toBe(before);
  });
});

/** The keeper sends `calls` through its role, and the Safe's transaction succeeds. */
async function sendViaRole(calls: readonly MultiSendCall[]): Promise<void> {
  const hash = await viaRole(calls);
  expect((await chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
}

const lpOfSafe = async () =>
  (
    await fetchLpPositions(chain.publicClient, {
      positionManager: chain.deployment.uniswap.positionManager,
      factory: chain.deployment.uniswap.factory,
      owner: safe,
    })
  ).positions;

/** A WETH/USDC 0.05% position for the Safe, ±25% around the price, minted through the role (the adapter's calls). */
async function mintForSafe(): Promise<void> {
  const d = chain.deployment;
  const pool = d.uniswap.pools["WETH/USDC/500"]!;
  await fund(chain, { account: safe, token: "USDC", amount: 6_000n * 10n ** 6n });
  const [sqrtPriceX96, tick] = await chain.publicClient.readContract({
    address: pool.address,
    abi: poolAbi,
    functionName: "slot0",
  });
  const wethIs0 = pool.token0.toLowerCase() === d.tokens.WETH.address.toLowerCase();
  const [weth, usdc] = [2n * 10n ** 18n, 3_000n * 10n ** 6n];
  const { calls } = encodeMint({
    positionManager: d.uniswap.positionManager,
    token0: pool.token0,
    token1: pool.token1,
    fee: pool.fee,
    tickSpacing: pool.tickSpacing,
    ...rangeAround({ tick, tickSpacing: pool.tickSpacing, widthBps: 2_500 }),
    amount0Desired: wethIs0 ? weth : usdc,
    amount1Desired: wethIs0 ? usdc : weth,
    sqrtPriceX96,
    slippageBps: 100,
    recipient: safe,
    deadline: maxUint256,
  });
  await sendViaRole(calls);
}

describe("an LP exit behind the role", () => {
  it("passes as the adapter sends it (decrease, collect, burn); folded into a position-manager multicall it is refused", async () => {
    const d = chain.deployment;
    await mintForSafe();
    const [position] = await lpOfSafe();
    const { calls } = encodeDecrease({
      position: position!,
      slippageBps: 100,
      deadline: maxUint256,
      recipient: safe,
    });
    expect(calls.map((x) => x.to)).toEqual(Array(3).fill(d.uniswap.positionManager));
    // A multicall's elements are opaque to the role: allowing it would let one carry a collect to anyone.
    const folded = combinePositionManagerCalls(d.uniswap.positionManager, calls);
    expect(folded).toHaveLength(1);
    expect(await refusal(folded)).toBe(STATUS.FunctionNotAllowed);
    const before = await balance(d.tokens.USDC.address, safe);
    await sendViaRole(calls);
    expect(await lpOfSafe()).toEqual([]);
    expect(await balance(d.tokens.USDC.address, safe)).toBeGreaterThan(before);
  });
});

/** A keeper for the Safe, as `ballast run` builds it from its config: the key is the role member (`as: roles`). */
async function roleKeeper(sleeves: string) {
  const dir = mkdtempSync(join(tmpdir(), "ballast-roles-"));
  const file = join(dir, "ballast.yaml");
  writeFileSync(
    file,
    `${chainsYaml}policy:\n  sleeves:\n${sleeves}  bands: { absolute: 2%, relative: 10% }\n  minTrade: 50 USD\n  maxSlippage: 1%\n  maxValueLoss: 1%\n  healthFactorFloor: 1.8\nkeeper:\n  journal: ${join(dir, "journal.db")}\n`,
  );
  const env = { K: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] };
  const config = loadConfig(file, env);
  const journal = await openJournal(config.keeper.journal);
  const k = {
    config,
    chains: buildRuntime(config, env, { store: journal.txStore, needKeys: true }),
    journal,
    metrics: createMetrics(),
    log: createLogger({ level: "silent", pretty: false }),
  };
  const close = async () => {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { k, close };
}

/**
 * One keeper cycle for `sleeves`, planned, realized and simulated through the Roles modifier, and sent by the keeper
 * itself: the returned calls are the batch that landed (the keeper's key is never a module of the Safe).
 */
async function keeperSends(sleeves: string): Promise<MultiSendCall[]> {
  const { k, close } = await roleKeeper(sleeves);
  try {
    expect(k.chains[0]!.setup.executor.kind).toBe("safe-roles");
    const now = Number((await chain.publicClient.getBlock()).timestamp);
    const { result, sent } = await keeperCycle(k, { now, execute: true, force: true });
    expect(result.error).toBeNull();
    expect(result.batches).toHaveLength(1);
    expect(result.batches[0]!.ok).toBe(true);
    expect(sent.map((x) => x.status)).toEqual(["confirmed"]);
    const tx = await chain.publicClient.getTransaction({ hash: sent[0]!.hash as Hex });
    expect([tx.from, tx.to]).toEqual([keeper.address.toLowerCase(), roles.toLowerCase()]);
    return [...result.batches[0]!.calls];
  } finally {
    await close();
  }
}

const fnNames = (calls: readonly MultiSendCall[]) =>
  calls.map((x) => {
    const abis = [erc20Abi, aavePoolAbi, positionManagerAbi, swapRouterAbi] as const;
    for (const abi of abis) {
      try {
        return decodeFunctionData({ abi, data: x.data }).functionName;
      } catch {}
    }
    return x.data.slice(0, 10);
  });

describe("the keeper sends its own batches through the Roles modifier (as: roles)", () => {
  it("exits the demo's kinds of holdings, then enters them: each batch simulated and sent through the role alone", async () => {
    const d = chain.deployment;
    // The Safe holds what the demo portfolio holds, opened through the role: an LP, WETH in Aave, USDC borrowed.
    await mintForSafe();
    const market = testkitAaveMarket(d);
    const aave = () => fetchAavePositions(chain.publicClient, { market, user: safe });
    await sendViaRole(
      encodeSupply({ positions: await aave(), asset: d.tokens.WETH.address, amount: 4n * 10n ** 18n }),
    );
    await sendViaRole(
      encodeBorrow({ positions: await aave(), asset: d.tokens.USDC.address, amount: 1_000n * 10n ** 6n }),
    );

    const sleeve = (id: string, rest: string, weight: string) =>
      `    - { id: ${id}, chain: ethereum, ${rest}, weight: ${weight} }\n`;
    const lp = "kind: uniswap-v3-lp, pool: WETH/USDC/500, range: 25%";
    const exit = await keeperSends(
      sleeve("w", "kind: token, asset: WETH", "101%") +
        sleeve("u", "kind: token, asset: USDC", "0%") +
        sleeve("lp", lp, "0%") +
        sleeve("a", "kind: aave-supply, asset: WETH", "0%") +
        sleeve("debt", "kind: aave-borrow, asset: USDC", "-1%"),
    );
    expect(new Set(fnNames(exit))).toEqual(
      new Set(["decreaseLiquidity", "collect", "burn", "withdraw", "repay", "approve", "exactInputSingle"]),
    );
    // The same batch with one call Ballast never makes is refused whole (the role is checked before anything runs).
    const transfer = encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [stranger, 1n] });
    expect(await refusal([...exit, { to: d.tokens.USDC.address, data: transfer }])).toBe(
      STATUS.FunctionNotAllowed,
    );
    expect(await lpOfSafe()).toEqual([]);
    // What stays in Aave backs the debt the -1% sleeve keeps.
    expect(await balance(d.aave.reserves.WETH.aToken, safe)).toBeLessThan(4n * 10n ** 18n);
    expect(await balance(d.aave.reserves.USDC.variableDebtToken, safe)).toBeLessThan(1_000n * 10n ** 6n);

    const entry = await keeperSends(
      sleeve("w", "kind: token, asset: WETH", "30%") +
        sleeve("lp", lp, "40%") +
        sleeve("a", "kind: aave-supply, asset: WETH", "30%"),
    );
    expect(new Set(fnNames(entry))).toEqual(new Set(["approve", "exactInputSingle", "mint", "supply"]));
    expect(await lpOfSafe()).toHaveLength(1);
    expect(await balance(d.aave.reserves.WETH.aToken, safe)).toBeGreaterThan(0n);
  }, 120_000);

  it("refuses, by simulation, a call outside the role even with the batch firewall off: nothing is signed or sent", async () => {
    const d = chain.deployment;
    const { k, close } = await roleKeeper(
      "    - { id: w, chain: ethereum, kind: token, asset: WETH, weight: 100% }\n",
    );
    try {
      const { clients, manager } = k.chains[0]!;
      // Only the Roles modifier stands between the key and the Safe here: the firewall (the same allow-list, off-chain)
      // is switched off so that the on-chain check is the one tested.
      const executor = safeRolesExecutor({
        clients,
        manager: manager!,
        safe,
        multiSend: d.safe.multiSendCallOnly,
        firewall: "off",
        roles: { modifier: roles, roleKey },
      });
      const nonce = await chain.publicClient.getTransactionCount({ address: keeper.address });
      const transfer = encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [stranger, 1n] });
      const refused = await executor
        .execute([{ to: d.tokens.WETH.address, value: 0n, data: transfer }], { planId: "roles-refused" })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SimulationFailedError);
      expect((refused as SimulationFailedError).errorName).toBe("ConditionViolation");
      expect((refused as SimulationFailedError).message).toContain("FunctionNotAllowed");
      expect(await manager!.get("roles-refused")).toBeUndefined();
      expect(await chain.publicClient.getTransactionCount({ address: keeper.address })).toBe(nonce);
      expect(await balance(d.tokens.WETH.address, stranger)).toBe(0n);

      // With the keeper's own executor the firewall refuses it first, before any simulation.
      const byKeeper = await k.chains[0]!.setup.executor.simulate([
        { to: d.tokens.WETH.address, value: 0n, data: transfer },
      ]).catch((e: unknown) => e);
      expect(byKeeper).toBeInstanceOf(FirewallError);

      // Allowed calls whose batch fails inside the Safe (ModuleTransactionFailed) name the failing call.
      const positions = await fetchAavePositions(chain.publicClient, {
        market: testkitAaveMarket(d),
        user: safe,
      });
      const tooMuch = encodeSupply({ positions, asset: d.tokens.WETH.address, amount: 10n ** 30n });
      const failed = await executor
        .simulate(tooMuch.map((c) => ({ ...c, value: 0n })))
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(SimulationFailedError);
      expect((failed as SimulationFailedError).index).toBe(tooMuch.length - 1);
    } finally {
      await close();
    }
  });
});
