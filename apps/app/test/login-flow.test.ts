import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { hashSessionId, SessionCipher } from '../src/session/crypto.js';
import { SessionStore } from '../src/session/store.js';
import { Browser } from './helpers/browser.js';
import { COOKIE_SECRET, login, reserveServer, startApp, type AppUnderTest } from './helpers/app-harness.js';
import { PDF, startFdx, type FdxFixture } from './helpers/fdx-fixture.js';
import { AUDIENCE, startOp, type OpFixture } from './helpers/op-fixture.js';

let op: OpFixture;
let fdx: FdxFixture;
let app: AppUnderTest;

beforeAll(async () => {
  const reserved = await reserveServer();
  [op, fdx] = await Promise.all([startOp(reserved.url), startFdx()]);
  app = await startApp({ issuer: op.issuer, apiBaseUrl: fdx.baseUrl }, reserved);
  await app.oidc.ready();
});

afterAll(async () => {
  await app?.close();
  await Promise.all([op?.close(), fdx?.close()]);
});

function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function csrfOf(html: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
}

describe('authorization request', () => {
  it('uses code + PKCE S256 + state + nonce + the API resource, and keeps all of it off the URL of the app', async () => {
    const browser = new Browser();
    const res = await browser.request(`${app.url}/login`);
    expect(res.status).toBe(303);
    const url = new URL(res.headers.get('location')!);
    expect(url.origin).toBe(op.issuer);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(url.searchParams.get('resource')).toBe(AUDIENCE);
    expect(url.searchParams.get('redirect_uri')).toBe(`${app.url}/callback`);
    expect(url.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'offline_access', 'accounts:read']));
    // No prompt: the OP may reuse a remembered grant instead of asking for consent every time.
    expect(url.searchParams.has('prompt')).toBe(false);
  });

  it('sends prompt=consent when LOGIN_PROMPT=consent (for OPs that need it to issue refresh tokens)', async () => {
    const withPrompt = await startApp({ issuer: op.issuer, loginPrompt: 'consent' });
    try {
      await withPrompt.oidc.ready();
      const res = await new Browser().request(`${withPrompt.url}/login`);
      expect(new URL(res.headers.get('location')!).searchParams.get('prompt')).toBe('consent');
    } finally {
      await withPrompt.close();
    }
  });

  it('reuses the remembered grant: a second login in the same browser skips the consent page', async () => {
    const browser = new Browser();
    await login(browser, app);
    const again = await browser.follow(`${app.url}/login?returnTo=/token`);
    expect(again.url).toBe(`${app.url}/token`);
    expect(await again.res.text()).toContain('cust-10001');
  });
});

