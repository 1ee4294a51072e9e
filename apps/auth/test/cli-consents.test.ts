import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, OAuthClient, tokenRequest } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { startTestAuth, TEST_INTERNAL_SECRET, type TestAuth } from './helpers/auth-server.js';
import { json, kitFor, type KitResult } from './helpers/kit.js';

interface ConsentView {
  consentId: string;
  status: string;
  customer: string;
  client: string;
  accounts: string[] | null;
  grantId: string;
  endedBy: string | null;
  endReason: string | null;
  changed?: boolean;
}

describe.each(ENGINES)('consents end every way the operator and the system end them, on %s', (engine) => {
  let store: TestStore;
  let auth: TestAuth;
  let database: AuthDatabase;
  let kit: (...argv: string[]) => Promise<KitResult>;

  beforeAll(async () => {
    store = await createTestStore(engine);
    // The sweeper every second: expiry is seen quickly.
    auth = await startTestAuth(store, { SWEEP_INTERVAL: '1', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' });
    database = await openAuthDatabase(store.config);
    kit = kitFor(auth.config);
  });
  afterAll(async () => {
    await database?.close();
    await auth?.close();
    await store?.cleanup();
  });

  async function consent(account?: string[]) {
    const browser = new OAuthClient(auth.issuer);
    const { page, verifier } = await browser.startAuthorization({ prompt: 'consent' });
    const confirm = page.body.includes('id="login-form"') ? await browser.login(page) : page;
    const done = await browser.submit(confirm, 'confirm', account ? { account } : {});
    const code = new URL(done.location!).searchParams.get('code')!;
    const tokens = (await exchange(auth.issuer, code, verifier)).body;
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${auth.issuer}/jwks`)), { audience: 'api://my-api' });
    return { id: payload.fdxConsentId as string, refreshToken: tokens.refresh_token! };
  }
  const feed = async () => {
    const res = await fetch(`${auth.url}/internal/v1/consents/changes?after=0`, { headers: { authorization: `Bearer ${TEST_INTERNAL_SECRET}` } });
    return ((await res.json()) as { changes: { consentId: string; status: string }[] }).changes;
  };
  const until = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const auditDetail = (type: string, consentId: string) =>
    until(`${type} of ${consentId}`, async () => {
      const rows = await database.db.selectFrom('audit_events').select('detail').where('type', '=', type).execute();
      const row = rows.find((r) => r.detail?.includes(consentId));
      return row && (JSON.parse(row.detail!) as Record<string, unknown>);
    });

  it('lists, shows and revokes a consent (by the operator): refresh invalid_grant, a feed change, idempotent', async () => {
    const { id, refreshToken } = await consent(['acc-checking']);
    const listed = json<ConsentView[]>(await kit('consents', 'list', '--customer', 'cust-10001', '--json'));
    expect(listed.find((c) => c.consentId === id)).toMatchObject({ status: 'ACTIVE', client: 'test-rp', accounts: ['acc-checking'] });
    const text = await kit('consents', 'list', '--client', 'test-rp', '--active');
    expect(text.stdout).toMatch(/^consentId\s+status\s+customer\s+client\s+accounts\s+createdAt\s+expiresAt\s+endedBy\n/);
    expect(text.stdout).toContain(`${id}  ACTIVE  cust-10001  test-rp  acc-checking`);
    expect((await kit('consents', 'show', id)).stdout).toContain('accounts    acc-checking');

    const revoked = await kit('consents', 'revoke', id, '--reason', 'fraud report');
    expect(revoked).toMatchObject({ code: 0, stdout: `consent ${id} of cust-10001 to test-rp revoked\n` });
    expect(json<ConsentView>(await kit('consents', 'show', id, '--json'))).toMatchObject({ status: 'REVOKED', endedBy: 'operator', endReason: 'fraud report' });
    expect((await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: refreshToken })).body.error).toBe('invalid_grant');
    expect(await feed()).toContainEqual(expect.objectContaining({ consentId: id, status: 'REVOKED' }));
    expect(await auditDetail('consent.ended', id)).toMatchObject({ by: 'operator', reason: 'fraud report', initiator: 'cli' });
    expect(json<ConsentView>(await kit('consents', 'revoke', id, '--json'))).toMatchObject({ changed: false, endedBy: 'operator' });
    expect((await kit('consents', 'list', '--client', 'test-rp', '--active', '--json')).stdout).not.toContain(id);

    expect((await kit('consents', 'revoke', '00000000-0000-4000-8000-000000000000')).code).toBe(3);
    expect((await kit('consents', 'show', 'nope')).code).toBe(3);
    expect((await kit('consents', 'list')).code).toBe(2);
  });

  it('ends the consent of a grant the operator revokes', async () => {
    const { id } = await consent();
    const { grantId } = json<ConsentView>(await kit('consents', 'show', id, '--json'));
    expect((await kit('grants', 'revoke', '--', grantId)).code).toBe(0);
    expect(json<ConsentView>(await kit('consents', 'show', id, '--json'))).toMatchObject({ status: 'REVOKED', endedBy: 'operator', endReason: 'grant_revoked' });
  });

  it('expires a consent past its expiry within a sweep: EXPIRED by the system, a feed change, consent.expired', async () => {
    const { id, refreshToken } = await consent();
    await database.db.updateTable('consents').set({ expires_at: Date.now() - 1000 }).where('id', '=', id).execute();
    await until('the sweeper', async () => ((await feed()).some((c) => c.consentId === id && c.status === 'EXPIRED') ? true : undefined));
    expect(json<ConsentView>(await kit('consents', 'show', id, '--json'))).toMatchObject({ status: 'EXPIRED', endedBy: 'system', endReason: 'expired' });
    expect(await auditDetail('consent.expired', id)).toMatchObject({ by: 'system', status: 'EXPIRED' });
    expect((await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: refreshToken })).body.error).toBe('invalid_grant');
  });

  it('ends every consent of a customer the operator blocks', async () => {
    const a = await consent();
    const b = await consent(['acc-savings']);
    const blocked = json<{ consentsEnded: number }>(await kit('customers', 'block', 'cust-10001', '--json'));
    expect(blocked.consentsEnded).toBeGreaterThanOrEqual(2);
    for (const { id } of [a, b]) {
      expect(json<ConsentView>(await kit('consents', 'show', id, '--json'))).toMatchObject({ status: 'REVOKED', endedBy: 'operator', endReason: 'customer_blocked' });
    }
    expect(json<ConsentView[]>(await kit('consents', 'list', '--customer', 'cust-10001', '--active', '--json'))).toEqual([]);
    await kit('customers', 'unblock', 'cust-10001');
  });

  it('ends every consent of a customer the operator deletes', async () => {
    const { id } = await consent();
    const deleted = json<{ consentsEnded: number }>(await kit('customers', 'delete', 'cust-10001', '--json'));
    expect(deleted.consentsEnded).toBe(1);
    expect(json<ConsentView>(await kit('consents', 'show', id, '--json'))).toMatchObject({ status: 'REVOKED', endedBy: 'operator', endReason: 'customer_deleted' });
  });
});
