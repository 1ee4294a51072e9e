import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { KyselyAdapter } from '../src/db/kysely-adapter.js';
import { SecretIds } from '../src/db/secret-ids.js';
import { sweepExpired } from '../src/db/sweeper.js';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';

const ids = new SecretIds('test-token-hash-key-0123456789abcdef');

describe.each(ENGINES)('oidc-provider adapter on %s', (engine) => {
  let store: TestStore;
  let database: AuthDatabase;
  const adapter = (model: string) => new KyselyAdapter(database.db, model, ids);

  beforeAll(async () => {
    store = await createTestStore(engine);
    database = await openAuthDatabase(store.config);
  });
  afterAll(async () => {
    await database?.close();
    await store?.cleanup();
  });

  it('stores, finds and overwrites a payload by id, per model', async () => {
    await adapter('Session').upsert('s1', { uid: 'u1', accountId: 'cust-1' }, 60);
    await adapter('Session').upsert('s1', { uid: 'u1', accountId: 'cust-2' }, 60);
    expect(await adapter('Session').find('s1')).toEqual({ jti: 's1', uid: 'u1', accountId: 'cust-2' });
    expect(await adapter('Interaction').find('s1')).toBeUndefined();
  });

  it('finds sessions by uid and device codes by user code', async () => {
    await adapter('Session').upsert('s2', { uid: 'uid-2' }, 60);
    await adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g0' }, 60);
    expect(await adapter('Session').findByUid('uid-2')).toEqual({ uid: 'uid-2' });
    expect(await adapter('DeviceCode').findByUserCode('ABCD-EFGH')).toMatchObject({ userCode: 'ABCD-EFGH' });
    expect(await adapter('Session').findByUid('nope')).toBeUndefined();
  });

  it('does not return expired rows and sweeps them', async () => {
    const past = new KyselyAdapter(database.db, 'AccessToken', ids, () => Date.now() - 120_000);
    await past.upsert('old', { grantId: 'g-old' }, 60);
    expect(await adapter('AccessToken').find('old')).toBeUndefined();
    await adapter('Client').upsert('forever', { client_id: 'forever' });
    expect(await sweepExpired(database.db)).toBeGreaterThanOrEqual(1);
    expect(await adapter('Client').find('forever')).toEqual({ client_id: 'forever' });
  });

  it('marks a consumed token and refuses a second consume, revoking its grant', async () => {
    await adapter('Grant').upsert('g1', { accountId: 'cust-1' }, 600);
    await adapter('RefreshToken').upsert('rt1', { grantId: 'g1' }, 600);
    await adapter('AccessToken').upsert('at1', { grantId: 'g1' }, 600);
    await adapter('RefreshToken').consume('rt1');
    const consumed = await adapter('RefreshToken').find('rt1');
    expect(typeof consumed?.consumed).toBe('number');
    await expect(adapter('RefreshToken').consume('rt1')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await adapter('AccessToken').find('at1')).toBeUndefined();
    expect(await adapter('Grant').find('g1')).toBeUndefined();
  });

  it('lets exactly one of two concurrent consumes win', async () => {
    await adapter('RefreshToken').upsert('rt-race', { grantId: 'g-race' }, 600);
    const results = await Promise.allSettled([adapter('RefreshToken').consume('rt-race'), adapter('RefreshToken').consume('rt-race')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('keeps strict reuse detection outside the refresh grace period', async () => {
    const graceful = new KyselyAdapter(database.db, 'RefreshToken', ids, () => Date.now() + 60_000, { refreshReuseGraceMs: 10_000 });
    await adapter('RefreshToken').upsert('rt-old', { grantId: 'g-grace', iiat: 1, rotations: 1 }, 600);
    await adapter('RefreshToken').upsert('rt-old-next', { grantId: 'g-grace', iiat: 1, rotations: 2 }, 600);
    await adapter('RefreshToken').consume('rt-old');
    // A minute later (clock moved on), the rotated token is plain reuse: still consumed, successor kept.
    expect(typeof (await graceful.find('rt-old'))?.consumed).toBe('number');
    expect(await adapter('RefreshToken').find('rt-old-next')).toMatchObject({ rotations: 2 });
  });

  it('destroys one row and revokes every row of a grant for one model', async () => {
    await adapter('AccessToken').upsert('a1', { grantId: 'g2' }, 600);
    await adapter('AccessToken').upsert('a2', { grantId: 'g2' }, 600);
    await adapter('RefreshToken').upsert('r1', { grantId: 'g2' }, 600);
    await adapter('AccessToken').upsert('other', { grantId: 'g3' }, 600);
    await adapter('AccessToken').destroy('a1');
    expect(await adapter('AccessToken').find('a1')).toBeUndefined();
    await adapter('AccessToken').revokeByGrantId('g2');
    expect(await adapter('AccessToken').find('a2')).toBeUndefined();
    expect(await adapter('RefreshToken').find('r1')).toEqual({ grantId: 'g2', jti: 'r1' });
    expect(await adapter('AccessToken').find('other')).toEqual({ grantId: 'g3', jti: 'other' });
  });
});
