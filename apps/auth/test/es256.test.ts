// ACCESS_TOKEN_SIGNING_ALG: the OP in-process signs access tokens with the EC key of its set and
// keeps ID tokens RS256. That the FDX API's own verifier accepts these tokens is the contract
// between the two services, tested where both are combined: e2e/es256.test.ts.
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { generateEcSigningKey, generateSigningKey } from '../src/keys/jwks.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

interface PublishedKey {
  kty: string;
  kid: string;
  [member: string]: unknown;
}

async function login(auth: TestAuth) {
  const { code, verifier } = await new OAuthClient(auth.issuer).authorize({ prompt: 'consent' });
  const tokens = await exchange(auth.issuer, code!, verifier);
  expect(tokens.status).toBe(200);
  return tokens.body;
}

async function publishedKeys(auth: TestAuth): Promise<PublishedKey[]> {
  return ((await (await fetch(`${auth.issuer}/jwks`)).json()) as { keys: PublishedKey[] }).keys;
}

describe('access tokens signed with the key set from JWKS', () => {
  const rsa = generateSigningKey();
  const ec = generateEcSigningKey();
  const jwks = JSON.stringify({ keys: [rsa, ec] });
  let store: TestStore;
  let es256: TestAuth;
  let rs256: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    es256 = await startTestAuth(store, { JWKS: jwks, ACCESS_TOKEN_SIGNING_ALG: 'ES256' });
    // Same keys, default setting: the EC key is published but signs nothing.
    rs256 = await startTestAuth(store, { JWKS: jwks });
  });
  afterAll(async () => {
    await rs256?.close();
    await es256?.close();
    await store?.cleanup();
  });

  it('publishes the public parts of the RSA and the EC key, and no private member of either', async () => {
    const discovery = (await (await fetch(`${es256.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.jwks_uri).toBe(`${es256.issuer}/jwks`);
    const keys = await publishedKeys(es256);
    expect(keys).toHaveLength(2);
    expect(keys.find((k) => k.kty === 'RSA')).toMatchObject({ kid: rsa.kid, n: rsa.n, e: rsa.e, alg: 'RS256', use: 'sig' });
    expect(keys.find((k) => k.kty === 'EC')).toMatchObject({ kid: ec.kid, crv: 'P-256', x: ec.x, y: ec.y, alg: 'ES256', use: 'sig' });
    for (const key of keys) for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    expect(JSON.stringify(keys)).not.toContain(ec.d);
    expect(JSON.stringify(keys)).not.toContain(rsa.d);
  });

  it('issues an ES256 access token, also on refresh, and keeps the ID token RS256', async () => {
    const tokens = await login(es256);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'ES256', kid: ec.kid, typ: 'at+jwt' });
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'RS256', kid: rsa.kid });

    const refreshed = await tokenRequest(es256.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(decodeProtectedHeader(refreshed.body.access_token).alg).toBe('ES256');
  });

  it('issues RS256 access tokens by default, even with an EC key in the set', async () => {
    const tokens = await login(rs256);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'RS256', kid: rsa.kid });
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'RS256', kid: rsa.kid });
  });
});

describe.each(ENGINES)('ES256 access tokens with development keys on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { ACCESS_TOKEN_SIGNING_ALG: 'ES256' });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('generates an EC key next to the RSA key and signs access tokens with it', async () => {
    const keys = await publishedKeys(auth);
    expect(keys.map((k) => k.kty).sort()).toEqual(['EC', 'RSA']);
    const ec = keys.find((k) => k.kty === 'EC')!;
    const tokens = await login(auth);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'ES256', kid: ec.kid });
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
  });
});
