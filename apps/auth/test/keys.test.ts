import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, tokenRequest } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { generateSigningKey } from '../src/keys/jwks.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe('signing keys from JWKS', () => {
  let store: TestStore;
  let auth: TestAuth;
  const current = generateSigningKey();
  const retired = generateSigningKey();

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { JWKS: JSON.stringify({ keys: [current, retired] }) });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('signs with the first key and publishes every key (rotation)', async () => {
    const jwks = (await (await fetch(`${auth.issuer}/jwks`)).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([current.kid, retired.kid].sort());
    expect(jwks.keys.some((k) => 'd' in k)).toBe(false);
    const { code, verifier } = await new OAuthClient(auth.issuer).authorize();
    const tokens = await exchange(auth.issuer, code!, verifier);
    expect(decodeProtectedHeader(tokens.body.access_token).kid).toBe(current.kid);
    expect(decodeProtectedHeader(tokens.body.id_token!).kid).toBe(current.kid);
  });

  it('lets only one of two concurrent uses of a refresh token succeed', async () => {
    const { code, verifier } = await new OAuthClient(auth.issuer).authorize({ prompt: 'consent' });
    const tokens = await exchange(auth.issuer, code!, verifier);
    const results = await Promise.all([
      tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! }),
      tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! }),
    ]);
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    expect(results.some((r) => r.body.error === 'invalid_grant')).toBe(true);
  });
});
