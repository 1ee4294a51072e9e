import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, signToken } from '@kit/harness/jwks';
import { startApi, type TestApi } from './support.js';

describe('access control over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  const metadata = 'resource_metadata="https://api.test.example/.well-known/oauth-protected-resource"';

  it('answers a missing token with 401 and a bare Bearer challenge', async () => {
    const res = await api.get('/accounts', null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer ${metadata}`);
    expect(await res.json()).toMatchObject({ code: 602 });
  });

  it('treats another scheme as a missing bearer token', async () => {
    const res = await api.get('/accounts', null, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).not.toContain('error=');
  });

  it('answers an expired token with 401 invalid_token and FDX code 602', async () => {
    const token = await api.token({ expiresIn: Math.floor(Date.now() / 1000) - 120 });
    const res = await api.get('/accounts', token);
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer error="invalid_token"/);
    expect(challenge).toContain(metadata);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: 602, message: 'Customer not authorized' });
    expect(JSON.stringify(body)).not.toContain(token);
  });

  it('answers garbage and foreign-key tokens with 401 invalid_token', async () => {
    for (const token of ['not-a-jwt', 'a.b.c', await signToken(await newKey('key-1'))]) {
      const res = await api.get('/accounts', token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('requires accounts:read for accounts, payment networks, statements and asset transfer networks', async () => {
    const token = await api.token({ scope: 'openid customers:read transactions:read' });
    for (const path of [
      '/accounts',
      '/accounts/acc-10001-checking',
      '/accounts/acc-10001-checking/payment-networks',
      '/accounts/acc-10001-checking/statements',
      '/accounts/acc-10001-brokerage/asset-transfer-networks',
    ]) {
      const res = await api.get(path, token);
      expect(res.status, path).toBe(403);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="accounts:read", ${metadata}`);
      expect(await res.json()).toMatchObject({ code: 602 });
    }
  });

  it('requires customers:read for contact and transactions:read for transactions', async () => {
    const token = await api.token({ scope: 'accounts:read' });
    const contact = await api.get('/accounts/acc-10001-checking/contact', token);
    expect(contact.status).toBe(403);
    expect(contact.headers.get('www-authenticate')).toContain('scope="customers:read"');
    const transactions = await api.get('/accounts/acc-10001-checking/transactions', token);
    expect(transactions.status).toBe(403);
    expect(transactions.headers.get('www-authenticate')).toContain('scope="transactions:read"');
  });

  it('serves /customers/current to any valid token, naming the token subject', async () => {
    const res = await api.get('/customers/current', await api.token({ scope: 'openid', sub: 'cust-10002' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ customerId: 'cust-10002' });
  });

  it('publishes RFC 9728 metadata naming the OP', async () => {
    const res = await fetch(`${api.url}/.well-known/oauth-protected-resource`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      resource: 'https://api.test.example',
      authorization_servers: ['https://op.test.example'],
      bearer_methods_supported: ['header'],
      scopes_supported: expect.arrayContaining(['accounts:read', 'customers:read', 'transactions:read']),
    });
  });

  it('accepts tokens whose audience is the resource its RFC 9728 metadata names, besides API_AUDIENCE, and nothing else', async () => {
    const { resource } = (await (await fetch(`${api.url}/.well-known/oauth-protected-resource`)).json()) as { resource: string };
    expect((await api.get('/accounts', await api.token({ aud: resource }))).status).toBe(200);
    expect((await api.get('/accounts', await api.token())).status).toBe(200);
    for (const aud of ['https://api.test.example/api/fdx/v6', 'https://other.test.example', 'api://other']) {
      const res = await api.get('/accounts', await api.token({ aud }));
      expect(res.status, aud).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('fetches the JWKS once for many requests', async () => {
    const before = api.jwks.requests;
    for (let i = 0; i < 5; i++) expect((await api.get('/accounts')).status).toBe(200);
    expect(api.jwks.requests - before).toBeLessThanOrEqual(0);
  });
});
