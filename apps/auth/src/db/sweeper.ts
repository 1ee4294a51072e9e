import type { Logger } from '@apps/shared';
import type { Kysely } from 'kysely';
import { hashStoredSecrets } from './hash-stored-secrets.js';
import type { AuthSchema } from './schema.js';
import type { SecretIds } from './secret-ids.js';
import type { ConsentEndings } from '../consents/consent-endings.js';

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

/** Ends the consents past their expiry and prunes those ended 13 months ago; returns how many expired. */
export async function sweepConsents(consents: ConsentEndings): Promise<number> {
  const expired = await consents.expireDue();
  await consents.store.prune();
  return expired.length;
}

/**
 * Runs the sweep on an interval; failures are logged and retried next time. With `ids`, each run
 * also re-keys rows an instance of a release before 0009 wrote with their raw id during a rolling
 * upgrade, so new instances find them within one interval (db/hash-stored-secrets.ts).
 */
export function startSweeper(
  db: Kysely<AuthSchema>,
  logger: Logger,
  intervalMs: number,
  auditRetentionMs?: number,
  ids?: SecretIds,
  consents?: ConsentEndings,
): () => void {
  const timer = setInterval(() => {
    if (consents) {
      // Consents past their expiry end (EXPIRED, feed change, grant and tokens gone); those ended
      // over 13 months ago go.
      sweepConsents(consents).then(
        (n) => n > 0 && logger.info({ expired: n }, 'expired consents ended'),
        (err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'consent expiry failed'),
      );
    }
    sweepExpired(db, Date.now(), auditRetentionMs).then(
      (n) => n > 0 && logger.debug({ deleted: n }, 'expired rows swept'),
      (err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'sweep failed'),
    );
    if (ids) {
      hashStoredSecrets(db, ids).then(
        (n) => n > 0 && logger.info({ converted: n }, 'stored tokens and sessions re-keyed under TOKEN_HASH_KEY'),
        (err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 're-keying failed'),
      );
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
