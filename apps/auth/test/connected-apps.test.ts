import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFrom, csrfOf, form, OAuthClient, TEST_CLIENT, tokenRequest, type Tokens } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { ClientStore } from '../src/clients/client-store.js';
import { ConsentStore } from '../src/consents/consent-store.js';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const DEMO = { email: 'user@example.test', sub: 'cust-10001' };
const USER2 = { email: 'user2@example.test', sub: 'cust-10002' };
const PAGE = '/account/connections';
const noStackTrace = (html: string) => expect(html).not.toMatch(/at .*\.(js|ts):\d+|Error:/);

describe.each(ENGINES)('the connected-apps page on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;
  let consents: ConsentStore;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000' });
    database = await openAuthDatabase(store.config);
    consents = new ConsentStore(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  /** Signs `email` in at TEST_CLIENT in a fresh browser, sharing `account` (default: every checked one). */
  async function connect(email = DEMO.email, account?: string[]): Promise<{ browser: OAuthClient; tokens: Tokens; consentId: string }> {
    const browser = new OAuthClient(auth.issuer);
    const { page, verifier } = await browser.startAuthorization({ prompt: 'consent' });
    const consent = await browser.login(page, email);
    const { code } = codeFrom(await browser.submit(consent, 'confirm', account ? { account } : {}));
    const res = await tokenRequest(auth.issuer, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: TEST_CLIENT.redirect_uris[0]! });
    expect(res.status, res.text).toBe(200);
    const tokens = res.body as Tokens;
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { fdxConsentId: string };
    return { browser, tokens, consentId: claims.fdxConsentId };
  }

  const refresh = (refreshToken: string) => tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: refreshToken });
  const section = (html: string, id: string) => {
    const start = html.indexOf(`id="${id}"`);
    if (start < 0) return '';
    const end = html.indexOf('<h2', start);
    return html.slice(start, end < 0 ? undefined : end);
  };
  const stopToken = async (browser: OAuthClient, consentId: string) => {
    const confirm = await browser.get(`${PAGE}/${consentId}/stop`);
    expect(confirm.status).toBe(200);
    return csrfOf(confirm.body);
  };

  it('lists an active connection with its app, what it can see, the chosen accounts and its dates, in the session the app sign-in made', async () => {
    const { browser, consentId } = await connect(DEMO.email, ['acc-savings']);
    const page = await browser.get(PAGE);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
    const active = section(page.body, 'connections-active');
    expect(active).toContain(`data-connection="${consentId}"`);
    expect(active).toContain('Test Relying Party');
    expect(active).toContain('See your transactions');
    expect(active).toContain('Savings · ending 9876');
    expect(active).not.toContain('Everyday Checking');
    expect(active).toMatch(/Expires on<\/dt><dd>\d{1,2} \w+ \d{4}/);
    // The token endpoint recorded its use when it issued the access token.
    expect(active).toMatch(/data-field="last-used">\d{1,2} \w+ \d{4}/);
    expect(page.body).toContain(DEMO.email);
    expect(page.body).not.toMatch(/<script|style=/);
  });

  it('signs a browser without a session in through the OP itself (no consent step, no consent made), then shows the page', async () => {
    await connect();
    const browser = new OAuthClient(auth.issuer);
    const first = await browser.request(PAGE);
    expect(first.status).toBe(303);
    const to = new URL(first.location!);
    expect(to.pathname).toBe('/auth');
    expect(to.searchParams.get('client_id')).toBe('op-connected-apps');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    // Reading the page made no OP session.
    expect(first.headers.getSetCookie().some((c) => c.startsWith('_session='))).toBe(false);
    const login = await browser.follow(first);
    expect(login.body).toContain('id="login-form"');
    const uid = /\/interaction\/([^/"]+)\/login/.exec(login.body)![1]!;
    let res = await browser.request(`/interaction/${uid}/login`, form({ _csrf: csrfOf(login.body), email: DEMO.email, password: 'passw0rd!' }));
    let callback: string | undefined;
    while (res.status === 303) {
      const next = new URL(res.location!, auth.issuer).toString();
      if (next.includes(`${PAGE}/callback`)) callback = next;
      res = await browser.request(next);
    }
    expect(res.status).toBe(200);
    expect(res.body).toContain('Connected apps');
    expect(section(res.body, 'connections-active')).toContain('Test Relying Party');
    expect(await consents.list({ client: 'op-connected-apps' })).toEqual([]);
    // The return to the callback works once, in the browser that started the sign-in.
    expect(callback).toBeDefined();
    expect((await browser.request(callback!)).status).toBe(400);
    expect((await new OAuthClient(auth.issuer).request(callback!)).status).toBe(400);
  });

  it('stops sharing after a confirmation: the consent ends (by the customer, USER_ACTION), its refresh token is refused, and it is listed as ended', async () => {
    const { browser, consentId, tokens } = await connect();
    const confirm = await browser.get(`${PAGE}/${consentId}/stop`);
    expect(confirm.body).toContain('id="stop-confirm"');
    expect(confirm.body).toContain('Test Relying Party');
    const done = await browser.request(`${PAGE}/${consentId}/stop`, form({ _csrf: csrfOf(confirm.body) }));
    expect(done.status).toBe(303);
    const page = await browser.follow(done);
    expect(page.body).toContain('id="connections-stopped"');
    expect(section(page.body, 'connections-active')).not.toContain(consentId);
    expect(section(page.body, 'connections-ended')).toContain(`data-connection="${consentId}"`);
    expect(section(page.body, 'connections-ended')).toMatch(/You stopped sharing on \d{1,2} \w+ \d{4}/);
    const consent = await consents.get(consentId);
    expect(consent).toMatchObject({ status: 'REVOKED', endedBy: 'customer', endReason: 'USER_ACTION' });
    expect((await consents.history(consentId)).map((c) => c.reason)).toEqual(['USER_ACTION']);
    const refused = await refresh(tokens.refresh_token);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    // Once more (a double submit): nothing else changes.
    const again = await browser.request(`${PAGE}/${consentId}/stop`, form({ _csrf: csrfOf(confirm.body) }));
    expect(again.status).toBe(303);
    expect(await consents.history(consentId)).toHaveLength(1);
  });

  it('refuses a forged or missing CSRF token, and a token from another session, with a page, and ends nothing', async () => {
    const { browser, consentId, tokens } = await connect();
    const other = await connect();
    const foreignToken = await stopToken(other.browser, other.consentId);
    for (const values of [{}, { _csrf: 'forged' }, { _csrf: foreignToken }] as Record<string, string>[]) {
      const res = await browser.request(`${PAGE}/${consentId}/stop`, form(values));
      expect(res.status).toBe(403);
      expect(res.body).toContain('did not come from this site');
      noStackTrace(res.body);
    }
    expect((await consents.get(consentId))?.status).toBe('ACTIVE');
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });

  it("answers another customer's, an unknown and a malformed connection id with the same not-found page, showing nothing of theirs", async () => {
    const theirs = await connect(USER2.email);
    const mine = await connect();
    const { browser } = mine;
    const token = await stopToken(browser, mine.consentId);
    for (const id of [theirs.consentId, '3f1c9a52-1111-4222-8333-944455556666', 'not-a-uuid', '..%2f..%2fadmin']) {
      const view = await browser.get(`${PAGE}/${id}/stop`);
      expect(view.status).toBe(404);
      expect(view.body).toContain('There is no such connection among yours.');
      expect(view.body).not.toContain(USER2.email);
      noStackTrace(view.body);
      const post = await browser.request(`${PAGE}/${id}/stop`, form({ _csrf: token }));
      expect(post.status).toBe(404);
    }
    expect((await consents.get(theirs.consentId))?.status).toBe('ACTIVE');
    const page = await browser.get(PAGE);
    expect(page.body).not.toContain(theirs.consentId);
  });

  it('asks a browser that is not signed in to sign in again on a form post, and refuses a callback it did not start', async () => {
    const { consentId } = await connect();
    const stranger = new OAuthClient(auth.issuer);
    const post = await stranger.request(`${PAGE}/${consentId}/stop`, form({ _csrf: 'x' }));
    expect(post.status).toBe(401);
    expect(post.body).toContain('no longer signed in');
    const callback = await stranger.request(`${PAGE}/callback?code=abc&state=def`);
    expect(callback.status).toBe(400);
    expect(callback.body).toContain('was not started in this browser');
    noStackTrace(callback.body);
    expect((await consents.get(consentId))?.status).toBe('ACTIVE');
  });

  it('shows a blocked customer a refusal, not the page', async () => {
    const browser = new OAuthClient(auth.issuer);
    const page = await browser.login(await browser.get(PAGE), 'blocked@example.test');
    expect(page.status).toBe(403);
    expect(page.body).toContain('may not manage connected apps');
    expect(page.body).not.toContain('id="connections-active"');
  });

  it('still lists every connection when the account catalog is down, with masked account references and a note', async () => {
    const { browser, consentId } = await connect(DEMO.email, ['acc-checking']);
    auth.catalog.down = true;
    try {
      const page = await browser.get(PAGE);
      expect(page.status).toBe(200);
      expect(page.body).toContain('id="connections-accounts-unavailable"');
      const mine = page.body.slice(page.body.indexOf(`data-connection="${consentId}"`));
      expect(mine).toContain('Account ending king');
      expect(mine.slice(0, 2000)).not.toContain('Everyday Checking');
    } finally {
      auth.catalog.down = false;
    }
  });

  it('names a client it cannot find by its id, and one whose id is a URL by its host, without fetching anything', async () => {
    const { browser } = await connect();
    const common = { customerId: DEMO.sub, scopes: ['openid', 'accounts:read'], accountIds: null, durationDays: 30 };
    const gone = await consents.create({ ...common, grantId: 'grant-of-a-deleted-client', clientId: 'deleted-client' });
    const agent = await consents.create({ ...common, grantId: 'grant-of-a-metadata-client', clientId: 'https://agent.invalid/oauth/client.json' });
    const page = await browser.get(PAGE);
    expect(page.status).toBe(200);
    const active = section(page.body, 'connections-active');
    expect(active).toContain(`data-connection="${gone.id}"`);
    expect(active).toMatch(/data-field="app">deleted-client</);
    expect(active).toMatch(/data-field="app">agent\.invalid</);
    expect(active.match(/data-field="agent"/g)).toHaveLength(1);
    expect(active).toContain(`data-connection="${agent.id}"`);
    expect(active).toContain('All your accounts, including accounts you open later');
  });
});

