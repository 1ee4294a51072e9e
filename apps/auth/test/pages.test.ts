import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, form, OAuthClient, pkcePair, TEST_CLIENT } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe('login, consent and logout pages', () => {
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

  it('serves an accessible login form under a CSP without inline code that lets the form reach the client', async () => {
    const browser = new OAuthClient(auth.issuer);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's1' }));
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toMatch(/form-action 'self'[^;]*https:\/\/rp\.example\.test/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = page.body;
    expect(html).toContain('<label for="email"');
    expect(html).toContain('<label for="password"');
    expect(html).toMatch(/<input id="email" name="email" type="email"/);
    expect(html).toMatch(/<input id="password" name="password" type="password"/);
    expect(html).toContain('id="login-submit"');
    expect(html).not.toMatch(/<script|style=/);
    expect(html).toContain('href="/public/css/app.css"');
  });

  it('shows a friendly page, not a stack trace, for an interaction from another browser and for an unknown client', async () => {
    const browser = new OAuthClient(auth.issuer);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's4' }));
    const uid = /\/interaction\/([^/"]+)\/login/.exec(page.body)![1]!;
    const stranger = await fetch(`${auth.issuer}/interaction/${uid}`, { headers: { accept: 'text/html' } });
    expect(stranger.status).toBe(400);
    const strangerHtml = await stranger.text();
    expect(strangerHtml).toContain('session has expired');
    expect(strangerHtml).not.toMatch(/at .*\.(js|ts):\d+/);

    const unknown = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's5', clientId: 'no-such-client' }));
    expect(unknown.status).toBe(400);
    const unknownHtml = unknown.body;
    expect(unknownHtml).toContain('invalid_client');
    expect(unknownHtml).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('asks for login again with prompt=login even with a session', async () => {
    const browser = new OAuthClient(auth.issuer);
    await browser.authorize();
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's2', prompt: 'login' }));
    expect(page.body).toContain('id="login-form"');
  });

  it('confirms RP-initiated logout and redirects only to a registered post-logout URI', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize();
    const tokens = await exchange(auth.issuer, code!, verifier);
    const state = randomBytes(4).toString('hex');

    const bad = await browser.get(
      `/session/end?${new URLSearchParams({ id_token_hint: tokens.body.id_token!, post_logout_redirect_uri: 'https://evil.example/' }).toString()}`,
    );
    expect(bad.status).toBe(400);

    const page = await browser.get(
      `/session/end?${new URLSearchParams({ id_token_hint: tokens.body.id_token!, post_logout_redirect_uri: TEST_CLIENT.post_logout_redirect_uris[0]!, state }).toString()}`,
    );
    expect(page.status).toBe(200);
    const html = page.body;
    expect(html).toContain('id="logout-confirm"');
    expect(page.headers.get('content-security-policy')).toMatch(/form-action [^;]*https:\/\/rp\.example\.test/);
    expect(html).not.toMatch(/<script|style=/);
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(html)?.[1] ?? /action="([^"]+)"[^>]*id="op.logoutForm"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    expect(action).toBeTruthy();
    expect(xsrf).toBeTruthy();

    const forged = await browser.fork().request(new URL(action!, auth.issuer).toString(), form({ xsrf: 'forged', logout: 'yes' }));
    expect(forged.status).toBe(400);

    const done = await browser.request(new URL(action!, auth.issuer).toString(), form({ xsrf: xsrf!, logout: 'yes' }));
    const location = new URL((await browser.follow(done)).headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(TEST_CLIENT.post_logout_redirect_uris[0]);
    expect(location.searchParams.get('state')).toBe(state);

    // The session is gone: the next authorization asks for login.
    const next = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's3' }));
    expect(next.body).toContain('id="login-form"');
  });
});
