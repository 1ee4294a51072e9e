import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, OAuthClient, tokenRequest, type Tokens } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { ClientLimits, clientKind } from '../src/security/client-limits.js';
import { PUBLIC_CLIENT, startTestAuth, type TestAuth } from './helpers/auth-server.js';

const IAT = 'test-initial-access-token-0123456789abcdef';
const REDIRECT = 'https://rp.example.test/callback';

/** An aggregator the operator configured, with no limits of its own: the operator defaults apply. */
const AGGREGATOR = {
  client_id: 'aggregator-rp',
  client_secret: 'aggregator-rp-client-secret-0123456789abcdef-0000',
  client_name: 'Aggregator',
  redirect_uris: [REDIRECT],
  force_refresh_token: true,
};

/** A configured client with its own allowances (requests per minute). */
const LIMITED = {
  ...AGGREGATOR,
  client_id: 'limited-rp',
  client_name: 'Limited',
  rate_limits: { token_per_minute: 3, refresh_per_grant_per_minute: 2, api_per_minute: 1200, api_per_customer_per_minute: 0 },
};

/** A configured client that sends its secret in the body (client_secret_post). */
const POSTING = { ...AGGREGATOR, client_id: 'posting-rp', client_name: 'Posting', token_endpoint_auth_method: 'client_secret_post' };

/** Waits for the start of the next fixed window. */
const nextWindow = (windowMs: number) => new Promise((r) => setTimeout(r, windowMs - (Date.now() % windowMs) + 20));

const refresh = (issuer: string, client: { client_id: string; client_secret: string }, refreshToken: string) =>
  tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic(client.client_id, client.client_secret));

