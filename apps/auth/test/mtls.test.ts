// The OP's side of mutual TLS that needs no proxy: who may pass a client certificate on, the
// mTLS endpoint aliases, and the CA file. (Certificate authentication itself runs through Caddy
// in e2e/mtls.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAuthConfig } from '../src/config.js';
import { productionEnv } from './helpers/production-env.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe('the client certificate header at the OP', () => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    // The proxy is elsewhere: this test's loopback connection is not it.
    auth = await startTestAuth(store, { TRUSTED_PROXIES: '10.255.255.1', MTLS_ENDPOINT_URL: 'https://mtls.op.test.example' });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('is refused with an OAuth error when it does not come from the proxy', async () => {
    const res = await fetch(`${auth.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-client-cert': 'MIIB' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'a client certificate header is accepted only from the TLS proxy' });
  });

  it('names the mTLS origin for the back-channel endpoints in discovery', async () => {
    const discovery = (await (await fetch(`${auth.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.mtls_endpoint_aliases).toEqual({
      token_endpoint: 'https://mtls.op.test.example/token',
      revocation_endpoint: 'https://mtls.op.test.example/token/revocation',
      introspection_endpoint: 'https://mtls.op.test.example/token/introspection',
      pushed_authorization_request_endpoint: 'https://mtls.op.test.example/request',
      userinfo_endpoint: 'https://mtls.op.test.example/me',
    });
  });
});

describe('mTLS configuration', () => {
  const base = { NODE_ENV: 'test', OP_ISSUER: 'https://op.test.example' };

  it('refuses a CA file that does not exist', () => {
    expect(() => loadAuthConfig({ ...base, MTLS_CA_FILE: '/nonexistent/ca.pem' })).toThrow(/MTLS_CA_FILE.*no such file/);
  });

  it('has an mTLS origin in development by default, and in production only when configured', () => {
    expect(loadAuthConfig({ ...base, NODE_ENV: 'development' }).mtls.endpointUrl).toBe('https://localhost:8446');
    const production = { ...base, ...productionEnv(), OIDC_CLIENTS_FILE: join(tmpdir(), 'does-not-exist.json') };
    expect(loadAuthConfig(production).mtls.endpointUrl).toBeUndefined();
    expect(loadAuthConfig({ ...production, MTLS_ENDPOINT_URL: 'https://mtls.id.bank.example' }).mtls.endpointUrl).toBe('https://mtls.id.bank.example');
  });
});
