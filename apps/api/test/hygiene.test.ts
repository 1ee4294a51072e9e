import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '@kit/harness/jwks';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { startApi, type TestApi } from './support.js';

const LIMITED = { RATE_LIMIT_WINDOW_SECONDS: '3600' };

async function expectTooMany(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(3600);
  expect(await res.json()).toMatchObject({ code: 429, message: 'Too many requests' });
}

describe('rate limits on the embedded database', () => {
  let api: TestApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('answers 429 with Retry-After and an FDX error once a client exceeds its limit, and counts other clients apart', async () => {
    api = await startApi({ env: { ...LIMITED, RATE_LIMIT_PER_CLIENT: '3', RATE_LIMIT_PER_IP: '0' } });
    const token = await api.token();
    for (let i = 0; i < 3; i++) expect((await api.get('/accounts', token)).status).toBe(200);
    await expectTooMany(await api.get('/accounts', token));
    // A new token of the same client is still the same client.
    await expectTooMany(await api.get('/customers/current', await api.token()));
    const other = await signToken(api.key, { clientId: 'other-rp' });
    expect((await api.get('/accounts', other)).status).toBe(200);
  });

  it('limits a caller address by its requests with bad tokens; valid tokens count for their client instead', async () => {
    api = await startApi({ env: { ...LIMITED, RATE_LIMIT_PER_CLIENT: '0', RATE_LIMIT_PER_CUSTOMER: '0', RATE_LIMIT_PER_IP: '4' } });
    for (let i = 0; i < 2; i++) expect((await api.get('/accounts', 'not-a-jwt')).status).toBe(401);
    // An aggregator sends every customer's calls from a few addresses: its valid tokens never spend the address's allowance.
    for (let i = 0; i < 5; i++) expect((await api.get('/accounts', await api.token({ clientId: 'other-rp' }))).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await api.get('/accounts', 'not-a-jwt')).status).toBe(401);
    await expectTooMany(await api.get('/accounts', 'not-a-jwt'));
    expect((await api.get('/accounts', await api.token({ clientId: 'third-rp' }))).status).toBe(200);
    // Health checks are not FDX calls and stay reachable for the load balancer.
    expect((await api.get(`${api.url}/public/ready`, null)).status).toBe(200);
  });

});

describe.each(['sql', 'sql on PostgreSQL'] as const)('limits per customer and from the token claim (%s)', (source) => {
  let api: TestApi | undefined;
  let logLines: string[] = [];
  afterEach(async () => {
    await api?.close();
    api = undefined;
    logLines = [];
  });

  it("limits one client's calls for one customer without touching its other customers", async () => {
    api = await startApi({ source, logLines, env: { ...LIMITED, RATE_LIMIT_PER_CLIENT: '10', RATE_LIMIT_PER_CUSTOMER: '3', RATE_LIMIT_PER_IP: '0' } });
    const hammered = await api.token({ sub: 'cust-10001' });
    for (let i = 0; i < 3; i++) expect((await api.get('/accounts', hammered)).status).toBe(200);
    // Ten times over: every extra call refused, none of them spending the client's allowance of 10.
    for (let i = 0; i < 27; i++) await expectTooMany(await api.get('/accounts', hammered));
    const other = await api.token({ sub: 'cust-10002' });
    for (let i = 0; i < 3; i++) expect((await api.get('/customers/current', other)).status).toBe(200);
    // Another client's tokens for the hammered customer have their own allowance.
    expect((await api.get('/accounts', await api.token({ sub: 'cust-10001', clientId: 'other-rp' }))).status).toBe(200);
    // Logged once per key and window, not once per refusal.
    const refusals = logLines.map((l) => JSON.parse(l) as { msg: string; rateLimitKey?: string }).filter((l) => l.msg === 'rate limit exceeded');
    expect(refusals.map((l) => l.rateLimitKey)).toEqual(['customer:dev-rp|cust-10001']);
  });

  it("enforces the allowances the OP signed into the token (rl) over the API's defaults", async () => {
    api = await startApi({ source, logLines, env: { ...LIMITED, RATE_LIMIT_PER_CLIENT: '2', RATE_LIMIT_PER_CUSTOMER: '2', RATE_LIMIT_PER_IP: '0' } });
    // Per minute in the claim, this API counts per hour (LIMITED): 1/min is 60 per window.
    const generous = await api.token({ clientId: 'plaid', rl: { api_per_minute: 0, api_per_customer_per_minute: 1 } });
    for (let i = 0; i < 60; i++) expect((await api.get('/accounts', generous)).status).toBe(200);
    await expectTooMany(await api.get('/accounts', generous));
    // api_per_minute 0: no limit for the client, so its other customers go on.
    for (let i = 0; i < 5; i++) {
      expect((await api.get('/accounts', await api.token({ clientId: 'plaid', sub: `cust-1000${2 + (i % 2)}`, rl: { api_per_minute: 0, api_per_customer_per_minute: 1 } }))).status).toBe(200);
    }
    // A malformed claim falls back to the API's defaults (2 per client here).
    const odd = await api.token({ clientId: 'odd-rp', rl: { api_per_minute: -1, api_per_customer_per_minute: 'lots' } });
    for (let i = 0; i < 2; i++) expect((await api.get('/accounts', odd)).status).toBe(200);
    await expectTooMany(await api.get('/accounts', odd));
  });
});

