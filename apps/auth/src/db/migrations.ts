import { createRateCounterTable } from '@apps/shared';
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Plain column types that mean the same on SQLite and PostgreSQL; booleans are 0/1 integers. */
const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oidc_models')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('grant_id', 'text')
      .addColumn('user_code', 'text')
      .addColumn('uid', 'text')
      .addColumn('consumed_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .addPrimaryKeyConstraint('oidc_models_pk', ['model', 'id'])
      .execute();
    await db.schema.createIndex('oidc_models_grant_id').on('oidc_models').column('grant_id').execute();
    await db.schema.createIndex('oidc_models_user_code').on('oidc_models').columns(['model', 'user_code']).execute();
    await db.schema.createIndex('oidc_models_uid').on('oidc_models').columns(['model', 'uid']).execute();
    await db.schema.createIndex('oidc_models_expires_at').on('oidc_models').column('expires_at').execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('rate_limits')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('reset_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rate_limits_reset_at').on('rate_limits').column('reset_at').execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor', 'text')
      .addColumn('client_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();

    await db.schema
      .createTable('op_secrets')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/**
 * Sessions have a uid and device codes a user code; every other row (grants, codes, refresh tokens…)
 * has neither, yet each insert added an entry to both indexes. Partial indexes skip those rows:
 * two fewer index pages written per token. Lookups (`model = ? and uid = ?`) still use them, an
 * equality implying `is not null`. The new indexes exist before the old ones go.
 */
const partialLookupIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    for (const column of ['uid', 'user_code'] as const) {
      await db.schema
        .createIndex(`oidc_models_${column}_partial`)
        .on('oidc_models')
        .columns(['model', column])
        .where(column, 'is not', null)
        .execute();
      await db.schema.dropIndex(`oidc_models_${column}`).execute();
    }
  },
};

const USER_COLUMNS = sql.raw('id, email, name, email_verified, password_hash, blocked, created_at, updated_at');

/**
 * Customers without a local password (signing in at an upstream IdP, or imported before their
 * password is set) and without an email (an IdP need not send one): both columns become nullable.
 * PostgreSQL relaxes the constraints in place; SQLite cannot, so the table is rebuilt under the
 * same name and columns (older instances keep working during a rolling restart).
 */
