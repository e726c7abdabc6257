import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type StandIn, type StandInReply, startStandIn } from "../test/stand-in/server.ts";
import {
  OneInchHttpError,
  OneInchNetworkError,
  OneInchResponseError,
  OneInchTimeoutError,
} from "./errors.ts";
import { buildUrl, createOneInchClient, type OneInchClient, requestJson } from "./http.ts";
import { bpsToPercent } from "./swap-api.ts";

const schema = z.object({ ok: z.literal(true) });
let server: StandIn;
/** A server that never answers: every request to it times out. */
let silent: StandIn;
let replies: StandInReply[] = [];
const sleeps: number[] = [];

function client(overrides: Partial<Parameters<typeof createOneInchClient>[0]> = {}): OneInchClient {
  return createOneInchClient({
    baseUrl: server.url,
    apiKey: "test-key",
    timeoutMs: 5_000,
    retries: 2,
    baseDelayMs: 1,
    maxDelayMs: 5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

beforeAll(async () => {
  server = await startStandIn(() => replies.shift() ?? { json: { ok: true } });
  silent = await startStandIn(() => ({ hang: true }));
});
afterAll(async () => {
  await server.close();
  await silent.close();
});
beforeEach(() => {
  server.requests.length = 0;
  replies = [];
  sleeps.length = 0;
});

describe("requestJson", () => {
  it("sends the Bearer key and validates the answer", async () => {
    const c = client();
    await expect(requestJson(c, { url: buildUrl(c, "/x"), schema })).resolves.toEqual({ ok: true });
    expect(server.requests[0]?.headers.authorization).toBe("Bearer test-key");
    expect(server.requests[0]?.headers.accept).toBe("application/json");
  });

  it("retries 500 and 429 with jittered backoff, then succeeds", async () => {
    replies = [
      { status: 500, json: { error: "boom" } },
      { status: 429, headers: { "retry-after": "0" } },
    ];
    const c = client({ random: () => 0.5 });
    await expect(requestJson(c, { url: buildUrl(c, "/x"), schema })).resolves.toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([0, 1]); // floor(0.5 × min(5, 1·2^(n−1)))
  });

  it("honours Retry-After up to the cap", async () => {
    replies = [{ status: 429, headers: { "retry-after": "60" } }];
    const c = client();
    await requestJson(c, { url: buildUrl(c, "/x"), schema });
    expect(sleeps).toEqual([5]);
  });

  it("gives up after the retries with OneInchHttpError carrying the status", async () => {
    replies = [500, 502, 503].map((status) => ({ status, json: { error: "Error", description: "down" } }));
    const c = client();
    const err = await requestJson(c, { url: buildUrl(c, "/x"), schema }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneInchHttpError);
    expect((err as OneInchHttpError).status).toBe(503);
    expect((err as OneInchHttpError).attempts).toBe(3);
    expect((err as OneInchHttpError).description).toBe("Error: down");
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry a 400", async () => {
    replies = [{ status: 400, json: { error: "Bad Request", description: "insufficient liquidity" } }];
    const c = client();
    const err = await requestJson(c, { url: buildUrl(c, "/x"), schema }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneInchHttpError);
    expect((err as OneInchHttpError).status).toBe(400);
    expect(server.requests).toHaveLength(1);
  });

  // Timeouts race a real timer, so nothing here may depend on when a request reaches a server: attempts are counted
  // as the client makes them (its `fetch`), a silent server of their own takes the ones that must time out (an aborted
  // request arriving late cannot take another test's reply), and an attempt that must be answered gets a timeout far
  // above a local answer's time, even under load (at 30 ms an answered attempt timed out once on a loaded machine).
  it("times out each attempt, retries, then throws OneInchTimeoutError", async () => {
    const attempts: string[] = [];
    const c = client({
      baseUrl: silent.url,
      timeoutMs: 30,
      fetch: (url, init) => {
        attempts.push(String(url));
        return fetch(url, init);
      },
    });
    const err = await requestJson(c, { url: buildUrl(c, "/x"), schema }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneInchTimeoutError);
    expect((err as OneInchTimeoutError).attempts).toBe(3);
    expect(attempts).toEqual([`${silent.url}/x`, `${silent.url}/x`, `${silent.url}/x`]);
  });

  it("recovers when a timed-out attempt is followed by an answer", async () => {
    const attempts: string[] = [];
    const c = client({
      timeoutMs: 1_000,
      // The first attempt goes to the silent server and times out; the retry goes to the answering one.
      fetch: (url, init) => {
        attempts.push(String(url));
        return fetch(attempts.length === 1 ? String(url).replace(server.url, silent.url) : url, init);
      },
    });
    await expect(requestJson(c, { url: buildUrl(c, "/x"), schema })).resolves.toEqual({ ok: true });
    expect(attempts).toHaveLength(2);
    expect(server.requests).toHaveLength(1);
  });

  it("rejects a body that is not JSON with OneInchResponseError, without retrying", async () => {
    replies = [{ text: "<html>oops</html>" }];
    const c = client();
    await expect(requestJson(c, { url: buildUrl(c, "/x"), schema })).rejects.toBeInstanceOf(
      OneInchResponseError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("rejects JSON of the wrong shape with OneInchResponseError naming the field", async () => {
    replies = [{ json: { ok: "yes" } }];
    const c = client();
    const err = await requestJson(c, { url: buildUrl(c, "/x"), schema }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneInchResponseError);
    expect((err as OneInchResponseError).details).toContain("ok");
  });

  it("throws OneInchNetworkError when nothing listens", async () => {
    const dead = await startStandIn(() => ({ json: {} }));
    const url = dead.url;
    await dead.close();
    const c = createOneInchClient({ baseUrl: url, retries: 1, baseDelayMs: 1, timeoutMs: 500 });
    const err = await requestJson(c, { url: buildUrl(c, "/x"), schema }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OneInchNetworkError);
    expect((err as OneInchNetworkError).attempts).toBe(2);
  });

  it("stops at once when the caller aborts", async () => {
    replies = [{ hang: true }];
    const c = client({ timeoutMs: 5_000 });
    const controller = new AbortController();
    const pending = requestJson(c, { url: buildUrl(c, "/x"), schema, signal: controller.signal });
    // Abort once the request has reached the server (a fixed delay raced it on a loaded machine: 0 requests seen).
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 2));
    controller.abort(new Error("shutdown"));
    await expect(pending).rejects.toThrow("shutdown");
    expect(server.requests).toHaveLength(1);
  });
});

describe("helpers", () => {
  it("buildUrl drops undefined parameters and trailing slashes of the base", () => {
    const c = createOneInchClient({ baseUrl: "https://api.example/" });
    expect(buildUrl(c, "/swap/v6.0/1/quote", { src: "0xa", amount: 10n, includeGas: undefined })).toBe(
      "https://api.example/swap/v6.0/1/quote?src=0xa&amount=10",
    );
  });

  it("bpsToPercent formats without floats", () => {
    expect(bpsToPercent(50)).toBe("0.5");
    expect(bpsToPercent(1)).toBe("0.01");
    expect(bpsToPercent(100)).toBe("1");
    expect(bpsToPercent(0)).toBe("0");
    expect(bpsToPercent(5_000)).toBe("50");
    expect(() => bpsToPercent(5_001)).toThrow(RangeError);
    expect(() => bpsToPercent(1.5)).toThrow(RangeError);
  });
});
