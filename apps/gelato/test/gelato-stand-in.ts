/** Local stand-ins for what task creation talks to: Gelato's HTTP API, and its Automate contracts on a test chain. */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import type { TestChain } from "@ballast/testkit";
import { type Address, concat, type Hex } from "viem";

/** Runtime bytecode that answers every call with the 64 bytes `(word, true)`: enough for `taskModuleAddresses`,
 * `opsProxyFactory` (an address) and `getProxyOf` (address, bool), and it accepts `createTask`. */
export const constantReturner = (word: Address): Hex =>
  concat(["0x73", word, "0x600052600160205260406000f3"]);

/** Places stand-in Automate → ProxyModule → OpsProxyFactory contracts whose factory maps every owner to `dedicated`. */
export async function installAutomateStandIn(
  chain: TestChain,
  automate: Address,
  dedicated: Address,
): Promise<void> {
  const proxyModule: Address = "0x00000000000000000000000000000000000a0001";
  const factory: Address = "0x00000000000000000000000000000000000a0002";
  await chain.testClient.setCode({ address: automate, bytecode: constantReturner(proxyModule) });
  await chain.testClient.setCode({ address: proxyModule, bytecode: constantReturner(factory) });
  await chain.testClient.setCode({ address: factory, bytecode: constantReturner(dedicated) });
}

/** Names of the entries of a gzipped tar (ustar headers). */
export function tarEntries(tgz: Uint8Array): string[] {
  const tar = gunzipSync(tgz);
  const names: string[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar
      .subarray(at, at + 100)
      .toString("utf8")
      .replace(/\0.*$/s, "");
    if (!name) break;
    const size = Number.parseInt(
      tar
        .subarray(at + 124, at + 136)
        .toString("utf8")
        .replace(/\0.*$/s, "")
        .trim() || "0",
      8,
    );
    names.push(name);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

/** A stand-in for Gelato's API on 127.0.0.1 (port 0): the W3F network registry and the Web3 Function upload. */
export type GelatoApiStandIn = {
  readonly url: string;
  readonly uploads: { cid: string; entries: string[] }[];
  readonly requests: string[];
  close(): Promise<void>;
};

/** Starts the stand-in; `networks` maps chain ids to Automate addresses (others answer 404 like the real API). */
export async function startGelatoApi(networks: Record<number, Address>): Promise<GelatoApiStandIn> {
  const uploads: { cid: string; entries: string[] }[] = [];
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const network = /^\/w3f\/networks\/(\d+)$/.exec(req.url ?? "");
    if (req.method === "GET" && network) {
      const automate = networks[Number(network[1])];
      return automate
        ? json(200, { network: { chainId: Number(network[1]), automate } })
        : json(404, { message: "Network not found" });
    }
    if (req.method === "POST" && req.url === "/automate/users/users/web3-function") {
      const form = await new Request("http://stand-in/", {
        method: "POST",
        headers: { "content-type": req.headers["content-type"] ?? "" },
        body,
      }).formData();
      const file = form.get("file");
      if (form.get("title") !== "Web3Function" || !(file instanceof Blob))
        return json(400, { message: "bad form" });
      const bytes = new Uint8Array(await file.arrayBuffer());
      const cid = `Qm${createHash("sha256").update(bytes).digest("hex").slice(0, 44)}`;
      uploads.push({ cid, entries: tarEntries(bytes) });
      return json(200, { cid });
    }
    json(404, { message: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    uploads,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
