import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthClient, TEST_CLIENT } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe.each(ENGINES)('openid-client against the OP on %s', (engine) => {
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

  it('discovers, authorizes with PKCE, exchanges the code, refreshes and logs out', async () => {
    const config = await client.discovery(
      new URL(auth.issuer),
      TEST_CLIENT.client_id,
      undefined,
      client.ClientSecretBasic(TEST_CLIENT.client_secret),
      { execute: [client.allowInsecureRequests] },
    );
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: TEST_CLIENT.redirect_uris[0]!,
      scope: 'openid email profile offline_access accounts:read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      resource: 'api://my-api',
      prompt: 'consent',
      state,
    });

    const browser = new OAuthClient(auth.issuer);
    const login = await browser.get(url.toString());
    const consent = await browser.login(login);
    expect(consent.body).toContain('id="consent-allow"');
    const callback = await browser.submit(consent, 'confirm');

    const tokens = await client.authorizationCodeGrant(config, new URL(callback.headers.get('location')!), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()?.sub).toBe('cust-10001');
    expect(tokens.claims()?.email).toBe('user@example.test');
    expect(tokens.refresh_token).toBeTruthy();

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const logout = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: TEST_CLIENT.post_logout_redirect_uris[0]!,
    });
    expect((await browser.get(logout.toString())).status).toBe(200);
  });

  it('skips the consent page for a remembered grant, and shows it again for prompt=consent', async () => {
    const browser = new OAuthClient(auth.issuer);
    const start = (prompt?: string) =>
      browser.get(
        browser.authorizeUrl({ challenge: client.randomPKCECodeVerifier(), state: client.randomState(), scope: 'openid accounts:read', ...(prompt ? { prompt } : {}) }),
      );
    const consent = await browser.login(await start());
    expect(consent.body).toContain('id="consent-allow"');
    expect((await browser.submit(consent, 'confirm')).status).toBe(303);

    const remembered = await start();
    expect(remembered.status).toBe(303);
    expect(new URL(remembered.headers.get('location')!).searchParams.get('code')).toBeTruthy();

    const forced = await start('consent');
    expect(forced.status).toBe(200);
    expect(forced.body).toContain('id="consent-allow"');
  });
});
