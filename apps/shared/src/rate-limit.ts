import { CompiledQuery, PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Logger } from './logger.js';

/** What the counter needs of a Kysely instance (any schema). */
type CounterDb = Pick<Kysely<unknown>, 'executeQuery' | 'getExecutor'>;

/** Bound parameters per statement stay far below SQLite's and PostgreSQL's limits. */
const MAX_ROWS_PER_UPSERT = 500;

export interface RateCounterOptions {
  /**
   * The counters' table (see createRateCounterTable); default `rate_limit`. One window length
   * per table: a counter deletes every row of a window before its own.
   */
  table?: string;
  windowMs: number;
  /**
   * How often local hits are added to the shared counters (ms). 0: every hit is one upsert,
   * exact across instances. Above 0: hits are counted in memory and flushed in one statement
   * per interval; each instance then sees the others' hits up to one interval late, so N
   * instances can together admit about (N − 1) × (their request rate × interval) more than
   * the limit. A single instance stays exact either way.
   */
  syncMs: number;
  onError?: (err: unknown, what: 'flush' | 'cleanup') => void;
}

/**
 * The one rate-limiting mechanism of every app: fixed windows (aligned to multiples of
 * `windowMs`) counted in a database table, so that every instance on one PostgreSQL counts
 * against the same limit. A hit is a multi-row upsert that adds each key's hits for the
 * current window and returns the new totals; the statement text is compiled once per number
 * of keys, a flush only binds values. Two modes:
 * - exact (`syncMs` 0): every hit is one atomic upsert; `reserve` counts only below a limit,
 *   `peek` and `reset` read and clear a key (lockout needs all three);
 * - batched (`syncMs` > 0): hits are counted in memory and flushed every interval (hot paths).
 */
