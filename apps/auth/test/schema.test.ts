import { migrate, openDatabase } from '@apps/shared';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { KyselyAdapter } from '../src/db/kysely-adapter.js';
import { migrations } from '../src/db/migrations.js';
import { authDatabaseConfig } from '../src/db/open.js';
import type { AuthSchema } from '../src/db/schema.js';

/** The query plan of `query` as text, with sequential scans discouraged so a usable index shows. */
async function planOf(db: Kysely<AuthSchema>, engine: string, query: string): Promise<string> {
  if (engine === 'sqlite') {
    const { rows } = await sql<{ detail: string }>`explain query plan ${sql.raw(query)}`.execute(db);
    return rows.map((r) => r.detail).join('\n');
  }
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    const { rows } = await sql<Record<string, string>>`explain ${sql.raw(query)}`.execute(trx);
    return rows.map((r) => Object.values(r).join(' ')).join('\n');
  });
}

async function indexNames(db: Kysely<AuthSchema>, engine: string): Promise<string[]> {
  const { rows } =
    engine === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'oidc_models'`.execute(db)
      : await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'oidc_models'`.execute(db);
  return rows.map((r) => r.name).sort();
}

describe.each(ENGINES)('the OP schema on %s', (engine) => {
  let store: TestStore | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    await store?.cleanup();
  });

  it('upgrades a database with sessions in it to lookup indexes that hold only rows with a uid or user code', async () => {
    store = await createTestStore(engine);
    const database = openDatabase<AuthSchema>(authDatabaseConfig(store.config));
    close = () => database.close();
    const { '0003_partial_lookup_indexes': partial, ...before } = migrations;
    expect(partial).toBeDefined();
    await migrate(database.db, before);
    const adapter = (model: string) => new KyselyAdapter(database.db, model);
    await adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'cust-1' }, 600);
    await adapter('DeviceCode').upsert('d1', { userCode: 'WXYZ-1234', grantId: 'g1' }, 600);
    await adapter('RefreshToken').upsert('r1', { grantId: 'g1' }, 600);

    expect(await migrate(database.db, migrations)).toEqual(['0003_partial_lookup_indexes']);

    // Nothing stored is lost, and the lookups still find their rows…
    expect(await adapter('Session').findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'cust-1' });
    expect(await adapter('DeviceCode').findByUserCode('WXYZ-1234')).toMatchObject({ grantId: 'g1' });
    expect(await adapter('RefreshToken').find('r1')).toEqual({ grantId: 'g1' });
    // …through the partial indexes, which replace the full ones.
    const names = await indexNames(database.db, engine);
    expect(names).toEqual(expect.arrayContaining(['oidc_models_uid_partial', 'oidc_models_user_code_partial', 'oidc_models_grant_id']));
    expect(names).not.toContain('oidc_models_uid');
    expect(names).not.toContain('oidc_models_user_code');
    expect(await planOf(database.db, engine, `select payload from oidc_models where model = 'Session' and uid = 'uid-1'`)).toContain(
      'oidc_models_uid_partial',
    );
    expect(
      await planOf(database.db, engine, `select payload from oidc_models where model = 'DeviceCode' and user_code = 'WXYZ-1234'`),
    ).toContain('oidc_models_user_code_partial');
  });
});
