import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CLIENT, startTestAuth, type TestAuth } from './helpers/auth-server.js';
import { createTestStore, type TestStore } from './helpers/db.js';
import { Browser, authorize, exchange, pkcePair } from './helpers/flow.js';
import { form } from './helpers/http.js';

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
    const browser = new Browser(auth.issuer);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's1' }));
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toMatch(/form-action 'self'[^;]*https:\/\/rp\.example\.test/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<label for="email"');
    expect(html).toContain('<label for="password"');
    expect(html).toMatch(/<input id="email" name="email" type="email"/);
    expect(html).toMatch(/<input id="password" name="password" type="password"/);
    expect(html).toContain('id="login-submit"');
    expect(html).not.toMatch(/<script|style=/);
    expect(html).toContain('href="/public/css/app.css"');
  });

  it('shows a friendly page, not a stack trace, for an interaction from another browser and for an unknown client', async () => {
    const browser = new Browser(auth.issuer);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's4' }));
    const uid = /\/interaction\/([^/"]+)\/login/.exec(await page.text())![1]!;
    const stranger = await fetch(`${auth.issuer}/interaction/${uid}`, { headers: { accept: 'text/html' } });
    expect(stranger.status).toBe(400);
    const strangerHtml = await stranger.text();
    expect(strangerHtml).toContain('session has expired');
    expect(strangerHtml).not.toMatch(/at .*\.(js|ts):\d+/);

    const unknown = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's5', clientId: 'no-such-client' }));
    expect(unknown.status).toBe(400);
    const unknownHtml = await unknown.text();
    expect(unknownHtml).toContain('invalid_client');
    expect(unknownHtml).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('asks for login again with prompt=login even with a session', async () => {
    const browser = new Browser(auth.issuer);
    await authorize(browser);
    const page = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's2', prompt: 'login' }));
    expect(await page.text()).toContain('id="login-form"');
  });

  it('confirms RP-initiated logout and redirects only to a registered post-logout URI', async () => {
    const browser = new Browser(auth.issuer);
    const { code, verifier } = await authorize(browser);
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
    const html = await page.text();
    expect(html).toContain('id="logout-confirm"');
    expect(page.headers.get('content-security-policy')).toMatch(/form-action [^;]*https:\/\/rp\.example\.test/);
    expect(html).not.toMatch(/<script|style=/);
    const action = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"/.exec(html)?.[1] ?? /action="([^"]+)"[^>]*id="op.logoutForm"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    expect(action).toBeTruthy();
    expect(xsrf).toBeTruthy();

    const forged = await browser.jar.clone().fetch(new URL(action!, auth.issuer).toString(), form({ xsrf: 'forged', logout: 'yes' }));
    expect(forged.status).toBe(400);

    const done = await browser.jar.fetch(new URL(action!, auth.issuer).toString(), form({ xsrf: xsrf!, logout: 'yes' }));
    const location = new URL((await browser.follow(done)).headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(TEST_CLIENT.post_logout_redirect_uris[0]);
    expect(location.searchParams.get('state')).toBe(state);

    // The session is gone: the next authorization asks for login.
    const next = await browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: 's3' }));
    expect(await next.text()).toContain('id="login-form"');
  });
});