describe('login, API calls, refresh and logout', () => {
  const browser = new Browser();
  let cookieBeforeCallback: string | undefined;

  it('logs the user in and rotates the session id at login', async () => {
    const start = await browser.request(`${app.url}/login`);
    cookieBeforeCallback = browser.cookiesFor(app.url).get('app-session');
    await start.body?.cancel();
    const { res, url } = await login(browser, app);
    expect(url).toBe(`${app.url}/`);
    const html = await res.text();
    expect(html).toContain('You are logged in as');
    expect(html).toContain('cust-10001');
    const after = browser.cookiesFor(app.url).get('app-session');
    expect(after).toBeDefined();
    expect(after).not.toBe(cookieBeforeCallback);
    // The cookie holds only a signed random id, nothing token-like.
    expect(decodeURIComponent(after!)).toMatch(/^s:[\w-]{43}\.[\w+/=-]+$/);
  });

  it('stores tokens encrypted: the database never contains their plaintext', async () => {
    await (await browser.request(`${app.url}/api-explorer?endpoint=customer`)).text();
    const accessToken = fdx.seen.at(-1)!;
    const rows = await sql<{ id_hash: string; data: string }>`select id_hash, data from app_sessions`.execute(app.database.db);
    expect(rows.rows.length).toBeGreaterThan(0);
    const dump = JSON.stringify(rows.rows);
    expect(dump).not.toContain(accessToken);
    expect(dump).not.toContain(accessToken.split('.')[1]!);
    const cookie = decodeURIComponent(browser.cookiesFor(app.url).get('app-session')!);
    expect(dump).not.toContain(cookie.slice(2, 45));
  });

  it('sends an access token that is a JWT for the API audience', () => {
    const payload = payloadOf(fdx.seen.at(-1)!);
    expect(payload.aud).toBe(AUDIENCE);
    expect(payload.sub).toBe('cust-10001');
  });

  it('fills the account picker from /accounts and pretty-prints a response with status and headers', async () => {
    const html = await (await browser.request(`${app.url}/api-explorer?endpoint=accounts`)).text();
    expect(html).toContain('<option value="acc-001"');
    expect(html).toContain('Checking ...1234 (acc-001)');
    expect(html).toMatch(/data-testid="status">200</);
    expect(html).toContain('x-fdx-fixture');
    expect(html).toContain('&#34;accountId&#34;: &#34;acc-001&#34;');
  });

  it('passes date range and paging parameters and links to the next page', async () => {
    const html = await (
      await browser.request(`${app.url}/api-explorer?endpoint=transactions&accountId=acc-001&startTime=2026-01-01&endTime=2026-02-01&limit=5`)
    ).text();
    expect(html).toContain('&#34;startTime&#34;: &#34;2026-01-01&#34;');
    expect(html).toContain('&#34;limit&#34;: &#34;5&#34;');
    const next = /data-testid="next-page" href="([^"]+)"|href="([^"]+)"[^>]*data-testid="next-page"/.exec(html);
    const href = (next![1] ?? next![2]!).replace(/&amp;/g, '&');
    expect(href).toContain('offset=cursor-2');
    const page2 = await (await browser.request(`${app.url}${href}`)).text();
    expect(page2).toContain('tx-2');
    expect(page2).not.toContain('data-testid="next-page"');
  });

  it('renders FDX error objects as readable messages', async () => {
    const html = await (await browser.request(`${app.url}/api-explorer?endpoint=account&accountId=acc-999`)).text();
    expect(html).toContain('FDX error 701: Account not found — no account with this id for the customer');
    expect(html).not.toMatch(/at .*\.ts:\d+/);
  });

  it('rejects malformed explorer input with a readable 400', async () => {
    const res = await browser.request(`${app.url}/api-explorer?endpoint=transactions&accountId=acc-001&startTime=yesterday`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('startTime: must be a date (YYYY-MM-DD)');
  });

  it('serves a statement as PDF through the app with the server-side token', async () => {
    const list = await (await browser.request(`${app.url}/api-explorer?endpoint=statements&accountId=acc-001`)).text();
    expect(list).toContain('/api-explorer/statements/acc-001/st-1.pdf');
    const res = await browser.request(`${app.url}/api-explorer/statements/acc-001/st-1.pdf`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PDF);
  });

  it('shows ID token claims on /token and explains a userinfo refusal of the API-audience token', async () => {
    const html = await (await browser.request(`${app.url}/token`)).text();
    expect(html).toContain('data-testid="sub">cust-10001<');
    expect(html).toContain('cust-10001@example.test');
    // oidc-provider's userinfo cannot use a JWT access token bound to a resource server (our API).
    expect(html).toContain('userinfo endpoint refused the access token (invalid_token');
  });

  it('shows refresh token presence on /debug/tokens but never its value', async () => {
    const html = await (await browser.request(`${app.url}/debug/tokens`)).text();
    expect(html).toContain('present (kept server-side, never shown)');
    expect(html).toContain('accounts:read');
    expect(html).toMatch(/data-countdown="\d+"/);
    expect(html).toContain('<script src="/public/js/countdown.js" defer></script>');
    expect(html).not.toMatch(/<script>|style="/);
  });

  it('refuses the refresh button without the CSRF token', async () => {
    const res = await browser.request(`${app.url}/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '_csrf=wrong',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This form expired or was not sent from this app');
  });

  it('lets browsers send their Origin on the app\'s own form posts (Referrer-Policy same-origin), and refuses Origin null', async () => {
    // Under `no-referrer` Chromium sends `Origin: null` on same-origin form posts, and the CSRF
    // check refused every refresh and logout button click (found by the e2e suite).
    const res = await browser.request(`${app.url}/debug/tokens`);
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    const refused = await browser.request(`${app.url}/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
      body: new URLSearchParams({ _csrf: csrfOf(await res.text()) }),
    });
    expect(refused.status).toBe(403);
  });

  it('refreshes with the button and gets a new access token for the API', async () => {
    const page = await (await browser.request(`${app.url}/debug/tokens`)).text();
    const before = fdx.seen.at(-1)!;
    const res = await browser.request(`${app.url}/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(page) }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/debug/tokens?refreshed=1');
    await (await browser.request(`${app.url}/api-explorer?endpoint=customer`)).text();
    const after = fdx.seen.at(-1)!;
    expect(after).not.toBe(before);
    expect(payloadOf(after).aud).toBe(AUDIENCE);
  });

  it('refreshes once and retries when the API answers 401', async () => {
    fdx.rejected.add(fdx.seen.at(-1)!);
    const html = await (await browser.request(`${app.url}/api-explorer?endpoint=customer`)).text();
    expect(html).toMatch(/data-testid="status">200</);
    expect(html).toContain('The API answered 401, so the app refreshed your tokens once and retried.');
  });

  it('shares one refresh between concurrent requests that get 401 (rotated refresh tokens are single-use)', async () => {
    for (const token of fdx.seen) fdx.rejected.add(token);
    const pages = await Promise.all(
      ['customer', 'accounts', 'customer'].map(async (endpoint) => (await browser.request(`${app.url}/api-explorer?endpoint=${endpoint}`)).text()),
    );
    for (const html of pages) expect(html).toMatch(/data-testid="status">200</);
    const after = await (await browser.request(`${app.url}/api-explorer?endpoint=customer`)).text();
    expect(after).toMatch(/data-testid="status">200</);
  });

  it('refreshes before calling the API when the stored access token has expired', async () => {
    const store = new SessionStore(app.database.db, new SessionCipher([COOKIE_SECRET]));
    const id = decodeURIComponent(browser.cookiesFor(app.url).get('app-session')!).slice(2).split('.')[0]!;
    const session = (await store.get(id))!;
    const expired = session.data.tokens!.accessToken;
    session.data.tokens!.accessTokenExpiresAt = Math.floor(Date.now() / 1000) - 60;
    await store.save(session);
    const seenBefore = fdx.seen.length;
    const html = await (await browser.request(`${app.url}/api-explorer?endpoint=customer`)).text();
    expect(html).toMatch(/data-testid="status">200</);
    expect(fdx.seen.slice(seenBefore)).not.toContain(expired);
  });

  it('logs out: clears the local session and sends the user to the OP end_session with id_token_hint', async () => {
    const page = await (await browser.request(`${app.url}/`)).text();
    const sessionId = decodeURIComponent(browser.cookiesFor(app.url).get('app-session')!).slice(2).split('.')[0]!;
    const res = await browser.request(`${app.url}/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(page) }),
    });
    expect(res.status).toBe(303);
    const target = new URL(res.headers.get('location')!);
    expect(target.origin).toBe(op.issuer);
    expect(target.searchParams.get('post_logout_redirect_uri')).toBe(`${app.url}/`);
    expect(payloadOf(target.searchParams.get('id_token_hint')!).sub).toBe('cust-10001');
    expect(browser.cookiesFor(app.url).has('app-session')).toBe(false);
    const rows = await sql`select 1 from app_sessions where id_hash = ${hashSessionId(sessionId)}`.execute(app.database.db);
    expect(rows.rows).toHaveLength(0);
    const protectedPage = await browser.request(`${app.url}/debug/tokens`);
    expect(protectedPage.status).toBe(303);
    expect(protectedPage.headers.get('location')).toBe('/login?returnTo=%2Fdebug%2Ftokens');
  });
});

