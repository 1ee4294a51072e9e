import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const migrations: Record<string, Migration> = {
  '0001_sessions': {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable('app_sessions')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('app_sessions_expires_at').on('app_sessions').column('expires_at').execute();
    },
    down: async (db: Kysely<unknown>) => {
      await db.schema.dropTable('app_sessions').execute();
    },
  },
};
