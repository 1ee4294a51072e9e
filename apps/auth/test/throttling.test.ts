import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, OAuthClient, pkcePair, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

/** Limits count in fixed windows aligned to the clock: waits for the next window unless `marginMs` still fits in this one. */
async function awayFromWindowEnd(windowMs: number, marginMs: number): Promise<void> {
  const intoWindow = Date.now() % windowMs;
  if (intoWindow > windowMs - marginMs) await new Promise((r) => setTimeout(r, windowMs - intoWindow + 50));
}

async function loginPage(browser: OAuthClient) {
  return browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: randomBytes(4).toString('hex') }));
}

describe.each(ENGINES)('login lockout and rate limits on %s (shared by instances)', (engine) => {
  let store: TestStore;
  let a: TestAuth;
  let b: TestAuth;
  let database: AuthDatabase;

  beforeAll(async () => {
    store = await createTestStore(engine);
    // RATE_LIMIT_SYNC_MS=0: token counters exact across instances (the batched default is tested below).
    const env = { LOGIN_LOCKOUT_THRESHOLD: '3', RATE_LIMIT_LOGIN_PER_ACCOUNT: '100', RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT: '3', RATE_LIMIT_SYNC_MS: '0' };
    a = await startTestAuth(store, env);
    b = await startTestAuth(store, env);
    database = await openAuthDatabase(store.config);
  });
  afterAll(async () => {
    await database?.close();
    await a?.close();
    await b?.close();
    await store?.cleanup();
  });

  it('locks an account after repeated failures on one instance, and the lock holds on another', async () => {
    await awayFromWindowEnd(900_000, 5_000);
    const browser = new OAuthClient(a.issuer);
    for (let i = 0; i < 3; i++) {
      const res = await browser.login(await loginPage(browser), 'user2@example.test', `wrong-${i}`);
      expect(res.status).toBe(401);
    }
    const other = new OAuthClient(b.issuer);
    const locked = await other.login(await loginPage(other), 'user2@example.test', 'passw0rd!');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body).toContain('temporarily locked');

    const events = await database.db.selectFrom('audit_events').selectAll().where('type', 'in', ['login.failure', 'login.lockout']).execute();
    expect(events.filter((e) => e.type === 'login.lockout')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'login.failure').length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(events)).not.toContain('wrong-');
  });

  it('limits token requests per client across instances with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof tokenRequest>> | undefined;
    for (const issuer of [a.issuer, b.issuer, a.issuer, b.issuer]) {
      last = await tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: 'nope' });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect(last!.body.error).toBe('temporarily_unavailable');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe.each(ENGINES)('batched token rate limits on %s (the default)', (engine) => {
  let store: TestStore;
  let a: TestAuth;
  let b: TestAuth;
  let database: AuthDatabase;
  const refresh = (issuer: string) => tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: 'nope' });

  beforeAll(async () => {
    store = await createTestStore(engine);
    const env = { RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT: '4', RATE_LIMIT_SYNC_MS: '200' };
    a = await startTestAuth(store, env);
    b = await startTestAuth(store, env);
    database = await openAuthDatabase(store.config);
  });
  afterAll(async () => {
    await database?.close();
    await a?.close();
    await b?.close();
    await store?.cleanup();
  });

  it('is exact on one instance, reaches the other within the sync interval, and audits once per window', async () => {
    // Fixed windows: start right after a window boundary so the whole test fits in one window.
    await awayFromWindowEnd(60_000, 10_000);
    const onA: number[] = [];
    for (let i = 0; i < 6; i++) onA.push((await refresh(a.issuer)).status);
    expect(onA).toEqual([400, 400, 400, 400, 429, 429]);

    // B learns the shared totals when it flushes its own hits (every 200 ms): its first request may
    // still pass (the documented overshoot across instances), the next ones count A's hits too.
    expect([400, 429]).toContain((await refresh(b.issuer)).status);
    await new Promise((r) => setTimeout(r, 600));
    const onB = await refresh(b.issuer);
    expect(onB.status).toBe(429);
    expect(Number(onB.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(onB.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    await new Promise((r) => setTimeout(r, 100));
    const events = await database.db.selectFrom('audit_events').select('type').where('type', '=', 'rate_limit.exceeded').execute();
    expect(events).toHaveLength(2); // one per instance and key, not one per rejected request
  });

  it('adds the hits it has not flushed yet when an instance closes', async () => {
    await awayFromWindowEnd(60_000, 5_000);
    const window = Date.now() - (Date.now() % 60_000);
    const c = await startTestAuth(store, { RATE_LIMIT_SYNC_MS: '10000' });
    const counted = (table: string, key: string) =>
      sql<{ hits: number }>`select hits from ${sql.table(table)} where key = ${key} and window_start = ${window}`
        .execute(database.db)
        .then((r) => r.rows.reduce((sum, row) => sum + Number(row.hits), 0));
    const before = await counted('token_rate_limit', 'client:test-rp');
    // Authenticated (invalid_grant): counts for the client; a wrong secret counts only as a failure.
    for (let i = 0; i < 2; i++) expect((await tokenRequest(c.issuer, { grant_type: 'refresh_token', refresh_token: 'nope' })).status).toBe(400);
    const wrong = basic('flush-test', 'not-a-secret');
    for (let i = 0; i < 2; i++) expect((await tokenRequest(c.issuer, { grant_type: 'refresh_token', refresh_token: 'nope' }, wrong)).status).toBe(401);
    expect(await counted('token_rate_limit', 'client:test-rp')).toBe(before);
    expect(await counted('client_auth_failure', 'client:flush-test|ip:127.0.0.1')).toBe(0);
    await c.close();
    expect(await counted('token_rate_limit', 'client:test-rp')).toBe(before + 2);
    expect(await counted('token_rate_limit', 'client:flush-test')).toBe(0);
    expect(await counted('client_auth_failure', 'client:flush-test|ip:127.0.0.1')).toBe(2);
  });
});

describe('login rate limit per IP', () => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { RATE_LIMIT_LOGIN_PER_IP: '2' });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('answers 429 with Retry-After once an IP exceeds its login attempts', async () => {
    await awayFromWindowEnd(60_000, 5_000);
    const browser = new OAuthClient(auth.issuer);
    const statuses: number[] = [];
    for (const email of ['a@example.test', 'b@example.test', 'c@example.test']) {
      const res = await browser.login(await loginPage(browser), email, 'whatever');
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});