export class RateCounter {
  readonly windowMs: number;
  private readonly table: string;
  private readonly syncMs: number;
  private readonly onError: NonNullable<RateCounterOptions['onError']>;
  private readonly upserts = new Map<number, string>();
  private lastCleanup = 0;
  /** Batched mode: the window being counted, shared totals as last read, hits not yet flushed. */
  private window = 0;
  private shared = new Map<string, number>();
  /** Hits of the flush in progress: no longer pending, not yet in `shared`, still counted. */
  private inflight = new Map<string, number>();
  private pending = new Map<string, number>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: CounterDb,
    options: RateCounterOptions,
  ) {
    this.table = options.table ?? 'rate_limit';
    if (!/^[a-z_][a-z0-9_]*$/.test(this.table)) throw new Error(`not a plain table name: ${this.table}`);
    this.windowMs = options.windowMs;
    this.syncMs = options.syncMs;
    this.onError = options.onError ?? (() => {});
  }

  windowOf(now: number): number {
    return now - (now % this.windowMs);
  }

  /** Whole seconds until the window containing `now` ends (at least 1): a 429's Retry-After. */
  retryAfterSeconds(now: number): number {
    return Math.max(1, Math.ceil((this.windowOf(now) + this.windowMs - now) / 1000));
  }

  /**
   * Keys this instance holds in memory (batched mode): only those of the window being counted,
   * so a key per customer or per grant costs memory for one window, not for ever.
   */
  get keysInMemory(): number {
    return new Set([...this.shared.keys(), ...this.inflight.keys(), ...this.pending.keys()]).size;
  }

  /** True when every hit is one upsert (`syncMs` 0): counts are exact across instances. */
  get exact(): boolean {
    return this.syncMs === 0;
  }

  /** Counts one hit on each key in the window containing `now`; returns the totals by key. */
  async hit(keys: readonly string[], now: number): Promise<Map<string, number>> {
    const window = this.windowOf(now);
    if (window !== this.lastCleanup) this.dropBefore(window);
    return this.exact ? this.upsert(keys.map((key) => [key, 1] as const), window) : this.hitBatched(keys, window);
  }

  /**
   * Counts one hit on the key unless it already has `limit` in the window containing `now`, in
   * one statement (an upsert whose update only applies below the limit): parallel callers can
   * never together pass the limit. Returns the new count, or undefined when the limit was
   * reached and nothing was counted (exact mode).
   */
  async reserve(key: string, limit: number, now: number): Promise<number | undefined> {
    this.assertExact('reserve');
    if (limit < 1) return undefined;
    const window = this.windowOf(now);
    if (window !== this.lastCleanup) this.dropBefore(window);
    const table = sql.table(this.table);
    const { rows } = await sql<{ hits: number }>`insert into ${table} (key, window_start, hits) values (${key}, ${window}, ${1})
      on conflict (key, window_start) do update set hits = ${table}.hits + 1 where ${table}.hits < ${limit}
      returning hits`.execute(this.db);
    return rows[0] === undefined ? undefined : Number(rows[0].hits);
  }

  /** The key's count in the window containing `now`, without counting a hit (exact mode). */
  async peek(key: string, now: number): Promise<number> {
    this.assertExact('peek');
    const table = sql.table(this.table);
    const { rows } = await sql<{ hits: number }>`select hits from ${table} where key = ${key} and window_start = ${this.windowOf(now)}`.execute(this.db);
    return Number(rows[0]?.hits ?? 0);
  }

  /**
   * The key's count in the window containing `now` as this instance knows it, without counting
   * a hit: exact, the table's count; batched, the shared total as of this instance's last flush
   * plus its hits not flushed yet (no query: a check on a hot path).
   */
  async seen(key: string, now: number): Promise<number> {
    if (this.exact) return this.peek(key, now);
    if (this.windowOf(now) !== this.window) return 0;
    return this.local(key);
  }

  /** Forgets the key's hits in every window (exact mode). */
  async reset(key: string): Promise<void> {
    this.assertExact('reset');
    await sql`delete from ${sql.table(this.table)} where key = ${key}`.execute(this.db);
  }

  /** Adds what is pending to the shared counters now (batched mode; tests and shutdown). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const window = this.window;
    const batch = this.pending;
    this.pending = new Map();
    this.inflight = batch;
    // The hits leave `inflight` in the same step as they enter `shared` (or go back to pending),
    // so no request in between sees them twice or not at all.
    const settled = () => {
      if (this.inflight === batch) this.inflight = new Map();
    };
    this.flushing = this.upsertAll([...batch], window)
      .then(
        (totals) => {
          // The totals include every instance's flushed hits; ours since the flush began stay pending.
          if (window === this.window) for (const [key, total] of totals) this.shared.set(key, total);
          settled();
        },
        (err: unknown) => {
          // Not lost: the hits go back into the next flush of the same window.
          if (window === this.window) for (const [key, n] of batch) this.pending.set(key, (this.pending.get(key) ?? 0) + n);
          settled();
          this.onError(err, 'flush');
        },
      )
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  /** Stops the flush timer after a last flush (batched mode). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private assertExact(what: string): void {
    // A batched counter holds hits no other instance has seen yet: a read or a reset of the table would not be the truth.
    if (!this.exact) throw new Error(`${what} needs an exact counter (syncMs 0), not a batched one`);
  }

  private hitBatched(keys: readonly string[], window: number): Map<string, number> {
    if (window !== this.window) {
      // Hits of a finished window no longer decide anything.
      this.window = window;
      this.shared = new Map();
      this.inflight = new Map();
      this.pending = new Map();
    }
    this.timer ??= setInterval(() => void this.flush(), this.syncMs).unref();
    const totals = new Map<string, number>();
    for (const key of keys) {
      this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
      totals.set(key, this.local(key));
    }
    return totals;
  }

  /** The key's count as this instance knows it: shared as last read, plus a flush in progress, plus pending. */
  private local(key: string): number {
    return (this.shared.get(key) ?? 0) + (this.inflight.get(key) ?? 0) + (this.pending.get(key) ?? 0);
  }

  private async upsertAll(hits: readonly (readonly [string, number])[], window: number): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (let i = 0; i < hits.length; i += MAX_ROWS_PER_UPSERT) {
      for (const [key, total] of await this.upsert(hits.slice(i, i + MAX_ROWS_PER_UPSERT), window)) totals.set(key, total);
    }
    return totals;
  }

  private async upsert(hits: readonly (readonly [string, number])[], window: number): Promise<Map<string, number>> {
    const parameters = hits.flatMap(([key, n]) => [key, window, n]);
    const { rows } = await this.db.executeQuery<{ key: string; hits: number }>(CompiledQuery.raw(this.upsertFor(hits.length), parameters));
    return new Map(rows.map((r) => [r.key, Number(r.hits)]));
  }

  private upsertFor(count: number): string {
    let text = this.upserts.get(count);
    if (text === undefined) {
      const rows = Array.from({ length: count }, () => sql`(${''}, ${0}, ${1})`);
      const table = sql.table(this.table);
      text = sql`insert into ${table} (key, window_start, hits) values ${sql.join(rows)}
        on conflict (key, window_start) do update set hits = ${table}.hits + excluded.hits
        returning key, hits`.compile(this.db).sql;
      // Flushes bind one row per key seen in an interval; only the common small sizes are kept.
      if (count <= 8) this.upserts.set(count, text);
    }
    return text;
  }

  /**
   * Once per window and instance, past windows are deleted in the background; an instance
   * that misses it leaves the work to the next window, nothing depends on it.
   */
  private dropBefore(window: number): void {
    this.lastCleanup = window;
    sql`delete from ${sql.table(this.table)} where window_start < ${window}`
      .execute(this.db)
      .catch((err: unknown) => this.onError(err, 'cleanup'));
  }
}

