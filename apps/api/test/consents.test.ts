import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentGrant, consentRevocation } from '../src/consent/schemas.js';
import { startApi, type TestApi } from './support.js';

/** Polls `check` until it holds or `ms` pass. */
async function within(ms: number, check: () => Promise<boolean>, what: string): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the FDX consent API, backed by an OP stand-in serving the contract (CONSENT-CONTRACT §5)', () => {
  let api: TestApi;
  const send = async (method: 'GET' | 'PUT', path: string, token: string | null, body?: unknown, contentType = 'application/json') =>
    fetch(`${api.base}${path}`, {
      method,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const consentToken = (consentId: string, clientId = 'recipient-a', scope?: string) =>
    api.token({ consentId, clientId, accountIds: ['acc-10001-checking'], ...(scope ? { scope } : {}) });

  beforeAll(async () => {
    api = await startApi({ env: { CONSENT_FEED_INTERVAL_MS: '100' } });
    for (const id of ['consent-a1', 'consent-a2', 'consent-a3', 'consent-a4', 'consent-a5']) api.op.add({ id, clientId: 'recipient-a', accountIds: ['acc-10001-checking'] });
    api.op.add({ id: 'consent-b1', clientId: 'recipient-b' });
  });
  afterAll(() => api.close());

  it('shows the recipient its consent as an FDX ConsentGrant, at /api/fdx/v6/consents/{consentId}', async () => {
    const res = await send('GET', '/consents/consent-a1', await consentToken('consent-a1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(consentGrant.safeParse(body).success).toBe(true);
    expect(body).toMatchObject({
      id: 'consent-a1',
      status: 'ACTIVE',
      durationType: 'TIME_BOUND',
      resources: [{ resourceType: 'ACCOUNT', resourceId: 'acc-10001-checking' }],
    });
    // Any consent the client holds, with any of the API's scopes.
    const other = await send('GET', '/consents/consent-a2', await consentToken('consent-a1', 'recipient-a', 'openid customers:read'));
    expect(other.status).toBe(200);
  });

  it("answers 404 for another recipient's consent exactly as for a missing one", async () => {
    const token = await consentToken('consent-a1');
    const foreign = await send('GET', '/consents/consent-b1', token);
    const missing = await send('GET', '/consents/consent-nope', token);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual(await missing.json());
    for (const path of ['/consents/consent-b1/revocation', '/consents/consent-nope/revocation']) {
      expect((await send('GET', path, token)).status, path).toBe(404);
    }
    const revoke = await send('PUT', '/consents/consent-b1/revocation', token, { reason: 'USER_ACTION', initiator: 'recipient-a' });
    expect(revoke.status).toBe(404);
    expect(api.op.consents.get('consent-b1')!.status).toBe('ACTIVE');
    expect((await send('GET', `/consents/${'x'.repeat(300)}`, token)).status).toBe(404);
  });

  it('requires an access token carrying one of the API scopes', async () => {
    const none = await send('GET', '/consents/consent-a1', null);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 602 });
    const openidOnly = await send('GET', '/consents/consent-a1', await consentToken('consent-a1', 'recipient-a', 'openid'));
    expect(openidOnly.status).toBe(403);
    expect(openidOnly.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('refuses a bad revocation body with 400, naming the field', async () => {
    const token = await consentToken('consent-a2');
    const cases: Array<[unknown, RegExp, string?]> = [
      [{ initiator: 'app' }, /"reason"/],
      [{ reason: 'BECAUSE', initiator: 'app' }, /"reason"/],
      [{ reason: 'USER_ACTION' }, /"initiator"/],
      [{ reason: 'USER_ACTION', initiator: '' }, /"initiator"/],
      [{ reason: 'USER_ACTION', initiator: 'x'.repeat(257) }, /"initiator"/],
      [['USER_ACTION'], /"reason"/],
      ['{not json', /./],
      ['reason=USER_ACTION', /"reason"/, 'application/x-www-form-urlencoded'],
    ];
    for (const [body, field, type] of cases) {
      const res = await send('PUT', '/consents/consent-a2/revocation', token, body, type);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = (await res.json()) as { code: number; debugMessage: string };
      expect(error.code).toBe(703);
      expect(error.debugMessage, JSON.stringify(body)).toMatch(field);
    }
    expect(api.op.consents.get('consent-a2')!.status).toBe('ACTIVE');
  });

  it('revokes the consent (204), after which its tokens are refused but may still read its own consent and history', async () => {
    const token = await consentToken('consent-a3');
    expect((await api.get('/accounts', token)).status).toBe(200);
    const res = await send('PUT', '/consents/consent-a3/revocation', token, { reason: 'USER_ACTION', initiator: 'customer via recipient-a' });
    expect(res.status).toBe(204);
    await within(3000, async () => (await api.get('/accounts', token)).status === 401, 'the revoked token is refused');
    expect(await (await api.get('/accounts', token)).json()).toMatchObject({ code: 602 });

    const consent = await send('GET', '/consents/consent-a3', token);
    expect(consent.status).toBe(200);
    expect(await consent.json()).toMatchObject({ id: 'consent-a3', status: 'REVOKED' });
    const history = await send('GET', '/consents/consent-a3/revocation', token);
    expect(history.status).toBe(200);
    const body = (await history.json()) as { revocations: unknown[] };
    expect(body.revocations).toHaveLength(1);
    expect(consentRevocation.parse(body.revocations[0])).toMatchObject({ status: 'REVOKED', reason: 'USER_ACTION', initiator: 'customer via recipient-a' });
    // Idempotent: revoking an ended consent again changes nothing.
    expect((await send('PUT', '/consents/consent-a3/revocation', token, { reason: 'BUSINESS_RULE', initiator: 'again' })).status).toBe(204);
    expect(((await (await send('GET', '/consents/consent-a3/revocation', token)).json()) as { revocations: unknown[] }).revocations).toHaveLength(1);

    // Its own consent only: the same client's other consents are refused to this token like everything else.
    const elsewhere = await send('GET', '/consents/consent-a4', token);
    expect(elsewhere.status).toBe(401);
    expect(await elsewhere.json()).toMatchObject({ code: 602 });
    expect(elsewhere.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await send('GET', '/consents/consent-a4', await consentToken('consent-a4'))).status).toBe(200);
  });

  it('answers 503 (FDX 501) while the OP cannot answer, and again normally once it can', async () => {
    const token = await consentToken('consent-a5');
    api.op.failWith = 500;
    try {
      const failing = await send('GET', '/consents/consent-a5', token);
      expect(failing.status).toBe(503);
      expect(await failing.json()).toMatchObject({ code: 501 });
    } finally {
      api.op.failWith = undefined;
    }
    await api.op.down();
    try {
      const down = await send('PUT', '/consents/consent-a5/revocation', token, { reason: 'USER_ACTION', initiator: 'app' });
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBeTruthy();
      expect(await down.json()).toMatchObject({ code: 501, message: 'Subsystem unavailable' });
    } finally {
      await api.op.up();
    }
    expect((await send('GET', '/consents/consent-a5', token)).status).toBe(200);
  });
});
