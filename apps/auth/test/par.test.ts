// Pushed authorization requests (RFC 9126), required per client or for all, and the `iss`
// authorization response parameter (RFC 9207) that lets a client tell which OP answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, TEST_CLIENT } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { PUBLIC_CLIENT, startTestAuth, type TestAuth } from './helpers/auth-server.js';

const PAR_CLIENT = {
  ...TEST_CLIENT,
  client_id: 'par-rp',
  client_name: 'PAR-only client',
  require_pushed_authorization_requests: true,
};

/** Where the OP sent the browser back to, and the RFC 9207 / OAuth parameters on it. */
function callback(location: string | undefined) {
  const url = new URL(location ?? 'about:blank');
  const q = url.searchParams;
  return { origin: url.origin, code: q.get('code'), error: q.get('error'), description: q.get('error_description'), iss: q.get('iss') };
}

describe('pushed authorization requests and the iss response parameter', () => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { OIDC_CLIENTS: JSON.stringify([TEST_CLIENT, PUBLIC_CLIENT, PAR_CLIENT]) });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('advertises the PAR endpoint and iss in authorization responses, without requiring PAR of every client', async () => {
    const discovery = (await (await fetch(`${auth.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.pushed_authorization_request_endpoint).toBe(`${auth.issuer}/request`);
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
    expect(discovery.require_pushed_authorization_requests).toBeUndefined();
  });

  it('puts iss = the issuer on every authorization response, codes and errors alike', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { page } = await browser.startAuthorization({ prompt: 'consent' });
    const consent = await browser.login(page);
    const ok = callback((await browser.submit(consent, 'confirm')).location);
    expect(ok.code).toBeTruthy();
    expect(ok.iss).toBe(auth.issuer);

    const { page: again } = await browser.startAuthorization({ prompt: 'consent' });
    const denied = callback((await browser.submit(again, 'abort')).location);
    expect(denied.error).toBe('access_denied');
    expect(denied.iss).toBe(auth.issuer);
  });

  it('refuses a plain authorization request from a client that requires PAR, and serves its pushed one', async () => {
    const client = new OAuthClient(auth.issuer, { client: PAR_CLIENT });
    const { page } = await client.startAuthorization();
    expect(page.status).toBe(303);
    const refused = callback(page.location);
    expect(refused.origin).toBe(new URL(PAR_CLIENT.redirect_uris[0]!).origin);
    expect(refused.error).toBe('invalid_request');
    expect(refused.description).toMatch(/pushed authorization request/i);

    const { code, verifier } = await client.authorize({ par: true, prompt: 'consent' });
    expect(code).toBeTruthy();
    const tokens = await client.exchange(code!, verifier);
    expect(tokens.status, tokens.text).toBe(200);
    expect(tokens.body.access_token).toBeTruthy();
  });

  it('keeps a pushed request bound to the client that pushed it', async () => {
    const client = new OAuthClient(auth.issuer, { client: PAR_CLIENT });
    const pushedAs = await client.pushAuthorization(client.authorizeUrl({ challenge: 'x'.repeat(43), state: 's' }));
    const stolen = new URL(pushedAs);
    stolen.searchParams.set('client_id', TEST_CLIENT.client_id);
    const page = await new OAuthClient(auth.issuer).get(stolen.toString());
    // Not a code for the other client: an error page or an error sent to that client's redirect URI.
    expect(page.location ? callback(page.location).code : null).toBeNull();
    expect(page.status === 400 || callback(page.location).error !== null).toBe(true);
  });
});

describe('REQUIRE_PAR for every client', () => {
  let store: TestStore;
  let auth: TestAuth;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { REQUIRE_PAR: 'true' });
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  it('says so in discovery, refuses plain requests and completes pushed ones', async () => {
    const discovery = (await (await fetch(`${auth.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.require_pushed_authorization_requests).toBe(true);

    const client = new OAuthClient(auth.issuer);
    const { page } = await client.startAuthorization();
    expect(callback(page.location).error).toBe('invalid_request');

    const { code, verifier } = await client.authorize({ par: true, prompt: 'consent' });
    expect((await exchange(auth.issuer, code!, verifier)).status).toBe(200);
  });
});