describe('the token debugger switch', () => {
  it('answers 404 on /debug/tokens and links no debugger when DEBUG_TOKENS_PAGE=false', async () => {
    const off = await startApp({ issuer: op.issuer, apiBaseUrl: fdx.baseUrl, env: { DEBUG_TOKENS_PAGE: 'false' } });
    try {
      const browser = new Browser();
      // Switched on, a signed-out visit is sent to log in (see the logout test); switched off, the route does not exist.
      expect((await browser.request(`${off.url}/debug/tokens`)).status).toBe(404);
      expect((await browser.request(`${app.url}/debug/tokens`)).status).toBe(303);
      const home = await (await browser.request(`${off.url}/`)).text();
      expect(home).not.toContain('/debug/tokens');
    } finally {
      await off.close();
    }
  });
});

describe('a refresh the OP refuses', () => {
  it('ends the local session and asks the user to log in again', async () => {
    const browser = new Browser();
    await login(browser, app, 'cust-10002');
    await (await browser.request(`${app.url}/api-explorer?endpoint=customer`)).text();
    // The user's grant is revoked at the OP, and the API rejects the current token.
    await op.revokeAllGrants();
    for (const token of fdx.seen) fdx.rejected.add(token);
    const res = await browser.request(`${app.url}/api-explorer?endpoint=customer`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/?notice=session-ended');
    expect(browser.cookiesFor(app.url).has('app-session')).toBe(false);
    const home = await (await browser.request(`${app.url}/?notice=session-ended`)).text();
    expect(home).toContain('Your session at the identity provider has ended');
  });
});

