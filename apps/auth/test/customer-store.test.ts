import { hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { LocalCustomerDirectory } from '../src/customers/local/local-directory.js';
import { hashPassword, needsRehash, verifyPassword } from '../src/customers/passwords.js';
import { CustomerStore } from '../src/customers/store.js';
import { DEMO_USERS, seedDemoUsers } from '../src/demo/demo-users.js';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';
import { CustomerExists } from '../src/errors.js';

describe.each(ENGINES)('local customers on %s', (engine) => {
  let store: TestStore;
  let database: AuthDatabase;
  let customers: CustomerStore;
  let directory: LocalCustomerDirectory;
  const locked = new Set<string>();

  beforeAll(async () => {
    store = await createTestStore(engine);
    database = await openAuthDatabase(store.config);
    customers = new CustomerStore(database.db);
    directory = new LocalCustomerDirectory(customers, async (email) => locked.has(email));
    await seedDemoUsers(customers);
  });
  afterAll(async () => {
    await database?.close();
    await store?.cleanup();
  });

  it('seeds the demo customers once, with argon2id hashes and stable ids', async () => {
    await seedDemoUsers(customers);
    const rows = await database.db.selectFrom('users').select(['id', 'email', 'password_hash', 'blocked']).orderBy('id').execute();
    expect(rows.map((r) => r.id)).toEqual(DEMO_USERS.map((u) => u.id));
    expect(rows.every((r) => r.password_hash?.startsWith('$argon2id$v=19$m=19456,t=2,p=1$'))).toBe(true);
    expect(rows.find((r) => r.email === 'blocked@example.test')?.blocked).toBe(1);
  });

  it('authenticates case-insensitively by email and rejects wrong passwords and unknown emails', async () => {
    expect((await directory.login.authenticate(' USER@example.test ', 'passw0rd!'))?.id).toBe('cust-10001');
    expect(await directory.login.authenticate('user@example.test', 'passw0rd')).toBeUndefined();
    expect(await directory.login.authenticate('nobody@example.test', 'passw0rd!')).toBeUndefined();
  });

  it('rehashes a password stored with outdated parameters on the next login', async () => {
    const old = await hash('passw0rd!', { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    expect(needsRehash(old)).toBe(true);
    await database.db.updateTable('users').set({ password_hash: old }).where('id', '=', 'cust-10002').execute();
    expect((await directory.login.authenticate('user2@example.test', 'passw0rd!'))?.id).toBe('cust-10002');
    const row = await database.db.selectFrom('users').select('password_hash').where('id', '=', 'cust-10002').executeTakeFirstOrThrow();
    expect(row.password_hash).not.toBe(old);
    expect(needsRehash(row.password_hash!)).toBe(false);
    expect(await verifyPassword(row.password_hash!, 'passw0rd!')).toBe(true);
  });

  it('reports status and profile claims through the port: blocked, locked, active', async () => {
    expect(await directory.find('cust-10003')).toMatchObject({ status: 'blocked' });
    locked.add('user@example.test');
    expect(await directory.find('cust-10001')).toEqual({
      id: 'cust-10001',
      status: 'locked',
      claims: { name: 'Demo User', email: 'user@example.test', email_verified: true },
    });
    // Token grants skip the lockout: it stops password guessing, not the customer's apps.
    expect((await directory.find('cust-10001', { lockout: false }))?.status).toBe('active');
    locked.clear();
    expect((await directory.find('cust-10001'))?.status).toBe('active');
    expect(await directory.find('cust-nobody')).toBeUndefined();
  });

  it('refuses a second customer with the same id or email, and keeps customers without password or email', async () => {
    await expect(customers.add({ id: 'cust-10001', email: 'new@example.test', name: 'X', passwordHash: null })).rejects.toMatchObject({ field: 'id' });
    await expect(customers.add({ id: 'cust-new', email: 'USER@example.test', name: 'X', passwordHash: null })).rejects.toBeInstanceOf(CustomerExists);
    await customers.add({ id: 'cust-nopass', email: null, name: 'No Password', passwordHash: null });
    await customers.add({ id: 'cust-nopass2', email: null, name: 'No Password either', passwordHash: null });
    expect(await directory.find('cust-nopass')).toEqual({ id: 'cust-nopass', status: 'active', claims: { name: 'No Password' } });
    await customers.add({ id: 'cust-imported', email: 'imported@example.test', name: 'Imported', passwordHash: null });
    // No password yet: nobody can sign in as them, not even with an empty one.
    expect(await directory.login.authenticate('imported@example.test', '')).toBeUndefined();
    await customers.setPasswordHash('cust-imported', await hashPassword('s3cret-pass'));
    expect((await directory.login.authenticate('imported@example.test', 's3cret-pass'))?.id).toBe('cust-imported');
  });

  it('lists by id with keyset paging and a status filter', async () => {
    const first = await customers.list({ limit: 2 });
    expect(first.map((c) => c.id)).toEqual(['cust-10001', 'cust-10002']);
    const next = await customers.list({ limit: 2, after: 'cust-10002' });
    expect(next.map((c) => c.id)).toEqual(['cust-10003', 'cust-imported']);
    expect((await customers.list({ limit: 100, status: 'blocked' })).map((c) => c.id)).toEqual(['cust-10003']);
    expect((await customers.list({ limit: 100, status: 'active' })).map((c) => c.id)).not.toContain('cust-10003');
  });

  it('blocks and unblocks; an unknown id changes nothing', async () => {
    expect(await customers.setBlocked('cust-10002', true)).toBe(true);
    expect((await directory.find('cust-10002'))?.status).toBe('blocked');
    expect(await customers.setBlocked('cust-10002', false)).toBe(true);
    expect((await directory.find('cust-10002'))?.status).toBe('active');
    expect(await customers.setBlocked('cust-nobody', true)).toBe(false);
  });

  it("deletes a customer with their grants, tokens and sessions, and nobody else's", async () => {
    const row = (model: string, id: string, payload: object, grantId: string | null = null) => ({
      model,
      id,
      payload: JSON.stringify(payload),
      grant_id: grantId,
      user_code: null,
      uid: null,
      consumed_at: null,
      expires_at: null,
    });
    await database.db
      .insertInto('oidc_models')
      .values([
        row('Grant', 'g-mine', { accountId: 'cust-nopass', clientId: 'c' }),
        row('RefreshToken', 'rt-mine', { accountId: 'cust-nopass', grantId: 'g-mine' }, 'g-mine'),
        row('AccessToken', 'at-mine', { accountId: 'cust-nopass', grantId: 'g-mine' }, 'g-mine'),
        row('Session', 's-mine', { accountId: 'cust-nopass' }),
        // A similar id must not match (LIKE wildcards and prefixes).
        row('Grant', 'g-other', { accountId: 'cust-nopass2', clientId: 'c' }),
        row('RefreshToken', 'rt-other', { accountId: 'cust-nopass2', grantId: 'g-other' }, 'g-other'),
        row('Session', 's-other', { accountId: 'cust-nopass2' }),
      ])
      .execute();
    expect(await customers.delete('cust-nopass')).toEqual({ grants: ['g-mine'], sessions: 1 });
    const left = await database.db.selectFrom('oidc_models').select('id').orderBy('id').execute();
    expect(left.map((r) => r.id)).toEqual(['g-other', 'rt-other', 's-other']);
    expect(await directory.find('cust-nopass')).toBeUndefined();
    expect(await customers.delete('cust-nopass')).toBeUndefined();
  });
});
