import { createLogger, migrate, openDatabase } from '@apps/shared';
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { migrations } from '../src/db/migrations.js';
import { authDatabaseConfig } from '../src/db/open.js';
import type { AuthSchema } from '../src/db/schema.js';
import { sweepExpired } from '../src/db/sweeper.js';
import { AccountLocked } from '../src/errors.js';
import { LoginGuard } from '../src/security/login-guard.js';


/** The migrations a database of an older release has applied: those named before `name`, or up to it. */
function migrationsBefore(name: string, inclusive = false): Record<string, Migration> {
  return Object.fromEntries(Object.entries(migrations).filter(([n]) => n < name || (inclusive && n === name)));
}

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
    vi.useRealTimers();
    await close?.();
    await store?.cleanup();
  });

  it('upgrades a database with sessions in it to lookup indexes that hold only rows with a uid or user code', async () => {
    store = await createTestStore(engine);
    const database = openDatabase<AuthSchema>(authDatabaseConfig(store.config));
    close = () => database.close();
    const partial = migrations['0003_partial_lookup_indexes'];
    expect(partial).toBeDefined();
    await migrate(database.db, migrationsBefore('0003_partial_lookup_indexes'));
    // Rows as the release before 0003 wrote them.
    const row = (model: string, id: string, payload: object, keys: { uid?: string; user_code?: string; grant_id?: string }) =>
      sql`insert into oidc_models (model, id, payload, grant_id, user_code, uid, expires_at)
          values (${model}, ${id}, ${JSON.stringify(payload)}, ${keys.grant_id ?? null}, ${keys.user_code ?? null}, ${keys.uid ?? null}, ${Date.now() + 600_000})`.execute(database.db);
    await row('Session', 's1', { uid: 'uid-1', accountId: 'cust-1' }, { uid: 'uid-1' });
    await row('DeviceCode', 'd1', { userCode: 'WXYZ-1234', grantId: 'g1' }, { user_code: 'WXYZ-1234', grant_id: 'g1' });
    await row('RefreshToken', 'r1', { grantId: 'g1' }, { grant_id: 'g1' });

    expect(await migrate(database.db, migrationsBefore('0003_partial_lookup_indexes', true))).toEqual(['0003_partial_lookup_indexes']);

    // Nothing stored is lost, and the lookups still find their rows…
    const payloadWhere = async (column: 'uid' | 'user_code' | 'id', model: string, value: string) =>
      (await database.db.selectFrom('oidc_models').select('payload').where('model', '=', model).where(column, '=', value).executeTakeFirst())?.payload;
    expect(await payloadWhere('uid', 'Session', 'uid-1')).toBe(JSON.stringify({ uid: 'uid-1', accountId: 'cust-1' }));
    expect(await payloadWhere('user_code', 'DeviceCode', 'WXYZ-1234')).toContain('"grantId":"g1"');
    expect(await payloadWhere('id', 'RefreshToken', 'r1')).toBe(JSON.stringify({ grantId: 'g1' }));
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

  it('upgrades a database whose login limits are in rate_limits: logins count in their new tables, old rows are still swept', async () => {
    store = await createTestStore(engine);
    const database = openDatabase<AuthSchema>(authDatabaseConfig(store.config));
    close = () => database.close();
    await migrate(database.db, migrationsBefore('0004_login_counters'));
    // Windows are aligned to the clock: start one well inside a lockout window (and a login window).
    const now = Math.ceil(Date.now() / 900_000) * 900_000 + 1_000;
    vi.useFakeTimers({ toFake: ['Date'], now });
    await database.db
      .insertInto('rate_limits')
      .values([
        { key: 'login:ip:192.0.2.1', count: 2, reset_at: now - 1 },
        { key: 'login:failures:user1@example.test', count: 1, reset_at: now + 60_000 },
      ])
      .execute();

    expect(await migrate(database.db, migrationsBefore('0004_login_counters', true))).toEqual(['0004_login_counters']);

    const config = {
      lockout: { threshold: 2, windowSeconds: 900 },
      rateLimits: { windowSeconds: 60, loginPerIp: 30, loginPerAccount: 10, tokenPerIp: 300, tokenPerClient: 300, tokenPerOperatorClient: 15000, refreshPerGrant: 10, apiPerClient: 3000, apiPerOperatorClient: 90000, apiPerCustomer: 600, tokenSyncMs: 0, clientAuthFailuresPerClientIp: 10, clientAuthFailuresPerIp: 30 },
    };
    const guard = new LoginGuard(database.db, config, createLogger({ name: 'auth', level: 'silent' }));
    expect(await guard.admit('192.0.2.1', 'user2@example.test')).toEqual({ locksOnFailure: false });
    expect(await guard.admit('192.0.2.1', 'User2@example.test')).toEqual({ locksOnFailure: true });
    await expect(guard.admit('192.0.2.1', 'user2@example.test')).rejects.toBeInstanceOf(AccountLocked);
    await guard.succeeded('user2@example.test');
    await guard.admit('192.0.2.1', 'user2@example.test');
    const counted = await sql<{ key: string; hits: number }>`select key, hits from login_rate_limit order by key`.execute(database.db);
    expect(counted.rows.map((r) => [r.key, Number(r.hits)])).toEqual([
      ['login:account:user2@example.test', 4],
      ['login:ip:192.0.2.1', 4],
    ]);

    // What an instance of the older release wrote stays until the sweeper finds its window spent.
    expect(await sweepExpired(database.db, now)).toBe(1);
    expect(await database.db.selectFrom('rate_limits').select('key').execute()).toEqual([{ key: 'login:failures:user1@example.test' }]);
    vi.useRealTimers();
  });

  it('keeps every customer when 0005 makes email and password optional', async () => {
    store = await createTestStore(engine);
    const database = openDatabase<AuthSchema>(authDatabaseConfig(store.config));
    close = () => database.close();
    await migrate(database.db, migrationsBefore('0005_optional_credentials'));
    const customer = { id: 'cust-1', email: 'a@example.test', name: 'A', email_verified: 1, password_hash: '$argon2id$x', blocked: 1, created_at: 1, updated_at: 2 };
    await database.db.insertInto('users').values(customer).execute();

    expect(await migrate(database.db, migrationsBefore('0005_optional_credentials', true))).toEqual(['0005_optional_credentials']);

    expect(await database.db.selectFrom('users').selectAll().execute()).toEqual([customer]);
    await database.db.insertInto('users').values({ ...customer, id: 'cust-2', email: null, password_hash: null }).execute();
    await database.db.insertInto('users').values({ ...customer, id: 'cust-3', email: null, password_hash: null }).execute();
    // Emails stay unique.
    await expect(database.db.insertInto('users').values({ ...customer, id: 'cust-4' }).execute()).rejects.toThrow();
  });
});
