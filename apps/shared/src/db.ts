import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import pg from 'pg';
import type { Logger } from 'pino';
import { tracedDialect } from './tracing/db.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseConfig {
  /** `postgres://…` selects PostgreSQL; absent selects the embedded SQLite file. */
  databaseUrl?: string | undefined;
  sqliteFile: string;
  poolMax?: number;
}

export interface Database<DB> {
  db: Kysely<DB>;
  engine: Engine;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * One code path for both engines: Kysely compiles the same queries for SQLite
 * (embedded, no server) and PostgreSQL (shared by several instances).
 */
export function openDatabase<DB>(config: DatabaseConfig, logger?: Logger): Database<DB> {
  if (config.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.poolMax ?? 10,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID || oid === NUMERIC_OID
            ? (v: string) => Number(v)
            : (pg.types.getTypeParser(oid, format ?? 'text') as (v: string) => unknown)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its server (restart, failover) must not crash the process.
    pool.on('error', (err) => logger?.warn({ err: { message: err.message } }, 'database connection lost'));
    // A checked-out client losing its server emits 'error' on the client itself, which would
    // crash the process without a listener; its query fails with the error anyway.
    pool.on('connect', (client) => {
      client.on('error', (err) => logger?.warn({ err: { message: err.message } }, 'database connection lost'));
    });
    const db = new Kysely<DB>({ dialect: tracedDialect(new PostgresDialect({ pool }), 'postgresql') });
    return {
      db,
      engine: 'postgres',
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => db.destroy(),
    };
  }

  mkdirSync(dirname(config.sqliteFile), { recursive: true });
  const file = new SQLite(config.sqliteFile);
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  // A checkpoint copies every page changed since the last one into the database file and syncs
  // it; token writes keep changing the same few pages (table and index tails), so checkpointing
  // every 10,000 pages (~40 MB of WAL) instead of 1,000 copies and syncs far fewer pages per write
  // (a token's find + consume + insert: 230 → 175 µs of blocked event loop, measured). The WAL
  // file is cut back to 64 MB after a checkpoint should a long reader have let it grow beyond.
  file.pragma('wal_autocheckpoint = 10000');
  file.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  const db = new Kysely<DB>({ dialect: tracedDialect(new SqliteDialect({ database: withStatementCache(file) }), 'sqlite') });
  return {
    db,
    engine: 'sqlite',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

/** Prepared statements kept per SQL text; queries are built from a small set of shapes. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew, and preparing was the largest single cost in the API's
 * CPU profile. Statements are reusable (execution is synchronous, one at a time), so each
 * SQL text is prepared once; the oldest is dropped past the bound.
 */
function withStatementCache(file: SQLite.Database): Pick<SQLite.Database, 'prepare' | 'close'> {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare: ((source: string) => {
      let statement = statements.get(source);
      if (!statement) {
        statement = file.prepare(source);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statements.set(source, statement);
      }
      return statement;
    }) as SQLite.Database['prepare'],
    close: () => {
      statements.clear();
      return file.close();
    },
  };
}

/** Applies the app's migrations in name order; fails loudly on the first error. */
export async function migrate<DB>(db: Kysely<DB>, migrations: Record<string, Migration>): Promise<string[]> {
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Opens a service's database and brings its schema up to date; a failed migration closes the
 * connection again (no pool left behind). Logs the migrations it applied.
 */
export async function openMigrated<DB>(config: DatabaseConfig, migrations: Record<string, Migration>, logger?: Logger): Promise<Database<DB>> {
  const database = openDatabase<DB>(config, logger);
  try {
    const applied = await migrate(database.db, migrations);
    if (applied.length > 0) logger?.info({ applied, engine: database.engine }, 'database migrated');
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** True when the error means the database could not be reached (as opposed to a bad query). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'SQLITE_BUSY', 'SQLITE_CANTOPEN'].includes(code)) return true;
  // PostgreSQL class 08 (connection exception) and 57P (operator intervention: shutdown).
  if (/^08|^57P/.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message);
}
