import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, OAuthClient, TEST_CLIENT, type Tokens } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const WRONG = 'not-the-secret-0123456789abcdef';
const RIGHT = basic(TEST_CLIENT.client_id, TEST_CLIENT.client_secret);

/** Limits count in fixed windows aligned to the clock: waits for the next window unless `marginMs` still fits in this one. */
async function awayFromWindowEnd(windowMs: number, marginMs: number): Promise<void> {
  const intoWindow = Date.now() % windowMs;
  if (intoWindow > windowMs - marginMs) await new Promise((r) => setTimeout(r, windowMs - intoWindow + 50));
}

interface Reply {
  status: number;
  retryAfter: number;
  body: Record<string, unknown>;
}

/** A form POST from `ip` (the OP trusts X-Forwarded-For from loopback, as behind Caddy). */
async function post(url: string, ip: string, params: Record<string, string>, authorization?: string): Promise<Reply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, retryAfter: Number(res.headers.get('retry-after')), body: JSON.parse((await res.text()) || '{}') as Record<string, unknown> };
}

describe.each(ENGINES)('failed client authentication on %s (two instances, one database)', (engine) => {
  let store: TestStore;
  let a: TestAuth;
  let b: TestAuth;
  let database: AuthDatabase;

  beforeAll(async () => {
    store = await createTestStore(engine);
    // Exact counters (RATE_LIMIT_SYNC_MS=0): every failure is in the shared table before its answer leaves.
    const env = {
      CLIENT_AUTH_FAILURES_PER_WINDOW: '5',
      CLIENT_AUTH_FAILURES_PER_IP: '8',
      RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT: '20',
      RATE_LIMIT_SYNC_MS: '0',
    };
    a = await startTestAuth(store, env);
    b = await startTestAuth(store, { ...env, OP_ISSUER: a.issuer });
    database = await openAuthDatabase(store.config);
  });
  afterAll(async () => {
    await database?.close();
    await a?.close();
    await b?.close();
    await store?.cleanup();
  });

  it("throttles an attacker's wrong secrets for a client, while the client keeps refreshing from its own IP", async () => {
    await awayFromWindowEnd(60_000, 20_000);
    const browser = new OAuthClient(a.url);
    const { code, verifier } = await browser.authorize({ scope: 'openid offline_access', prompt: 'consent' });
    const first = await browser.exchange(code!, verifier);
    expect(first.status).toBe(200);
    let tokens = first.body as Tokens;
    const attacker: Reply[] = [];
    const client: Reply[] = [];
    // 30 wrong-secret requests in the client's id (more than its whole allowance of 20), alternating
    // instances; the client refreshes every third request at its normal pace, from another IP.
    for (let i = 0; i < 30; i++) {
      const [one, other] = i % 2 === 0 ? [a, b] : [b, a];
      attacker.push(await post(`${one.url}/token`, '198.51.100.7', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(TEST_CLIENT.client_id, WRONG)));
      if (i % 3 === 0) {
        const params = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, resource: 'api://my-api' };
        const refreshed = await post(`${other.url}/token`, '203.0.113.5', params, RIGHT);
        client.push(refreshed);
        if (refreshed.status === 200) tokens = refreshed.body as unknown as Tokens;
      }
    }
    expect(attacker.map((r) => r.status)).toEqual([...Array<number>(5).fill(401), ...Array<number>(25).fill(429)]);
    const throttled = attacker.at(-1)!;
    expect(throttled.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(throttled.retryAfter).toBeGreaterThan(0);
    expect(throttled.retryAfter).toBeLessThanOrEqual(60);
    expect(client.map((r) => [r.status, r.body.error_description])).toEqual(Array(10).fill([200, undefined]));

    // The client's allowance counts its own sign-in and refreshes only, none of the attacker's requests.
    const window = Date.now() - (Date.now() % 60_000);
    const { rows } = await sql<{ key: string; hits: number }>`select key, hits from token_rate_limit where key = ${'client:test-rp'} and window_start = ${window}`.execute(database.db);
    expect(rows.map((r) => Number(r.hits))).toEqual([11]);

    const events = await database.db.selectFrom('audit_events').selectAll().where('type', '=', 'rate_limit.exceeded').execute();
    const byAttacker = events.filter((e) => e.ip === '198.51.100.7');
    expect(byAttacker.length).toBeGreaterThanOrEqual(1);
    expect(byAttacker.length).toBeLessThanOrEqual(2); // once per key, window and instance, not per request
    expect(JSON.parse(byAttacker[0]!.detail!)).toEqual({ endpoint: 'token', reason: 'client_authentication_failures' });
    expect(byAttacker[0]!.client_id).toBe('test-rp');
    expect(JSON.stringify(events)).not.toContain(WRONG);
  }, 60_000); // awayFromWindowEnd may wait up to 20 s first

  it('throttles an IP that fails for many client ids, in the body or in Basic', async () => {
    await awayFromWindowEnd(60_000, 10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const one = i % 2 === 0 ? a : b;
      const params = { grant_type: 'refresh_token', refresh_token: 'nope' };
      const reply =
        i % 2 === 0
          ? await post(`${one.url}/token`, '198.51.100.8', params, basic(`guess-${i}`, WRONG))
          : await post(`${one.url}/token`, '198.51.100.8', { ...params, client_id: TEST_CLIENT.client_id, client_secret: WRONG });
      statuses.push(reply.status);
    }
    expect(statuses).toEqual([...Array<number>(8).fill(401), 429, 429]);
    // Another IP is not affected.
    expect((await post(`${a.url}/token`, '198.51.100.9', { grant_type: 'refresh_token', refresh_token: 'nope' }, RIGHT)).status).toBe(400);
  });

  it.each([
    ['introspection', '/token/introspection', '198.51.100.20'],
    ['revocation', '/token/revocation', '198.51.100.21'],
  ])('throttles failed client authentication at %s', async (_name, path, ip) => {
    await awayFromWindowEnd(60_000, 10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await post(`${[a, b][i % 2]!.url}${path}`, ip, { token: 'nope' }, basic(TEST_CLIENT.client_id, WRONG))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // The client itself, from its own IP, is answered.
    expect((await post(`${a.url}${path}`, '203.0.113.5', { token: 'nope' }, RIGHT)).status).toBe(200);
  });

  it('throttles wrong registration access tokens at /reg/:id', async () => {
    await awayFromWindowEnd(60_000, 10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${[a, b][i % 2]!.url}/reg/test-rp`, { headers: { authorization: `Bearer ${WRONG}`, 'x-forwarded-for': '198.51.100.30' } });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});

describe('failed client authentication with batched counters (the default)', () => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { CLIENT_AUTH_FAILURES_PER_WINDOW: '3' });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('is exact on one instance', async () => {
    await awayFromWindowEnd(60_000, 5_000);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(`${auth.issuer}/token`, '198.51.100.40', { grant_type: 'refresh_token', refresh_token: 'nope' }, basic(TEST_CLIENT.client_id, WRONG))).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await post(`${auth.issuer}/token`, '203.0.113.5', { grant_type: 'refresh_token', refresh_token: 'nope' }, RIGHT)).status).toBe(400);
  });
});
