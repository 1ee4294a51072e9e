import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSessionId, SessionCipher } from '../src/session/crypto.js';
import { Browser } from './helpers/browser.js';
import { COOKIE_SECRET, login, reserveServer, startApp, type AppUnderTest } from './helpers/app-harness.js';
import { startOp, type OpFixture } from './helpers/op-fixture.js';

// COOKIE_SECRET rotation as docs/deploying.md describes it: A → "B,A" (every browser keeps its
// session and is moved onto B on its next request) → "B" (whoever did not come back logs in again).
const A = COOKIE_SECRET;
const B = 'test-app-cookie-secret-rotated-bbbbbbbbbbbbbbbbbb';

let op: OpFixture;
let app: AppUnderTest;

beforeAll(async () => {
  const reserved = await reserveServer();
  op = await startOp(reserved.url);
  app = await startApp({ issuer: op.issuer }, reserved);
  await app.oidc.ready();
});

afterAll(async () => {
  await app?.close();
  await op?.close();
});

const sessionIdOf = (browser: Browser) => decodeURIComponent(browser.cookiesFor(app.url).get('app-session')!).slice(2).split('.')[0]!;

async function home(browser: Browser): Promise<{ status: number; html: string; setCookie: string | null }> {
  const res = await browser.request(`${app.url}/`);
  return { status: res.status, html: await res.text(), setCookie: res.headers.get('set-cookie') };
}

async function sealedData(id: string): Promise<string> {
  const row = await app.database.db.selectFrom('app_sessions').select('data').where('id_hash', '=', hashSessionId(id)).executeTakeFirstOrThrow();
  return row.data;
}

describe('rotating COOKIE_SECRET', () => {
  const returning = new Browser();
  const away = new Browser();

  it('keeps a session created under A when the app restarts with "B,A", and moves it onto B', async () => {
    await login(returning, app, 'cust-10001');
    await login(away, app, 'cust-10002');
    const before = returning.cookiesFor(app.url).get('app-session');

    app = app.restart({ COOKIE_SECRET: `${B},${A}` });
    const page = await home(returning);
    expect(page.status).toBe(200);
    expect(page.html).toContain('You are logged in as');
    expect(page.html).toContain('cust-10001');
    // Same session id, signed again with B; the data sealed again with B.
    expect(page.setCookie).toMatch(/^app-session=/);
    const after = returning.cookiesFor(app.url).get('app-session');
    expect(after).not.toBe(before);
    expect(sessionIdOf(returning)).toBe(decodeURIComponent(before!).slice(2).split('.')[0]);
    const id = sessionIdOf(returning);
    const sealed = await sealedData(id);
    expect(new SessionCipher([B]).decrypt(sealed, hashSessionId(id)).stale).toBe(false);

    // A cookie already signed with the newest secret is not sent again.
    expect((await home(returning)).setCookie).toBeNull();
  });

  it('keeps the moved session when A is dropped ("B" alone)', async () => {
    app = app.restart({ COOKIE_SECRET: B });
    const page = await home(returning);
    expect(page.status).toBe(200);
    expect(page.html).toContain('cust-10001');
  });

  it('logs out a session still under A cleanly once A is dropped: no error, and logging in again works', async () => {
    const page = await home(away);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('You are logged in as');
    const tokens = await away.request(`${app.url}/debug/tokens`);
    expect(tokens.status).toBe(303);
    expect(tokens.headers.get('location')).toBe('/login?returnTo=%2Fdebug%2Ftokens');
    // The OP still remembers this browser and its grant: one round trip logs it in again.
    const again = await away.follow(`${app.url}/login`);
    expect(again.url).toBe(`${app.url}/`);
    expect(await again.res.text()).toContain('cust-10002');
  });
});
