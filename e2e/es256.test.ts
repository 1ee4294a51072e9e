// The contract between the OP and the FDX API for ACCESS_TOKEN_SIGNING_ALG: access tokens the OP
// issues (in-process, through @apps/auth) pass the API's own verifier (@apps/api), which fetches
// the OP's /jwks over HTTP as the API does in production. What the OP alone does (publishing the
// keys, the tokens' headers) is tested in apps/auth/test/es256.test.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier, type TokenVerifier } from '@apps/api';
import { generateEcSigningKey, generateSigningKey, loadAuthConfig, startServer } from '@apps/auth';
import { createLogger } from '@apps/shared';
import { startCatalogServer } from '@kit/harness/account-catalog';
import { exchange, OAuthClient, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Op {
  issuer: string;
  close(): Promise<void>;
}

/** The OP in-process on a loopback port (its own issuer), with TEST_CLIENT registered, on `store`. */
async function startOp(store: TestStore, env: Record<string, string> = {}): Promise<Op> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The consent page's accounts (contract §4), from a stand-in for the API's internal route.
  const secret = 'e2e-internal-secret-0123456789abcdef-00000000';
  const catalog = await startCatalogServer(secret);
  const config = loadAuthConfig({
    NODE_ENV: 'test',
    INTERNAL_SECRET: secret,
    API_INTERNAL_URL: catalog.url,
    LOG_LEVEL: 'silent',
    OP_ISSUER: issuer,
    OIDC_CLIENTS: JSON.stringify([TEST_CLIENT]),
    ...store.env,
    ...env,
  });
  const op = await startServer(config, createLogger({ name: 'auth', level: 'silent' }));
  server.on('request', op.app);
  return {
    issuer,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await op.close();
      await catalog.close();
    },
  };
}

function apiVerifier(op: Op): TokenVerifier {
  return createTokenVerifier({
    jwksUri: `${op.issuer}/jwks`,
    issuer: op.issuer,
    audience: 'api://my-api',
    clockToleranceSeconds: 5,
    jwksCooldownMs: 30_000,
    verifiedCacheMs: 0,
  });
}

async function login(op: Op) {
  const { code, verifier } = await new OAuthClient(op.issuer).authorize({ prompt: 'consent' });
  const tokens = await exchange(op.issuer, code!, verifier);
  expect(tokens.status).toBe(200);
  return tokens.body;
}

describe("the API's verifier and the OP's access tokens signed with the key set from JWKS", () => {
  const jwks = JSON.stringify({ keys: [generateSigningKey(), generateEcSigningKey()] });
  let store: TestStore;
  let es256: Op;
  let rs256: Op;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    es256 = await startOp(store, { JWKS: jwks, ACCESS_TOKEN_SIGNING_ALG: 'ES256' });
    // Same keys, default setting: the EC key is published but signs nothing.
    rs256 = await startOp(store, { JWKS: jwks });
  });
  afterAll(async () => {
    await rs256?.close();
    await es256?.close();
    await store?.cleanup();
  });

  it('accepts an ES256 access token with its subject, client and scopes, and the refreshed one', async () => {
    const tokens = await login(es256);
    const token = await apiVerifier(es256)(tokens.access_token);
    expect(token).toMatchObject({ sub: 'cust-10001', clientId: TEST_CLIENT.client_id });
    expect([...token.scopes].sort()).toEqual(['accounts:read', 'transactions:read']);

    const refreshed = await tokenRequest(es256.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect((await apiVerifier(es256)(refreshed.body.access_token)).sub).toBe('cust-10001');
  });

  it('accepts the RS256 access tokens issued by default, with an EC key in the set', async () => {
    const tokens = await login(rs256);
    expect((await apiVerifier(rs256)(tokens.access_token)).sub).toBe('cust-10001');
  });
});

describe.each(ENGINES)("the API's verifier and ES256 access tokens from development keys on %s", (engine) => {
  let store: TestStore;
  let op: Op;

  beforeAll(async () => {
    store = await createTestStore(engine);
    op = await startOp(store, { ACCESS_TOKEN_SIGNING_ALG: 'ES256' });
  });
  afterAll(async () => {
    await op?.close();
    await store?.cleanup();
  });

  it('accepts an access token signed with the generated EC key', async () => {
    const tokens = await login(op);
    expect((await apiVerifier(op)(tokens.access_token)).sub).toBe('cust-10001');
  });
});
