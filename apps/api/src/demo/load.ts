import type { Kysely } from 'kysely';
import type { ApiSchema } from '../db/schema.js';
import { importSources } from '../import/importer.js';
import { memorySource } from '../import/read.js';
import type { ImportReport } from '../import/report.js';
import { demoRecords, VOLUME_ACCOUNT_ID, volumeTransactions } from './records.js';

export { VOLUME_ACCOUNT_ID } from './records.js';

/** Deletes every row of the FDX tables (children first). */
export async function clearData(db: Kysely<ApiSchema>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of ['statement_document', 'transaction', 'statement', 'payment_network', 'asset_transfer_network', 'account', 'customer'] as const) {
      await trx.deleteFrom(table).execute();
    }
  });
}

export interface SeedSummary {
  customers: number;
  accounts: number;
  transactions: number;
  statements: number;
}

function failIfRejected(report: ImportReport, what: string): void {
  const first = report.rejections[0];
  if (first) throw new Error(`${what}: ${report.rejectedTotal} generated records rejected, first at ${first.file}:${first.line}: ${first.reason}`);
}

/**
 * Imports the generated demo data set through the importer (the path a bank's files take),
 * in one batch, so it is there whole or not at all. Re-running it rewrites the same rows.
 */
export async function seed(db: Kysely<ApiSchema>, now = Date.now()): Promise<SeedSummary> {
  const report = await importSources(db, [memorySource('demo', demoRecords(now))], { batchSize: 1_000_000 });
  failIfRejected(report, 'demo data');
  const { customer, account, transaction, statement } = report.imported;
  return { customers: customer, accounts: account, transactions: transaction, statements: statement };
}

/** Seeds on first start only, so `pnpm dev` works on an empty database. */
export async function seedIfEmpty(db: Kysely<ApiSchema>, now = Date.now()): Promise<SeedSummary | undefined> {
  const any = await db.selectFrom('customer').select('id').limit(1).executeTakeFirst();
  return any ? undefined : seed(db, now);
}

/**
 * Adds `count` benchmark transactions to the demo checking account (after those already
 * there), imported in batches: memory stays flat and every finished batch is durable.
 */
export async function seedVolume(
  db: Kysely<ApiSchema>,
  count: number,
  options: { now?: number; onProgress?: (done: number) => void } = {},
): Promise<number> {
  const existing = await db
    .selectFrom('transaction')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('id', '>=', `${VOLUME_ACCOUNT_ID}-v`)
    .where('id', '<', `${VOLUME_ACCOUNT_ID}-w`)
    .executeTakeFirstOrThrow();
  const records = volumeTransactions(count, { startAt: Number(existing.n), ...(options.now === undefined ? {} : { now: options.now }) });
  const report = await importSources(db, [memorySource('volume', records)], {
    ...(options.onProgress ? { onProgress: (p: { records: number }) => options.onProgress!(p.records) } : {}),
  });
  failIfRejected(report, 'volume');
  return report.imported.transaction;
}
