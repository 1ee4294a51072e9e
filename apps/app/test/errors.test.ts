import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeReturnTo } from '../src/pages/context.js';
import { Browser } from './helpers/browser.js';
import { login, reserveServer, startApp, type AppUnderTest } from './helpers/app-harness.js';
import { startFdx, type FdxFixture } from './helpers/fdx-fixture.js';
import { startOp, type OpFixture } from './helpers/op-fixture.js';

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

function expectNoStackTrace(html: string) {
  expect(html).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+:\d+/);
}

async function startLogin(browser: Browser): Promise<URL> {
  const res = await browser.request(`${app.url}/login`);
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location')!);
}

describe('start-up while the identity provider is down', () => {
  it('serves pages saying the OP is unreachable, retries with backoff, then discovers it', async () => {
    const { server, url } = await reserveServer();
    const port = Number(new URL(url).port);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const down = await startApp({ issuer: `http://127.0.0.1:${port}`, retryMaxMs: 400 });
    let late: OpFixture | undefined;
    try {
      const home = await fetch(`${down.url}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('Identity provider unreachable');
      expect((await fetch(`${down.url}/public/health`)).status).toBe(200);
      const loginPage = await fetch(`${down.url}/login`, { redirect: 'manual' });
      expect(loginPage.status).toBe(503);
      const html = await loginPage.text();
      expect(html).toContain('The identity provider is unreachable right now');
      expectNoStackTrace(html);

      await expect.poll(() => down.logs.filter((l) => l.msg === 'identity provider unreachable; will retry discovery').length).toBeGreaterThanOrEqual(4);
      const retries = down.logs.filter((l) => l.msg === 'identity provider unreachable; will retry discovery');
      // One line per attempt, numbered, with a delay that doubles up to the cap.
      expect(retries.slice(0, 4).map((l) => [l.attempt, l.retryInMs])).toEqual([
        [1, 50],
        [2, 100],
        [3, 200],
        [4, 400],
      ]);
      expect(JSON.stringify(retries)).not.toContain('stack');

      late = await startOp(down.url, port);
      await down.oidc.ready();
      expect(down.logs.filter((l) => l.msg === 'identity provider discovered')).toHaveLength(1);
      const after = await (await fetch(`${down.url}/`)).text();
      expect(after).not.toContain('Identity provider unreachable');
      expect(after).toContain('Log in with the bank');
    } finally {
      await down.close();
      await late?.close();
    }
  });
});

describe('errors from the OP on /callback', () => {
  it('renders access_denied (e.g. the blocked user) as a readable message', async () => {
    const browser = new Browser();
    const authz = await startLogin(browser);
    const params = new URLSearchParams({
      error: 'access_denied',
      error_description: 'authorization to third parties is blocked for this account',
      state: authz.searchParams.get('state')!,
      iss: op.issuer,
    });
    const res = await browser.request(`${app.url}/callback?${params.toString()}`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Login failed');
    expect(html).toContain('The identity provider refused the authorization');
    expect(html).toContain('authorization to third parties is blocked for this account');
    expect(html).toContain('<code>access_denied</code>');
    expectNoStackTrace(html);
  });

  it('renders a consent cancelled at the OP', async () => {
    const browser = new Browser();
    const toLogin = await browser.follow(`${app.url}/login`);
    await toLogin.res.text();
    const uid = new URL(toLogin.url).pathname.split('/').at(-1)!;
    const { res, url } = await browser.follow(`${op.issuer}/interaction/${uid}/abort`);
    expect(url.startsWith(`${app.url}/callback?`)).toBe(true);
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(html).toContain('or the consent was cancelled');
    expect(html).toContain('End-User aborted interaction');
  });

  it('rejects a response whose state does not match the login started in this browser', async () => {
    const browser = new Browser();
    await startLogin(browser);
    const res = await browser.request(`${app.url}/callback?code=abc&state=forged-state&iss=${encodeURIComponent(op.issuer)}`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('state mismatch');
    expectNoStackTrace(html);
  });

  it('rejects a callback when no login is in progress', async () => {
    const res = await fetch(`${app.url}/callback?code=abc&state=xyz`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('No login was in progress in this browser');
  });

  it('does not accept the same login response twice', async () => {
    const browser = new Browser();
    const toLogin = await browser.follow(`${app.url}/login`);
    const afterLogin = await browser.submitForm(toLogin.url, await toLogin.res.text(), { login: 'cust-10001', password: 'x' });
    const stop = await browser.submitForm(afterLogin.url, await afterLogin.res.text(), {}, 0);
    expect(stop.url).toBe(`${app.url}/`);
    const callbackHop = browser.hops.find((h) => h.url.startsWith(`${app.url}/callback?`))!;
    const replay = await browser.request(callbackHop.url);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('No login was in progress');
  });
});

describe('an unreachable FDX API', () => {
  it('shows which dependency failed instead of a stack trace', async () => {
    const closed = await reserveServer();
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const reserved = await reserveServer();
    const ownOp = await startOp(reserved.url);
    const noApi = await startApp({ issuer: ownOp.issuer, apiBaseUrl: `${closed.url}/api/fdx/v6` }, reserved);
    try {
      await noApi.oidc.ready();
      const browser = new Browser();
      await login(browser, noApi);
      const res = await browser.request(`${noApi.url}/api-explorer?endpoint=accounts`);
      expect(res.status).toBe(502);
      const html = await res.text();
      expect(html).toContain(`The FDX API at ${closed.url} could not be reached (ECONNREFUSED)`);
      expectNoStackTrace(html);
    } finally {
      await noApi.close();
      await ownOp.close();
    }
  });
});

describe('cookies and CSRF', () => {
  it('sets a __Host- cookie that is HttpOnly, Secure, SameSite=Lax and carries only a signed id', async () => {
    const secure = await startApp({ issuer: op.issuer, appUrl: 'https://app.example.test' });
    try {
      await secure.oidc.ready();
      const res = await fetch(`${secure.url}/login`, { redirect: 'manual' });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-app-session='))!;
      expect(cookie).toBeDefined();
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).not.toMatch(/Domain=/i);
      expect(decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!)).toMatch(/^s:[\w-]{43}\.[\w+/=-]+$/);
    } finally {
      await secure.close();
    }
  });

  it('ignores a session cookie whose signature does not verify', async () => {
    const browser = new Browser();
    await login(browser, app);
    const jar = browser.cookiesFor(app.url);
    const value = decodeURIComponent(jar.get('app-session')!);
    jar.set('app-session', encodeURIComponent(value.replace(/\.[^.]+$/, '.forged')));
    const res = await browser.request(`${app.url}/debug/tokens`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login\?/);
  });

  it('refuses logout without the CSRF token, and with the token from a foreign origin', async () => {
    const browser = new Browser();
    const { res: home } = await login(browser, app);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await home.text())![1]!;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const missing = await browser.request(`${app.url}/logout`, { method: 'POST', headers: form, body: '' });
    expect(missing.status).toBe(403);
    const foreign = await browser.request(`${app.url}/logout`, {
      method: 'POST',
      headers: { ...form, origin: 'https://evil.example' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(foreign.status).toBe(403);
    const html = await foreign.text();
    expect(html).toContain('This form expired or was not sent from this app');
    // Still logged in.
    expect((await browser.request(`${app.url}/debug/tokens`)).status).toBe(200);
  });
});

describe('pages', () => {
  it('renders unknown paths as a readable 404 page with a strict CSP', async () => {
    const res = await fetch(`${app.url}/no/such/page`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('There is no page at this address.');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(`form-action 'self' ${op.issuer}`);
  });

  it('sends anonymous visitors of a protected page through login and back to that page', async () => {
    const browser = new Browser();
    const first = await browser.request(`${app.url}/api-explorer?endpoint=accounts`);
    expect(first.status).toBe(303);
    const loginUrl = new URL(first.headers.get('location')!, app.url).href;
    const toLogin = await browser.follow(loginUrl);
    const afterLogin = await browser.submitForm(toLogin.url, await toLogin.res.text(), { login: 'cust-10001', password: 'x' });
    const { res, url } = await browser.submitForm(afterLogin.url, await afterLogin.res.text());
    expect(url).toBe(`${app.url}/api-explorer?endpoint=accounts`);
    expect(await res.text()).toMatch(/data-testid="status">200</);
  });

  it('refuses open redirects through returnTo', async () => {
    const browser = new Browser();
    const toLogin = await browser.follow(`${app.url}/login?returnTo=${encodeURIComponent('//evil.example/x')}`);
    const afterLogin = await browser.submitForm(toLogin.url, await toLogin.res.text(), { login: 'cust-10001', password: 'x' });
    const { url } = await browser.submitForm(afterLogin.url, await afterLogin.res.text());
    expect(url).toBe(`${app.url}/`);
    for (const bad of ['https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '']) expect(safeReturnTo(bad)).toBe('/');
    expect(safeReturnTo('/api-explorer?endpoint=accounts')).toBe('/api-explorer?endpoint=accounts');
  });

  it('never writes tokens or cookies to the log', async () => {
    const browser = new Browser();
    await login(browser, app);
    await (await browser.request(`${app.url}/api-explorer?endpoint=accounts`)).text();
    const logs = JSON.stringify(app.logs);
    const token = fdx.seen.at(-1)!;
    expect(logs).not.toContain(token.split('.')[1]!);
    const cookie = decodeURIComponent(browser.cookiesFor(app.url).get('app-session')!);
    expect(logs).not.toContain(cookie.slice(2, 40));
    expect(logs).not.toMatch(/[?&]code=/);
  });
});
