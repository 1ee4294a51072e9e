import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, codeFrom, form, OAuthClient, TEST_CLIENT } from '@kit/harness/oauth';
import { plainHttp } from '@kit/harness/http';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const PLAID = {
  client_id: 'plaid-like',
  client_secret: 'plaid-like-client-secret-0123456789abcdef-00000',
  client_name: 'Plaid',
  redirect_uris: ['https://cdn.plaid.example/link/oauth.html'],
  require_pkce: false,
  force_refresh_token: true,
};

describe.each(ENGINES)('audit events say what happened, on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PLAID]) });
    database = await openAuthDatabase(store.config);
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  /** The events of a type, once every queued one is written (closing an instance flushes its audit log). */
  async function eventsOf(type: string) {
    await auth.restart();
    return database.db.selectFrom('audit_events').select(['actor', 'client_id', 'detail']).where('type', '=', type).orderBy('at').execute();
  }

  /** Plaid's request: no PKCE. */
  async function plaidAuthorization(browser: OAuthClient, challenge?: string) {
    const params = new URLSearchParams({ response_type: 'code', redirect_uri: PLAID.redirect_uris[0]!, scope: 'openid offline_access', client_id: PLAID.client_id, state: 's', prompt: 'consent' });
    if (challenge) {
      params.set('code_challenge', challenge);
      params.set('code_challenge_method', 'S256');
    }
    let page = await browser.get(`/auth?${params.toString()}`);
    if (page.body.includes('id="login-form"')) page = await browser.login(page);
    return codeFrom(await browser.submit(page, 'confirm'));
  }

  it('records a PKCE opt-out for each authorization without PKCE, none at start-up or with PKCE', async () => {
    const browser = new OAuthClient(auth.issuer);
    expect((await plaidAuthorization(browser)).code).toBeTruthy();
    expect((await plaidAuthorization(browser)).code).toBeTruthy();
    expect((await plaidAuthorization(browser, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).code).toBeTruthy();
    const events = await eventsOf('client.pkce_optional');
    expect(events).toHaveLength(2);
    expect(events.map((e) => [e.client_id, e.actor])).toEqual([
      [PLAID.client_id, 'cust-10001'],
      [PLAID.client_id, 'cust-10001'],
    ]);
  });

  it('records a revocation with its client, only for a token that existed', async () => {
    const browser = new OAuthClient(auth.issuer, { authorization: { prompt: 'consent' } });
    const tokens = await browser.signIn('user2@example.test');
    const revoke = (token: string) =>
      plainHttp.fetch(`${auth.issuer}/token/revocation`, {
        ...form({ token, token_type_hint: 'refresh_token' }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(TEST_CLIENT.client_id, TEST_CLIENT.client_secret) },
      });
    expect((await revoke('not-a-token-anyone-was-given')).status).toBe(200);
    expect(await eventsOf('token.revoked')).toEqual([]);

    expect((await revoke(tokens.refresh_token)).status).toBe(200);
    const events = await eventsOf('token.revoked');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ client_id: TEST_CLIENT.client_id, actor: 'cust-10002' });
    expect(events[0]!.detail).toContain('RefreshToken');
    expect(events[0]!.detail).not.toContain(tokens.refresh_token);
    expect((await browser.refresh(tokens.refresh_token)).status).toBe(400);
  });

  it('stores the typed login identifier normalised and capped', async () => {
    const browser = new OAuthClient(auth.issuer);
    const typed = ['  User2@Example.TEST ', `${'x'.repeat(300)}@example.test`];
    for (const identifier of typed) {
      const { page } = await browser.startAuthorization();
      expect((await browser.login(page, identifier, 'wrong-password')).status).toBe(401);
    }
    const actors = (await eventsOf('login.failure')).map((e) => e.actor);
    expect(actors).toEqual(['user2@example.test', 'x'.repeat(64)]);
  });

  it('writes no login.success for a blocked customer, only login.blocked', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { page } = await browser.startAuthorization();
    const refused = await browser.login(page, 'blocked@example.test');
    expect(new URL(refused.location!).searchParams.get('error')).toBe('access_denied');
    expect((await eventsOf('login.blocked')).map((e) => e.actor)).toEqual(['cust-10003']);
    expect((await eventsOf('login.success')).map((e) => e.actor)).not.toContain('cust-10003');
  });
});