describe('a rate limit shared by two API instances on one PostgreSQL database', () => {
  let temp: TempDatabase;
  let a: TestApi;
  let b: TestApi;
  beforeAll(async () => {
    temp = await createTempDatabase('api_limit');
    // One upsert per request: exact across instances.
    const env = { ...LIMITED, RATE_LIMIT_PER_CLIENT: '4', RATE_LIMIT_PER_IP: '0', RATE_LIMIT_SYNC_MS: '0' };
    a = await startApi({ databaseUrl: temp.url, env });
    b = await startApi({ databaseUrl: temp.url, env, seeded: false });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await temp.drop();
  });

  it('counts requests on either instance against one limit', async () => {
    const onA = await a.token();
    const onB = await b.token();
    for (let i = 0; i < 2; i++) {
      expect((await a.get('/accounts', onA)).status).toBe(200);
      expect((await b.get('/accounts', onB)).status).toBe(200);
    }
    await expectTooMany(await a.get('/accounts', onA));
    await expectTooMany(await b.get('/accounts', onB));
    const rows = await sql<{ hits: number }>`select hits from rate_limit where key = 'client:dev-rp'`.execute(a.database.db);
    expect(rows.rows.map((r) => Number(r.hits))).toEqual([6]);
  });

  it('keeps the counters in an unlogged table (no WAL on the hot path)', async () => {
    const { rows } = await sql<{ relpersistence: string }>`select relpersistence from pg_class where relname = 'rate_limit'`.execute(a.database.db);
    expect(rows).toEqual([{ relpersistence: 'u' }]);
  });

  it('keeps the count exact under concurrent requests on both instances', async () => {
    // Each instance trusts its own test JWKS; both tokens name the same client.
    const tokens = [await a.token({ clientId: 'burst-rp' }), await b.token({ clientId: 'burst-rp' })];
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => [a, b][i % 2]!.get('/accounts', tokens[i % 2]).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });
});

describe('errors that are not the caller’s', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('refuses an oversized body with 413 and an FDX error', async () => {
    const res = await fetch(`${api.base}/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.token()}` },
      body: JSON.stringify({ pad: 'x'.repeat(32 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 703, message: 'Request too large' });
  });

  it('answers an unexpected failure with 500, FDX code 500 and nothing of the internals', async () => {
    await sql`drop table payment_network`.execute(api.database.db);
    const res = await api.get('/accounts/acc-10001-checking/payment-networks');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ code: 500, message: 'Internal server error' });
    expect(text).not.toMatch(/payment_network|no such table|sqlite|at /i);
    expect((await api.get('/accounts')).status).toBe(200);
  });
});

describe('batched rate-limit counters shared by two instances (RATE_LIMIT_SYNC_MS)', () => {
  let temp: TempDatabase;
  let a: TestApi;
  let b: TestApi;
  beforeAll(async () => {
    temp = await createTempDatabase('api_limit_batched');
    // A long interval, so only the test's explicit flushes share the counts.
    const env = { ...LIMITED, RATE_LIMIT_PER_CLIENT: '4', RATE_LIMIT_PER_IP: '0', RATE_LIMIT_SYNC_MS: '10000' };
    a = await startApi({ databaseUrl: temp.url, env });
    b = await startApi({ databaseUrl: temp.url, env, seeded: false });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await temp.drop();
  });

  it('shares the counts at each flush, so an instance over-admits at most what it saw in one interval', async () => {
    const onA = await a.token({ clientId: 'batch-rp' });
    const onB = await b.token({ clientId: 'batch-rp' });
    for (let i = 0; i < 2; i++) expect((await a.get('/accounts', onA)).status).toBe(200);
    expect((await b.get('/accounts', onB)).status).toBe(200);
    await a.rateCounter.flush();
    await b.rateCounter.flush();
    const total = async () =>
      (await sql<{ hits: number }>`select hits from rate_limit where key = 'client:batch-rp'`.execute(a.database.db)).rows.map((r) => Number(r.hits));
    expect(await total()).toEqual([3]);
    // B's flush came back with A's hits: its fourth request is the last one allowed.
    expect((await b.get('/accounts', onB)).status).toBe(200);
    await expectTooMany(await b.get('/accounts', onB));
    await b.rateCounter.flush();
    // A last read 2 and has not flushed since: one more passes (the documented overshoot), then it knows.
    expect((await a.get('/accounts', onA)).status).toBe(200);
    await a.rateCounter.flush();
    await expectTooMany(await a.get('/accounts', onA));
    await a.rateCounter.flush();
    expect(await total()).toEqual([7]);
  });
});
