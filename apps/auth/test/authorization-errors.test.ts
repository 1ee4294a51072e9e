import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, codeFrom, csrfOf, exchange, form, OAuthClient, pkcePair, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import { PUBLIC_CLIENT, startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe('authorization and token errors', () => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store);
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  const state = () => randomBytes(8).toString('hex');

  it('rejects an authorization request without PKCE', async () => {
    const browser = new OAuthClient(auth.issuer);
    const res = await browser.get(browser.authorizeUrl({ challenge: 'x', state: state(), codeChallengeMethod: null }));
    const { error } = codeFrom(res);
    expect(error).toBe('invalid_request');
  });

  it('rejects the plain PKCE method', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { verifier } = pkcePair();
    const res = await browser.get(browser.authorizeUrl({ challenge: verifier, state: state(), codeChallengeMethod: 'plain' }));
    expect(codeFrom(res).error).toBe('invalid_request');
  });

  it('shows an error page instead of redirecting to an unregistered redirect_uri', async () => {
    const browser = new OAuthClient(auth.issuer);
    const res = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: state(), redirectUri: 'https://evil.example/cb' }));
    expect(res.status).toBe(400);
    const html = res.body;
    expect(html).toContain('invalid_redirect_uri');
    expect(html).not.toMatch(/at .*\.js:\d+/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('refuses a reused code and a wrong code_verifier', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize();
    const wrong = await exchange(auth.issuer, code!, pkcePair().verifier);
    expect(wrong.body.error).toBe('invalid_grant');
    const again = await browser.authorize();
    expect((await exchange(auth.issuer, again.code!, again.verifier)).status).toBe(200);
    const reused = await exchange(auth.issuer, again.code!, again.verifier);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    expect(verifier).toBeTruthy();
  });

  it('refuses an expired code', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize();
    const database = await openAuthDatabase(store.config);
    try {
      await database.db.updateTable('oidc_models').set({ expires_at: Date.now() - 1000 }).where('model', '=', 'AuthorizationCode').execute();
    } finally {
      await database.close();
    }
    const res = await exchange(auth.issuer, code!, verifier);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize();
    const res = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: code!, redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_verifier: verifier },
      basic(TEST_CLIENT.client_id, 'not-the-secret-000000000000000000000000'),
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('answers an unsupported grant type with an OAuth JSON error', async () => {
    const res = await tokenRequest(auth.issuer, { grant_type: 'password', username: 'a', password: 'b' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unsupported_grant_type');
  });

  it('ends the blocked user\'s login with access_denied to the client', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { challenge } = pkcePair();
    const s = state();
    const page = await browser.get(browser.authorizeUrl({ challenge, state: s }));
    const res = await browser.login(page, 'blocked@example.test');
    const result = codeFrom(res);
    expect(result.error).toBe('access_denied');
    expect(result.code).toBeNull();
    expect(result.state).toBe(s);
  });

  it('lets the user deny consent', async () => {
    const browser = new OAuthClient(auth.issuer);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: state() }));
    const consent = await browser.login(page, 'user2@example.test');
    const html = consent.body;
    expect(html).toContain('Test Relying Party');
    expect(html).toContain('See your transactions');
    expect(codeFrom(await browser.submit(consent, 'abort')).error).toBe('access_denied');
  });

  it('refuses a login form without the CSRF token', async () => {
    const browser = new OAuthClient(auth.issuer);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: state() }));
    const html = page.body;
    const uid = /\/interaction\/([^/"]+)\/login/.exec(html)![1]!;
    const res = await browser.request(`${auth.issuer}/interaction/${uid}/login`, form({ email: 'user@example.test', password: 'passw0rd!' }));
    expect(res.status).toBe(403);
    const forged = await browser.request(`${auth.issuer}/interaction/${uid}/login`, form({ _csrf: 'x'.repeat(43), email: 'user@example.test', password: 'passw0rd!' }));
    expect(forged.status).toBe(403);
    expect(csrfOf(html)).toBeTruthy();
  });

  it('gives the same generic error for a wrong password and an unknown email', async () => {
    const browser = new OAuthClient(auth.issuer);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: state() }));
    const wrong = await browser.login(page, 'user2@example.test', 'wrong-password');
    expect(wrong.status).toBe(401);
    const wrongHtml = wrong.body;
    const again = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: state() }));
    const unknown = await browser.login(again, 'nobody@example.test', 'wrong-password');
    expect(unknown.status).toBe(401);
    const message = (html: string) => /id="login-error"[^>]*>([^<]+)</.exec(html)?.[1];
    expect(message(unknown.body)).toBe(message(wrongHtml));
    expect(message(wrongHtml)).toBe('The email or password is incorrect.');
  });

  it('requires PKCE from a public client and lets it use the flow with S256', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize({ clientId: PUBLIC_CLIENT.client_id, redirectUri: PUBLIC_CLIENT.redirect_uris[0] });
    const res = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: code!, redirect_uri: PUBLIC_CLIENT.redirect_uris[0]!, code_verifier: verifier, client_id: PUBLIC_CLIENT.client_id },
      null,
    );
    expect(res.status).toBe(200);
  });

  it('puts the profile and email claims into the ID token', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize();
    const res = await exchange(auth.issuer, code!, verifier);
    const claims = JSON.parse(Buffer.from(res.body.id_token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: 'cust-10001', email: 'user@example.test', email_verified: true, name: 'Demo User' });
  });

  it('revokes a refresh token and introspects tokens for the authenticated client', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize({ prompt: 'consent' });
    const tokens = await exchange(auth.issuer, code!, verifier);
    const post = (path: string, body: Record<string, string>) =>
      fetch(`${auth.issuer}${path}`, { ...form(body), headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(TEST_CLIENT.client_id, TEST_CLIENT.client_secret) } });
    const active = await (await post('/token/introspection', { token: tokens.body.refresh_token! })).json();
    expect(active).toMatchObject({ active: true, sub: 'cust-10001', client_id: TEST_CLIENT.client_id });
    expect((await post('/token/revocation', { token: tokens.body.refresh_token!, token_type_hint: 'refresh_token' })).status).toBe(200);
    const inactive = await (await post('/token/introspection', { token: tokens.body.refresh_token! })).json();
    expect(inactive).toEqual({ active: false });
    const refresh = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('publishes discovery for OIDC and OAuth with the code flow only', async () => {
    const oidc = (await (await fetch(`${auth.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(oidc.issuer).toBe(auth.issuer);
    expect(oidc.response_types_supported).toEqual(['code']);
    expect(oidc.code_challenge_methods_supported).toEqual(['S256']);
    expect(oidc.jwks_uri).toBe(`${auth.issuer}/jwks`);
    const oauth = (await (await fetch(`${auth.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(oauth.issuer).toBe(auth.issuer);
    expect(oauth.token_endpoint).toBe(`${auth.issuer}/token`);
    const jwks = (await (await fetch(`${auth.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});
