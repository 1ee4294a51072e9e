import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, codeFrom, OAuthClient, TEST_CLIENT, tokenRequest, type Tokens } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { consentGrantSchema } from '../src/consents/fdx-consent.js';
import { startTestAuth, TEST_INTERNAL_SECRET, type TestAuth } from './helpers/auth-server.js';

const PLAID = {
  client_id: 'plaid-like',
  client_secret: 'plaid-like-client-secret-0123456789abcdef-00000',
  client_name: 'Plaid',
  client_uri: 'https://plaid.example/',
  redirect_uris: ['https://cdn.plaid.example/link/oauth.html'],
  fdx_scopes: ['accounts:read', 'customers:read', 'transactions:read'],
  account_selection: false,
};

interface Feed {
  changes: { seq: number; consentId: string; status: string; at: string }[];
  next: number;
}

describe.each(ENGINES)('internal consent endpoints (contract §3, §5) on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PLAID]), INSTITUTION_NAME: 'Prairie State Savings Bank', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' });
    jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  const internal = (path: string, init: RequestInit = {}, secret: string | null = TEST_INTERNAL_SECRET) =>
    fetch(`${auth.url}/internal/v1${path}`, {
      ...init,
      headers: { ...(secret === null ? {} : { authorization: `Bearer ${secret}` }), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  const revocation = (id: string, body: unknown) => internal(`/consents/${id}/revocation`, { method: 'PUT', body: JSON.stringify(body) });

  /** A consent of the demo customer to `client` (TEST_CLIENT choosing acc-savings, or Plaid selecting itself). */
  async function consentFor(client: { client_id: string; client_secret: string; redirect_uris: string[] } = TEST_CLIENT, account?: string[]) {
    const browser = new OAuthClient(auth.issuer);
    const { page, verifier } = await browser.startAuthorization({ prompt: 'consent', clientId: client.client_id, redirectUri: client.redirect_uris[0] });
    const { code } = codeFrom(await browser.submit(await browser.login(page), 'confirm', account ? { account } : {}));
    const res = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: client.redirect_uris[0]! },
      basic(client.client_id, client.client_secret),
    );
    const tokens = res.body as Tokens;
    const { payload } = await jwtVerify(tokens.access_token, jwks, { audience: 'api://my-api' });
    return { id: payload.fdxConsentId as string, tokens };
  }

  it('refuses callers without INTERNAL_SECRET: 401 { error: "unauthorized" }, no-store', async () => {
    for (const secret of [null, 'wrong-secret-of-the-right-length-000000000000', `${TEST_INTERNAL_SECRET}x`]) {
      const res = await internal('/consents/changes', {}, secret);
      expect(res.status).toBe(401);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
    const put = await fetch(`${auth.url}/internal/v1/consents/00000000-0000-4000-8000-000000000000/revocation`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(401);
  });

  it('serves the change feed: from now without `after`, each ending once, in seq order, empty when up to date', async () => {
    const start = await internal('/consents/changes');
    expect(start.status).toBe(200);
    expect(start.headers.get('cache-control')).toBe('no-store');
    const { next: from } = (await start.json()) as Feed;
    const a = await consentFor();
    const b = await consentFor();
    expect((await revocation(a.id, { clientId: TEST_CLIENT.client_id, reason: 'USER_ACTION', initiator: 'customer via app' })).status).toBe(200);
    expect((await fetch(`${auth.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(TEST_CLIENT.client_id, TEST_CLIENT.client_secret) },
      body: new URLSearchParams({ token: b.tokens.access_token }).toString(),
    })).status).toBe(200);
    const feed = (await (await internal(`/consents/changes?after=${from}`)).json()) as Feed;
    expect(feed.changes.map((c) => [c.consentId, c.status])).toEqual([
      [a.id, 'REVOKED'],
      [b.id, 'REVOKED'],
    ]);
    expect(feed.changes[0]!.seq).toBeLessThan(feed.changes[1]!.seq);
    expect(Date.parse(feed.changes[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(feed.next).toBe(feed.changes[1]!.seq);
    expect(await (await internal(`/consents/changes?after=${feed.next}`)).json()).toEqual({ changes: [], next: feed.next });
    const one = (await (await internal(`/consents/changes?after=${from}&limit=1`)).json()) as Feed;
    expect(one.changes.map((c) => c.consentId)).toEqual([a.id]);
    // Without `after`: the changes still relevant to access tokens (recent ones), and the newest seq.
    const recent = (await (await internal('/consents/changes')).json()) as Feed;
    expect(recent.changes.map((c) => c.consentId)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(recent.next).toBe(feed.next);
    for (const bad of ['after=-1', 'after=x', 'limit=0', 'limit=1001']) {
      const res = await internal(`/consents/changes?${bad}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_request', field: bad.split('=')[0] });
    }
  });

  it('answers GET /consents/{id} with the FDX ConsentGrant, only to the client that holds it', async () => {
    const { id } = await consentFor(TEST_CLIENT, ['acc-savings']);
    const res = await internal(`/consents/${id}?clientId=${TEST_CLIENT.client_id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { consent } = (await res.json()) as { consent: Record<string, unknown> };
    expect(consentGrantSchema.safeParse(consent).success).toBe(true);
    expect(consent).toMatchObject({
      id,
      status: 'ACTIVE',
      parties: [
        { name: TEST_CLIENT.client_name, type: 'DATA_RECIPIENT' },
        { name: 'Prairie State Savings Bank', type: 'DATA_PROVIDER' },
      ],
      durationType: 'TIME_BOUND',
      durationPeriod: 365,
      resources: [{ resourceType: 'ACCOUNT', resourceId: 'acc-savings', dataClusters: ['ACCOUNT_BASIC', 'ACCOUNT_DETAILED', 'STATEMENTS', 'TRANSACTIONS'] }],
    });
    expect(Date.parse(consent.expirationTime as string) - Date.parse(consent.createdTime as string)).toBe(365 * 86_400_000);
    for (const path of [`/consents/${id}?clientId=plaid-like`, `/consents/00000000-0000-4000-8000-000000000000?clientId=${TEST_CLIENT.client_id}`, `/consents/not-a-uuid?clientId=x`]) {
      const other = await internal(path);
      expect(other.status).toBe(404);
      expect(await other.json()).toEqual({ error: 'not_found' });
    }
    expect((await internal(`/consents/${id}`)).status).toBe(400);
  });

  it('represents a consent without account selection as no resources and its data clusters on the consent', async () => {
    const { id } = await consentFor(PLAID);
    const { consent } = (await (await internal(`/consents/${id}?clientId=plaid-like`)).json()) as { consent: Record<string, unknown> };
    expect(consent).toMatchObject({
      parties: [{ name: 'Plaid', type: 'DATA_RECIPIENT', homeUri: 'https://plaid.example/' }, { type: 'DATA_PROVIDER' }],
      resources: [],
      dataClusters: ['ACCOUNT_BASIC', 'ACCOUNT_DETAILED', 'STATEMENTS', 'TRANSACTIONS'],
    });
  });

  it('revokes for the holding client (idempotent), names a bad field, 404s anyone else, and keeps the history', async () => {
    const { id, tokens } = await consentFor();
    for (const [body, field] of [
      [{ clientId: TEST_CLIENT.client_id, reason: 'BORED', initiator: 'x' }, 'reason'],
      [{ clientId: TEST_CLIENT.client_id, reason: 'USER_ACTION', initiator: 'x'.repeat(257) }, 'initiator'],
      [{ reason: 'USER_ACTION', initiator: 'x' }, 'clientId'],
    ] as const) {
      const res = await revocation(id, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid_request', field });
    }
    const notJson = await internal(`/consents/${id}/revocation`, { method: 'PUT', body: '{"clientId":' });
    expect(notJson.status).toBe(400);
    expect((await revocation(id, { clientId: 'plaid-like', reason: 'USER_ACTION', initiator: 'x' })).status).toBe(404);

    const res = await revocation(id, { clientId: TEST_CLIENT.client_id, reason: 'BUSINESS_RULE', initiator: 'fraud team' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { consent: { status: string } }).consent.status).toBe('REVOKED');
    const again = await revocation(id, { clientId: TEST_CLIENT.client_id, reason: 'USER_ACTION', initiator: 'someone else' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { consent: { status: string } }).consent.status).toBe('REVOKED');
    // Its refresh token is gone with it.
    expect((await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).body.error).toBe('invalid_grant');

    const history = await internal(`/consents/${id}/revocation?clientId=${TEST_CLIENT.client_id}`);
    expect(history.status).toBe(200);
    const { revocations } = (await history.json()) as { revocations: Record<string, string>[] };
    expect(revocations).toHaveLength(1);
    expect(revocations[0]).toMatchObject({ status: 'REVOKED', reason: 'BUSINESS_RULE', initiator: 'fraud team' });
    expect(Date.parse(revocations[0]!.updatedTime!)).toBeGreaterThan(Date.now() - 60_000);
    expect((await internal(`/consents/${id}/revocation?clientId=plaid-like`)).status).toBe(404);
  });
});
