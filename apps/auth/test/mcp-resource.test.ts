import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, codeFrom, OAuthClient, pkcePair, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { PUBLIC_CLIENT, startTestAuth, type TestAuth } from './helpers/auth-server.js';

const MCP = 'https://api.bank.test/mcp';
/** A confidential client the operator let opt out of PKCE: the MCP resource still requires it. */
const NO_PKCE = {
  client_id: 'no-pkce',
  client_secret: 'no-pkce-client-secret-0123456789abcdef-0000000000',
  client_name: 'Aggregator',
  redirect_uris: ['https://aggregator.example.test/cb'],
  require_pkce: false,
};

describe.each(ENGINES)('the MCP server as a second resource server, on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store, { MCP_RESOURCE: MCP, OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PUBLIC_CLIENT, NO_PKCE]) });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  const verify = async (token: string, audience: string) =>
    (await jwtVerify(token, createRemoteJWKSet(new URL(`${auth.issuer}/jwks`)), { issuer: auth.issuer, audience, typ: 'at+jwt' })).payload;

  it('advertises S256 as the only PKCE method', async () => {
    const discovery = (await (await fetch(`${auth.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('issues a token whose audience is the MCP resource alone, with the same scopes, and refreshes it for the same audience', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize({ resource: MCP, prompt: 'consent' });
    const tokens = await tokenRequest(auth.issuer, { grant_type: 'authorization_code', code: code!, redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_verifier: verifier, resource: MCP });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const payload = await verify(tokens.body.access_token, MCP);
    expect(payload.aud).toBe(MCP);
    expect(payload).toMatchObject({ sub: 'cust-10001', scope: 'accounts:read transactions:read', client_id: TEST_CLIENT.client_id });
    await expect(verify(tokens.body.access_token, 'api://my-api')).rejects.toThrow();

    const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token!, resource: MCP });
    expect(refreshed.status).toBe(200);
    expect((await verify(refreshed.body.access_token, MCP)).aud).toBe(MCP);
  });

  it('requires PKCE for the MCP resource even from a client allowed to skip it', async () => {
    const browser = new OAuthClient(auth.issuer, { client: NO_PKCE });
    // The client's own policy: no PKCE needed for the FDX API.
    const fdx = await browser.authorize({ codeChallengeMethod: null });
    expect(fdx.error).toBeNull();
    expect(fdx.code).toBeTruthy();
    // The same request for the MCP resource is refused.
    const refused = await browser.get(browser.authorizeUrl({ challenge: 'x', state: 's1', codeChallengeMethod: null, resource: MCP }));
    expect(codeFrom(refused).error).toBe('invalid_request');
    // And a code issued without PKCE for the FDX API cannot be exchanged for an MCP token.
    const swap = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: fdx.code!, redirect_uri: NO_PKCE.redirect_uris[0]!, resource: MCP },
      basic(NO_PKCE.client_id, NO_PKCE.client_secret),
    );
    expect(swap.status).toBe(400);
    expect(swap.body.error).toBe('invalid_target');
  });

  it('lets a public client get an MCP token with PKCE, and refuses an unknown resource', async () => {
    const browser = new OAuthClient(auth.issuer, { client: { ...PUBLIC_CLIENT, client_secret: '' } });
    const { code, verifier } = await browser.authorize({ resource: MCP });
    const tokens = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: code!, redirect_uri: PUBLIC_CLIENT.redirect_uris[0]!, code_verifier: verifier, client_id: PUBLIC_CLIENT.client_id, resource: MCP },
      null,
    );
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect((await verify(tokens.body.access_token, MCP)).aud).toBe(MCP);

    const { challenge } = pkcePair();
    const unknown = await browser.get(browser.authorizeUrl({ challenge, state: 's2', resource: 'https://api.bank.test/other' }));
    expect(codeFrom(unknown).error).toBe('invalid_target');
  });
});
