import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BallastError } from "@ballast/core";
import { afterAll, describe, expect, it } from "vitest";
import { ballastArgv } from "../test/bin.ts";
import { loadDemo } from "./cli.ts";

const dir = mkdtempSync(join(tmpdir(), "ballast-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `ballast …args` as a process, without $BALLAST_KEY. */
const ballast = (args: string[], extraEnv: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env, ...extraEnv };
    delete env.BALLAST_KEY;
    execFile(process.execPath, ballastArgv(args), { env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });

describe("--json for scripts", () => {
  it("init --json says which file it wrote and for which account; the config carries the address", async () => {
    const file = join(dir, "ballast.yaml");
    const address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const r = await ballast(["init", file, "--address", address, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ file, address });
    expect(readFileSync(file, "utf8")).toContain(address);
    // Again without --force: an error, as JSON on stdout.
    const again = await ballast(["init", file, "--json"]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.message).toContain("pass --force");
  }, 60_000);

  it("run --json without --once is a usage error (exit 2): a daemon's output is its log", async () => {
    const r = await ballast(["run", "--json", "-c", join(dir, "none.yaml")]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: "ConfigError", field: "--json" });
  }, 60_000);

  it("demo --json --keep is a usage error (exit 2): a demo that keeps running prints as it goes", async () => {
    const r = await ballast(["demo", "--json", "--keep"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: "ConfigError", field: "--json" });
  }, 60_000);
});

describe("usage errors under --json", () => {
  it("an unknown option or a bad argument is JSON on stdout, nothing on stderr, exit 2", async () => {
    const r = await ballast(["plan", "-c", join(dir, "none.yaml"), "--json", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: "UsageError", message: "unknown option '--bogus'" },
      exitCode: 2,
    });
    // Without --json: commander's text and the help, on stderr.
    const text = await ballast(["plan", "--bogus"]);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain("error: unknown option '--bogus'");
  }, 60_000);
});

describe("environment errors under --json", () => {
  it("a key variable not set names its field (exit 2)", async () => {
    const file = join(dir, "key.yaml");
    const init = await ballast(["init", file, "--address", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]);
    expect(init.code, init.stderr).toBe(0);
    const rpc = "http://127.0.0.1:9";
    const r = await ballast(["run", "--once", "--json", "-c", file], {
      ETH_RPC_URL: rpc,
      ETH_SEND_RPC_URL: rpc,
      ARB_RPC_URL: rpc,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: "SecretError",
      field: "chains.ethereum.account.key",
    });
  }, 60_000);
});

describe("ballast demo without @ballast/testkit", () => {
  it("says what is missing and how to get it, instead of a module-resolution stack", async () => {
    const absent = () =>
      Promise.reject(
        Object.assign(new Error("Cannot find package '@ballast/testkit' imported from /app/src/demo.ts"), {
          code: "ERR_MODULE_NOT_FOUND",
        }),
      );
    const err = await loadDemo(absent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BallastError);
    expect((err as BallastError).shortMessage).toContain("needs @ballast/testkit");
    expect((err as BallastError).details).toContain("pnpm demo");
  });

  it("passes any other failure through, and loads the demo when the testkit is installed", async () => {
    const other = new Error("boom");
    await expect(loadDemo(() => Promise.reject(other))).rejects.toBe(other);
    expect(typeof (await loadDemo()).runDemo).toBe("function");
  });
});
