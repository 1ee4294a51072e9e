import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANK_CLIENT, bankUpstreamEnv, reserveBankIdp, type BankIdp } from '@kit/harness/bank-idp';
import { OAuthClient } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { createLogger } from '@apps/shared';
import { CustomerStore } from '../src/customers/store.js';
import { LoginGuard } from '../src/security/login-guard.js';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const CALLBACK = '/interaction/upstream/callback';

/** A person at the OP's authorization endpoint, sent on to the bank's IdP: returns both user agents and the IdP's login uid. */
async function toBankLogin(auth: TestAuth, idp: BankIdp) {
  const op = new OAuthClient(auth.issuer, { authorization: { prompt: 'consent' } });
  const bank = new OAuthClient(idp.issuer);
  const { page, verifier } = await op.startAuthorization();
  expect(page.status).toBe(303);
  expect(page.location!.startsWith(`${idp.issuer}/auth?`)).toBe(true);
  const upstream = new URL(page.location!);
  const login = await bank.get(page.location!);
  const uid = /<p id="uid">([^<]+)</.exec(login.body)?.[1];
  if (!uid) throw new Error(`not the bank's login page (HTTP ${login.status})`);
  return { op, bank, uid, verifier, upstream };
}

/** The person signs in at the bank as `user` (or refuses); returns the OP's answer once back. */
async function signInAtBank(auth: TestAuth, idp: BankIdp, user: string) {
  const flow = await toBankLogin(auth, idp);
  const back = await flow.bank.get(`/bank-login/${flow.uid}?${user === 'deny' ? 'deny=1' : `user=${user}`}`);
  expect(back.status).toBe(303);
  expect(back.location!.startsWith(`${auth.issuer}${CALLBACK}?`)).toBe(true);
  const callback = back.location!;
  return { ...flow, callback, page: await flow.op.get(callback) };
}

