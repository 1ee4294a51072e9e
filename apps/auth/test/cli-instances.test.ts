import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, OAuthClient, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';
import { json, kitFor, type KitResult } from './helpers/kit.js';

const REDIRECT = 'https://aggregator.example.test/cb';

/** Polls until `check` holds: every instance takes operator changes up within seconds. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('an instance did not pick the change up');
}

describe.each(ENGINES)('operator changes reach every OP instance on one %s database, without restart', (engine) => {
  let store: TestStore;
  let a: TestAuth;
  let b: TestAuth;
  let kit: (...argv: string[]) => Promise<KitResult>;

  beforeAll(async () => {
    store = await createTestStore(engine);
    a = await startTestAuth(store, { KEYS_RELOAD_INTERVAL: '1' });
    b = await startTestAuth(store, { OP_ISSUER: a.issuer, KEYS_RELOAD_INTERVAL: '1' });
    kit = kitFor(a.config);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await store?.cleanup();
  });

  it('a client added, then disabled, on A is accepted, then refused, on B', async () => {
    const client = json<{ clientId: string; clientSecret: string }>(await kit('clients', 'add', '--name', 'Both', '--redirect-uri', REDIRECT, '--json'));
    const browser = new OAuthClient(a.issuer, { client: { client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: [REDIRECT] } });
    const { code, verifier } = await browser.authorize({ scope: 'openid offline_access', prompt: 'consent' });
    const auth = basic(client.clientId, client.clientSecret);
    const tokens = await tokenRequest(b.url, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: REDIRECT }, auth);
    expect(tokens.status).toBe(200);

    expect((await kit('clients', 'disable', client.clientId)).code).toBe(0);
    const refused = await tokenRequest(b.url, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token! }, auth);
    expect(refused.body.error).toBe('invalid_client');
  });

  it('a promoted key is published and signs on both instances', async () => {
    const key = json<{ kid: string }>(await kit('keys', 'generate', '--promote-after', '0s', '--force', '--json'));
    for (const instance of [a, b]) {
      await eventually(async () => {
        const { keys } = (await (await fetch(`${instance.url}/jwks`)).json()) as { keys: { kid: string }[] };
        return keys[0]?.kid === key.kid;
      });
    }
    const { code, verifier } = await new OAuthClient(a.issuer).authorize({ prompt: 'consent' });
    const issued = await tokenRequest(b.url, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: 'https://rp.example.test/callback' });
    expect(issued.status).toBe(200);
    expect(decodeProtectedHeader(issued.body.access_token).kid).toBe(key.kid);
  });
});
