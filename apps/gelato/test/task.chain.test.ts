import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChainMismatchError } from "@ballast/chain";
import { ANVIL_PRIVATE_KEYS, execSafeTransaction, TEST_ACCOUNT_INDEX, testAccounts } from "@ballast/testkit";
import { useTestChain } from "@ballast/testkit/vitest";
import {
  type Address,
  decodeAbiParameters,
  decodeFunctionData,
  type Hex,
  parseAbi,
  toFunctionSelector,
} from "viem";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { main } from "../src/cli.ts";
import {
  AUTOMATE_ADDRESS,
  type CreateTaskParameters,
  createGelatoTask,
  DRY_RUN_HASH,
  fetchAutomateAddress,
  GelatoApiError,
  GelatoConfigError,
  ModuleNotEnabledError,
  resolveAutomateAddress,
} from "../src/lib.ts";
import { chainArgs, DEDICATED, owner, policyJson, seedSafe } from "./fixtures.ts";
import { type GelatoApiStandIn, installAutomateStandIn, startGelatoApi } from "./gelato-stand-in.ts";

const chain = useTestChain({ chainId: 1 });
let api: GelatoApiStandIn;
let safe: Address;
let bare: Address;
let outDir: string;

const automateAbi = parseAbi([
  "function createTask(address execAddress, bytes execDataOrSelector, (uint8[] modules, bytes[] args) moduleData, address feeToken) returns (bytes32)",
]);
const OWNER_KEY = ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.alice] as Hex;

beforeAll(async () => {
  api = await startGelatoApi({ 31337: AUTOMATE_ADDRESS });
  await installAutomateStandIn(chain, AUTOMATE_ADDRESS, DEDICATED);
  safe = await seedSafe(chain);
  bare = await seedSafe(chain, [], 3n);
  outDir = await mkdtemp(join(tmpdir(), "ballast-gelato-test-"));
});
afterAll(async () => {
  await api?.close();
  await rm(outDir, { recursive: true, force: true });
});

/** The portfolio user arg as a user writes it: no dedicated msg.sender (the command resolves it). */
const portfolioFor = (s: Address) => {
  const { dedicatedMsgSender: _, ...c } = chainArgs(chain, s);
  return JSON.stringify({ chains: [c] });
};
const params = (extra: Partial<CreateTaskParameters> = {}): CreateTaskParameters => ({
  chainId: 1,
  rpcUrl: chain.rpcUrl,
  portfolio: portfolioFor(safe),
  policy: policyJson,
  owner: owner.address,
  api: { baseUrl: api.url },
  outDir,
  dryRun: true,
  ...extra,
});