describe.each(ENGINES)('sign-in at the bank’s upstream IdP, on %s', (engine) => {
  let store: TestStore;
  let idp: BankIdp;
  let auth: TestAuth;
  let database: AuthDatabase;
  let customers: CustomerStore;
  const logs: string[] = [];
  /** Values that must never reach the log: codes, states and nonces of the upstream exchanges. */
  const secrets = new Set<string>([BANK_CLIENT.client_secret]);
  const remember = (url: string) => {
    for (const name of ['code', 'state', 'nonce']) {
      const value = new URL(url).searchParams.get(name);
      if (value) secrets.add(value);
    }
  };

  beforeAll(async () => {
    store = await createTestStore(engine);
    idp = await reserveBankIdp();
    auth = await startTestAuth(store, bankUpstreamEnv(idp.issuer), (line) => logs.push(line));
    await idp.start(`${auth.issuer}${CALLBACK}`);
    database = await openAuthDatabase(store.config);
    customers = new CustomerStore(database.db);
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await idp?.close();
    await store?.cleanup();
  });

  /** Every sign-in at the bank in this suite, with what its URLs carried. */
  async function signIn(user: string) {
    const flow = await signInAtBank(auth, idp, user);
    remember(flow.upstream.href);
    remember(flow.callback);
    return flow;
  }

  it('sends the person to the bank with code + PKCE S256, state and nonce, and back to consent; tokens carry the mapped customer', async () => {
    const { op, upstream, page, verifier } = await signIn('alice');
    expect(upstream.searchParams.get('client_id')).toBe(BANK_CLIENT.client_id);
    expect(upstream.searchParams.get('redirect_uri')).toBe(`${auth.issuer}${CALLBACK}`);
    expect(upstream.searchParams.get('response_type')).toBe('code');
    expect(upstream.searchParams.get('code_challenge_method')).toBe('S256');
    expect(upstream.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(upstream.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(upstream.searchParams.get('scope')).toBe('openid profile email');

    const code = await op.consent(page);
    const tokens = await op.exchange(code, verifier);
    expect(tokens.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
    const id = await jwtVerify(tokens.body.id_token!, jwks, { issuer: auth.issuer });
    expect(id.payload.sub).toBe('cust-10002');
    const access = await jwtVerify(tokens.body.access_token, jwks, { audience: 'api://my-api' });
    expect(access.payload.sub).toBe('cust-10002');
    // The profile claims follow the bank's; the local password stays.
    expect(await customers.find('cust-10002')).toMatchObject({ name: 'Alice Upstream', email: 'alice@bank.test', hasPassword: true });
  });

  it('provisions a customer the OP has not seen, who can then be blocked like any other', async () => {
    expect(await customers.find('cust-bank-42')).toBeUndefined();
    const { op, page, verifier } = await signIn('bob');
    const tokens = await op.exchange(await op.consent(page), verifier);
    expect(tokens.status).toBe(200);
    expect(await customers.find('cust-bank-42')).toMatchObject({ name: 'Bob New', email: 'bob@bank.test', emailVerified: true, hasPassword: false, blocked: false });

    await customers.setBlocked('cust-bank-42', true);
    expect((await op.refresh(tokens.body.refresh_token!)).body.error).toBe('invalid_grant');
    const again = await signIn('bob');
    expect(new URL(again.page.location!).searchParams.get('error')).toBe('access_denied');
    await customers.setBlocked('cust-bank-42', false);
  });

  it('refuses a customer blocked locally, whatever the bank says', async () => {
    const { page } = await signIn('dave');
    expect(page.status).toBe(303);
    expect(new URL(page.location!).searchParams.get('error')).toBe('access_denied');
  });

  it("keeps the OP's lockout: a customer locked by failed passwords is not signed in from upstream either", async () => {
    const guard = new LoginGuard(database.db, auth.config, createLogger({ name: 'test', level: 'silent' }));
    for (let i = 0; i < auth.config.lockout.threshold; i++) await guard.admit('192.0.2.1', 'alice@bank.test'); // a wrong password's reserved attempt
    const { page } = await signIn('alice');
    expect(page.status).toBe(429);
    expect(page.body).toContain('temporarily locked');
    await guard.unlock('alice@bank.test');
    expect((await signIn('alice')).page.body).toContain('consent-allow');
  });

  it('shows a clear page when the person cancels at the bank (access_denied)', async () => {
    const { page } = await signIn('deny');
    expect(page.status).toBe(403);
    expect(page.body).toContain('The sign-in at your bank was cancelled or refused');
    expect(page.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('refuses an ID token without the customer claim', async () => {
    const { page, callback } = await signIn('carol');
    expect(page.status).toBe(502);
    expect(page.body).toContain('sign-in did not say which customer you are');
    expect(page.body).not.toContain(new URL(callback).searchParams.get('code')!);
    expect(await customers.find('carol')).toBeUndefined();
  });

  it('uses a pending login once: a replayed or forged callback gets the "start again" page', async () => {
    const { op, callback, page } = await signIn('alice');
    expect(page.body).toContain('consent-allow');
    const replay = await op.get(callback);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('start again');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'not-a-state-we-sent');
    expect((await op.get(forged.href)).status).toBe(400);
  });

  it("a callback in another browser cannot finish the person's login", async () => {
    const flow = await toBankLogin(auth, idp);
    const back = await flow.bank.get(`/bank-login/${flow.uid}?user=alice`);
    const stranger = new OAuthClient(auth.issuer);
    const res = await stranger.get(back.location!);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('consent-allow');
  });

  it('logged the sign-ins without a code, state, nonce or the client secret', () => {
    expect(secrets.size).toBeGreaterThan(10);
    expect(logs.join('\n')).toContain('customer provisioned from the upstream IdP');
    const leaked = [...secrets].filter((secret) => logs.some((line) => line.includes(secret)));
    expect(leaked).toEqual([]);
  });
});

describe('the bank’s IdP unreachable', () => {
  let store: TestStore;
  let refusing: TestAuth;
  let silent: TestAuth;
  // Accepts connections and never answers: only the timeout ends the wait.
  const hanging = createServer(() => {});
  const sockets = new Set<Socket>();
  hanging.on('connection', (socket) => sockets.add(socket));

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    // A port nobody listens on.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    refusing = await startTestAuth(store, bankUpstreamEnv(`http://127.0.0.1:${closedPort}`));
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const hangingPort = (hanging.address() as AddressInfo).port;
    silent = await startTestAuth(store, { ...bankUpstreamEnv(`http://127.0.0.1:${hangingPort}`), UPSTREAM_OIDC_TIMEOUT: '1' });
  });
  afterAll(async () => {
    await silent?.close();
    await refusing?.close();
    await new Promise<void>((resolve) => {
      hanging.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    await store?.cleanup();
  });
  it.each([
    ['refuses connections', () => refusing],
    ['never answers (UPSTREAM_OIDC_TIMEOUT)', () => silent],
  ])('shows a "try again later" page with status 503 instead of the login step when the IdP %s', async (_case, op) => {
    const started = Date.now();
    const { page } = await new OAuthClient(op().issuer).startAuthorization();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('30');
    expect(page.body).toContain('sign-in service cannot be reached right now');
    expect(page.body).not.toMatch(/ECONNREFUSED|fetch failed|timeout|at .*\.(ts|js):\d+/i);
  });
});
