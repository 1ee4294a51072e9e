import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, codeFrom, form, OAuthClient, pkcePair, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';
import { json, kitFor } from './helpers/kit.js';

const PLAID = {
  client_id: 'plaid-like',
  client_secret: 'plaid-like-client-secret-0123456789abcdef-00000',
  client_name: 'Plaid',
  redirect_uris: ['https://cdn.plaid.example/link/oauth.html'],
  require_pkce: false,
  fdx_scopes: ['accounts:read', 'customers:read', 'transactions:read'],
};
const AGGREGATOR_REDIRECT = 'https://aggregator.example.test/cb';

describe.each(ENGINES)('FDX data scopes of configured clients, on every authorization path, on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PLAID]) });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  /**
   * The authorization request as a form-encoded POST: pushed (RFC 9126, `POST /request`, the
   * client authenticated), then the browser's `GET /auth` with only the request_uri; login and
   * consent. Returns the consent page and the code.
   */
  async function postAuthorization(client: { client_id: string; client_secret: string; redirect_uri: string }, extra: Record<string, string> = {}) {
    const browser = new OAuthClient(auth.issuer);
    const pushed = await browser.request(
      '/request',
      { ...form({ response_type: 'code', client_id: client.client_id, redirect_uri: client.redirect_uri, scope: 'openid offline_access', state: 'post-state', ...extra }), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id, client.client_secret) } },
      false,
    );
    expect(pushed.status, pushed.body).toBe(201);
    const { request_uri: requestUri } = pushed.json<{ request_uri: string }>();
    const login = await browser.get(`/auth?${new URLSearchParams({ client_id: client.client_id, request_uri: requestUri }).toString()}`);
    const consent = await browser.login(login);
    const { code, state } = codeFrom(await browser.submit(consent, 'confirm'));
    expect(state).toBe('post-state');
    return { consentHtml: consent.body, code: code! };
  }

  async function accessTokenScope(accessToken: string): Promise<unknown> {
    const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${auth.issuer}/jwks`)), { issuer: auth.issuer, audience: 'api://my-api' });
    return payload.scope;
  }

  it('adds a static client’s fdx_scopes to a POST authorization request', async () => {
    const redirect = PLAID.redirect_uris[0]!;
    const { consentHtml, code } = await postAuthorization({ ...PLAID, redirect_uri: redirect });
    expect(consentHtml).toContain('See your accounts and their balances');
    expect(consentHtml).toContain('See your transactions');
    const tokens = await tokenRequest(auth.issuer, { grant_type: 'authorization_code', code, redirect_uri: redirect }, basic(PLAID.client_id, PLAID.client_secret));
    expect(tokens.status).toBe(200);
    expect(await accessTokenScope(tokens.body.access_token)).toBe('accounts:read customers:read transactions:read');
  });

  it('adds the --fdx-scope of a client added with `pnpm kit clients add` to a POST authorization request', async () => {
    const added = await kitFor(auth.config)('clients', 'add', '--name', 'Aggregator', '--redirect-uri', AGGREGATOR_REDIRECT, '--fdx-scope', 'accounts:read', '--fdx-scope', 'transactions:read', '--json');
    expect(added.code).toBe(0);
    const client = json<{ clientId: string; clientSecret: string }>(added);
    const { verifier, challenge } = pkcePair();
    const { consentHtml, code } = await postAuthorization(
      { client_id: client.clientId, client_secret: client.clientSecret, redirect_uri: AGGREGATOR_REDIRECT },
      { code_challenge: challenge, code_challenge_method: 'S256' },
    );
    expect(consentHtml).toContain('See your accounts and their balances');
    const tokens = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code, redirect_uri: AGGREGATOR_REDIRECT, code_verifier: verifier },
      basic(client.clientId, client.clientSecret),
    );
    expect(tokens.status).toBe(200);
    expect(await accessTokenScope(tokens.body.access_token)).toBe('accounts:read transactions:read');
  });

  it('serves no other POST authorization path that could skip them (POST /auth is off, as oidc-provider 9 ships it)', async () => {
    const browser = new OAuthClient(auth.issuer);
    const res = await browser.request('/auth', form({ response_type: 'code', client_id: PLAID.client_id, redirect_uri: PLAID.redirect_uris[0]!, scope: 'openid offline_access' }));
    expect(res.status).toBe(404);
  });

  it('leaves the data scopes a pushed request names as they are, and adds them on GET as before', async () => {
    const redirect = PLAID.redirect_uris[0]!;
    const { code } = await postAuthorization({ ...PLAID, redirect_uri: redirect }, { scope: 'openid accounts:read' });
    const tokens = await tokenRequest(auth.issuer, { grant_type: 'authorization_code', code, redirect_uri: redirect }, basic(PLAID.client_id, PLAID.client_secret));
    expect(await accessTokenScope(tokens.body.access_token)).toBe('accounts:read');

    const browser = new OAuthClient(auth.issuer, { client: { ...PLAID, redirect_uris: [redirect] } });
    const { code: viaGet } = await browser.authorize({ scope: 'openid offline_access', codeChallengeMethod: null, prompt: 'consent' });
    const fromGet = await tokenRequest(auth.issuer, { grant_type: 'authorization_code', code: viaGet!, redirect_uri: redirect }, basic(PLAID.client_id, PLAID.client_secret));
    expect(await accessTokenScope(fromGet.body.access_token)).toBe('accounts:read customers:read transactions:read');
  });
});