const optionalCredentials: Migration = {
  async up(db: Kysely<unknown>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await db.schema.alterTable('users').alterColumn('email', (c) => c.dropNotNull()).execute();
      await db.schema.alterTable('users').alterColumn('password_hash', (c) => c.dropNotNull()).execute();
      return;
    }
    await db.schema
      .createTable('users_0005')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('password_hash', 'text')
      .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into users_0005 (${USER_COLUMNS}) select ${USER_COLUMNS} from users`.execute(db);
    await db.schema.dropTable('users').execute();
    await db.schema.alterTable('users_0005').renameTo('users').execute();
  },
};

/**
 * Operator CLI (`pnpm kit clients|grants|audit`): clients managed from the CLI, grants findable by
 * customer and client (columns filled by the adapter, existing grants backfilled here), and the
 * indexes the audit queries use.
 */
const operator: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('clients')
      .addColumn('client_id', 'text', (c) => c.primaryKey())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('disabled_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('oidc_models').addColumn('account_id', 'text').execute();
    await db.schema.alterTable('oidc_models').addColumn('client_id', 'text').execute();
    await db.schema.createIndex('oidc_models_grant_account').on('oidc_models').columns(['model', 'account_id']).where('account_id', 'is not', null).execute();
    await db.schema.createIndex('oidc_models_grant_client').on('oidc_models').columns(['model', 'client_id']).where('client_id', 'is not', null).execute();
    const typed = db as unknown as Kysely<{ oidc_models: { model: string; id: string; payload: string; account_id: string | null; client_id: string | null } }>;
    const grants = await typed.selectFrom('oidc_models').select(['id', 'payload']).where('model', '=', 'Grant').execute();
    for (const grant of grants) {
      const payload = JSON.parse(grant.payload) as { accountId?: unknown; clientId?: unknown };
      await typed
        .updateTable('oidc_models')
        .set({
          account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
          client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
        })
        .where('model', '=', 'Grant')
        .where('id', '=', grant.id)
        .execute();
    }
    for (const column of ['type', 'actor', 'client_id'] as const) {
      await db.schema.createIndex(`audit_events_${column}_at`).on('audit_events').columns([column, 'at']).execute();
    }
  },
};

/**
 * Consents (issue 16): one row per grant, kept 13 months after it ends for the customer's page;
 * consent_changes numbers every status change (the API's revocation feed, the FDX revocation
 * history). Its seq is an identity (PostgreSQL) / rowid alias (SQLite); writers take a lock
 * first so seqs become visible in order (consents/consent-store.ts).
 */
const consents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('consents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('account_ids', 'text')
      .addColumn('duration_days', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('ended_at', 'bigint')
      .addColumn('ended_by', 'text')
      .addColumn('end_reason', 'text')
      .addColumn('initiator', 'text')
      .execute();
    await db.schema.createIndex('consents_grant').on('consents').column('grant_id').execute();
    await db.schema.createIndex('consents_customer').on('consents').columns(['customer_id', 'created_at']).execute();
    await db.schema.createIndex('consents_client').on('consents').columns(['client_id', 'created_at']).execute();
    await db.schema.createIndex('consents_active_expiry').on('consents').column('expires_at').where(sql.ref('status'), '=', 'ACTIVE').execute();
    await db.schema.createIndex('consents_ended').on('consents').column('ended_at').where('ended_at', 'is not', null).execute();
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('consent_changes')
      .addColumn('seq', postgres ? 'bigint' : 'integer', (c) => (postgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
      .addColumn('consent_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('ended_by', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('initiator', 'text')
      .execute();
    await db.schema.createIndex('consent_changes_consent').on('consent_changes').column('consent_id').execute();
    await db.schema.createIndex('consent_changes_at').on('consent_changes').column('at').execute();
  },
};

export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  // Token endpoint limits, counted per aligned window and batched (see RATE_LIMIT_SYNC_MS).
  '0002_token_rate_limit': { up: (db: Kysely<unknown>) => createRateCounterTable(db, 'token_rate_limit') },
  '0003_partial_lookup_indexes': partialLookupIndexes,
  // Login attempts and failures on the shared counter (exact, one upsert per attempt), one table per
  // window length, WAL-logged as rate_limits was; rate_limits stays for instances of an older
  // release during a rolling restart.
  '0004_login_counters': {
    async up(db: Kysely<unknown>) {
      await createRateCounterTable(db, 'login_rate_limit', { durable: true });
      await createRateCounterTable(db, 'login_lockout', { durable: true });
    },
  },
  '0005_optional_credentials': optionalCredentials,
  '0006_operator': operator,
  // Signing keys rotated with `pnpm kit keys`, beside JWKS / the development keys.
  '0007_signing_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('signing_from', 'bigint')
        .addColumn('retired_at', 'bigint')
        .execute();
    },
  },
  // Failed client authentications per (client, IP) and per IP (WAL-logged: a crash must not reset an attack's count).
  '0008_client_auth_failures': { up: (db: Kysely<unknown>) => createRateCounterTable(db, 'client_auth_failure', { durable: true }) },
  // Secret-keyed rows (refresh tokens, codes, sessions…) under the keyed hash of their id: this
  // marks which rows are; the rows written before are converted after migrating, with the key the
  // migration does not have (db/hash-stored-secrets.ts), which the partial index finds quickly.
  '0009_hashed_secrets': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('oidc_models').addColumn('id_hashed', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.createIndex('oidc_models_unhashed').on('oidc_models').column('model').where(sql.ref('id_hashed'), '=', 0).execute();
    },
  },
  // Consents and their change feed (issue 16; 0011 is reserved for this feature too).
  '0010_consents': consents,
};
