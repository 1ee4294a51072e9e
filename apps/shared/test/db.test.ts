import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import pg from 'pg';
import { migrate, openDatabase, openMigrated, type Database } from '../src/db.js';

interface Schema {
  note: { id: string; body: string; expires_at: number };
}

const migrations: Record<string, Migration> = {
  '0001_note': {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable('note')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
};

function contract(engine: string, open: () => Promise<{ database: Database<Schema>; cleanup: () => Promise<void> }>) {
  describe(`database on ${engine}`, () => {
    let database: Database<Schema>;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ database, cleanup } = await open());
    });
    afterAll(async () => {
      await database.close();
      await cleanup();
    });

    it('runs migrations once and is idempotent on restart', async () => {
      expect(await migrate(database.db, migrations)).toEqual(['0001_note']);
      expect(await migrate(database.db, migrations)).toEqual([]);
    });

    it('round-trips rows with large integers as numbers', async () => {
      await database.db.insertInto('note').values({ id: 'a', body: 'hello', expires_at: 4_102_444_800 }).execute();
      const row = await database.db.selectFrom('note').selectAll().where('id', '=', 'a').executeTakeFirstOrThrow();
      expect(row).toEqual({ id: 'a', body: 'hello', expires_at: 4_102_444_800 });
    });

    it('rolls back a failed transaction completely', async () => {
      await expect(
        database.db.transaction().execute(async (trx) => {
          await trx.insertInto('note').values({ id: 'b', body: 'half', expires_at: 1 }).execute();
          await trx.insertInto('note').values({ id: 'a', body: 'duplicate', expires_at: 1 }).execute();
        }),
      ).rejects.toThrow();
      const rows = await database.db.selectFrom('note').select('id').execute();
      expect(rows.map((r) => r.id)).toEqual(['a']);
    });

    it('answers a ping', async () => {
      await expect(database.ping()).resolves.toBeUndefined();
      expect((await sql<{ one: number }>`select 1 as one`.execute(database.db)).rows[0]?.one).toBe(1);
    });
  });
}

contract('SQLite (embedded)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-db-'));
  const database = openDatabase<Schema>({ sqliteFile: join(dir, 'nested', 'test.sqlite') });
  return { database, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

contract('PostgreSQL', async () => {
  const temp: TempDatabase = await createTempDatabase('shared_db');
  const database = openDatabase<Schema>({ databaseUrl: temp.url, sqliteFile: 'unused' });
  return { database, cleanup: () => temp.drop() };
});

describe('openMigrated', () => {
  const broken: Record<string, Migration> = {
    ...migrations,
    '0002_broken': { up: (db: Kysely<unknown>) => sql`select * from no_such_table`.execute(db).then(() => undefined) },
  };

  it('on a failed migration rejects with its error and leaves no connection open', async () => {
    const temp = await createTempDatabase('shared_open');
    try {
      await expect(openMigrated<Schema>({ databaseUrl: temp.url, sqliteFile: 'unused' }, broken)).rejects.toThrow(/no_such_table/);
      const admin = new pg.Client({ connectionString: temp.url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
        expect(Number(rows[0]?.n)).toBe(0);
      } finally {
        await admin.end();
      }
    } finally {
      await temp.drop();
    }
  });

  it('opens a usable, migrated database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-db-'));
    try {
      const database = await openMigrated<Schema>({ sqliteFile: join(dir, 'open.sqlite') }, migrations);
      await database.db.insertInto('note').values({ id: 'x', body: 'ok', expires_at: 1 }).execute();
      expect(await database.db.selectFrom('note').select('id').execute()).toEqual([{ id: 'x' }]);
      await database.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
