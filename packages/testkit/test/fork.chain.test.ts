import { describe, expect, it } from "vitest";
import {
  forkUrlFromEnv,
  liveAnvilPids,
  MULTICALL3_ADDRESS,
  NoLocalDeploymentError,
  startTestChain,
  type TestChain,
  TestkitError,
} from "../src/index.ts";
import { useTestChain } from "../src/vitest.ts";

describe("forkUrlFromEnv", () => {
  it("reads BALLAST_FORK_URL_<CHAINID> and nothing else", () => {
    expect(forkUrlFromEnv(1, {})).toBeUndefined();
    expect(forkUrlFromEnv(1, { BALLAST_FORK_URL_1: "  " })).toBeUndefined();
    expect(forkUrlFromEnv(8453, { BALLAST_FORK_URL_8453: "https://base.example" })).toBe(
      "https://base.example",
    );
    expect(forkUrlFromEnv(1, { BALLAST_FORK_URL_8453: "https://base.example" })).toBeUndefined();
  });
});

describe("the fork path, against a local base anvil (no network)", () => {
  it("forks a running chain: same state, no deployment description, writes stay on the fork", async () => {
    const baseChain = await startTestChain({ chainId: 1 });
    let fork: TestChain | undefined;
    try {
      fork = await startTestChain({ chainId: 1, forkUrl: baseChain.rpcUrl });
      expect(fork.isFork).toBe(true);
      expect(() => fork?.deployment).toThrow(NoLocalDeploymentError);
      const code = await fork.publicClient.getCode({ address: MULTICALL3_ADDRESS });
      expect(code).toBe(await baseChain.publicClient.getCode({ address: MULTICALL3_ADDRESS }));
      await fork.testClient.setBalance({ address: MULTICALL3_ADDRESS, value: 123n });
      expect(await fork.publicClient.getBalance({ address: MULTICALL3_ADDRESS })).toBe(123n);
      expect(await baseChain.publicClient.getBalance({ address: MULTICALL3_ADDRESS })).toBe(0n);
      // A fork URL for the wrong network is refused (and its anvil stopped).
      const before = liveAnvilPids().length;
      await expect(startTestChain({ chainId: 8453, forkUrl: baseChain.rpcUrl })).rejects.toThrow(
        /anvil reports chain id 1, expected 8453/,
      );
      expect(liveAnvilPids()).toHaveLength(before);
    } finally {
      await fork?.stop();
      await baseChain.stop();
    }
  });
});

let neverStarted: TestChain | undefined;
describe("useTestChain on a fork of a real network", () => {
  // The URL is never contacted: tests that need the local deployment are skipped before any chain starts.
  neverStarted = useTestChain({ chainId: 1, env: { BALLAST_FORK_URL_1: "http://127.0.0.1:9" } });
  it("skips tests that need the local deployment", () => {
    throw new Error("must be skipped");
  });
});

describe("the useTestChain handle", () => {
  it("throws a TestkitError when used while its chain is not running, and is not a thenable", async () => {
    expect(() => neverStarted?.rpcUrl).toThrow(TestkitError);
    expect((neverStarted as unknown as { then?: unknown }).then).toBeUndefined();
    expect(await Promise.resolve(neverStarted)).toBe(neverStarted);
    expect(Object.keys({ ...neverStarted })).toEqual([]);
  });
});

const realFork = forkUrlFromEnv(1);
describe.skipIf(!realFork)("a real mainnet fork (runs only with BALLAST_FORK_URL_1)", () => {
  const chain = useTestChain({ chainId: 1, requireLocal: false });
  it("has the canonical Multicall3", async () => {
    expect(chain.isFork).toBe(true);
    expect(await chain.publicClient.getChainId()).toBe(1);
    expect((await chain.publicClient.getCode({ address: MULTICALL3_ADDRESS }))?.length).toBeGreaterThan(2);
  });
});
