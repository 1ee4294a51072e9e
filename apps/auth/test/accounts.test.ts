import { hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { needsRehash, verifyPassword } from '../src/accounts/passwords.js';
import { DEMO_USERS, seedDemoUsers } from '../src/demo/demo-users.js';
import { UserRepository } from '../src/accounts/users.js';
import { openAuthDatabase } from '../src/db/open.js';
import type { AuthDatabase } from '../src/db/schema.js';

describe('users and passwords', () => {
  let store: TestStore;
  let database: AuthDatabase;
  let users: UserRepository;

  beforeAll(async () => {
    store = await createTestStore('sqlite');
    database = await openAuthDatabase(store.config);
    users = new UserRepository(database.db);
    await seedDemoUsers(users);
  });
  afterAll(async () => {
    await database?.close();
    await store?.cleanup();
  });

  it('seeds the demo users once, with argon2id hashes and stable subs', async () => {
    await seedDemoUsers(users);
    const rows = await database.db.selectFrom('users').select(['id', 'email', 'password_hash', 'blocked']).orderBy('id').execute();
    expect(rows.map((r) => r.id)).toEqual(DEMO_USERS.map((u) => u.id));
    expect(rows.every((r) => r.password_hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$'))).toBe(true);
    expect(rows.find((r) => r.email === 'blocked@example.test')?.blocked).toBe(1);
  });

  it('authenticates case-insensitively by email and rejects wrong passwords and unknown emails', async () => {
    expect((await users.authenticate(' USER@example.test ', 'passw0rd!'))?.id).toBe('cust-10001');
    expect(await users.authenticate('user@example.test', 'passw0rd')).toBeUndefined();
    expect(await users.authenticate('nobody@example.test', 'passw0rd!')).toBeUndefined();
  });

  it('rehashes a password stored with outdated parameters on the next login', async () => {
    const old = await hash('passw0rd!', { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    expect(needsRehash(old)).toBe(true);
    await database.db.updateTable('users').set({ password_hash: old }).where('id', '=', 'cust-10002').execute();
    expect((await users.authenticate('user2@example.test', 'passw0rd!'))?.id).toBe('cust-10002');
    const row = await database.db.selectFrom('users').select('password_hash').where('id', '=', 'cust-10002').executeTakeFirstOrThrow();
    expect(row.password_hash).not.toBe(old);
    expect(needsRehash(row.password_hash)).toBe(false);
    expect(await verifyPassword(row.password_hash, 'passw0rd!')).toBe(true);
  });
});
