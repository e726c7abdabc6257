import { type StandIn, type StandInReply, startStandIn } from "@ballast/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { getDepositStatus } from "./api.ts";
import { AcrossHttpError, AcrossNetworkError, AcrossResponseError, AcrossTimeoutError } from "./errors.ts";
import { type AcrossClientParameters, createAcrossClient, getJson } from "./http.ts";

let server: StandIn | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server answering with the queued replies in order (the last one repeats). */
async function serve(...replies: StandInReply[]) {
  server = await startStandIn(() => (replies.length > 1 ? replies.shift() : replies[0]) ?? { status: 500 });
  return server;
}

const schema = z.looseObject({ n: z.number() });
const noWait = { sleep: async () => {}, random: () => 0 } satisfies AcrossClientParameters;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => new Error("expected a failure"),
    (e: unknown) => e,
  );

describe("getJson", () => {
  it("sends the query and the key as a Bearer header, never in the URL", async () => {
    const s = await serve({ json: { n: 1 } });
    const client = createAcrossClient({ baseUrl: `${s.url}/api/`, apiKey: "sekret" });
    expect(await getJson(client, "/limits", { a: 1n, b: undefined, c: "x" }, schema)).toEqual({ n: 1 });
    expect(s.requests[0]?.path).toBe("/api/limits");
    expect(Object.fromEntries(s.requests[0]!.query)).toEqual({ a: "1", c: "x" });
    expect(s.requests[0]?.headers.authorization).toBe("Bearer sekret");
  });

  it("retries 429 and 5xx with jittered backoff, then succeeds", async () => {
    const s = await serve({ status: 429 }, { status: 503 }, { json: { n: 2 } });
    const waits: number[] = [];
    const client = createAcrossClient({
      baseUrl: s.url,
      baseDelayMs: 100,
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(await getJson(client, "/x", {}, schema)).toEqual({ n: 2 });
    expect(waits).toEqual([50, 100]);
    expect(s.requests).toHaveLength(3);
  });

  it("throws AcrossHttpError with the API's code and message, without retrying a 4xx", async () => {
    const s = await serve({
      status: 400,
      json: {
        type: "AcrossApiError",
        code: "AMOUNT_TOO_LOW",
        status: 400,
        message: "Sent amount is too low",
      },
    });
    const error = await failure(getJson(createAcrossClient({ baseUrl: s.url, ...noWait }), "/x", {}, schema));
    expect(error).toBeInstanceOf(AcrossHttpError);
    expect(error).toMatchObject({ status: 400, code: "AMOUNT_TOO_LOW", attempts: 1 });
    expect((error as AcrossHttpError).details).toBe("Sent amount is too low");
    expect(s.requests).toHaveLength(1);
  });

  it("gives up on a 5xx after the retries", async () => {
    const s = await serve({ status: 502, text: "bad gateway" });
    const error = await failure(
      getJson(createAcrossClient({ baseUrl: s.url, retries: 1, ...noWait }), "/x", {}, schema),
    );
    expect(error).toMatchObject({ name: "AcrossHttpError", status: 502, attempts: 2 });
  });

  it("throws AcrossResponseError for a body that is not JSON or breaks the schema", async () => {
    const s = await serve({ text: "<html>" }, { json: { n: "1" } });
    const client = createAcrossClient({ baseUrl: s.url, ...noWait });
    expect(await failure(getJson(client, "/x", {}, schema))).toBeInstanceOf(AcrossResponseError);
    const error = await failure(getJson(client, "/x", {}, schema));
    expect(error).toBeInstanceOf(AcrossResponseError);
    expect((error as AcrossResponseError).details).toMatch(/^n: /);
  });

  it("times out each attempt and throws AcrossTimeoutError", async () => {
    const s = await serve({ hang: true });
    const client = createAcrossClient({ baseUrl: s.url, timeoutMs: 50, retries: 1, ...noWait });
    const error = await failure(getJson(client, "/x", {}, schema));
    expect(error).toMatchObject({ name: "AcrossTimeoutError", attempts: 2 });
    expect(error).toBeInstanceOf(AcrossTimeoutError);
  });

  it("throws AcrossNetworkError when no answer comes, and its message hides URL credentials", async () => {
    const s = await serve({ json: { n: 1 } });
    const url = s.url.replace("http://", "http://user:pass@");
    await s.close();
    server = undefined;
    const error = await failure(getJson(createAcrossClient({ baseUrl: url, retries: 0 }), "/x", {}, schema));
    expect(error).toBeInstanceOf(AcrossNetworkError);
    expect((error as Error).message).not.toContain("pass");
  });

  it("rejects at once with the abort reason when the caller aborts, without retrying", async () => {
    const s = await serve({ hang: true });
    const controller = new AbortController();
    const pending = failure(
      getDepositStatus(createAcrossClient({ baseUrl: s.url, ...noWait }), {
        originChainId: 1,
        depositId: 7n,
        signal: controller.signal,
      }),
    );
    while (s.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error("shutting down"));
    expect(await pending).toMatchObject({ message: "shutting down" });
    expect(Object.fromEntries(s.requests[0]!.query)).toEqual({ originChainId: "1", depositId: "7" });
  });
});
