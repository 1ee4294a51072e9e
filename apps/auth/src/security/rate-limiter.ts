import { sql, type Kysely } from 'kysely';
import type { AuthSchema } from '../db/schema.js';

export interface Hit {
  count: number;
  /** Epoch ms when the window ends. */
  resetAt: number;
}

/**
 * Fixed-window counters in the database, so every instance sees the same counts.
 * One upsert per hit: a spent window restarts at 1, otherwise the count goes up.
 */
export class RateLimiter {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(key: string, windowSeconds: number): Promise<Hit> {
    const now = this.now();
    const resetAt = now + windowSeconds * 1000;
    const row = await this.db
      .insertInto('rate_limits')
      .values({ key, count: 1, reset_at: resetAt })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: sql<number>`case when rate_limits.reset_at <= ${now} then 1 else rate_limits.count + 1 end`,
          reset_at: sql<number>`case when rate_limits.reset_at <= ${now} then ${resetAt} else rate_limits.reset_at end`,
        }),
      )
      .returning(['count', 'reset_at'])
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), resetAt: Number(row.reset_at) };
  }

  async peek(key: string): Promise<Hit | undefined> {
    const row = await this.db.selectFrom('rate_limits').select(['count', 'reset_at']).where('key', '=', key).executeTakeFirst();
    if (!row || row.reset_at <= this.now()) return undefined;
    return { count: Number(row.count), resetAt: Number(row.reset_at) };
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('rate_limits').where('key', '=', key).execute();
  }

  retryAfterSeconds(hit: Hit): number {
    return Math.max(1, Math.ceil((hit.resetAt - this.now()) / 1000));
  }
}