export interface RateCounterSetup {
  /** The counters' table (see createRateCounterTable), one window length per table. */
  table: string;
  windowMs: number;
  /** 0: exact; above 0: batched (see RateCounterOptions.syncMs). */
  syncMs: number;
  logger: Logger;
}

/** A counter whose background failures (a flush, a cleanup) are logged: how every app builds its counters. */
export function createRateCounter(db: CounterDb, setup: RateCounterSetup): RateCounter {
  const { logger, table, windowMs, syncMs } = setup;
  return new RateCounter(db, {
    table,
    windowMs,
    syncMs,
    onError: (err, what) =>
      logger.warn(
        { err, table },
        what === 'flush' ? 'could not add rate-limit hits to the shared counters; retrying' : 'could not delete expired rate-limit windows',
      ),
  });
}

/**
 * The table a RateCounter counts in (a migration step): one row per key and window. Counters
 * need no durability: on PostgreSQL the table is unlogged, skipping the WAL (a crash empties
 * it, which only resets the current windows; it halved the counter's cost). `durable` keeps
 * the WAL for counts a crash must not reset (lockouts).
 */
export async function createRateCounterTable(db: Kysely<unknown>, table: string, options: { durable?: boolean } = {}): Promise<void> {
  const unlogged = !options.durable && db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable(table)
    .$call((b) => (unlogged ? b.modifyFront(sql`unlogged`) : b))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint(`${table}_pk`, ['key', 'window_start'])
    .execute();
  // Expired windows are deleted by age.
  await db.schema.createIndex(`${table}_window_idx`).on(table).column('window_start').execute();
}

/**
 * A per-minute allowance (client metadata, the access token's `rl` claim) as a count per counter
 * window, rounded up; 0 stays 0 (no limit). With the default 60 s windows it is the same number.
 */
export function perWindow(perMinute: number, windowMs: number): number {
  return perMinute === 0 ? 0 : Math.max(1, Math.ceil((perMinute * windowMs) / 60_000));
}

/** The inverse of perWindow: a per-window count as a per-minute allowance (0 stays 0). */
export function perMinute(perWindowCount: number, windowMs: number): number {
  return perWindowCount === 0 ? 0 : Math.max(1, Math.ceil((perWindowCount * 60_000) / windowMs));
}
