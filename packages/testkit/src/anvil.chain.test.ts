import { existsSync } from "node:fs";
import { createPublicClient, http } from "viem";
import { describe, expect, it } from "vitest";
import { anvilArgs, resolveAnvilBinary, startAnvil } from "./anvil.ts";
import { AnvilStartError } from "./errors.ts";
import { liveAnvilPids } from "./reaper.ts";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("startAnvil", () => {
  it("resolves the platform binary through @foundry-rs/anvil", () => {
    const binary = resolveAnvilBinary();
    expect(existsSync(binary)).toBe(true);
    expect(binary).toMatch(/@foundry-rs[/\\]anvil-[a-z0-9]+-[a-z0-9]+[/\\]bin[/\\]anvil/);
  });

  it("builds a prague, 127.0.0.1, free-port command line", () => {
    expect(anvilArgs({ chainId: 8453 })).toEqual([
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--hardfork",
      "prague",
      "--chain-id",
      "8453",
    ]);
    expect(anvilArgs({ forkUrl: "http://x" })).not.toContain("--hardfork");
  });

  it("starts two chains on free ports and stops them by PID", async () => {
    const [a, b] = await Promise.all([startAnvil({ chainId: 1 }), startAnvil({ chainId: 8453 })]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.rpcUrl).toBe(`http://127.0.0.1:${a.port}`);
      const ids = await Promise.all(
        [a, b].map((x) => createPublicClient({ transport: http(x.rpcUrl) }).getChainId()),
      );
      expect(ids).toEqual([1, 8453]);
      const info = (await createPublicClient({ transport: http(a.rpcUrl) }).request({
        method: "anvil_nodeInfo",
      } as never)) as { hardFork: string };
      expect(info.hardFork.toLowerCase()).toContain("prague");
      expect(liveAnvilPids()).toEqual(expect.arrayContaining([a.pid, b.pid]));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(alive(a.pid)).toBe(false);
    expect(alive(b.pid)).toBe(false);
    expect(liveAnvilPids()).not.toContain(a.pid);
    await a.stop(); // idempotent
  });

  it("throws AnvilStartError with anvil's output when it cannot start", async () => {
    const error = await startAnvil({ args: ["--no-such-flag"] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnvilStartError);
    expect((error as AnvilStartError).message).toContain("--no-such-flag");
    expect(liveAnvilPids()).toEqual([]);
  });
});
