import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDatabase, seed } from '@apps/api';
import { createTempDatabase, PG_ADMIN_URL, postgresReachable } from '@kit/harness/postgres';
import { transactionsPagePath } from '../lib/api-data.js';
import { FDX, startApiTarget } from '../lib/api-target.js';
import type { BenchModule } from '../lib/context.js';
import { load, type LoadResult } from '../lib/load.js';
import { ratio, type Section } from '../lib/report.js';
import { rateCounterMicros, rateLimitCheckMicros } from '../lib/timing.js';

/** The API on PostgreSQL (a throwaway database on PG_TEST_URL's server), with and without the shared rate-limit counter. */
export const postgresModule: BenchModule = {
  name: 'postgres',
  description: 'API on PostgreSQL: GET /accounts and a transactions page, rate-limit counter on and off',
  async available() {
    return (await postgresReachable()) || `no PostgreSQL at ${new URL(PG_ADMIN_URL).host} (set PG_TEST_URL)`;
  },
  async run(ctx) {
    const { durationSeconds, connections } = ctx.settings;
    const temp = await createTempDatabase('api_bench');
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
    try {
      const database = await openApiDatabase({ dataDir, databaseUrl: temp.url });
      await seed(database.db);
      const [exactMicros, batchedMicros, checkExactMicros, checkBatchedMicros] = await (async () => [
      await rateCounterMicros(database.db, 2000, 0),
      await rateCounterMicros(database.db, 2000, 250),
      await rateLimitCheckMicros(database.db, 2000, 0),
      await rateLimitCheckMicros(database.db, 2000, 250),
    ])().finally(() =>
        database.close(),
      );
      const page = transactionsPagePath();
      const results: Record<string, LoadResult> = {};
      for (const rateLimit of [true, false]) {
        const target = await startApiTarget({ dataDir, databaseUrl: temp.url, paths: [], rateLimit });
        try {
          for (const [label, path] of [
            ['GET /accounts', '/accounts'],
            ['transactions page (50)', page],
          ] as const) {
            const name = `${label}, rate limits ${rateLimit ? 'on' : 'off'}`;
            ctx.log(`postgres: ${name}`);
            results[name] = await load(`${target.api}${FDX}${path}`, { durationSeconds, connections, headers: target.headers });
          }
        } finally {
          await target.stop();
        }
      }
      const rows = Object.entries(results).map(([name, r]) => ({ case: `API on PostgreSQL ${name}`, 'req/s': r.rps, 'p50 ms': r.p50, 'p99 ms': r.p99, failures: r.failures }));
      const on = results['GET /accounts, rate limits on']?.rps;
      const off = results['GET /accounts, rate limits off']?.rps;
      const section: Section = {
        title: 'API on PostgreSQL',
        columns: ['case', 'req/s', 'p50 ms', 'p99 ms', 'failures'],
        rows,
        notes: [
          `Rate-limit counter (shared by all instances, unlogged table), per request in-process: ${batchedMicros} µs batched (default, one upsert per 250 ms) vs ${exactMicros} µs with one upsert (one round trip) per request, counting ip + client keys (the check before per-customer limits); the whole check as it runs now (customer count read, then client + (client, customer) keys, 1,000 customers): ${checkBatchedMicros} µs batched vs ${checkExactMicros} µs exact (a read and an upsert); GET /accounts with / without = ${ratio(on, off) ?? '–'} (req/s). Pool of 10 connections, server on loopback.`,
        ],
      };
      return [section];
    } finally {
      await temp.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
