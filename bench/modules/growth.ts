import { createTokenVerifier, INSTITUTION, openApiDatabase, SqlDataSource, VOLUME_ACCOUNT_ID } from '@apps/api';
import { AUDIENCE, ISSUER, newKey, signToken, startJwks } from '@kit/harness/jwks';
import { seededDataDir, transactionsPagePath } from '../lib/api-data.js';
import { FDX, startApiTarget } from '../lib/api-target.js';
import type { BenchContext, BenchModule } from '../lib/context.js';
import { load } from '../lib/load.js';
import { ratio, type Section } from '../lib/report.js';
import { repeat } from '../lib/timing.js';

/** The page query alone, in-process, one at a time: the figure least disturbed by a noisy machine. */
async function pageQueryTime(dataDir: string, ms: number) {
  const database = await openApiDatabase({ dataDir, databaseUrl: undefined });
  try {
    const data = new SqlDataSource(database.db, { institutionName: INSTITUTION.name }).forCustomer('cust-10001');
    const account = await data.account(VOLUME_ACCOUNT_ID);
    if (!account) throw new Error('the volume account is missing');
    const to = Date.now() - 30 * 86_400_000;
    return await repeat(ms, () => data.transactions(account, { from: to - 90 * 86_400_000, to }, { limit: 50 }));
  } finally {
    await database.close();
  }
}

async function statementPdfTime(dataDir: string, ms: number) {
  const database = await openApiDatabase({ dataDir, databaseUrl: undefined });
  try {
    const data = new SqlDataSource(database.db, { institutionName: INSTITUTION.name }).forCustomer('cust-10001');
    const account = await data.account(VOLUME_ACCOUNT_ID);
    if (!account) throw new Error('the volume account is missing');
    const [statement] = (await data.statements(account, { from: '0000-01-01', to: '9999-12-31' }, { limit: 1 })).items;
    if (!statement) throw new Error('no statement to render');
    let bytes = 0;
    const timing = await repeat(ms, async () => {
      bytes = (await data.statementDocument(account, statement)).content.length;
    });
    return { ...timing, bytes };
  } finally {
    await database.close();
  }
}

async function transactionPages(ctx: BenchContext): Promise<Section> {
  const { durationSeconds, connections, resultsDir, sizes } = ctx.settings;
  const page = transactionsPagePath();
  const rows: Array<Record<string, string | number | null>> = [];
  const results: Array<{ rps: number; p50: number; p99: number }> = [];
  const queries: number[] = [];
  for (const size of sizes) {
    const dataDir = await seededDataDir(resultsDir, size, ctx.log);
    const pdf = await statementPdfTime(dataDir, Math.min(3000, durationSeconds * 300));
    const query = await pageQueryTime(dataDir, Math.min(3000, durationSeconds * 300));
    queries.push(query.meanMs);
    const target = await startApiTarget({ dataDir, paths: [], rateLimit: true });
    try {
      ctx.log(`growth: transactions page at ${size.toLocaleString('en-US')} transactions`);
      const r = await load(`${target.api}${FDX}${page}`, { durationSeconds, connections, headers: target.headers });
      results.push(r);
      rows.push({
        'volume transactions': size,
        'req/s': r.rps,
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        failures: r.failures,
        'req/s vs smallest': ratio(r.rps, results[0]!.rps),
        'page query µs': Math.round(query.meanMs * 1000),
        'statement PDF ms': Math.round(pdf.meanMs * 100) / 100,
        'PDF bytes': pdf.bytes,
      });
    } finally {
      await target.stop();
    }
  }
  const first = results[0];
  const last = results.at(-1);
  return {
    title: 'Growth: date-bounded 50-item transactions page by table size',
    columns: ['volume transactions', 'req/s', 'p50 ms', 'p99 ms', 'failures', 'req/s vs smallest', 'page query µs', 'statement PDF ms', 'PDF bytes'],
    rows,
    notes: [
      `Largest / smallest: page query time ${ratio(queries.at(-1), queries[0]) ?? '–'}; over HTTP req/s ${ratio(last?.rps, first?.rps) ?? '–'}, p50 ${ratio(last?.p50, first?.p50) ?? '–'}, p99 ${ratio(last?.p99, first?.p99) ?? '–'} (target: flat, the cost is per page).`,
      'Volume sits on the demo checking account (SQLite, index on account, posted time, id). The statement PDF (a month, up to 400 lines) is rendered in-process, query included.',
    ],
  };
}

async function jwksVerification(ms: number): Promise<Section> {
  const rows = [];
  const rates: number[] = [];
  for (const [count, verifiedCacheMs] of [
    [1, 0],
    [5, 0],
    [1, 60_000],
  ] as const) {
    const keys = await Promise.all(Array.from({ length: count }, (_, i) => newKey(`key-${i + 1}`)));
    const jwks = await startJwks(keys.map((k) => k.jwk));
    try {
      const verify = createTokenVerifier({
        jwksUri: jwks.url,
        issuer: ISSUER,
        audience: AUDIENCE,
        clockToleranceSeconds: 10,
        jwksCooldownMs: 30_000,
        verifiedCacheMs,
      });
      // The last published key signs: the lookup walks the whole set.
      const token = await signToken(keys.at(-1)!, { expiresIn: Math.floor(Date.now() / 1000) + 3600 });
      const { calls, meanMs } = await repeat(ms, () => verify(token));
      rates.push(calls / ((calls * meanMs) / 1000));
      rows.push({
        'published keys': count,
        mode: verifiedCacheMs ? 'same token again (remembered)' : 'full verification',
        'verifications/s': Math.round(rates.at(-1)!), 'mean µs': Math.round(meanMs * 1000), 'JWKS fetches': jwks.requests,
      });
    } finally {
      await jwks.close();
    }
  }
  return {
    title: 'JWKS: access-token verification with 1 vs 5 published keys',
    columns: ['published keys', 'mode', 'verifications/s', 'mean µs', 'JWKS fetches'],
    rows,
    notes: [
      `Full verification, 5 keys / 1 key = ${ratio(rates[1], rates[0]) ?? '–'} (one call at a time, in-process, RS256, remote set fetched once and cached).`,
      `A token already verified is remembered (keyed by its SHA-256, at most 60 s, never past exp): ${ratio(rates[2], rates[0]) ?? '–'}× the full verification rate.`,
    ],
  };
}

export const growthModule: BenchModule = {
  name: 'growth',
  description: 'transactions page latency by table size (BENCH_SIZES), statement PDF time, JWKS with 1 vs 5 keys',
  available: async () => true,
  async run(ctx) {
    const pages = await transactionPages(ctx);
    ctx.log('growth: JWKS verification');
    const jwks = await jwksVerification(Math.min(5000, ctx.settings.durationSeconds * 500));
    return [pages, jwks];
  },
};
