import type { Logger } from '@apps/shared';
import type { Kysely } from 'kysely';
import type { AppSchema } from './schema.js';

/** Deletes expired sessions (lookups ignore them regardless). Returns how many rows went. */
export async function sweepExpiredSessions(db: Kysely<AppSchema>, nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
  const result = await db.deleteFrom('app_sessions').where('expires_at', '<=', nowSeconds).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sweeps at once and then on an interval; failures are logged and retried next time. */
export function startSweeper(db: Kysely<AppSchema>, logger: Logger, intervalMs: number): () => void {
  const sweep = () => void sweepExpiredSessions(db).catch((err: unknown) => logger.warn({ err }, 'session purge failed'));
  sweep();
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
