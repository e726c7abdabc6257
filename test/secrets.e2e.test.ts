import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DemoChains, demoConfigYaml } from "@ballast/keeper/demo";
import {
  ANVIL_PRIVATE_KEYS,
  startRpcProxy,
  startTestChain,
  TEST_ACCOUNT_INDEX,
  testAccounts,
} from "@ballast/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, cli } from "./cli.ts";

// An RPC key as providers issue them, in the path and in the query string.
const KEY = "Kq7Zt2vXw9RbN4mLc8YhP3sF";
const env = { BALLAST_DEMO_KEY: ANVIL_PRIVATE_KEYS[TEST_ACCOUNT_INDEX.keeper] as string };

type Failure = "refused" | "500" | "timeout" | "bad-json";

let chains: DemoChains;
let dir: string;
let server: Server;
let port: number;
const refusedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

beforeAll(async () => {
  const [ethereum, base] = await Promise.all([
    startTestChain({ chainId: 1 }),
    startTestChain({ chainId: 8453 }),
  ]);
  chains = { ethereum, base };
  dir = mkdtempSync(join(tmpdir(), "ballast-secrets-"));
  // One stand-in RPC that fails as its path says: HTTP 500, a body that is not JSON, or no answer at all.
  server = createHttpServer((req, res) => {
    if (req.url?.startsWith("/500/"))
      res.writeHead(500, { "content-type": "text/plain" }).end("upstream error");
    else if (req.url?.startsWith("/bad-json/"))
      res.writeHead(200, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","result":');
    // "/timeout/": never answered; closed with the server.
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await Promise.all([chains?.ethereum.stop(), chains?.base.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function configFor(failure: Failure): Promise<string> {
  const host = failure === "refused" ? `127.0.0.1:${await refusedPort()}` : `127.0.0.1:${port}`;
  const file = join(dir, `${failure}.yaml`);
  const rpc = `http://${host}/${failure}/v3/${KEY}?apikey=${KEY}`;
  writeFileSync(
    file,
    demoConfigYaml(chains, {
      journal: join(dir, `${failure}.db`),
      rpc: { base: rpc },
      // A dead RPC costs one timeout per attempt: 2 s instead of the default 10 s keeps the test short.
      rpcTimeout: "2s",
      address: testAccounts.keeper.address,
    }),
  );
  return file;
}

const everyByte = (r: CliRun) => `${r.stdout}\n${r.stderr}`;

describe("no RPC key in any output", () => {
  it.each<Failure>(["refused", "500", "timeout", "bad-json"])(
    "RPC %s: status, plan --json and the daemon's log name the failing chain and never print the key",
    async (failure) => {
      const file = await configFor(failure);
      // One keeper per journal: the second `run` gets a journal of its own.
      const second = file.replace(/\.yaml$/, "-once.yaml");
      writeFileSync(second, readFileSync(file, "utf8").replace(`${failure}.db`, `${failure}-once.db`));
      const runs = await Promise.all([
        cli(["status", "-c", file], env),
        cli(["plan", "--json", "--force", "-c", file], env),
        cli(["run", "--max-cycles", "1", "-c", file], { ...env, BALLAST_LOG_LEVEL: "debug" }),
        cli(["run", "--once", "-c", second], { ...env, BALLAST_DEBUG: "1" }),
      ]);
      for (const r of runs) {
        expect(everyByte(r)).not.toContain(KEY);
        // The failure is reported, not swallowed: the output names the chain that failed.
        expect(everyByte(r)).toMatch(/base/);
      }
      const [status, , daemon, once] = runs;
      expect(status?.code).toBe(3); // a chain unreadable
      expect(once?.code).toBe(3);
      expect(daemon?.stderr).toMatch(/chain failed this cycle/);
    },
    90_000,
  );
});

describe("every RPC URL serves its chain", () => {
  it("an RPC (or sendRpc) of another chain stops at start: exit 2, the chain, the redacted URL and both ids named", async () => {
    // A proxy to the chain-1 anvil, configured as chain 8453's send-only endpoint: a wrong URL pasted in.
    const proxy = await startRpcProxy(chains.ethereum.rpcUrl);
    try {
      const file = join(dir, "mismatch.yaml");
      const yaml = demoConfigYaml(chains, {
        journal: join(dir, "mismatch.db"),
        address: testAccounts.keeper.address,
      });
      const sendRpc = `${proxy.url}/v3/${KEY}?apikey=${KEY}`;
      const withSend = yaml.replace(
        /(\n {2}base:\n(?: {4}.*\n)*? {4}rpc: .*\n)/,
        `$1    sendRpc: "${sendRpc}"\n`,
      );
      expect(withSend).toContain("sendRpc");
      writeFileSync(file, withSend);
      const [status, json] = await Promise.all([
        cli(["status", "-c", file], env),
        cli(["plan", "--json", "-c", file], env),
      ]);
      expect(status.code).toBe(2);
      expect(status.stderr).toContain(
        `Chain "base": RPC ${proxy.url}/v3/***?apikey=*** serves chain 1, expected 8453.`,
      );
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout).error).toMatchObject({ code: "ChainMismatchError" });
      for (const r of [status, json]) expect(everyByte(r)).not.toContain(KEY);
      // Only eth_chainId reached it: nothing was read or sent through a URL of the wrong chain.
      expect(new Set(proxy.methods())).toEqual(new Set(["eth_chainId"]));
    } finally {
      await proxy.stop();
    }
  }, 90_000);
});

describe("a config that cannot be used as it stands is a config error", () => {
  it("status with neither the key nor account.address: exit 2, naming the field, before any RPC is asked", async () => {
    // One journal each: this case is about the missing address. Two processes creating one new journal at the same
    // moment is another case (it exited 1 once here: apps/keeper/test/journal-open.test.ts, fixed in sql.ts).
    const file = join(dir, "no-address.yaml");
    const fileJson = join(dir, "no-address-json.yaml");
    writeFileSync(file, demoConfigYaml(chains, { journal: join(dir, "no-address.db") }));
    writeFileSync(fileJson, demoConfigYaml(chains, { journal: join(dir, "no-address-json.db") }));
    const [status, json] = await Promise.all([
      cli(["status", "-c", file], {}),
      cli(["status", "--json", "-c", fileJson], {}),
    ]);
    expect(status.code, status.stderr).toBe(2);
    expect(status.stderr).toMatch(/chains\.\w+\.account: the key is not available and no address is given/);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "SetupError" });
  }, 90_000);
});
