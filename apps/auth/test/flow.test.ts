import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe.each(ENGINES)('authorization code flow on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store);
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('logs in, consents and exchanges the code for an RS256 JWT access token for the API', async () => {
    const browser = new OAuthClient(auth.issuer);
    // OIDC Core: offline_access only counts together with prompt=consent.
    const { code, verifier } = await browser.authorize({ prompt: 'consent' });
    expect(code).toBeTruthy();
    const tokens = await exchange(auth.issuer, code!, verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body.refresh_token).toBeTruthy();
    expect(tokens.body.id_token).toBeTruthy();

    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(tokens.body.access_token, jwks, {
      issuer: auth.issuer,
      audience: 'api://my-api',
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({ sub: 'cust-10001', client_id: TEST_CLIENT.client_id, scope: 'accounts:read transactions:read' });
    expect(payload.jti).toBeTruthy();
    expect(payload.exp! - payload.iat!).toBe(3600);

    const id = await jwtVerify(tokens.body.id_token!, jwks, { issuer: auth.issuer, audience: TEST_CLIENT.client_id });
    expect(id.payload.sub).toBe('cust-10001');
    expect(decodeProtectedHeader(tokens.body.id_token!).alg).toBe('RS256');
  });

  it('gives a JWT for the API when the authorization request had no resource', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize({ resource: null });
    const tokens = await exchange(auth.issuer, code!, verifier);
    expect(tokens.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.body.access_token, jwks, { audience: 'api://my-api' });
    expect(payload.scope).toBe('accounts:read transactions:read');
  });

  it("issues a token for the API's URL (its RFC 9728 resource) with that URL as audience, and refuses other resources", async () => {
    const browser = new OAuthClient(auth.issuer);
    const resource = auth.config.apiResources.find((r) => r.startsWith('https://'))!;
    const { code, verifier } = await browser.authorize({ resource });
    const tokens = await exchange(auth.issuer, code!, verifier);
    expect(tokens.status, tokens.text).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.body.access_token, jwks, { audience: resource });
    expect(payload.aud).toBe(resource);
    expect(payload.scope).toBe('accounts:read transactions:read');

    for (const other of [`${resource}/api/fdx/v6`, 'https://elsewhere.example']) {
      const page = await browser.get(browser.authorizeUrl({ resource: other, challenge: 'x'.repeat(43), state: 's' }));
      expect(new URL(page.location!).searchParams.get('error'), other).toBe('invalid_target');
    }
  });

  it('rotates refresh tokens and revokes the grant when a rotated one is reused', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize({ prompt: 'consent' });
    const first = await exchange(auth.issuer, code!, verifier);
    const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token! });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toBeTruthy();
    expect(refreshed.body.refresh_token).not.toBe(first.body.refresh_token);

    const reuse = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token! });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    // The whole grant is gone: even the newest refresh token no longer works.
    const after = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token! });
    expect(after.body.error).toBe('invalid_grant');
  });

  it('reuses a remembered grant without asking again, and asks again with prompt=consent', async () => {
    const browser = new OAuthClient(auth.issuer);
    await browser.authorize();
    const again = await browser.authorize();
    expect(again.code).toBeTruthy();
    const { verifier: _v, ...rest } = await browser.authorize({ prompt: 'consent' });
    expect(rest.code).toBeTruthy();
  });
});
