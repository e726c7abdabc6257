import { startPostgres, TEST_POSTGRES_ENV } from "./postgres.ts";

/**
 * vitest globalSetup: one PostgreSQL server for the whole run (about 2 s to start), its URL in
 * `BALLAST_TEST_POSTGRES_URL` for the workers (`testDatabase()` makes a database per test on it); stopped by PID at
 * the end. Use: `globalSetup: ["@ballast/testkit/postgres-setup"]`.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const server = await startPostgres();
  process.env[TEST_POSTGRES_ENV] = server.url;
  return () => server.stop();
}
