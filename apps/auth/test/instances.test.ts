import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe.each(ENGINES)('two OP instances on one %s database', (engine) => {
  let store: TestStore;
  let a: TestAuth;
  let b: TestAuth;

  beforeAll(async () => {
    store = await createTestStore(engine);
    a = await startTestAuth(store);
    // Same issuer, keys and storage; a different process-like instance on another port.
    b = await startTestAuth(store, { OP_ISSUER: a.issuer });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await store?.cleanup();
  });

  it('refreshes on B a token issued on A, and detects on A the reuse of a token rotated on B', async () => {
    const { code, verifier } = await new OAuthClient(a.issuer).authorize({ prompt: 'consent' });
    const first = await exchange(a.url, code!, verifier);
    const rotated = await tokenRequest(b.url, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token! });
    expect(rotated.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${a.url}/jwks`));
    await jwtVerify(rotated.body.access_token, jwks, { issuer: a.issuer, audience: 'api://my-api' });

    const reuse = await tokenRequest(a.url, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token! });
    expect(reuse.body.error).toBe('invalid_grant');
    const after = await tokenRequest(b.url, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token! });
    expect(after.body.error).toBe('invalid_grant');
  });
});
