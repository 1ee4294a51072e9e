import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { ApiSchema } from './schema.js';

/**
 * Fixed-window request counters in the API's database, so that every instance on one
 * PostgreSQL counts against the same limit. One statement per request: a multi-row upsert
 * that increments each key's counter for the current window and returns the new totals.
 * The statement text is compiled once per number of keys; a request only binds values.
 */
export class RateCounter {
  private lastWindow = 0;
  private readonly upserts = new Map<number, string>();

  constructor(
    private readonly db: Kysely<ApiSchema>,
    private readonly windowMs: number,
    private readonly onCleanupError: (err: unknown) => void = () => {},
  ) {}

  windowOf(now: number): number {
    return now - (now % this.windowMs);
  }

  /** Counts one hit on each key in the window containing `now`; returns the totals by key. */
  async hit(keys: readonly string[], now: number): Promise<Map<string, number>> {
    const window = this.windowOf(now);
    if (window !== this.lastWindow) this.dropBefore(window);
    const parameters = keys.flatMap((key) => [key, window]);
    const { rows } = await this.db.executeQuery<{ key: string; hits: number }>(CompiledQuery.raw(this.upsertFor(keys.length), parameters));
    return new Map(rows.map((r) => [r.key, Number(r.hits)]));
  }

  private upsertFor(count: number): string {
    let text = this.upserts.get(count);
    if (text === undefined) {
      const rows = Array.from({ length: count }, () => sql`(${''}, ${0}, 1)`);
      text = sql`insert into rate_limit (key, window_start, hits) values ${sql.join(rows)}
        on conflict (key, window_start) do update set hits = rate_limit.hits + 1
        returning key, hits`.compile(this.db).sql;
      this.upserts.set(count, text);
    }
    return text;
  }

  /**
   * Once per window and instance, past windows are deleted in the background; an instance
   * that misses it leaves the work to the next window, nothing depends on it.
   */
  private dropBefore(window: number): void {
    this.lastWindow = window;
    this.db
      .deleteFrom('rate_limit')
      .where('window_start', '<', window)
      .execute()
      .catch(this.onCleanupError);
  }
}
