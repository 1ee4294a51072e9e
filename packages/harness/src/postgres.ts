import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Throwaway PostgreSQL databases for tests and benchmarks, created on the server named by
 * PG_TEST_URL (default: the machine's local PostgreSQL) and dropped afterwards.
 */
export const PG_ADMIN_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TempDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** `postgres://…/<name>` on the same server as `base`. */
export function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function asAdmin<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

export async function createTempDatabase(prefix = 'kit_test'): Promise<TempDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await asAdmin(PG_ADMIN_URL, (admin) => admin.query(`CREATE DATABASE ${name}`));
  return {
    url: databaseUrl(PG_ADMIN_URL, name),
    name,
    drop: () => asAdmin(PG_ADMIN_URL, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Creates each database on the server of `base` unless it exists; returns their URLs. */
export async function ensureDatabases(base: string, names: readonly string[]): Promise<string[]> {
  await asAdmin(databaseUrl(base, 'postgres'), async (admin) => {
    for (const name of names) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name ${name}`);
      const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
      if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
    }
  });
  return names.map((name) => databaseUrl(base, name));
}

/** Whether a PostgreSQL server answers at `url` within 2 s (a reason to skip, not to fail). */
export async function postgresReachable(url = PG_ADMIN_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
