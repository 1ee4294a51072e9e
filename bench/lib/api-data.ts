import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDatabase, seed, seedVolume } from '@apps/api';
import { createTempDatabase, postgresReachable } from '@kit/harness/postgres';
import type { BenchContext } from './context.js';

/**
 * A seeded API database directory (SQLite) with `volume` extra transactions on the demo
 * checking account, built once and cached under the results directory: seeding 1M rows
 * takes about a minute, reruns reuse it. Built under a temporary name, so an interrupted
 * seed is never taken for a finished one.
 */
export async function seededDataDir(resultsDir: string, volume: number, log: (m: string) => void): Promise<string> {
  const dir = join(resultsDir, 'db', `api-${volume}`);
  if (existsSync(join(dir, 'api.sqlite'))) return dir;
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const started = Date.now();
  log(`seeding an API database with ${volume.toLocaleString('en-US')} volume transactions (cached in ${dir})`);
  const database = await openApiDatabase({ dataDir: building, databaseUrl: undefined });
  try {
    await seed(database.db);
    if (volume > 0) await seedVolume(database.db, volume);
  } finally {
    await database.close();
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

/** A date-bounded 50-item page on the account that holds the volume. */
export function transactionsPagePath(): string {
  return `/accounts/acc-10001-checking/transactions?startDate=${day(-120)}&endDate=${day(-30)}&limit=50`;
}

export type DbStore = 'sqlite' | 'postgres';
export const STORE_LABEL: Record<DbStore, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** The stores a run can measure here: SQLite always, PostgreSQL when a server answers (else why not, for the report). */
export async function reachableStores(): Promise<{ stores: DbStore[]; skipped: string[] }> {
  if (await postgresReachable()) return { stores: ['sqlite', 'postgres'], skipped: [] };
  return { stores: ['sqlite'], skipped: ['PostgreSQL: no server reachable (set PG_TEST_URL)'] };
}

/** A seeded API store: the cached SQLite directory, or a throwaway PostgreSQL database (dropped by `drop`). */
export async function seededApiStore(ctx: BenchContext, store: DbStore): Promise<{ dataDir: string; databaseUrl?: string; drop(): Promise<void> }> {
  if (store === 'sqlite') return { dataDir: await seededDataDir(ctx.settings.resultsDir, 0, ctx.log), drop: async () => undefined };
  const temp = await createTempDatabase('api_bench');
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  const database = await openApiDatabase({ dataDir, databaseUrl: temp.url });
  await seed(database.db).finally(() => database.close());
  return {
    dataDir,
    databaseUrl: temp.url,
    drop: async () => {
      await temp.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
