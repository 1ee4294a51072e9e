import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, exchange, OAuthClient, TEST_CLIENT, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';
import { json, kitFor, type KitResult } from './helpers/kit.js';

interface Grant {
  grantId: string;
  customer: string;
  client: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
}

describe.each(ENGINES)('pnpm kit grants on %s', (engine) => {
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

  const introspect = async (token: string) => {
    const res = await fetch(`${auth.issuer}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(TEST_CLIENT.client_id, TEST_CLIENT.client_secret) },
      body: new URLSearchParams({ token }).toString(),
    });
    return ((await res.json()) as { active: boolean }).active;
  };

  it('lists a customer’s grants and revokes one the way the OP does: refresh invalid_grant, refresh token inactive', async () => {
    const browser = new OAuthClient(auth.issuer);
    const { code, verifier } = await browser.authorize({ prompt: 'consent' });
    const tokens = (await exchange(auth.issuer, code!, verifier)).body;
    // API access tokens are JWTs the API verifies itself (they live out ACCESS_TOKEN_TTL); the
    // refresh token is the OP's own record of the grant.
    expect(await introspect(tokens.refresh_token!)).toBe(true);

    const listed = await kit('grants', 'list', '--customer', 'cust-10001', '--json');
    expect(listed.code).toBe(0);
    const grants = json<Grant[]>(listed);
    expect(grants).toHaveLength(1);
    const [grant] = grants;
    expect(grant).toMatchObject({ customer: 'cust-10001', client: TEST_CLIENT.client_id });
    expect(grant!.scopes).toEqual(expect.arrayContaining(['openid', 'offline_access', 'accounts:read']));
    expect(Date.parse(grant!.expiresAt)).toBeGreaterThan(Date.parse(grant!.createdAt));
    expect(json<Grant[]>(await kit('grants', 'list', '--client', TEST_CLIENT.client_id, '--json')).map((g) => g.grantId)).toEqual([grant!.grantId]);
    expect(json<Grant[]>(await kit('grants', 'list', '--customer', 'cust-10002', '--json'))).toEqual([]);
    const text = await kit('grants', 'list', '--customer', 'cust-10001');
    expect(text.stdout).toMatch(/^grantId\s+customer\s+client\s+scopes\s+createdAt\s+expiresAt\n/);
    expect(text.stdout).toContain(`${grant!.grantId}  cust-10001  test-rp`);

    const revoked = await kit('grants', 'revoke', '--', grant!.grantId);
    expect(revoked).toMatchObject({ code: 0, stdout: `grant ${grant!.grantId} of cust-10001 to test-rp revoked\n` });

    const refreshed = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
    expect(await introspect(tokens.refresh_token!)).toBe(false);
    expect(json<Grant[]>(await kit('grants', 'list', '--customer', 'cust-10001', '--json'))).toEqual([]);

    const again = await kit('grants', 'revoke', '--json', '--', grant!.grantId);
    expect(again.code).toBe(3);
    expect(json(again)).toEqual({ error: `no grant ${grant!.grantId}`, exitCode: 3 });
  });

  it('asks for --customer or --client (exit 2)', async () => {
    const res = await kit('grants', 'list');
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('give --customer <id> or --client <id>');
    expect((await kit('grants', 'revoke')).code).toBe(2);
  });
});
