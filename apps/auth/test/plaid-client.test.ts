import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, codeFrom, OAuthClient, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const PLAID = {
  client_id: 'plaid-like',
  client_secret: 'plaid-like-client-secret-0123456789abcdef-00000',
  client_name: 'Plaid',
  redirect_uris: ['https://cdn.plaid.example/link/oauth.html'],
  require_pkce: false,
  force_refresh_token: true,
  fdx_scopes: ['accounts:read', 'customers:read', 'transactions:read'],
  access_token_ttl: 900,
  refresh_token_ttl: 396 * 86400,
};

describe('a Plaid-shaped client works as-is', () => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PLAID]) });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('gets an ID token, a refresh token and a 15-minute API JWT with its FDX scopes from a PKCE-less request', async () => {
    const browser = new OAuthClient(auth.issuer);
    // Exactly Plaid's request: no PKCE, no resource, no FDX scopes, no prompt.
    const params = new URLSearchParams({
      response_type: 'code',
      redirect_uri: PLAID.redirect_uris[0]!,
      scope: 'openid offline_access',
      client_id: PLAID.client_id,
      state: 'plaid-state',
    });
    const login = await browser.get(`/auth?${params.toString()}`);
    const consent = await browser.login(login);
    const consentHtml = consent.body;
    expect(consentHtml).toContain('Plaid');
    expect(consentHtml).toContain('See your accounts and their balances');
    const { code, state } = codeFrom(await browser.submit(consent, 'confirm'));
    expect(state).toBe('plaid-state');

    const tokens = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: code!, redirect_uri: PLAID.redirect_uris[0]! },
      basic(PLAID.client_id, PLAID.client_secret),
    );
    expect(tokens.status).toBe(200);
    expect(tokens.body.refresh_token).toBeTruthy();
    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
    const id = await jwtVerify(tokens.body.id_token!, jwks, { issuer: auth.issuer, audience: PLAID.client_id });
    expect(id.payload.sub).toBe('cust-10001');
    const at = await jwtVerify(tokens.body.access_token, jwks, { issuer: auth.issuer, audience: 'api://my-api', typ: 'at+jwt' });
    expect(at.payload.scope).toBe('accounts:read customers:read transactions:read');
    expect(at.payload.exp! - at.payload.iat!).toBe(900);

    const refreshed = await tokenRequest(
      auth.issuer,
      { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! },
      basic(PLAID.client_id, PLAID.client_secret),
    );
    expect(refreshed.status).toBe(200);
    const again = await jwtVerify(refreshed.body.access_token, jwks, { audience: 'api://my-api' });
    expect(again.payload.scope).toBe('accounts:read customers:read transactions:read');
  });

  it('keeps the grant as long as its refresh tokens, both capped at the consent (CONSENT_DURATION_DAYS), and audits the PKCE opt-out', async () => {
    const database = await openAuthDatabase(store.config);
    try {
      const rows = await database.db.selectFrom('oidc_models').select(['model', 'expires_at']).where('model', 'in', ['Grant', 'RefreshToken']).execute();
      const [consent] = await database.db.selectFrom('consents').selectAll().where('client_id', '=', PLAID.client_id).execute();
      // refresh_token_ttl asks for 396 days; the consent (365 days by default) is the ceiling.
      const grants = rows.filter((r) => r.model === 'Grant').map((r) => r.expires_at!);
      const refresh = rows.filter((r) => r.model === 'RefreshToken').map((r) => r.expires_at!);
      expect(Math.max(...refresh)).toBeGreaterThan(Date.now() + 364 * 86400 * 1000);
      expect(Math.max(...refresh)).toBeLessThanOrEqual(consent!.expires_at + 1000);
      expect(Math.max(...grants)).toBeGreaterThanOrEqual(Math.max(...refresh) - 1000);
      const events = await database.db.selectFrom('audit_events').selectAll().where('type', '=', 'client.pkce_optional').execute();
      expect(events.map((e) => e.client_id)).toContain(PLAID.client_id);
    } finally {
      await database.close();
    }
  });

  it('still requires PKCE from clients that did not opt out', async () => {
    const browser = new OAuthClient(auth.issuer);
    const res = await browser.get(browser.authorizeUrl({ challenge: 'x', state: 's', codeChallengeMethod: null }));
    expect(codeFrom(res).error).toBe('invalid_request');
  });
});

describe('a Plaid-shaped client that runs its own account selection, with 13-month consents', () => {
  const PLAID_13 = { ...PLAID, client_id: 'plaid-13', account_selection: false, consent_duration_days: 396 };
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PLAID_13]) });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('skips account selection: the token has a consent id and no account_ids (all accounts); refresh tokens last 13 months', async () => {
    const browser = new OAuthClient(auth.issuer);
    const params = new URLSearchParams({ response_type: 'code', redirect_uri: PLAID_13.redirect_uris[0]!, scope: 'openid offline_access', client_id: PLAID_13.client_id, state: 's' });
    const consent = await browser.login(await browser.get(`/auth?${params.toString()}`));
    expect(consent.body).toContain('id="consent-all-accounts"');
    expect(consent.body).not.toContain('name="account"');
    auth.catalog.down = true; // not asked at all
    const { code } = codeFrom(await browser.submit(consent, 'confirm'));
    auth.catalog.down = false;
    const tokens = await tokenRequest(auth.issuer, { grant_type: 'authorization_code', code: code!, redirect_uri: PLAID_13.redirect_uris[0]! }, basic(PLAID_13.client_id, PLAID_13.client_secret));
    expect(tokens.status).toBe(200);
    const at = await jwtVerify(tokens.body.access_token, createRemoteJWKSet(new URL(`${auth.issuer}/jwks`)), { audience: 'api://my-api' });
    expect(at.payload.fdxConsentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(at.payload).not.toHaveProperty('account_ids');
    const database = await openAuthDatabase(store.config);
    try {
      const refresh = await database.db.selectFrom('oidc_models').select('expires_at').where('model', '=', 'RefreshToken').execute();
      expect(refresh.some((r) => r.expires_at! > Date.now() + 395 * 86400 * 1000)).toBe(true);
      const row = await database.db.selectFrom('consents').selectAll().where('id', '=', at.payload.fdxConsentId as string).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ account_ids: null, duration_days: 396, client_id: PLAID_13.client_id });
    } finally {
      await database.close();
    }
  });
});