describe("create-task", () => {
  it("dry run: resolves the dedicated msg.sender, builds the bundle, prepares createTask, uploads and sends nothing", async () => {
    const before = api.requests.length;
    const r = await createGelatoTask(params());
    expect(r.automate).toEqual({ address: AUTOMATE_ADDRESS, source: "known" });
    expect(r.dedicatedMsgSender).toEqual({ address: DEDICATED, isDeployed: true });
    expect(r.moduleEnabled).toBe(true);
    expect(r.enableModule).toBeUndefined();
    expect(r.w3fHash).toBe(DRY_RUN_HASH);
    expect(r.bundle?.bytes).toBeGreaterThan(100_000);
    expect(r.sent).toBeUndefined();
    expect(api.requests.length).toBe(before); // nothing uploaded
    expect(r.secrets).toEqual(["BALLAST_POLICY"]);

    // createTask(dedicated msg.sender, batchExecuteCall selector, [PROXY, WEB3_FUNCTION, TRIGGER], 1Balance)
    expect(r.task.tx.to).toBe(AUTOMATE_ADDRESS);
    const { args } = decodeFunctionData({ abi: automateAbi, data: r.task.tx.data });
    const [execAddress, selector, moduleData, feeToken] = args;
    expect(execAddress).toBe(DEDICATED);
    expect(selector).toBe(toFunctionSelector("batchExecuteCall(address[],bytes[],uint256[])"));
    expect(moduleData.modules).toEqual([2, 4, 5]);
    expect(feeToken).toBe("0x0000000000000000000000000000000000000000");
    const [hash, argsHex] = decodeAbiParameters(
      [{ type: "string" }, { type: "bytes" }],
      moduleData.args[1] as Hex,
    );
    expect(hash).toBe(DRY_RUN_HASH);
    const [portfolio] = decodeAbiParameters([{ type: "string" }], argsHex);
    expect(JSON.parse(portfolio).chains[0].dedicatedMsgSender).toBe(DEDICATED);
    expect(r.userArgs.portfolio).toBe(portfolio);
    const [triggerType, triggerBytes] = decodeAbiParameters(
      [{ type: "uint128" }, { type: "bytes" }],
      moduleData.args[2] as Hex,
    );
    expect(triggerType).toBe(0n); // TIME
    expect(decodeAbiParameters([{ type: "uint128" }, { type: "uint128" }], triggerBytes)).toEqual([
      0n,
      300_000n,
    ]);
    expect(r.task.taskId).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("a Safe without the module: the dry run prints the enabling Safe transaction, and executing it works", async () => {
    const r = await createGelatoTask(params({ portfolio: portfolioFor(bare), w3fHash: "QmExisting" }));
    expect(r.moduleEnabled).toBe(false);
    const e = r.enableModule!;
    expect(e.to).toBe(bare);
    expect(
      decodeFunctionData({ abi: parseAbi(["function enableModule(address)"]), data: e.data }).args,
    ).toEqual([DEDICATED]);
    expect(e.safeTxHash).toMatch(/^0x[0-9a-f]{64}$/);
    // Sending for real refuses (typed), before uploading anything.
    const uploads = api.uploads.length;
    const err = await createGelatoTask(
      params({ portfolio: portfolioFor(bare), dryRun: false, privateKey: OWNER_KEY, owner: undefined }),
    ).catch((x) => x);
    expect(err).toBeInstanceOf(ModuleNotEnabledError);
    expect(api.uploads.length).toBe(uploads);
    // The printed transaction, executed by the owners, enables the module.
    await execSafeTransaction(chain, { safe: bare, owners: [owner.address], to: e.to, data: e.data });
    const again = await createGelatoTask(params({ portfolio: portfolioFor(bare), w3fHash: "QmExisting" }));
    expect(again.moduleEnabled).toBe(true);
  });

  it("sends: uploads the archive to the (stand-in) API, then createTask from the creator's key", async () => {
    expect(testAccounts.alice.address).toBe(owner.address);
    const r = await createGelatoTask(params({ dryRun: false, privateKey: OWNER_KEY, owner: undefined }));
    const upload = api.uploads.at(-1)!;
    expect(upload.entries).toEqual([
      "web3Function/",
      "web3Function/index.js",
      "web3Function/source.js",
      "web3Function/schema.json",
    ]);
    expect(r.w3fHash).toBe(upload.cid);
    expect(r.sent).toMatch(/^0x[0-9a-f]{64}$/);
    const tx = await chain.publicClient.getTransaction({ hash: r.sent! });
    expect(tx.from.toLowerCase()).toBe(owner.address.toLowerCase());
    expect(tx.to?.toLowerCase()).toBe(AUTOMATE_ADDRESS.toLowerCase());
    expect(tx.input).toBe(r.task.tx.data);
  });

  it("misconfiguration: wrong chain, no key to send, a foreign dedicated msg.sender, a broken policy", async () => {
    await expect(createGelatoTask(params({ chainId: 8453 }))).rejects.toBeInstanceOf(ChainMismatchError);
    await expect(createGelatoTask(params({ dryRun: false }))).rejects.toBeInstanceOf(GelatoConfigError);
    const foreign = JSON.stringify({
      chains: [chainArgs(chain, safe, "0x000000000000000000000000000000000000bEEF")],
    });
    await expect(createGelatoTask(params({ portfolio: foreign }))).rejects.toThrow(
      /is not .* dedicated msg.sender/,
    );
    await expect(createGelatoTask(params({ policy: "{}" }))).rejects.toBeInstanceOf(GelatoConfigError);
  });
});

describe("Gelato API client (local stand-in)", () => {
  it("resolves the Automate address from the network registry; an unknown chain is a typed error", async () => {
    expect(await fetchAutomateAddress(31337, { baseUrl: api.url })).toBe(AUTOMATE_ADDRESS);
    // An address only the API vouches for is a suggestion, never used: the operator must configure it.
    const unverified = await resolveAutomateAddress(31337, { api: { baseUrl: api.url } }).catch((x) => x);
    expect(unverified).toBeInstanceOf(GelatoConfigError);
    expect(unverified.message).toContain(`--automate ${AUTOMATE_ADDRESS}`);
    expect(
      await resolveAutomateAddress(31337, { automate: AUTOMATE_ADDRESS, api: { baseUrl: api.url } }),
    ).toEqual({
      address: AUTOMATE_ADDRESS,
      source: "configured",
    });
    const err = await fetchAutomateAddress(5, { baseUrl: api.url }).catch((x) => x);
    expect(err).toBeInstanceOf(GelatoApiError);
    expect(err.message).toMatch(/HTTP 404/);
  });
});

describe("CLI", () => {
  it("create-task --dry-run prints the plan and never the policy or the key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ballast-gelato-cli-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "portfolio.json"), portfolioFor(bare));
    await writeFile(join(dir, "policy.json"), policyJson);
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      env: { GELATO_TASK_OWNER_KEY: OWNER_KEY },
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
    };
    const argv = [
      "create-task",
      "--chain-id",
      "1",
      "--rpc-url",
      chain.rpcUrl,
      "--portfolio",
      join(dir, "portfolio.json"),
      "--policy",
      join(dir, "policy.json"),
      "--w3f-hash",
      "QmExisting",
      "--api-url",
      api.url,
    ];
    expect(await main([...argv, "--dry-run"], io)).toBe(0);
    const text = out.join("\n");
    expect(text).toContain("DRY RUN");
    expect(text).toContain("module NOT enabled");
    expect(text).toContain("Enable the module first");
    expect(text).toContain(DEDICATED);
    expect(text).not.toContain(OWNER_KEY.slice(2));
    expect(text).not.toContain("weth-aave"); // the policy is a secret
    // Without --dry-run the missing module is an error with the enabling transaction.
    expect(await main(argv, io)).toBe(1);
    expect(err.join("\n")).toMatch(/ModuleNotEnabledError[\s\S]*Enable it with a Safe transaction/);
    // An unreachable RPC whose URL carries a key: the error is printed with the URL redacted.
    err.length = 0;
    const dead = argv.map((a) => (a === chain.rpcUrl ? "http://127.0.0.1:1/v2/secretkey" : a));
    expect(await main([...dead, "--dry-run"], io)).toBe(1);
    expect(err.join("\n")).toMatch(/127\.0\.0\.1:1/);
    expect(err.join("\n")).not.toContain("secretkey");
  });
});
