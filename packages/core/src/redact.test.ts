import { describe, expect, it } from "vitest";
import { BallastError } from "./errors.ts";
import { redactDeep, redactText, redactUrl } from "./redact.ts";

const KEY = "Zx9kQ2mB7vR4tY1uW8eP3sL6";

describe("redactUrl", () => {
  it("drops user-info, censors every query value and key-like path segments", () => {
    expect(redactUrl(`https://user:${KEY}@rpc.example.org:8545/v3/${KEY}?apikey=${KEY}&x=1`)).toBe(
      "https://rpc.example.org:8545/v3/***?apikey=***&x=***",
    );
    expect(redactUrl(`https://eth-mainnet.g.alchemy.com/v2/${KEY}`)).toBe(
      "https://eth-mainnet.g.alchemy.com/v2/***",
    );
    expect(redactUrl(`https://x.quiknode.pro/${"ab12".repeat(10)}/`)).toBe("https://x.quiknode.pro/***/");
  });

  it("keeps ordinary URLs readable and refuses to echo what it cannot parse", () => {
    expect(redactUrl("http://127.0.0.1:8545")).toBe("http://127.0.0.1:8545");
    expect(redactUrl("https://api.1inch.dev/swap/v6.0/1/quote")).toBe(
      "https://api.1inch.dev/swap/v6.0/1/quote",
    );
    expect(redactUrl("https://rpc.example.org/mainnet-archive-node")).toBe(
      "https://rpc.example.org/mainnet-archive-node",
    );
    expect(redactUrl(`not a url ${KEY}`)).toBe("<invalid url>");
    // A lower-case key is still a key: only short words, versions and numbers are kept.
    expect(redactUrl("http://127.0.0.1:1/v2/secretkey")).toBe("http://127.0.0.1:1/v2/***");
    expect(redactUrl("https://rpc.example.org/eth/6f2c1d9e-8b7a-4c3d-9e0f-1a2b3c4d5e6f")).toBe(
      "https://rpc.example.org/eth/***",
    );
  });
});

describe("redactText and redactDeep", () => {
  const url = `https://rpc.example.org/v2/${KEY}?token=${KEY}`;

  it("redacts every URL inside a text", () => {
    const text = `HTTP request failed.\n\nURL: ${url}\nRequest body: {"method":"eth_chainId"} (${url})`;
    const out = redactText(text);
    expect(out).not.toContain(KEY);
    expect(out).toContain("URL: https://rpc.example.org/v2/***?token=***");
  });

  it("keeps a sentence's punctuation after a URL out of the URL", () => {
    expect(redactText("Chains kept running: http://127.0.0.1:44661, http://127.0.0.1:43401.")).toBe(
      "Chains kept running: http://127.0.0.1:44661, http://127.0.0.1:43401.",
    );
    expect(redactText(`down: ${url}; retrying`)).toBe(
      "down: https://rpc.example.org/v2/***?token=***; retrying",
    );
  });

  it("walks objects, arrays and error causes; censors secret-named keys; cuts cycles", () => {
    const cycle: Record<string, unknown> = { url };
    cycle.self = cycle;
    const err = new Error("outer", { cause: new Error(`inner ${url}`) });
    const out = redactDeep({ a: [url], privateKey: "0xabc", RPC_API_KEY: KEY, amount: 5n, err, cycle });
    const text = JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? String(v) : v));
    expect(text).not.toContain(KEY);
    expect(text).not.toContain("0xabc");
    expect(out).toMatchObject({ amount: 5n, err: { name: "Error", cause: { message: expect.any(String) } } });
    expect((out as { cycle: { self: unknown } }).cycle.self).toBe("[circular]");
  });

  it("BallastError redacts its message, details and context, and the cause's message it quotes", () => {
    const e = new BallastError(`RPC ${url} failed`, {
      details: `tried ${url}`,
      cause: new Error(`fetch failed: ${url}`),
      context: { urls: [url] },
    });
    for (const text of [e.message, e.shortMessage, e.details ?? "", JSON.stringify(e.context)])
      expect(text).not.toContain(KEY);
  });
});
