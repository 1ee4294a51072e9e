import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, OAuthClient, tokenRequest } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const IAT = 'test-initial-access-token-0123456789abcdef';

describe('dynamic client registration (RFC 7591/7592)', () => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { REGISTRATION_INITIAL_ACCESS_TOKEN: IAT, REGISTRATION_MAX_CLIENTS: '2' });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  const register = (metadata: Record<string, unknown>, token: string | null = IAT) =>
    fetch(`${auth.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(metadata),
    });

  const valid = { redirect_uris: ['https://aggregator.example/cb'], client_name: 'Aggregator', scope: 'openid offline_access accounts:read' };

  it('refuses registration without the initial access token', async () => {
    const res = await register(valid, null);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
  });

  it.each([
    ['an http redirect URI', { redirect_uris: ['http://aggregator.example/cb'] }, 'invalid_redirect_uri'],
    ['a fragment', { redirect_uris: ['https://aggregator.example/cb#x'] }, 'invalid_redirect_uri'],
    ['an unknown scope', { redirect_uris: ['https://aggregator.example/cb'], scope: 'openid admin' }, 'invalid_client_metadata'],
    ['require_pkce false', { redirect_uris: ['https://aggregator.example/cb'], require_pkce: false }, 'invalid_client_metadata'],
    ['the implicit grant', { redirect_uris: ['https://aggregator.example/cb'], grant_types: ['implicit'], response_types: ['id_token'] }, 'invalid_client_metadata'],
  ])('refuses %s', async (_name, metadata, error) => {
    const res = await register(metadata);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe(error);
  });

  it('registers a client that can log in, be read, and be deleted; stops at the cap', async () => {
    const res = await register(valid);
    expect(res.status).toBe(201);
    const client = (await res.json()) as Record<string, string>;
    expect(client.client_id).toBeTruthy();
    expect(client.registration_access_token).toBeTruthy();

    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize({ clientId: client.client_id, redirectUri: valid.redirect_uris[0], scope: 'openid accounts:read' });
    const tokens = await tokenRequest(
      auth.issuer,
      { grant_type: 'authorization_code', code: code!, redirect_uri: valid.redirect_uris[0]!, code_verifier: verifier },
      basic(client.client_id!, client.client_secret!),
    );
    expect(tokens.status).toBe(200);

    const read = await fetch(client.registration_client_uri!, { headers: { authorization: `Bearer ${client.registration_access_token}` } });
    expect(read.status).toBe(200);

    expect((await register({ ...valid, client_name: 'Second' })).status).toBe(201);
    const capped = await register({ ...valid, client_name: 'Third' });
    expect(capped.status).toBe(400);
    expect(((await capped.json()) as { error_description: string }).error_description).toContain('limit');

    const rotated = (await read.json()) as Record<string, string>;
    const del = await fetch(client.registration_client_uri!, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${rotated.registration_access_token ?? client.registration_access_token}` },
    });
    expect(del.status).toBe(204);
  });
});