describe.each(ENGINES)('limits per client, per kind and per grant on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, {
      OIDC_CLIENTS: JSON.stringify([AGGREGATOR, LIMITED, POSTING, PUBLIC_CLIENT]),
      REGISTRATION_INITIAL_ACCESS_TOKEN: IAT,
      // Exact counters: every count is in the table before its answer leaves.
      RATE_LIMIT_SYNC_MS: '0',
      RATE_LIMIT_WINDOW: '2',
      RATE_LIMIT_TOKEN_PER_IP: '3',
      RATE_LIMIT_TOKEN_PER_CLIENT: '2',
      RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT: '1000',
      RATE_LIMIT_REFRESH_PER_GRANT: '2',
      RATE_LIMIT_API_PER_CLIENT: '100',
      RATE_LIMIT_API_PER_OPERATOR_CLIENT: '5000',
      RATE_LIMIT_API_PER_CUSTOMER: '20',
    });
    database = await openAuthDatabase(store.config);
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  const signIn = async (client: typeof AGGREGATOR): Promise<Tokens> => new OAuthClient(auth.issuer, { client }).signIn();

  it('signs the client API allowances into its access tokens: its own, else its kind default (per minute)', async () => {
    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
    const verified = async (accessToken: string) => (await jwtVerify(accessToken, jwks, { issuer: auth.issuer })).payload;
    // Defaults are per RATE_LIMIT_WINDOW (2 s here): 5000 per window is 150,000 per minute.
    expect((await verified((await signIn(AGGREGATOR)).access_token)).rl).toEqual({ api_per_minute: 150_000, api_per_customer_per_minute: 600 });
    expect((await verified((await signIn(LIMITED)).access_token)).rl).toEqual({ api_per_minute: 1200, api_per_customer_per_minute: 0 });
  });

  it('gives a dynamically registered client the tight defaults, and refuses rate_limits in its registration', async () => {
    const register = (metadata: Record<string, unknown>) =>
      fetch(`${auth.issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${IAT}` }, body: JSON.stringify(metadata) });
    const refused = await register({ redirect_uris: [REDIRECT], rate_limits: { api_per_minute: 0 } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: 'rate_limits can only be set by the operator' });

    const res = await register({ redirect_uris: [REDIRECT], client_name: 'Registered', scope: 'openid accounts:read' });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as { client_id: string; client_secret: string };
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize({ clientId: registered.client_id, redirectUri: REDIRECT, scope: 'openid accounts:read' });
    const tokens = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, code_verifier: verifier },
      basic(registered.client_id, registered.client_secret),
    );
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.body.access_token).rl).toEqual({ api_per_minute: 3000, api_per_customer_per_minute: 600 });

    // The kinds, read from oidc-provider's own client instances.
    const { Client } = auth.current.provider;
    expect(clientKind((await Client.find(registered.client_id))!)).toBe('registered');
    expect(clientKind((await Client.find(AGGREGATOR.client_id))!)).toBe('operator');
    expect(clientKind((await Client.find(PUBLIC_CLIENT.client_id))!)).toBe('public');
    const limits = new ClientLimits(auth.config);
    expect(limits.tokenPerWindow((await Client.find(registered.client_id))!)).toBe(2);
    expect(limits.tokenPerWindow((await Client.find(AGGREGATOR.client_id))!)).toBe(1000);
    expect(limits.tokenPerWindow((await Client.find(LIMITED.client_id))!)).toBe(1);
  });

  it("refuses a client's token requests past its own allowance, never counting them per IP", async () => {
    await nextWindow(2000);
    // token_per_minute 3 is 1 per 2 s window: the second authenticated request is refused.
    const first = await refresh(auth.issuer, LIMITED, 'nope');
    expect(first.status).toBe(400);
    const second = await refresh(auth.issuer, LIMITED, 'nope');
    expect(second.status).toBe(429);
    expect(second.body.error).toBe('temporarily_unavailable');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The aggregator's requests are not counted for the address it shares (RATE_LIMIT_TOKEN_PER_IP is 3)…
    for (let i = 0; i < 5; i++) expect((await refresh(auth.issuer, AGGREGATOR, 'nope')).status).toBe(400);
    // …every other request is: a client authenticated in the body (its allowance cannot be checked
    // before oidc-provider reads the body), and requests in which no client authenticated.
    const posted = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: 'nope', client_id: POSTING.client_id, client_secret: POSTING.client_secret }, null);
    expect(posted.status).toBe(400);
    expect(posted.body.error).toBe('invalid_grant');
    const anonymous = async () => (await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: 'nope' }, null)).status;
    expect([await anonymous(), await anonymous()]).not.toContain(429);
    expect(await anonymous()).toBe(429);
  });

  it('slows the refreshes of one grant without touching the same client’s other grants', async () => {
    const hammered = await signIn(AGGREGATOR);
    const other = await signIn(AGGREGATOR);
    await nextWindow(2000);
    // RATE_LIMIT_REFRESH_PER_GRANT: 2 refreshes of one grant per window.
    let current = hammered.refresh_token;
    for (let i = 0; i < 2; i++) {
      const ok = await refresh(auth.issuer, AGGREGATOR, current);
      expect(ok.status).toBe(200);
      current = ok.body.refresh_token!;
    }
    for (let i = 0; i < 3; i++) {
      const refused = await refresh(auth.issuer, AGGREGATOR, current);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: 'temporarily_unavailable', error_description: 'too many refreshes of this grant, retry later' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await refresh(auth.issuer, AGGREGATOR, other.refresh_token)).status).toBe(200);
    // The refused refreshes rotated nothing: the same token works in the next window.
    await nextWindow(2000);
    expect((await refresh(auth.issuer, AGGREGATOR, current)).status).toBe(200);

    await new Promise((r) => setTimeout(r, 100));
    const events = await database.db.selectFrom('audit_events').selectAll().where('type', '=', 'rate_limit.exceeded').execute();
    const perGrant = events.filter((e) => e.detail?.includes('refresh_per_grant'));
    expect(perGrant).toHaveLength(1); // once per key and window, not once per refusal
    expect(perGrant[0]!.client_id).toBe(AGGREGATOR.client_id);
  });
});
