import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, OAuthClient, pkcePair } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const THRESHOLD = 5;
const LOCKOUT_WINDOW_MS = 900_000;

describe.each(ENGINES)('parallel password guesses against the lockout on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;

  beforeAll(async () => {
    store = await createTestStore(engine);
    // Rate limits far above the burst: only the lockout stands between the guesses and the hash.
    auth = await startTestAuth(store, { LOGIN_LOCKOUT_THRESHOLD: String(THRESHOLD), RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' });
    database = await openAuthDatabase(store.config);
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  it('checks no more than the threshold of fifty parallel wrong passwords against the hash', async () => {
    // The lockout counts in fixed 15-minute windows: keep the burst inside one.
    const intoWindow = Date.now() % LOCKOUT_WINDOW_MS;
    if (intoWindow > LOCKOUT_WINDOW_MS - 10_000) await new Promise((r) => setTimeout(r, LOCKOUT_WINDOW_MS - intoWindow + 50));
    const browser = new OAuthClient(auth.issuer);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: randomBytes(4).toString('hex') }));
    const uid = /\/interaction\/([^/"]+)\//.exec(page.body)![1]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const guesses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => browser.request(`/interaction/${uid}/login`, form({ _csrf: csrf, email: 'user2@example.test', password: `guess-${i}` }))),
    );
    // A 401 follows a password verification; a 429 (locked) follows none.
    const statuses = guesses.map((g) => g.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(THRESHOLD);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50 - THRESHOLD);
    await auth.restart(); // closing flushes the audit log
    const events = await database.db.selectFrom('audit_events').select('type').where('type', 'in', ['login.failure', 'login.lockout']).execute();
    expect(events.filter((e) => e.type === 'login.failure')).toHaveLength(THRESHOLD);
    expect(events.filter((e) => e.type === 'login.lockout')).toHaveLength(1);

    // The right password is refused too while locked: the lockout holds.
    const locked = await browser.login(await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 'x' })), 'user2@example.test');
    expect(locked.status).toBe(429);
  });
});
