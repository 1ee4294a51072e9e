import { sql, type Kysely } from 'kysely';
import type { ApiSchema } from '../db/schema.js';
import { BUCKET_COLUMNS, addCounts, emptyCounts, type Counts } from './buckets.js';
import { monthOf, monthStart, monthStartOffset, type MonthRange } from './months.js';

/** Rows per upsert statement: 17 bound values each, far below SQLite's and PostgreSQL's limits. */
const ROWS_PER_STATEMENT = 200;

type CountColumn = 'requests' | 'proper' | (typeof BUCKET_COLUMNS)[number];
const COUNT_COLUMNS: readonly CountColumn[] = ['requests', 'proper', ...BUCKET_COLUMNS];

function countsOf(row: Record<CountColumn, number | string | null>): Counts {
  return COUNT_COLUMNS.map((c) => Number(row[c] ?? 0));
}

function columnsOf(counts: Counts): Record<CountColumn, number> {
  return Object.fromEntries(COUNT_COLUMNS.map((c, i) => [c, counts[i]!])) as Record<CountColumn, number>;
}

/**
 * The disclosure's counts in the API's database. Instances add their minutes (an upsert that
 * adds, so a minute flushed twice in parts sums up); finished months are folded into one row per
 * month; a report reads folded months and live minutes together, so it is right before and after
 * a fold, and a minute that arrives late (an instance that could not reach the database) still
 * counts for its month.
 */
export class PerformanceStore {
  constructor(private readonly db: Kysely<ApiSchema>) {}

  /**
   * Adds one instance's counts per minute (epoch ms of the minute's start): one statement, or one
   * transaction when there are more minutes than a statement takes (after a long outage).
   */
  async add(instanceId: string, minutes: ReadonlyMap<number, Counts>): Promise<void> {
    const rows = [...minutes].map(([minute, counts]) => ({ instance_id: instanceId, minute, ...columnsOf(counts) }));
    if (rows.length === 0) return;
    const upsert = (db: Kysely<ApiSchema>, batch: typeof rows) =>
      db
        .insertInto('performance_minute')
        .values(batch)
        .onConflict((oc) =>
          oc.columns(['instance_id', 'minute']).doUpdateSet((eb) =>
            Object.fromEntries(COUNT_COLUMNS.map((c) => [c, eb(`performance_minute.${c}`, '+', eb.ref(`excluded.${c}`))])),
          ),
        )
        .execute();
    if (rows.length <= ROWS_PER_STATEMENT) {
      await upsert(this.db, rows);
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) await upsert(trx, rows.slice(i, i + ROWS_PER_STATEMENT));
    });
  }

  /**
   * Moves the minutes of every month before the one containing `now` into performance_month
   * (added to what is there), a month per transaction. The minutes are deleted and their counts
   * added in the same transaction, so two instances folding at once count each minute once
   * (PostgreSQL: the second delete waits for the first and finds the rows gone). Returns the
   * months folded.
   */
  async fold(now: number): Promise<string[]> {
    const before = monthStart(now);
    const oldest = await this.db
      .selectFrom('performance_minute')
      .select((eb) => eb.fn.min('minute').as('minute'))
      .where('minute', '<', before)
      .executeTakeFirst();
    if (oldest?.minute === null || oldest?.minute === undefined) return [];
    const folded: string[] = [];
    for (let start = monthStart(Number(oldest.minute)); start < before; start = monthStartOffset(start, 1)) {
      const end = monthStartOffset(start, 1);
      const month = monthOf(start);
      const moved = await this.db.transaction().execute(async (trx) => {
        const rows = await trx.deleteFrom('performance_minute').where('minute', '>=', start).where('minute', '<', end).returning(COUNT_COLUMNS).execute();
        if (rows.length === 0) return false;
        const sum = rows.reduce((acc, row) => addCounts(acc, countsOf(row)), emptyCounts());
        await trx
          .insertInto('performance_month')
          .values({ month, ...columnsOf(sum) })
          .onConflict((oc) =>
            oc.column('month').doUpdateSet((eb) => Object.fromEntries(COUNT_COLUMNS.map((c) => [c, eb(`performance_month.${c}`, '+', eb.ref(`excluded.${c}`))]))),
          )
          .execute();
        return true;
      });
      if (moved) folded.push(month);
    }
    return folded;
  }

  /** Every instance's counts for each month, folded and live together (all zero for a month without traffic). */
  async countsFor(months: readonly MonthRange[]): Promise<Map<string, Counts>> {
    const totals = new Map(months.map((m) => [m.month, emptyCounts()]));
    if (months.length === 0) return totals;
    const folded = await this.db
      .selectFrom('performance_month')
      .selectAll()
      .where(
        'month',
        'in',
        months.map((m) => m.month),
      )
      .execute();
    for (const row of folded) addCounts(totals.get(row.month)!, countsOf(row));
    // One query for every month's live minutes: each minute is labelled with its month's index.
    const live = await this.db
      .selectFrom('performance_minute')
      .select((eb) => [
        sql<number>`case ${sql.join(
          months.map((m, i) => sql`when minute < ${m.end} then ${sql.lit(i)}`),
          sql` `,
        )} end`.as('month_index'),
        ...COUNT_COLUMNS.map((c) => eb.fn.sum<number | string>(c).as(c)),
      ])
      .where('minute', '>=', months[0]!.start)
      .where('minute', '<', months.at(-1)!.end)
      .groupBy('month_index')
      .execute();
    for (const row of live) addCounts(totals.get(months[Number(row.month_index)]!.month)!, countsOf(row));
    return totals;
  }
}
