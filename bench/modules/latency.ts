import { basic } from '@kit/harness/oauth';
import { stopChild } from '@kit/harness/process';
import { reachableStores, seededApiStore, STORE_LABEL, transactionsPagePath, type DbStore } from '../lib/api-data.js';
import { loadApiOperation, type ApiOperation } from '../lib/api-operations.js';
import { FDX, startApiTarget } from '../lib/api-target.js';
import { startAuthTarget, tokenBenchOptionsFromEnv } from '../lib/auth-token.js';
import { verdict } from '../lib/capacity-model.js';
import type { BenchContext, BenchModule } from '../lib/context.js';
import { load } from '../lib/load.js';
import { openLoad, type OpenLoadResult, type OpenRequest } from '../lib/open-load.js';
import { CHAIN_CLIENT, refreshChains, refreshGrantRequests } from '../lib/refresh-chains.js';
import type { Cell, Section } from '../lib/report.js';

/** Issue 19's aims for p99 under the open load, in ms. */
export const P99_AIM_MS = { api: 20, refresh: 50 } as const;

/** The open load runs at this share of the maximum the closed loop reached. */
const LOAD_SHARE = 0.5;

interface Row {
  store: DbStore;
  operation: string;
  maxPerSecond: number;
  result: OpenLoadResult;
  rate: number;
  aimMs: number;
}

async function apiRows(ctx: BenchContext, store: DbStore): Promise<Row[]> {
  const { durationSeconds, connections } = ctx.settings;
  const data = await seededApiStore(ctx, store);
  const rows: Row[] = [];
  try {
    const target = await startApiTarget({ dataDir: data.dataDir, databaseUrl: data.databaseUrl, paths: [], rateLimit: true });
    try {
      for (const [operation, label, path] of [
        ['accounts', 'GET /accounts', '/accounts'],
        ['transactionsPage', 'transactions page (50 items)', transactionsPagePath()],
      ] as Array<[ApiOperation, string, string]>) {
        ctx.log(`latency: ${STORE_LABEL[store]}: ${label}, maximum (closed loop, ${connections} connections)`);
        const max = await loadApiOperation(target, operation, { durationSeconds, connections });
        const rate = Math.max(1, Math.round(max.rps * LOAD_SHARE));
        ctx.log(`latency: ${STORE_LABEL[store]}: ${label}, open load at ${rate}/s`);
        const request: OpenRequest = { method: 'GET', path: `${FDX}${path}`, headers: target.headers };
        const result = await openLoad({ url: target.api, rate, durationSeconds, warmupSeconds: 2, next: () => request });
        rows.push({ store, operation: label, maxPerSecond: max.rps, result, rate, aimMs: P99_AIM_MS.api });
      }
    } finally {
      await target.stop();
    }
  } finally {
    await data.drop();
  }
  return rows;
}

async function refreshRow(ctx: BenchContext, store: DbStore): Promise<Row> {
  const { durationSeconds } = ctx.settings;
  const { concurrency } = tokenBenchOptionsFromEnv(durationSeconds);
  const { child, issuer } = await startAuthTarget(store, 'RS256', undefined);
  try {
    // Enough chains for the closed loop's warm-up and run (each loses up to one token per connection) and the open load's pool.
    const count = 4 * concurrency + 40;
    ctx.log(`latency: ${STORE_LABEL[store]}: ${count} refresh-token chains`);
    const tokens = await refreshChains(issuer, count);
    ctx.log(`latency: ${STORE_LABEL[store]}: refresh grants, maximum (closed loop, ${concurrency} in flight)`);
    const max = await load(`${issuer}/token`, { durationSeconds, connections: concurrency, requests: refreshGrantRequests(tokens), pid: child.pid });
    const rate = Math.max(1, Math.round(max.rps * LOAD_SHARE));
    ctx.log(`latency: ${STORE_LABEL[store]}: refresh grants, open load at ${rate}/s (${tokens.length} chains left)`);
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(CHAIN_CLIENT.client_id, CHAIN_CLIENT.client_secret) };
    // Each arrival takes a chain's current token and the answer puts the rotated one back; an empty pool sends none and fails (counted).
    const result = await openLoad({
      url: issuer,
      rate,
      durationSeconds,
      warmupSeconds: 2,
      next: () => ({ method: 'POST', path: '/token', headers, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.shift() ?? '' }).toString() }),
      onResponse: (status, body) => {
        if (status !== 200) return;
        const rotated = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
        if (rotated) tokens.push(rotated);
      },
    });
    return { store, operation: 'refresh grant (OP)', maxPerSecond: max.rps, result, rate, aimMs: P99_AIM_MS.refresh };
  } finally {
    await stopChild(child);
  }
}

function section(rows: Row[], skipped: string[]): Section {
  return {
    title: `Latency under an open-model load at ${LOAD_SHARE * 100} % of the measured maximum (bench/lib/open-load.ts)`,
    columns: ['store', 'operation', 'max req/s (closed loop)', 'offered req/s', 'sent', 'failures', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p99 aim', 'verdict'],
    rows: rows.map((r): Record<string, Cell> => ({
      store: STORE_LABEL[r.store],
      operation: r.operation,
      'max req/s (closed loop)': r.maxPerSecond,
      'offered req/s': r.rate,
      sent: r.result.sent,
      failures: r.result.failures,
      'p50 ms': r.result.p50,
      'p90 ms': r.result.p90,
      'p99 ms': r.result.p99,
      'max ms': r.result.max,
      'p99 aim': `< ${r.aimMs} ms`,
      verdict: r.result.failures > 0 ? 'missed (failures)' : verdict(r.result.p99, r.aimMs, 'below'),
    })),
    notes: [
      'Maximum: a saturating closed loop (autocannon; API 50 connections, OP BENCH_CONCURRENCY in flight). Then an open model: requests leave at a fixed rate, half that maximum, whatever the answers do, and latency counts from when each request was due (no coordinated omission); 2 s of warm-up at the same rate first.',
      'The load generator runs on the same 2 vCPUs as the server (loopback), as in every module here; a dedicated load host would see lower latency.',
      `Aims (issue 19): p99 < ${P99_AIM_MS.api} ms for the API routes, < ${P99_AIM_MS.refresh} ms for refresh grants.`,
      ...skipped.map((s) => `Skipped: ${s}.`),
    ],
  };
}

/** Issue 19, target 2: p50/p99 of /accounts, the transactions page and refresh grants under an open load at half the maximum. */
export const latencyModule: BenchModule = {
  name: 'latency',
  description: 'p50/p99 of /accounts, a transactions page and refresh grants under an open-model load at half the measured maximum',
  available: async () => true,
  async run(ctx) {
    const { stores, skipped } = await reachableStores();
    const rows: Row[] = [];
    for (const store of stores) {
      rows.push(...(await apiRows(ctx, store)));
      rows.push(await refreshRow(ctx, store));
    }
    return [section(rows, skipped)];
  },
};
