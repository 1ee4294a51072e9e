import { createRemoteJWKSet, jwtVerify, SignJWT, generateKeyPair, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsOn, basic, codeFrom, exchange, form, OAuthClient, TEST_CLIENT, tokenRequest, type Tokens } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const OTHER = {
  client_id: 'other-rp',
  client_secret: 'other-rp-client-secret-0123456789abcdef-0000',
  client_name: 'Other App',
  redirect_uris: ['https://other.example.test/callback'],
  post_logout_redirect_uris: ['https://other.example.test/'],
};
const SHORT = { ...OTHER, client_id: 'short-rp', client_name: 'Short App', consent_duration_days: 30 };

describe.each(ENGINES)('consents at the consent step, in tokens, and every way they end, on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    store = await createTestStore(engine);
    // Every test signs the demo customer in afresh: more sign-ins a minute than the default limits allow.
    auth = await startTestAuth(store, {
      OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, OTHER, SHORT]),
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000',
      RATE_LIMIT_LOGIN_PER_IP: '1000',
    });
    database = await openAuthDatabase(store.config);
    jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  const claimsOf = async (accessToken: string): Promise<JWTPayload> => (await jwtVerify(accessToken, jwks, { issuer: auth.issuer, audience: 'api://my-api' })).payload;
  const consentRow = (id: string) => database.db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** The audit events of a type about a consent, once written (audit writes do not hold up responses). */
  const auditOf = async (type: string, consentId: string) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const rows = (await database.db.selectFrom('audit_events').selectAll().where('type', '=', type).execute()).filter((e) => e.detail?.includes(consentId));
      if (rows.length > 0 || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  /** Login → consent page (as TEST_CLIENT unless `client`), with prompt=consent so every run asks. */
  async function consentPage(browser: OAuthClient, client = TEST_CLIENT) {
    const { page, verifier, state } = await browser.startAuthorization({ prompt: 'consent', clientId: client.client_id, redirectUri: client.redirect_uris[0] });
    const consent = page.body.includes('id="login-form"') ? await browser.login(page) : page;
    return { consent, verifier, state };
  }

  async function tokensFor(browser: OAuthClient, account?: string[], client = TEST_CLIENT): Promise<Tokens> {
    const { consent, verifier } = await consentPage(browser, client);
    const { code } = codeFrom(await browser.submit(consent, 'confirm', account ? { account } : {}));
    const res = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: client.redirect_uris[0]! },
      basic(client.client_id, client.client_secret),
    );
    expect(res.status, res.text).toBe(200);
    return res.body as Tokens;
  }

  const revoke = (token: string, client = TEST_CLIENT, hint?: string) =>
    fetch(`${auth.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id, client.client_secret) },
      body: new URLSearchParams({ token, ...(hint ? { token_type_hint: hint } : {}) }).toString(),
    });

  it('lists the eligible accounts, all checked, with what each scope reveals and the expiry date', async () => {
    const { consent } = await consentPage(new OAuthClient(auth.issuer));
    expect(consent.status).toBe(200);
    expect(accountsOn(consent.body)).toEqual({ listed: ['acc-checking', 'acc-savings'], checked: ['acc-checking', 'acc-savings'] });
    expect(consent.body).toContain('Everyday Checking');
    expect(consent.body).toContain('Savings · ending 9876');
    expect(consent.body).not.toContain('Old Card'); // CLOSED: not eligible
    expect(consent.body).toContain('Dates, amounts, descriptions and payees');
    expect(consent.body).toContain(new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10));
    // The OP authenticated to the API with INTERNAL_SECRET.
    expect(auth.catalog.authorizations.at(-1)).toBe(`Bearer ${auth.config.internalSecret}`);
  });

  it('issues a consent for the accounts chosen: fdxConsentId and account_ids on the access token, the same consent after refresh', async () => {
    const browser = new OAuthClient(auth.issuer);
    const tokens = await tokensFor(browser, ['acc-savings']);
    const claims = await claimsOf(tokens.access_token);
    expect(claims.fdxConsentId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims.account_ids).toEqual(['acc-savings']);
    const row = await consentRow(claims.fdxConsentId as string);
    expect(row).toMatchObject({ status: 'ACTIVE', client_id: TEST_CLIENT.client_id, customer_id: 'cust-10001', account_ids: '["acc-savings"]', duration_days: 365 });
    expect(row.scopes.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access', 'accounts:read', 'transactions:read']));
    expect(row.last_used_at).not.toBeNull();

    const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(await claimsOf(refreshed.body.access_token)).toMatchObject({ fdxConsentId: claims.fdxConsentId, account_ids: ['acc-savings'] });

    const [granted] = await auditOf('consent.granted', claims.fdxConsentId as string);
    expect(granted).toMatchObject({ actor: 'cust-10001', client_id: TEST_CLIENT.client_id });
    expect(JSON.parse(granted!.detail!)).toMatchObject({ accountIds: ['acc-savings'], consentId: claims.fdxConsentId });
  });

  it('refuses a consent with no account checked (400, the page again with a clear error) and ignores accounts not offered', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { consent } = await consentPage(browser);
    const refused = await browser.submit(consent, 'confirm', { account: [] });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Select at least one account to share.');
    expect(accountsOn(refused.body)).toEqual({ listed: ['acc-checking', 'acc-savings'], checked: [] });
    const foreign = await browser.submit(refused, 'confirm', { account: ['acc-closed', 'someone-elses'] });
    expect(foreign.status).toBe(400);
    const { code } = codeFrom(await browser.submit(foreign, 'confirm', { account: ['acc-checking', 'someone-elses'] }));
    expect(code).toBeTruthy();
  });

  it('answers 503 "try again" when the API cannot list the accounts, and records nothing about them', async () => {
    const browser = new OAuthClient(auth.issuer);
    auth.catalog.down = true;
    try {
      const { consent } = await consentPage(browser);
      expect(consent.status).toBe(503);
      expect(consent.body).toContain('We could not load your accounts; try again');
      expect(consent.headers.get('retry-after')).toBe('10');
    } finally {
      auth.catalog.down = false;
    }
    const page = await browser.get(browser.authorizeUrl({ challenge: 'x'.repeat(43), state: 's', prompt: 'consent' }));
    expect(page.status).toBe(200);
  });

  it('gives each authorization its own consent; the earlier one stays until it ends', async () => {
    const browser = new OAuthClient(auth.issuer);
    const first = await claimsOf((await tokensFor(browser)).access_token);
    const second = await claimsOf((await tokensFor(browser, ['acc-checking'])).access_token);
    expect(second.fdxConsentId).not.toBe(first.fdxConsentId);
    expect(first.account_ids).toEqual(['acc-checking', 'acc-savings']);
    expect((await consentRow(first.fdxConsentId as string)).status).toBe('ACTIVE');
    expect((await consentRow(second.fdxConsentId as string)).grant_id).not.toBe((await consentRow(first.fdxConsentId as string)).grant_id);
  });

  it('caps a client’s consent at its consent_duration_days: access and refresh tokens never outlive it', async () => {
    const tokens = await tokensFor(new OAuthClient(auth.issuer), undefined, SHORT);
    const claims = await claimsOf(tokens.access_token);
    const row = await consentRow(claims.fdxConsentId as string);
    expect(row.duration_days).toBe(30);
    expect(row.expires_at - row.created_at).toBe(30 * 86_400_000);
    // Move the consent's expiry to 100 s from now: the next tokens end with it.
    await database.db.updateTable('consents').set({ expires_at: Date.now() + 100_000 }).where('id', '=', row.id).execute();
    const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(SHORT.client_id, SHORT.client_secret));
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expires_in).toBeLessThanOrEqual(100);
    const at = await claimsOf(refreshed.body.access_token);
    expect(at.exp! * 1000).toBeLessThanOrEqual(Date.now() + 101_000);
    const stored = await database.db.selectFrom('oidc_models').select('expires_at').where('model', '=', 'RefreshToken').where('grant_id', '=', row.grant_id).where('consumed_at', 'is', null).execute();
    expect(stored).toHaveLength(1);
    expect(stored.every((r) => r.expires_at! <= Date.now() + 101_000)).toBe(true);
    // Expired (before the sweeper comes by): refresh is invalid_grant.
    await database.db.updateTable('consents').set({ expires_at: Date.now() - 1 }).where('id', '=', row.id).execute();
    const late = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token! }, basic(SHORT.client_id, SHORT.client_secret));
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
  });

  it('ends the consent when its refresh token is revoked (RFC 7009): refresh invalid_grant, a feed change, consent.ended by client', async () => {
    const tokens = await tokensFor(new OAuthClient(auth.issuer));
    const { fdxConsentId } = await claimsOf(tokens.access_token);
    expect((await revoke(tokens.refresh_token, TEST_CLIENT, 'refresh_token')).status).toBe(200);
    // Ended before the answer went out.
    expect(await consentRow(fdxConsentId as string)).toMatchObject({ status: 'REVOKED', ended_by: 'client', end_reason: 'token_revoked' });
    expect((await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).body.error).toBe('invalid_grant');
    const [ended] = await auditOf('consent.ended', fdxConsentId as string);
    expect(JSON.parse(ended!.detail!)).toMatchObject({ by: 'client', reason: 'token_revoked', status: 'REVOKED' });
  });

  it('ends the consent of a JWT access token its client revokes (200); another client’s revocation of it answers 200 and ends nothing', async () => {
    const tokens = await tokensFor(new OAuthClient(auth.issuer));
    const { fdxConsentId } = await claimsOf(tokens.access_token);

    const byOther = await revoke(tokens.access_token, OTHER);
    expect(byOther.status).toBe(200);
    expect((await consentRow(fdxConsentId as string)).status).toBe('ACTIVE');

    // A JWT signed by someone else's key naming the consent: 200, nothing ends.
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ client_id: TEST_CLIENT.client_id, fdxConsentId })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'forged' })
      .setIssuer(auth.issuer)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await revoke(forged)).status).toBe(200);
    expect((await consentRow(fdxConsentId as string)).status).toBe('ACTIVE');

    // Without client authentication: refused, nothing ends.
    const anonymous = await fetch(`${auth.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }).toString(),
    });
    expect(anonymous.ok).toBe(false);
    expect((await consentRow(fdxConsentId as string)).status).toBe('ACTIVE');

    const res = await revoke(tokens.access_token, TEST_CLIENT, 'access_token');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(await consentRow(fdxConsentId as string)).toMatchObject({ status: 'REVOKED', ended_by: 'client', end_reason: 'token_revoked' });
    expect((await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).body.error).toBe('invalid_grant');
    expect((await revoke(tokens.access_token)).status).toBe(200); // again: still 200
  });

  it('asks for consent again in a session whose consent ended, and the new consent works', async () => {
    const browser = new OAuthClient(auth.issuer);
    const tokens = await tokensFor(browser);
    expect((await revoke(tokens.refresh_token)).status).toBe(200);
    const { page, verifier } = await browser.startAuthorization();
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="consent-allow"');
    const { code } = codeFrom(await browser.submit(page, 'confirm'));
    const res = await exchange(auth.issuer, code!, verifier);
    expect(res.status).toBe(200);
    expect((await consentRow((await claimsOf(res.body.access_token)).fdxConsentId as string)).status).toBe('ACTIVE');
  });

  it('ends a session-bound consent when the customer signs out at the OP (by the customer); an offline one stays', async () => {
    const offline = await claimsOf((await tokensFor(new OAuthClient(auth.issuer))).access_token);
    // Without offline_access (TEST_CLIENT has no force_refresh_token): the grant lives with the session.
    const browser = new OAuthClient(auth.issuer);
    const { page, verifier } = await browser.startAuthorization({ scope: 'openid accounts:read' });
    const { code } = codeFrom(await browser.submit(await browser.login(page), 'confirm'));
    const tokens = (await exchange(auth.issuer, code!, verifier)).body;
    expect(tokens.refresh_token).toBeUndefined();
    const bound = await claimsOf(tokens.access_token);
    const logout = await browser.get(`/session/end?${new URLSearchParams({ id_token_hint: tokens.id_token! }).toString()}`);
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(logout.body)?.[1] ?? /action="([^"]+)"[^>]*id="op.logoutForm"/.exec(logout.body)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(logout.body)?.[1];
    await browser.follow(await browser.request(new URL(action!, auth.issuer).toString(), form({ xsrf: xsrf!, logout: 'yes' })));
    expect(await consentRow(bound.fdxConsentId as string)).toMatchObject({ status: 'REVOKED', ended_by: 'customer', end_reason: 'signed_out' });
    expect((await consentRow(offline.fdxConsentId as string)).status).toBe('ACTIVE');
  });

  it('ends the consent when a replayed code revokes the grant (by the system)', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { consent, verifier } = await consentPage(browser);
    const { code } = codeFrom(await browser.submit(consent, 'confirm'));
    const first = await exchange(auth.issuer, code!, verifier);
    expect(first.status).toBe(200);
    const { fdxConsentId } = await claimsOf(first.body.access_token);
    expect((await exchange(auth.issuer, code!, verifier)).body.error).toBe('invalid_grant');
    expect(await consentRow(fdxConsentId as string)).toMatchObject({ status: 'REVOKED', ended_by: 'system', end_reason: 'code_reuse' });
  });

  it('ends the consent when refresh token reuse revokes the grant (by the system)', async () => {
    const tokens = await tokensFor(new OAuthClient(auth.issuer));
    const { fdxConsentId } = await claimsOf(tokens.access_token);
    expect((await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status).toBe(200);
    expect((await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status).toBe(400);
    expect(await consentRow(fdxConsentId as string)).toMatchObject({ status: 'REVOKED', ended_by: 'system', end_reason: 'refresh_token_reuse' });
  });

  it('the code of a consent ended before the exchange is invalid_grant', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { consent, verifier } = await consentPage(browser);
    const { code } = codeFrom(await browser.submit(consent, 'confirm'));
    const latest = await database.db.selectFrom('consents').select('id').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    await database.db.updateTable('consents').set({ status: 'REVOKED', ended_at: Date.now() }).where('id', '=', latest.id).execute();
    const res = await exchange(auth.issuer, code!, verifier);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });
});
