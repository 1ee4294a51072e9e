import { createLogger, runCli } from '@apps/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthClient } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { program } from '../src/cli/program.js';
import { CustomerStore } from '../src/customers/store.js';
import { LoginGuard } from '../src/security/login-guard.js';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe.each(ENGINES)('a customer blocked after signing in, on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;
  let customers: CustomerStore;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store);
    // The operator's side: another connection to the same database, as `pnpm kit customers` opens.
    database = await openAuthDatabase(store.config);
    customers = new CustomerStore(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  it('can no longer refresh, is sent back to login, and signs in again once unblocked', async () => {
    const browser = new OAuthClient(auth.issuer, { authorization: { prompt: 'consent' } });
    const first = await browser.signIn('user2@example.test');
    const fresh = (await browser.refresh(first.refresh_token)).body as typeof first;
    expect(fresh.refresh_token).toBeTruthy();

    await customers.setBlocked('cust-10002', true);
    const refused = await browser.refresh(fresh.refresh_token);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    const userinfo = await browser.request(`${auth.issuer}/me`, { headers: { authorization: `Bearer ${fresh.access_token}` } }, false);
    expect(userinfo.status).toBe(401);

    // The OP session of this browser still names the blocked customer: it must not be reused.
    const { page } = await browser.startAuthorization();
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="login-form"');
    const blockedLogin = await browser.login(page, 'user2@example.test');
    expect(new URL(blockedLogin.location!).searchParams.get('error')).toBe('access_denied');

    await customers.setBlocked('cust-10002', false);
    const { code, verifier } = await browser.authorize({}, 'user2@example.test');
    const back = await browser.exchange(code!, verifier);
    expect(back.status).toBe(200);
    expect((await browser.refresh(back.body.refresh_token!)).status).toBe(200);
  });

  it('`pnpm kit customers delete` revokes the grant and its tokens, and the session goes back to login', async () => {
    const browser = new OAuthClient(auth.issuer, { authorization: { prompt: 'consent' } });
    const tokens = await browser.signIn('user@example.test');
    let out = '';
    const kit = { ...program, open: async () => ({ config: auth.config, logger: createLogger({ name: 'kit', level: 'silent' }), database, close: async () => {} }) };
    const code = await runCli(kit, ['customers', 'delete', 'cust-10001', '--json'], { stdout: (t) => (out += t), stderr: () => {}, isTty: false });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ id: 'cust-10001', grantsRevoked: 1, sessionsEnded: 1, consentsEnded: 1 });
    const rows = await database.db.selectFrom('oidc_models').select(['model', 'payload']).where('model', 'in', ['Grant', 'Session', 'RefreshToken']).execute();
    expect(rows.filter((r) => (JSON.parse(r.payload) as { accountId?: string }).accountId === 'cust-10001')).toEqual([]);
    const refused = await browser.refresh(tokens.refresh_token);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    const { page } = await browser.startAuthorization();
    expect(page.body).toContain('id="login-form"');
  });

  it("keeps a locked-out customer's apps refreshing (the lockout only stops password guessing)", async () => {
    const browser = new OAuthClient(auth.issuer, { authorization: { prompt: 'consent' } });
    const tokens = await browser.signIn('user2@example.test');
    const guard = new LoginGuard(database.db, auth.config, createLogger({ name: 'test', level: 'silent' }));
    for (let i = 0; i < auth.config.lockout.threshold; i++) await guard.admit('192.0.2.1', 'user2@example.test'); // a wrong password's reserved attempt
    expect(await guard.isLocked('user2@example.test')).toBe(true);
    expect((await browser.refresh(tokens.refresh_token)).status).toBe(200);
    await guard.unlock('user2@example.test');
  });
});
