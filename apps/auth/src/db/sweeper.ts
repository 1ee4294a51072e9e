import type { Logger } from '@apps/shared';
import type { Kysely } from 'kysely';
import type { AuthSchema } from './schema.js';

/**
 * Deletes expired OIDC rows, spent windows of rate_limits (left by instances of an older
 * release; the RateCounter tables drop their own past windows) and, with a retention
 * (AUDIT_RETENTION_DAYS), older audit events. Returns how many rows went.
 */
export async function sweepExpired(db: Kysely<AuthSchema>, now = Date.now(), auditRetentionMs?: number): Promise<number> {
  const models = await db.deleteFrom('oidc_models').where('expires_at', '<=', now).executeTakeFirst();
  const limits = await db.deleteFrom('rate_limits').where('reset_at', '<=', now).executeTakeFirst();
  const audit = auditRetentionMs === undefined ? undefined : await db.deleteFrom('audit_events').where('at', '<', now - auditRetentionMs).executeTakeFirst();
  return Number(models.numDeletedRows) + Number(limits.numDeletedRows) + Number(audit?.numDeletedRows ?? 0);
}

/** Runs the sweep on an interval; failures are logged and retried next time. */
export function startSweeper(db: Kysely<AuthSchema>, logger: Logger, intervalMs: number, auditRetentionMs?: number): () => void {
  const timer = setInterval(() => {
    sweepExpired(db, Date.now(), auditRetentionMs).then(
      (n) => n > 0 && logger.debug({ deleted: n }, 'expired rows swept'),
      (err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'sweep failed'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
