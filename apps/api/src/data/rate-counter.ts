import type { Kysely } from 'kysely';
import type { ApiSchema } from './schema.js';

/**
 * Fixed-window request counters in the API's database, so that every instance on one
 * PostgreSQL counts against the same limit. One statement per request: a multi-row upsert
 * that increments each key's counter for the current window and returns the new totals.
 */
export class RateCounter {
  private lastWindow = 0;

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
    const rows = await this.db
      .insertInto('rate_limit')
      .values(keys.map((key) => ({ key, window_start: window, hits: 1 })))
      .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet((eb) => ({ hits: eb('rate_limit.hits', '+', 1) })))
      .returning(['key', 'hits'])
      .execute();
    return new Map(rows.map((r) => [r.key, Number(r.hits)]));
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