describe('the connected-apps client id', () => {
  it('is reserved: no static client may take it', async () => {
    const { loadAuthConfig } = await import('../src/config.js');
    const client = { client_id: 'op-connected-apps', client_secret: 'x'.repeat(40), redirect_uris: ['https://rp.example.test/cb'] };
    expect(() => loadAuthConfig({ NODE_ENV: 'test', OIDC_CLIENTS: JSON.stringify([client]) })).toThrow(/reserved/);
  });

  it('is reserved: `pnpm kit clients add` may not take it', async () => {
    const store = await createTestStore('sqlite');
    const database = await openAuthDatabase(store.config);
    try {
      const clients = new ClientStore(database.db, []);
      await expect(clients.add({ clientId: 'op-connected-apps', name: 'Impostor', redirectUris: ['https://rp.example.test/cb'], public: true })).rejects.toThrow(/reserved/);
      expect(await clients.find('op-connected-apps')).toBeUndefined();
    } finally {
      await database.close();
      await store.cleanup();
    }
  });
});

describe('links to the connected-apps page', () => {
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

  it("are on the consent page (its promise that access can be revoked) and on the OP's sign-out page", async () => {
    const browser = new OAuthClient(auth.issuer);
    const { page } = await browser.startAuthorization({ prompt: 'consent' });
    const consent = await browser.login(page);
    expect(consent.body).toMatch(/revoke this access at any time on your <a id="consent-connections" href="\/account\/connections"/);
    const logout = await browser.get('/session/end');
    expect(logout.body).toMatch(/id="logout-connections" href="\/account\/connections"/);
  });
});
