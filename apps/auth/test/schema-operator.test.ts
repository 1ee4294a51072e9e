import { migrate, openDatabase } from '@apps/shared';
import type { Migration } from 'kysely/migration';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { KyselyAdapter } from '../src/db/kysely-adapter.js';
import { SecretIds } from '../src/db/secret-ids.js';
import { migrations } from '../src/db/migrations.js';
import { authDatabaseConfig } from '../src/db/open.js';
import type { AuthSchema } from '../src/db/schema.js';
import { GrantStore } from '../src/grants/grant-store.js';

const ids = new SecretIds('test-token-hash-key-0123456789abcdef');

const before = (name: string): Record<string, Migration> => Object.fromEntries(Object.entries(migrations).filter(([n]) => n < name));

describe.each(ENGINES)('migration 0006 on %s', (engine) => {
  let store: TestStore | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    await store?.cleanup();
  });

  it('makes grants stored before it findable by customer and by client', async () => {
    store = await createTestStore(engine);
    const database = openDatabase<AuthSchema>(authDatabaseConfig(store.config));
    close = () => database.close();
    await migrate(database.db, before('0006_operator'));
    // A Grant row as an older release wrote it: no account_id / client_id columns yet.
    await database.db
      .insertInto('oidc_models')
      .values({ model: 'Grant', id: 'g-old', payload: JSON.stringify({ accountId: 'cust-1', clientId: 'rp-1', iat: 1, exp: 2e10 }), expires_at: null })
      .execute();
    expect(await migrate(database.db, migrations)).toContain('0006_operator');

    const grants = new GrantStore(database.db);
    expect((await grants.list({ customer: 'cust-1' })).map((g) => g.grantId)).toEqual(['g-old']);
    expect((await grants.list({ client: 'rp-1' })).map((g) => g.grantId)).toEqual(['g-old']);
    // New grants get the columns from the adapter.
    await new KyselyAdapter(database.db, 'Grant', ids).upsert('g-new', { accountId: 'cust-1', clientId: 'rp-2', iat: 3, exp: 2e10 }, 600);
    expect((await grants.list({ customer: 'cust-1' })).map((g) => g.grantId)).toEqual(['g-new', 'g-old']);
    expect((await grants.list({ customer: 'cust-1', client: 'rp-2' })).map((g) => g.grantId)).toEqual(['g-new']);
  });
});
