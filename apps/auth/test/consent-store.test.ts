import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { ConsentStore } from '../src/consents/consent-store.js';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';

const DAY = 86_400_000;

describe.each(ENGINES)('consent store on %s', (engine) => {
  let store: TestStore;
  let database: AuthDatabase;
  let now = Date.parse('2026-12-04T06:00:00Z');
  let consents: ConsentStore;

  beforeAll(async () => {
    store = await createTestStore(engine);
    database = await openAuthDatabase(store.config);
    consents = new ConsentStore(database.db, () => now);
  });
  afterAll(async () => {
    await database?.close();
    await store?.cleanup();
  });

  /** A grant with a refresh token and an access token under it, as oidc-provider's adapter stores them. */
  async function grantWithTokens(grantId: string) {
    const base = { payload: '{}', user_code: null, uid: null, consumed_at: null, expires_at: now + DAY, account_id: null, client_id: null };
    await database.db
      .insertInto('oidc_models')
      .values([
        { ...base, model: 'Grant', id: grantId, grant_id: null, account_id: 'cust-1', client_id: 'rp' },
        { ...base, model: 'RefreshToken', id: `rt-${grantId}`, grant_id: grantId },
        { ...base, model: 'AuthorizationCode', id: `code-${grantId}`, grant_id: grantId },
      ])
      .execute();
  }
  const rowsOf = async (grantId: string) =>
    (await database.db.selectFrom('oidc_models').select('model').where((eb) => eb.or([eb('id', '=', grantId), eb('grant_id', '=', grantId)])).execute()).length;

  const input = (grantId: string, over: Partial<Parameters<ConsentStore['create']>[0]> = {}) => ({
    grantId,
    clientId: 'rp',
    customerId: 'cust-1',
    scopes: ['openid', 'accounts:read', 'accounts:read'],
    accountIds: ['acc-1', 'acc-2'],
    durationDays: 365,
    ...over,
  });

  it('creates a consent and finds it by id, by grant and for its customer', async () => {
    const created = await consents.create(input('g-create'));
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created).toMatchObject({ status: 'ACTIVE', scopes: ['openid', 'accounts:read'], accountIds: ['acc-1', 'acc-2'], expiresAt: now + 365 * DAY });
    expect(await consents.get(created.id)).toEqual(created);
    expect(await consents.byGrant('g-create')).toEqual(created);
    expect((await consents.listForCustomer('cust-1')).map((c) => c.id)).toContain(created.id);
    expect(await consents.get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('keeps null account ids apart from an explicit list (all accounts: the client selects)', async () => {
    const all = await consents.create(input('g-all', { accountIds: null }));
    expect((await consents.get(all.id))!.accountIds).toBeNull();
    const none = await consents.create(input('g-none', { accountIds: [] }));
    expect((await consents.get(none.id))!.accountIds).toEqual([]);
  });

  it('ends a consent once: status, who, why, a feed change, and its grant destroyed with its tokens', async () => {
    await grantWithTokens('g-end');
    const consent = await consents.create(input('g-end'));
    expect(await rowsOf('g-end')).toBe(3);
    now += 1000;
    const ended = await consents.end(consent.id, { status: 'REVOKED', by: 'client', reason: 'USER_ACTION', initiator: 'support ticket 42' });
    expect(ended!.changed).toBe(true);
    expect(ended!.consent).toMatchObject({ status: 'REVOKED', endedBy: 'client', endReason: 'USER_ACTION', initiator: 'support ticket 42', endedAt: now, updatedAt: now });
    expect(await rowsOf('g-end')).toBe(0);

    const again = await consents.end(consent.id, { status: 'REVOKED', by: 'operator', reason: 'other' });
    expect(again!.changed).toBe(false);
    expect(again!.consent.endedBy).toBe('client');
    const history = await consents.history(consent.id);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ consentId: consent.id, status: 'REVOKED', endedBy: 'client', reason: 'USER_ACTION', at: now });
    expect(await consents.end('00000000-0000-4000-8000-000000000000', { status: 'REVOKED', by: 'operator' })).toBeUndefined();
  });

  it('serves the change feed in seq order: from a seq, and from now without one', async () => {
    const start = await consents.changesAfter(undefined, 1000, now + 1);
    expect(start.changes).toEqual([]);
    const from = start.next;
    const a = await consents.create(input('g-feed-a'));
    const b = await consents.create(input('g-feed-b'));
    now += 1000;
    await consents.end(a.id, { status: 'REVOKED', by: 'customer' });
    await consents.end(b.id, { status: 'EXPIRED', by: 'system' });
    const page = await consents.changesAfter(from, 1000);
    expect(page.changes.map((c) => [c.consentId, c.status])).toEqual([
      [a.id, 'REVOKED'],
      [b.id, 'EXPIRED'],
    ]);
    expect(page.changes[1]!.seq).toBeGreaterThan(page.changes[0]!.seq);
    expect(page.next).toBe(page.changes[1]!.seq);
    expect(await consents.changesAfter(page.next, 1000)).toEqual({ changes: [], next: page.next });
    const limited = await consents.changesAfter(from, 1);
    expect(limited.changes.map((c) => c.consentId)).toEqual([a.id]);
    expect(limited.next).toBe(page.changes[0]!.seq);
    // Without `after`: the recent changes, and the highest seq to go on from.
    const recent = await consents.changesAfter(undefined, 1000, now - 10);
    expect(recent.changes.map((c) => c.consentId)).toEqual([a.id, b.id]);
    expect(recent.next).toBe(page.next);
  });

  it('expires due consents as the system and lists ended ones for 13 months', async () => {
    await grantWithTokens('g-expire');
    const short = await consents.create(input('g-expire', { customerId: 'cust-exp', durationDays: 1 }));
    const long = await consents.create(input('g-keep', { customerId: 'cust-exp', durationDays: 30 }));
    now += DAY;
    const expired = await consents.expireDue();
    expect(expired.map((c) => c.id)).toEqual([short.id]);
    expect(await consents.get(short.id)).toMatchObject({ status: 'EXPIRED', endedBy: 'system', endReason: 'expired' });
    expect(await rowsOf('g-expire')).toBe(0);
    expect((await consents.get(long.id))!.status).toBe('ACTIVE');
    expect(await consents.expireDue()).toEqual([]);

    now += 395 * DAY;
    expect((await consents.listForCustomer('cust-exp')).map((c) => c.id).sort()).toEqual([short.id, long.id].sort());
    now += 2 * DAY;
    expect((await consents.listForCustomer('cust-exp')).map((c) => c.id)).toEqual([long.id]);
    expect(await consents.prune()).toBeGreaterThanOrEqual(2);
    expect(await consents.get(short.id)).toBeUndefined();
    expect(await consents.history(short.id)).toEqual([]);
  });

  it('touches last-used at most once a minute', async () => {
    const consent = await consents.create(input('g-touch'));
    await consents.touch(consent.id);
    const first = (await consents.get(consent.id))!.lastUsedAt;
    expect(first).toBe(now);
    now += 30_000;
    await consents.touch(consent.id);
    expect((await consents.get(consent.id))!.lastUsedAt).toBe(first);
    now += 31_000;
    await consents.touch(consent.id);
    expect((await consents.get(consent.id))!.lastUsedAt).toBe(now);
  });

  it('ends a grant’s consent when the grant goes another way, once', async () => {
    const consent = await consents.create(input('g-by-grant'));
    expect((await consents.endByGrant('g-by-grant', { status: 'REVOKED', by: 'client', reason: 'token_revoked' }))!.id).toBe(consent.id);
    expect(await consents.endByGrant('g-by-grant', { status: 'REVOKED', by: 'client' })).toBeUndefined();
    expect(await consents.endByGrant('g-unknown', { status: 'REVOKED', by: 'client' })).toBeUndefined();
  });

  it('numbers concurrent endings in commit order', async () => {
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => consents.create(input(`g-race-${i}`))));
    const { next: from } = await consents.changesAfter(undefined, 1, now + 1);
    await Promise.all(many.map((c) => consents.end(c.id, { status: 'REVOKED', by: 'operator' })));
    const page = await consents.changesAfter(from, 1000);
    expect(page.changes.map((c) => c.consentId).sort()).toEqual(many.map((c) => c.id).sort());
  });
});
