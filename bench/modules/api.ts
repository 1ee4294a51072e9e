import { openApiDatabase } from '@apps/api';
import { seededDataDir, transactionsPagePath } from '../lib/api-data.js';
import { FDX, startApiTarget } from '../lib/api-target.js';
import type { BenchModule } from '../lib/context.js';
import { load, type LoadResult } from '../lib/load.js';
import { ratio, type Section } from '../lib/report.js';
import { consentCheckMicros, rateCounterMicros, rateLimitCheckMicros } from '../lib/timing.js';

const row = (name: string, bytes: number | undefined, r: LoadResult, vsBare: number | null) => ({
  case: name,
  bytes: bytes ?? null,
  'req/s': r.rps,
  'p50 ms': r.p50,
  'p99 ms': r.p99,
  failures: r.failures,
  'ratio to bare': vsBare,
  'CPU µs/req': r.cpuMicros,
});

/** Authenticated FDX calls vs a bare Express route answering the same bytes, in one run. */
export const apiModule: BenchModule = {
  name: 'api',
  description: 'API vs bare Express (GET /accounts, a 50-item transactions page), rate-limit counter cost',
  available: async () => true,
  async run(ctx) {
    const { durationSeconds, connections } = ctx.settings;
    const dataDir = await seededDataDir(ctx.settings.resultsDir, 0, ctx.log);
    const accounts = '/accounts';
    const page = transactionsPagePath();
    const opts = { durationSeconds, connections };
    const cpuRatios: string[] = [];
    const rows = [];

    const target = await startApiTarget({ dataDir, paths: [accounts, page], rateLimit: true });
    let unlimited: LoadResult;
    let legacy: LoadResult | undefined;
    let consentCost = 'n/a (no /proc)';
    try {
      for (const [label, path] of [
        ['GET /accounts', accounts],
        ['transactions page (50)', page],
      ] as const) {
        ctx.log(`api: bare ${label}`);
        const bare = await load(`${target.bare}${FDX}${path}`, { ...opts, pid: target.child.pid });
        ctx.log(`api: API ${label}`);
        const api = await load(`${target.api}${FDX}${path}`, { ...opts, headers: target.headers, pid: target.child.pid });
        if (api.cpuMicros && bare.cpuMicros) cpuRatios.push(`${label} ${ratio(bare.cpuMicros, api.cpuMicros)}`);
        rows.push(row(`bare Express ${label}`, target.sizes[path], bare, 1));
        rows.push(row(`API ${label}`, target.sizes[path], api, ratio(api.rps, bare.rps)));
        if (path === accounts) {
          const pairs: Array<{ consent: LoadResult; legacy: LoadResult }> = [];
          for (let pair = 0; pair < 2; pair++) {
            ctx.log(`api: API ${label}, token without consent claims (${pair + 1}/2)`);
            const withoutClaims = await load(`${target.api}${FDX}${path}`, { ...opts, headers: target.legacyHeaders, pid: target.child.pid });
            if (pair > 0) ctx.log(`api: API ${label}, consent token again`);
            // Consent, without, without, consent: a steady drift in the machine's load cancels out.
            const again = pair === 0 ? api : await load(`${target.api}${FDX}${path}`, { ...opts, headers: target.headers, pid: target.child.pid });
            pairs.push({ consent: again, legacy: withoutClaims });
          }
          legacy = pairs[0]!.legacy;
          rows.push(row(`API ${label}, token without consent claims`, target.sizes[path], legacy, ratio(legacy.rps, bare.rps)));
          const cpu = (pick: (p: { consent: LoadResult; legacy: LoadResult }) => LoadResult) => pairs.reduce((sum, p) => sum + (pick(p).cpuMicros ?? NaN), 0);
          const share = cpu((p) => p.consent) / cpu((p) => p.legacy) - 1;
          if (Number.isFinite(share)) consentCost = `${Math.round(share * 100)} % (${pairs.map((p) => `${p.consent.cpuMicros} vs ${p.legacy.cpuMicros} µs`).join(', ')})`;
        }
      }
    } finally {
      await target.stop();
    }
    const withoutLimit = await startApiTarget({ dataDir, paths: [accounts], rateLimit: false });
    try {
      ctx.log('api: API GET /accounts without the rate-limit counter');
      unlimited = await load(`${withoutLimit.api}${FDX}${accounts}`, { ...opts, headers: withoutLimit.headers, pid: withoutLimit.child.pid });
    } finally {
      await withoutLimit.stop();
    }
    const database = await openApiDatabase({ dataDir, databaseUrl: undefined });
    const [exactMicros, batchedMicros, checkExactMicros, checkBatchedMicros, consentMicros] = await (async () =>
      [
        await rateCounterMicros(database.db, 2000, 0),
        await rateCounterMicros(database.db, 2000, 250),
        await rateLimitCheckMicros(database.db, 2000, 0),
        await rateLimitCheckMicros(database.db, 2000, 250),
        await consentCheckMicros(database.db, 4000, 10_000),
      ] as const)().finally(() =>
      database.close(),
    );
    const limited = rows[1]!;
    rows.push(row('API GET /accounts, rate limits off', withoutLimit.sizes[accounts], unlimited, null));
    const section: Section = {
      title: 'API vs bare Express',
      columns: ['case', 'bytes', 'req/s', 'p50 ms', 'p99 ms', 'failures', 'ratio to bare', 'CPU µs/req'],
      rows,
      notes: [
        'For information: the retired target (issue 19) was the authenticated API at least 0.6 of the bare route (req/s), p99 under 25 ms; what counts now is `pnpm bench capacity latency metrics`.',
        `CPU per request, bare ÷ API (the same ratio from the serving process's own CPU time, steadier than req/s on a shared machine): ${cpuRatios.join(', ') || 'n/a (no /proc)'}.`,
        `Rate-limit counter per request, in-process on SQLite: ${batchedMicros} µs batched (RATE_LIMIT_SYNC_MS=250, the default) vs ${exactMicros} µs with one upsert per request (RATE_LIMIT_SYNC_MS=0), counting ip + client keys (the check before per-customer limits); the whole check as it runs now (customer count read, then client + (client, customer) keys, 1,000 customers): ${checkBatchedMicros} µs batched vs ${checkExactMicros} µs exact; GET /accounts with limits / without = ${ratio(Number(limited['req/s']), unlimited.rps) ?? '–'} (req/s, separate runs: noisy).`,
        `Consent checks on GET /accounts (the ended-consents lookup, 10,000 ended consents known, and the account selection of a token naming all the customer's accounts), CPU per request, consent token vs a token without consent claims, two alternating pairs of loads: ${consentCost} (target ≤ 10 %; separate loads on a shared machine, noisy). The checks alone, in-process over an in-memory account list (20 alternating rounds): ${consentMicros.legacy} µs without consent claims, ${consentMicros.consent} µs with them (+${Math.round((consentMicros.consent - consentMicros.legacy) * 10) / 10} µs per request).`,
        "Bare route: Express 5 sending the bytes the API answered, no auth, no database. API: JWT verification (RS256, cached JWKS), rate-limit counting (batched, as configured by default; per client and per (client, customer)), the consent checks (a token with fdxConsentId and account_ids; the ended-consents set polled from an OP stand-in's feed), SQLite queries, security headers, request logging at info to /dev/null.",
      ],
    };
    return [section];
  },
};
