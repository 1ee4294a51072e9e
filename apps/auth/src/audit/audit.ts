import { randomUUID } from 'node:crypto';
import type { Logger } from '@apps/shared';
import type { Kysely } from 'kysely';
import type { AuditEventTable, AuthSchema } from '../db/schema.js';

export type AuditType =
  | 'login.success'
  | 'login.failure'
  | 'login.lockout'
  | 'login.blocked'
  | 'consent.granted'
  | 'consent.denied'
  | 'consent.ended'
  | 'consent.expired'
  | 'token.issued'
  | 'token.refreshed'
  | 'token.revoked'
  | 'refresh_token.reuse_detected'
  | 'grant.revoked'
  | 'client.registered'
  | 'client.deleted'
  | 'client.created'
  | 'client.secret_rotated'
  | 'client.rate_limits_set'
  | 'client.disabled'
  | 'client.enabled'
  | 'key.generated'
  | 'key.promoted'
  | 'key.retired'
  | 'client.pkce_optional'
  | 'rate_limit.exceeded'
  | 'customer.added'
  | 'customer.imported'
  | 'customer.blocked'
  | 'customer.unblocked'
  | 'customer.unlocked'
  | 'customer.password_set'
  | 'customer.deleted';

export interface AuditEvent {
  type: AuditType;
  actor?: string | undefined;
  clientId?: string | undefined;
  ip?: string | undefined;
  /** Facts only (jti, scope, reason) — never a secret, password or token value. */
  detail?: Record<string, unknown>;
}

/** Rows per insert statement: far below SQLite's and PostgreSQL's bound-parameter limits. */
const MAX_ROWS_PER_INSERT = 100;

/**
 * Security events, in the database and in the log. Writing never breaks the request it describes.
 * Events recorded in the same turn of the event loop are written together, in one statement per
 * 100 (one commit instead of one per event); each record() settles once its event is written.
 */
export class AuditLog {
  private queue: Array<{ row: AuditEventTable; type: AuditType; written: () => void }> = [];
  private scheduled = false;
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly logger: Logger,
    /** Sees every event as it is recorded (the OP's metrics count logins, lockouts and consents from them). */
    private readonly observe?: (event: AuditEvent) => void,
  ) {}

  record(event: AuditEvent): Promise<void> {
    this.observe?.(event);
    this.logger.info({ audit: event.type, actor: event.actor, clientId: event.clientId, ip: event.ip, ...event.detail }, 'audit');
    const row: AuditEventTable = {
      id: randomUUID(),
      at: Date.now(),
      type: event.type,
      actor: event.actor ?? null,
      client_id: event.clientId ?? null,
      ip: event.ip ?? null,
      detail: event.detail ? JSON.stringify(event.detail) : null,
    };
    return new Promise<void>((written) => {
      this.queue.push({ row, type: event.type, written });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.write());
      }
    });
  }

  /** Writes what is queued and waits for writes in progress (before the database closes). */
  async flush(): Promise<void> {
    if (this.queue.length > 0) void this.write();
    await Promise.all(this.writing);
  }

  private write(): Promise<void> {
    const done = this.writeQueued().finally(() => this.writing.delete(done));
    this.writing.add(done);
    return done;
  }

  private async writeQueued(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (let i = 0; i < batch.length; i += MAX_ROWS_PER_INSERT) {
      const chunk = batch.slice(i, i + MAX_ROWS_PER_INSERT);
      try {
        await this.db
          .insertInto('audit_events')
          .values(chunk.map((e) => e.row))
          .execute();
      } catch (err) {
        this.logger.warn({ err: { message: (err as Error).message }, audit: chunk.map((e) => e.type) }, 'audit write failed');
      }
      for (const e of chunk) e.written();
    }
  }
}
