import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFrom, exchange, OAuthClient, pkcePair, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe.each(ENGINES)('restart survival on %s', (engine) => {
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

  it('keeps sessions, a half-done interaction, grants and refresh tokens across a restart', async () => {
    // A finished login: session + grant + refresh token.
    const browser = new OAuthClient(auth.issuer);
    const done = await browser.authorize({ prompt: 'consent' });
    const tokens = await exchange(auth.issuer, done.code!, done.verifier);
    expect(tokens.body.refresh_token).toBeTruthy();

    // A second browser stops on the login page.
    const pending = new OAuthClient(auth.issuer);
    const { challenge, verifier } = pkcePair();
    const state = randomBytes(4).toString('hex');
    const loginPage = await pending.get(pending.authorizeUrl({ challenge, state }));
    expect(loginPage.status).toBe(200);

    await auth.restart();

    // The interaction resumes: login, consent, code, tokens.
    const consent = await pending.login(loginPage);
    const result = codeFrom(await pending.submit(consent, 'confirm'));
    expect(result.state).toBe(state);
    expect((await exchange(auth.issuer, result.code!, verifier)).status).toBe(200);

    // The refresh token and its grant still work, and tokens still verify (same keys).
    const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! });
    expect(refreshed.status).toBe(200);

    // The session survives: the remembered grant means no login and no consent page.
    const again = await browser.authorize();
    expect(again.code).toBeTruthy();
  });
});
