import type { Address } from "@ballast/core";
import { getAddress, isAddress } from "viem";
import { GelatoApiError } from "./errors.ts";

/** Gelato's public API root (the W3F network registry at `/w3f`, the user API with the upload at `/automate/users`). */
export const GELATO_API_URL = "https://api.gelato.digital";

/** Options shared by the API calls: the base URL (a local stand-in in tests) and the fetch to use. */
export type GelatoApiOptions = {
  readonly baseUrl?: string;
  readonly fetch?: typeof globalThis.fetch;
  /** Per-request timeout, ms (default 30 000). */
  readonly timeoutMs?: number;
};

const base = (o: GelatoApiOptions) => (o.baseUrl ?? GELATO_API_URL).replace(/\/+$/, "");

async function call(o: GelatoApiOptions, endpoint: string, init: RequestInit = {}): Promise<unknown> {
  const f = o.fetch ?? globalThis.fetch.bind(globalThis);
  let res: Response;
  try {
    res = await f(`${base(o)}${endpoint}`, { ...init, signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
  } catch (err) {
    throw new GelatoApiError(endpoint, `request failed (${(err as Error).message})`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok)
    throw new GelatoApiError(endpoint, `HTTP ${res.status}: ${text.slice(0, 200)}`, { status: res.status });
  try {
    return JSON.parse(text);
  } catch {
    throw new GelatoApiError(endpoint, "the answer is not JSON", { status: res.status });
  }
}

/**
 * The Automate contract of a chain from Gelato's network registry (`GET /w3f/networks/{chainId}` →
 * `network.automate`), the lookup `AutomateSDK.create` does against a hard-coded URL.
 */
export async function fetchAutomateAddress(
  chainId: number,
  options: GelatoApiOptions = {},
): Promise<Address> {
  const endpoint = `/w3f/networks/${chainId}`;
  const body = (await call(options, endpoint)) as { network?: { automate?: unknown } };
  const automate = body.network?.automate;
  if (typeof automate !== "string" || !isAddress(automate, { strict: false }))
    throw new GelatoApiError(endpoint, `no Automate address for chain ${chainId} in the answer`);
  return getAddress(automate);
}

/**
 * Uploads a Web3 Function archive (`web3Function.tgz`, see `archiveW3f`) to Gelato's storage
 * (`POST /automate/users/users/web3-function`, multipart `title` + `file`, as the SDK's uploader) → its IPFS CID.
 */
export async function uploadW3f(archive: Uint8Array, options: GelatoApiOptions = {}): Promise<string> {
  const endpoint = "/automate/users/users/web3-function";
  const form = new FormData();
  form.append("title", "Web3Function");
  form.append("file", new Blob([archive], { type: "application/gzip" }), "web3Function.tgz");
  const body = (await call(options, endpoint, { method: "POST", body: form })) as { cid?: unknown };
  if (typeof body.cid !== "string" || body.cid === "")
    throw new GelatoApiError(endpoint, "no cid in the answer");
  return body.cid;
}
