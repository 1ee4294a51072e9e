// Dynamic registration under attack: the client cap holds when registrations race on two
// instances, and a registered client can not make the OP fetch loopback or private addresses.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthClient } from '@kit/harness/oauth';
import { openAuthDatabase } from '../src/db/open.js';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const IAT = 'test-initial-access-token-0123456789abcdef';
const MAX = 5;

function register(issuer: string, metadata: Record<string, unknown>) {
  return fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${IAT}` },
    body: JSON.stringify(metadata),
  });
}

describe.each(ENGINES)('dynamic registration limits on %s', (engine) => {
  let store: TestStore;
  let a: TestAuth;
  let b: TestAuth;

  beforeAll(async () => {
    store = await createTestStore(engine);
    const env = { REGISTRATION_INITIAL_ACCESS_TOKEN: IAT, REGISTRATION_MAX_CLIENTS: String(MAX) };
    a = await startTestAuth(store, env);
    b = await startTestAuth(store, { ...env, OP_ISSUER: a.issuer });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await store?.cleanup();
  });

  it('never stores more clients than the cap, however many registrations race on two instances', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 * MAX }, (_, i) =>
        register(i % 2 ? b.url : a.url, { redirect_uris: [`https://rp${i}.example/cb`], client_name: `Racer ${i}` }).then(async (res) => ({
          status: res.status,
          body: (await res.json()) as { error?: string },
        })),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    expect(created).toHaveLength(MAX);
    for (const r of refused) expect(r).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_client_metadata' }) });

    const database = await openAuthDatabase(store.config);
    try {
      const { n } = await database.db
        .selectFrom('oidc_models')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('model', '=', 'Client')
        .executeTakeFirstOrThrow();
      expect(Number(n)).toBe(MAX);
    } finally {
      await database.close();
    }
  });
});

describe('outbound fetches of registered clients', () => {
  let store: TestStore;
  let auth: TestAuth;
  let jwksHost: Server;
  let requests = 0;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    auth = await startTestAuth(store, { REGISTRATION_INITIAL_ACCESS_TOKEN: IAT });
    jwksHost = createServer((_req, res) => {
      requests++;
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [] }));
    });
    await new Promise<void>((resolve) => jwksHost.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => jwksHost?.close(resolve));
    await auth?.close();
    await store?.cleanup();
  });

  it('marks a registered client on the consent page as naming itself, and an operator-configured one not', async () => {
    const res = await register(auth.url, { redirect_uris: ['https://rp.example/cb'], client_name: 'Totally Your Bank' });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as { client_id: string; client_secret: string };
    const self = new OAuthClient(auth.issuer, { client: { ...registered, redirect_uris: ['https://rp.example/cb'] } });
    const { page } = await self.startAuthorization({ scope: 'openid accounts:read', prompt: 'consent' });
    const consent = await self.login(page);
    expect(consent.body).toContain('id="consent-allow"');
    expect(consent.body).toContain('id="consent-self-registered"');
    expect(consent.body).toContain('Totally Your Bank');

    const operator = new OAuthClient(auth.issuer);
    const { page: first } = await operator.startAuthorization({ prompt: 'consent' });
    const operatorConsent = await operator.login(first);
    expect(operatorConsent.body).toContain('id="consent-allow"');
    expect(operatorConsent.body).not.toContain('consent-self-registered');
  });

  it('refuses a jwks_uri that is not https, and never fetches it', async () => {
    const res = await register(auth.url, {
      redirect_uris: ['https://rp.example/cb'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks_uri: `http://127.0.0.1:${(jwksHost.address() as AddressInfo).port}/jwks`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: 'jwks_uri must be an https URL' });
    expect(requests).toBe(0);
  });
});
