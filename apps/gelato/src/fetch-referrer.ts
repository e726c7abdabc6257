/**
 * The Web3 Function's RPC goes through the SDK's `multiChainProvider`, ethers v5 providers whose browser `fetch`
 * path (`@ethersproject/web` `getUrl`) sends every request with `referrer: "client"`. The Fetch standard spells "the
 * client's default referrer" `"about:client"`; a bare `"client"` is parsed as a URL relative to the document, and a
 * Deno function has no document. Deno 1.x ignored `referrer`; Deno 2.x parses it and throws `TypeError: Referrer
 * "client" is not a valid URL`, which ethers reports as "missing response" — every RPC call fails (measured with
 * Deno 2.9.6 in the SDK's runner; ethers-io/ethers.js#2739 and #3536 are the same error in Workers).
 *
 * {@link withClientReferrer} wraps `fetch` so that this one value becomes the standard's own spelling of what ethers
 * asks for; every other request passes untouched. Under Deno 1.x (which ignores `referrer`) it changes nothing.
 */
export function withClientReferrer(fetchFn: typeof fetch): typeof fetch {
  return (input, init) =>
    fetchFn(input, init?.referrer === "client" ? { ...init, referrer: "about:client" } : init);
}

/** Installs {@link withClientReferrer} on `globalThis.fetch` (the Web3 Function entry does, before anything runs). */
export function installClientReferrerFetch(): void {
  globalThis.fetch = withClientReferrer(globalThis.fetch.bind(globalThis));
}
