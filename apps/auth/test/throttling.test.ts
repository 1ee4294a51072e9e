import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth_server.js';
import { ENGINES, createTestStore, type TestStore } from './helpers/db.js';
import { Browser, pkcePair, tokenRequest } from './helpers/flow.js';

async function loginPage(browser: Browser) {
  return browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: randomBytes(4).toString('hex') }));
}

describe.each(ENGINES)('login lockout and rate limits on %s (shared by instances)', (engine) => {
  let store: TestStore;
  let a: TestAuth;
  let b: TestAuth;
  let database: AuthDatabase;

  beforeAll(async () => {
    store = await createTestStore(engine);
    const env = { LOGIN_LOCKOUT_THRESHOLD: '3', RATE_LIMIT_LOGIN_PER_ACCOUNT: '100', RATE_LIMIT_TOKEN_PER_CLIENT: '3' };
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
    const browser = new Browser(a.issuer);
    for (let i = 0; i < 3; i++) {
      const res = await browser.login(await loginPage(browser), 'user2@example.test', `wrong-${i}`);
      expect(res.status).toBe(401);
    }
    const other = new Browser(b.issuer);
    const locked = await other.login(await loginPage(other), 'user2@example.test', 'passw0rd!');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await locked.text()).toContain('temporarily locked');

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
    const browser = new Browser(auth.issuer);
    const statuses: number[] = [];
    for (const email of ['a@example.test', 'b@example.test', 'c@example.test']) {
      const res = await browser.login(await loginPage(browser), email, 'whatever');
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});
