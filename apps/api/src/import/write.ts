import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type { ApiSchema } from '../db/schema.js';
import { IMPORT_TABLES, KEY_COLUMN, type ImportRow, type ImportTable } from './rows.js';

/** Rows of one batch by table, keyed by primary key: a record repeated in a batch is written once (the last one wins). */
export type Batch = { [T in ImportTable]: Map<string, ImportRow<T>> };

export const emptyBatch = (): Batch => ({
  customer: new Map(),
  account: new Map(),
  transaction: new Map(),
  statement: new Map(),
  statement_document: new Map(),
  payment_network: new Map(),
  asset_transfer_network: new Map(),
});

/** Column names and their PostgreSQL types, in insert order (the unnest path casts each array). */
const COLUMNS: { [T in ImportTable]: ReadonlyArray<readonly [keyof ApiSchema[T] & string, string]> } = {
  customer: [['id', 'text'], ['name', 'text']],
  account: [
    ['id', 'text'], ['customer_id', 'text'], ['category', 'text'], ['account_type', 'text'], ['status', 'text'], ['account_number', 'text'],
    ['product_name', 'text'], ['nickname', 'text'], ['currency', 'text'], ['details', 'text'], ['contact', 'text'],
  ],
  transaction: [
    ['id', 'text'], ['account_id', 'text'], ['posted_at', 'int8'], ['transacted_at', 'int8'], ['status', 'text'], ['debit_credit', 'text'],
    ['amount', 'numeric'], ['description', 'text'], ['details', 'text'],
  ],
  statement: [
    ['id', 'text'], ['account_id', 'text'], ['statement_date', 'text'], ['period_start', 'text'], ['period_end', 'text'],
    ['opening_balance', 'numeric'], ['closing_balance', 'numeric'],
  ],
  statement_document: [['statement_id', 'text'], ['content_type', 'text'], ['sha256', 'text'], ['size', 'int4'], ['content', 'bytea']],
  payment_network: [['id', 'text'], ['account_id', 'text'], ['bank_id', 'text'], ['identifier', 'text'], ['type', 'text'], ['transfer_in', 'int4'], ['transfer_out', 'int4']],
  asset_transfer_network: [
    ['id', 'text'], ['account_id', 'text'], ['identifier', 'text'], ['identifier_type', 'text'], ['institution_name', 'text'],
    ['institution_id', 'text'], ['type', 'text'], ['joint_account', 'int4'],
  ],
};

/** Rows per INSERT statement on SQLite, kept under its 32,766 bound variables. */
const sqliteChunk = (table: ImportTable) => Math.min(1000, Math.floor(30_000 / COLUMNS[table].length));

/** Rows per statement on PostgreSQL (one array per column, so the size is bounded by memory only). */
const PG_CHUNK = 5000;

type Columns = ReadonlyArray<readonly [string, string]>;

/**
 * A statement's document is rewritten only when its bytes changed (the hash differs): importing
 * the same files again writes nothing for them. Every other row is upserted by its id.
 */
function updateCondition(table: ImportTable) {
  return table === 'statement_document' ? sql` where statement_document.sha256 <> excluded.sha256` : sql``;
}

function upsertTail(table: ImportTable, columns: Columns) {
  const key = KEY_COLUMN[table];
  const updates = columns.filter(([c]) => c !== key).map(([c]) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`);
  return sql`on conflict (${sql.ref(key)}) do update set ${sql.join(updates)}${updateCondition(table)}`;
}

/** `insert … values (?, …), … on conflict …` for `count` rows, built once per table and size. */
const sqliteInserts = new Map<string, string>();
function sqliteInsert(trx: Kysely<ApiSchema>, table: ImportTable, count: number): string {
  const key = `${table}:${count}`;
  let text = sqliteInserts.get(key);
  if (text === undefined) {
    const columns = COLUMNS[table] as Columns;
    const row = `(${columns.map(() => '?').join(', ')})`;
    // The upsert clause is compiled by Kysely once; only its text is kept.
    const tail = upsertTail(table, columns).compile(trx).sql;
    text = `insert into "${table}" (${columns.map(([c]) => `"${c}"`).join(', ')}) values ${Array.from({ length: count }, () => row).join(', ')} ${tail}`;
    sqliteInserts.set(key, text);
  }
  return text;
}

/**
 * SQLite: multi-row VALUES with the SQL text built once per chunk size (the connection's
 * statement cache then prepares it once) and the values passed flat, without building a
 * query tree per chunk: at a million rows, compiling 9,000-value queries was the cost.
 */
async function insertSqlite(trx: Kysely<ApiSchema>, table: ImportTable, rows: ImportRow[]): Promise<void> {
  const columns = COLUMNS[table] as Columns;
  const chunk = sqliteChunk(table);
  for (let i = 0; i < rows.length; i += chunk) {
    const slice = rows.slice(i, i + chunk) as Array<Record<string, unknown>>;
    const values: unknown[] = [];
    for (const row of slice) for (const [c] of columns) values.push(row[c] ?? null);
    await trx.executeQuery(CompiledQuery.raw(sqliteInsert(trx, table, slice.length), values));
  }
}

/**
 * PostgreSQL: one array parameter per column, `insert … select from unnest(…)`: a 5,000-row
 * statement has as many parameters as the table has columns, so parsing and binding stay cheap.
 */
async function insertPostgres(trx: Kysely<ApiSchema>, table: ImportTable, rows: ImportRow[]): Promise<void> {
  const columns = COLUMNS[table] as Columns;
  for (let i = 0; i < rows.length; i += PG_CHUNK) {
    const slice = rows.slice(i, i + PG_CHUNK) as Array<Record<string, unknown>>;
    const arrays = columns.map(([c, type]) => sql`${slice.map((row) => row[c] ?? null)}::${sql.raw(type)}[]`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map(([c]) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)}) ${upsertTail(table, columns)}`.execute(trx);
  }
}

/** Writes one batch in one database transaction, parents first: it is all in the store, or none of it. */
export async function writeBatch(db: Kysely<ApiSchema>, engine: 'sqlite' | 'postgres', batch: Batch): Promise<void> {
  const insert = engine === 'postgres' ? insertPostgres : insertSqlite;
  await db.transaction().execute(async (trx: Transaction<ApiSchema>) => {
    for (const table of IMPORT_TABLES) {
      const rows = batch[table];
      if (rows.size > 0) await insert(trx, table, [...rows.values()] as ImportRow[]);
    }
  });
}

export const batchSize = (batch: Batch): number => IMPORT_TABLES.reduce((n, t) => n + batch[t].size, 0);
