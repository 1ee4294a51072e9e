import { randomUUID } from 'node:crypto';
import type { Logger } from '@apps/shared';
import type { Kysely } from 'kysely';
import type { AuthSchema } from '../db/schema.js';

export type AuditType =
  | 'login.success'
  | 'login.failure'
  | 'login.lockout'
  | 'login.blocked'
  | 'consent.granted'
  | 'consent.denied'
  | 'token.issued'
  | 'token.refreshed'
  | 'token.revoked'
  | 'refresh_token.reuse_detected'
  | 'grant.revoked'
  | 'client.registered'
  | 'client.deleted'
  | 'client.pkce_optional'
  | 'rate_limit.exceeded';

export interface AuditEvent {
  type: AuditType;
  actor?: string | undefined;
  clientId?: string | undefined;
  ip?: string | undefined;
  /** Facts only (jti, scope, reason) — never a secret, password or token value. */
  detail?: Record<string, unknown>;
}

/** Security events, in the database and in the log. Writing never breaks the request it describes. */
export class AuditLog {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly logger: Logger,
  ) {}

  record(event: AuditEvent): Promise<void> {
    this.logger.info({ audit: event.type, actor: event.actor, clientId: event.clientId, ip: event.ip, ...event.detail }, 'audit');
    return this.db
      .insertInto('audit_events')
      .values({
        id: randomUUID(),
        at: Date.now(),
        type: event.type,
        actor: event.actor ?? null,
        client_id: event.clientId ?? null,
        ip: event.ip ?? null,
        detail: event.detail ? JSON.stringify(event.detail) : null,
      })
      .execute()
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err: { message: (err as Error).message }, audit: event.type }, 'audit write failed'),
      );
  }
}
