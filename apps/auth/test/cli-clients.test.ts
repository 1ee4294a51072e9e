import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { basic, OAuthClient, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';
import { openAuthDatabase } from '../src/db/open.js';
import { json, kitFor, type KitResult } from './helpers/kit.js';

const REDIRECT = 'https://aggregator.example.test/cb';

interface Added {
  clientId: string;
  clientSecret?: string;
  type: string;
  status: string;
  source: string;
}

describe.each(ENGINES)('pnpm kit clients on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let kit: (...argv: string[]) => Promise<KitResult>;

  beforeAll(async () => {
    store = await createTestStore(engine);
    auth = await startTestAuth(store);
    kit = kitFor(auth.config);
  });
  afterAll(async () => {
    await auth?.close();
    await store?.cleanup();
  });

  const database = () => openAuthDatabase(store.config);

  /** Login, consent and code exchange as `client`; returns the token response. */
  async function signIn(client: { client_id: string; client_secret: string }, scope = 'openid offline_access') {
    const browser = new OAuthClient(auth.issuer, { client: { ...client, redirect_uris: [REDIRECT] } });
    const { code, verifier } = await browser.authorize({ scope, prompt: 'consent' });
    return browser.exchange(code!, verifier);
  }

  const refresh = (clientId: string, secret: string, refreshToken: string) =>
    tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic(clientId, secret));

  it('adds a client that skips account selection with its own consent duration (capped), and shows both', async () => {
    const added = json<Added>(
      await kit('clients', 'add', '--name', 'Aggregator Two', '--redirect-uri', REDIRECT, '--skip-account-selection', '--consent-days', '90', '--json'),
    );
    expect(added).toMatchObject({ accountSelection: false, consentDurationDays: 90 });
    const shown = await kit('clients', 'show', added.clientId);
    expect(shown.stdout).toContain('accounts       all (the client selects them itself)');
    expect(shown.stdout).toContain('consent_days   90');
    const browser = new OAuthClient(auth.issuer, { client: { client_id: added.clientId, client_secret: added.clientSecret!, redirect_uris: [REDIRECT] } });
    const { page } = await browser.startAuthorization({ scope: 'openid offline_access accounts:read', prompt: 'consent' });
    const consent = await browser.login(page);
    expect(consent.body).toContain('id="consent-all-accounts"');
    expect(consent.body).toContain(new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
    const tooLong = await kit('clients', 'add', '--name', 'X', '--redirect-uri', REDIRECT, '--consent-days', '400');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('--consent-days must be a whole number of days from 1 to 396');
    const plain = json<Added>(await kit('clients', 'add', '--name', 'Aggregator Three', '--redirect-uri', REDIRECT, '--json'));
    expect(plain).toMatchObject({ accountSelection: true, consentDurationDays: null });
  });

  it('adds a client whose secret is shown once and that a running OP accepts at once', async () => {
    const added = await kit('clients', 'add', '--name', 'Aggregator', '--redirect-uri', REDIRECT, '--fdx-scope', 'accounts:read', '--json');
    expect(added.code).toBe(0);
    const client = json<Added>(added);
    expect(client).toMatchObject({ type: 'confidential', status: 'enabled', source: 'cli' });
    expect(client.clientSecret).toMatch(/^[\w-]{43}$/);
    expect(client.clientId).toMatch(/^[0-9a-f]{32}$/);

    const tokens = await signIn({ client_id: client.clientId, client_secret: client.clientSecret! });
    expect(tokens.status).toBe(200);
    // --fdx-scope: a request naming no data scope gets the configured one.
    expect(tokens.body.scope).toContain('accounts:read');

    const shown = await kit('clients', 'show', client.clientId, '--json');
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain(client.clientSecret);
    const listed = await kit('clients', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${client.clientId}\\s+Aggregator\\s+cli\\s+confidential\\s+enabled`));
    expect(listed.stdout).toMatch(/test-rp\s+Test Relying Party\s+static/);
    expect(listed.stdout).not.toContain(client.clientSecret);
  });

  it('adds a client that must push its authorization requests (--require-par)', async () => {
    const client = json<Added>(await kit('clients', 'add', '--name', 'Pusher', '--redirect-uri', REDIRECT, '--require-par', '--json'));
    expect(client).toMatchObject({ requirePar: true });
    const browser = new OAuthClient(auth.issuer, { client: { client_id: client.clientId, client_secret: client.clientSecret!, redirect_uris: [REDIRECT] } });
    const { page } = await browser.startAuthorization();
    expect(new URL(page.location!).searchParams.get('error')).toBe('invalid_request');
    const { code, verifier } = await browser.authorize({ par: true, prompt: 'consent' });
    expect((await browser.exchange(code!, verifier)).status).toBe(200);
    expect((await kit('clients', 'show', client.clientId)).stdout).toMatch(/require_par\s+yes/);
  });

  it('prints the secret once in text, with a warning to store it', async () => {
    const added = await kit('clients', 'add', '--name', 'Texty', '--redirect-uri', REDIRECT, '--id', `texty-${engine}`);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`client_id      texty-${engine}`);
    expect(added.stdout).toMatch(/client_secret {2}[\w-]{43}\n/);
    expect(added.stdout).toContain('shown only this once');
    const again = await kit('clients', 'add', '--name', 'Texty', '--redirect-uri', REDIRECT, '--id', `texty-${engine}`);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain(`client texty-${engine} exists`);
  });

  it('adds a public client: no secret, PKCE only', async () => {
    const added = await kit('clients', 'add', '--name', 'Mobile', '--redirect-uri', 'http://127.0.0.1/cb', '--public', '--json');
    expect(added.code).toBe(0);
    const client = json<Added>(added);
    expect(client.type).toBe('public');
    expect(client.clientSecret).toBeUndefined();
    const rotate = await kit('clients', 'rotate-secret', client.clientId);
    expect(rotate.code).toBe(2);
    expect(rotate.stderr).toContain('is public');
  });

  it('sets a client’s own rate limits, which its next access token carries for the API', async () => {
    const added = await kit('clients', 'add', '--name', 'Plaid-like', '--redirect-uri', REDIRECT, '--api-per-customer-per-minute', '120', '--json');
    expect(added.code).toBe(0);
    const client = json<Added & { rateLimits: Record<string, number> }>(added);
    expect(client.rateLimits).toEqual({ api_per_customer_per_minute: 120 });
    const credentials = { client_id: client.clientId, client_secret: client.clientSecret! };
    // An operator-added confidential client: the operator defaults for what it does not set.
    expect(decodeJwt((await signIn(credentials)).body.access_token).rl).toEqual({ api_per_minute: 90_000, api_per_customer_per_minute: 120 });

    const set = await kit('clients', 'set-limits', client.clientId, '--api-per-minute', '0', '--token-per-minute', '20000');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('rate_limits: token_per_minute=20000 api_per_minute=0 api_per_customer_per_minute=120');
    // The running OP reads the new metadata at once (no restart).
    expect(decodeJwt((await signIn(credentials)).body.access_token).rl).toEqual({ api_per_minute: 0, api_per_customer_per_minute: 120 });

    const reset = await kit('clients', 'set-limits', client.clientId, '--reset', '--json');
    expect(json<{ rateLimits: Record<string, number> }>(reset).rateLimits).toEqual({});
    expect((await kit('clients', 'set-limits', client.clientId, '--api-per-minute', 'lots')).code).toBe(2);
    expect((await kit('clients', 'set-limits', client.clientId)).code).toBe(2);
    expect((await kit('clients', 'set-limits', 'test-rp', '--api-per-minute', '1')).code).toBe(4);
    const shown = await kit('clients', 'show', client.clientId);
    expect(shown.stdout).toContain('rate_limits    (defaults for its kind)');
  });

  it('rotates a secret: the old one is refused, the new one works', async () => {
    const client = json<Added>(await kit('clients', 'add', '--name', 'Rotating', '--redirect-uri', REDIRECT, '--json'));
    const tokens = await signIn({ client_id: client.clientId, client_secret: client.clientSecret! });
    expect(tokens.status).toBe(200);

    const rotated = await kit('clients', 'rotate-secret', client.clientId, '--json');
    expect(rotated.code).toBe(0);
    const fresh = json<Added>(rotated).clientSecret!;
    expect(fresh).not.toBe(client.clientSecret);

    const old = await refresh(client.clientId, client.clientSecret!, tokens.body.refresh_token!);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    const ok = await refresh(client.clientId, fresh, tokens.body.refresh_token!);
    expect(ok.status).toBe(200);
  });

  it('disables a client (invalid_client at the token and authorization endpoints) and enables it again', async () => {
    const client = json<Added>(await kit('clients', 'add', '--name', 'Switch', '--redirect-uri', REDIRECT, '--json'));
    const tokens = await signIn({ client_id: client.clientId, client_secret: client.clientSecret! });

    const disabled = await kit('clients', 'disable', client.clientId);
    expect(disabled).toMatchObject({ code: 0, stdout: `client ${client.clientId} disabled\n` });
    const refused = await refresh(client.clientId, client.clientSecret!, tokens.body.refresh_token!);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    const browser = new OAuthClient(auth.issuer, { client: { client_id: client.clientId, client_secret: client.clientSecret!, redirect_uris: [REDIRECT] } });
    const { page } = await browser.startAuthorization({ scope: 'openid' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('invalid_client');
    expect(json<Added>(await kit('clients', 'show', client.clientId, '--json')).status).toBe('disabled');

    expect((await kit('clients', 'enable', client.clientId)).code).toBe(0);
    const again = await refresh(client.clientId, client.clientSecret!, tokens.body.refresh_token!);
    expect(again.status).toBe(200);
  });

  it('deletes a client and revokes its grants', async () => {
    const client = json<Added>(await kit('clients', 'add', '--name', 'Leaving', '--redirect-uri', REDIRECT, '--json'));
    await signIn({ client_id: client.clientId, client_secret: client.clientSecret! });
    expect(json<unknown[]>(await kit('grants', 'list', '--client', client.clientId, '--json')).length).toBe(1);

    const deleted = await kit('clients', 'delete', client.clientId);
    expect(deleted).toMatchObject({ code: 0, stdout: `client ${client.clientId} deleted; 1 grant(s) revoked\n` });
    expect(json<unknown[]>(await kit('grants', 'list', '--client', client.clientId, '--json'))).toEqual([]);
    const gone = await kit('clients', 'show', client.clientId, '--json');
    expect(gone.code).toBe(3);
    expect(json(gone)).toEqual({ error: `no client ${client.clientId}`, exitCode: 3 });
    expect((await kit('clients', 'delete', client.clientId)).code).toBe(3);
  });

  it('lists a client registered over HTTP, leaves its changes to RFC 7592 (exit 4), and deletes it with its access token', async () => {
    const res = await fetch(`${auth.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${auth.config.registration.initialAccessToken}` },
      body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'Registered' }),
    });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as { client_id: string; client_secret: string; registration_client_uri: string; registration_access_token: string };
    const listed = json<Added[]>(await kit('clients', 'list', '--json')).find((c) => c.clientId === registered.client_id);
    expect(listed).toMatchObject({ source: 'registration', status: 'enabled' });
    expect(JSON.stringify(listed)).not.toContain(registered.client_secret);

    const disable = await kit('clients', 'disable', '--', registered.client_id);
    expect(disable.code).toBe(4);
    expect(disable.stderr).toContain('registered over HTTP');

    expect((await kit('clients', 'delete', '--', registered.client_id)).code).toBe(0);
    const read = await fetch(registered.registration_client_uri, { headers: { authorization: `Bearer ${registered.registration_access_token}` } });
    expect(read.status).toBe(401);
    const tokens = await database().then(async (db) => {
      try {
        return await db.db.selectFrom('oidc_models').select('id').where('model', '=', 'RegistrationAccessToken').execute();
      } finally {
        await db.close();
      }
    });
    expect(tokens).toEqual([]);
  });

  it('refuses to add or change a static client (exit 4)', async () => {
    const add = await kit('clients', 'add', '--name', 'Shadow', '--redirect-uri', REDIRECT, '--id', TEST_CLIENT.client_id);
    expect(add.code).toBe(4);
    expect(add.stderr).toContain('configured statically');
    for (const verb of ['rotate-secret', 'disable', 'enable', 'delete']) {
      expect((await kit('clients', verb, TEST_CLIENT.client_id)).code).toBe(4);
    }
  });

  it('explains bad arguments (exit 2) and unknown clients (exit 3)', async () => {
    expect((await kit('clients', 'add', '--redirect-uri', REDIRECT)).stderr).toContain('--name is required');
    expect((await kit('clients', 'add', '--name', 'X')).code).toBe(2);
    const insecure = await kit('clients', 'add', '--name', 'X', '--redirect-uri', 'http://aggregator.example/cb');
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toContain('must be https');
    const scope = await kit('clients', 'add', '--name', 'X', '--redirect-uri', REDIRECT, '--fdx-scope', 'payments:write');
    expect(scope.code).toBe(2);
    const unknownScope = await kit('clients', 'add', '--name', 'X', '--redirect-uri', REDIRECT, '--scope', 'openid admin');
    expect(unknownScope.code).toBe(2);
    expect(unknownScope.stderr).toContain('scope: unknown admin');
    const grantTypes = await kit('clients', 'add', '--name', 'X', '--redirect-uri', REDIRECT, '--grant-type', 'refresh_token');
    expect(grantTypes.code).toBe(2);
    expect(grantTypes.stderr).toContain('authorization_code is required');
    for (const verb of ['show', 'rotate-secret', 'disable', 'enable', 'delete']) {
      const res = await kit('clients', verb, 'nobody');
      expect(res.code).toBe(3);
      expect(res.stderr).toContain('no client nobody');
    }
  });
});
