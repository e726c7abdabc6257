import { existsSync } from "node:fs";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startPostgres } from "./postgres.ts";

describe("startPostgres", () => {
  it("serves a real PostgreSQL on 127.0.0.1, one database per caller, and stops by PID", async () => {
    const server = await startPostgres();
    try {
      expect(server.url).toMatch(/^postgres:\/\/ballast@127\.0\.0\.1:\d+\/postgres$/);
      const url = await server.createDatabase("t1");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ db: string; v: string }>(
        "SELECT current_database() AS db, current_setting('server_version_num') AS v",
      );
      await client.end();
      expect(rows[0]?.db).toBe("t1");
      expect(Number(rows[0]?.v)).toBeGreaterThanOrEqual(180000);
    } finally {
      await server.stop();
    }
    expect(() => process.kill(server.pid, 0)).toThrow();
    expect(existsSync(server.dataDir)).toBe(false);
  });
});
