import type { Kysely } from 'kysely';
import type { AuthSchema } from '../db/schema.js';

export interface AuditFilter {
  type?: string | undefined;
  actor?: string | undefined;
  clientId?: string | undefined;
  /** Epoch milliseconds, inclusive. */
  since?: number | undefined;
  /** Epoch milliseconds, exclusive. */
  until?: number | undefined;
}

/** One audit event as operators read and export it. */
export interface AuditRecord {
  id: string;
  at: string;
  type: string;
  actor: string | null;
  clientId: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
}

type Row = AuthSchema['audit_events'];

const toRecord = (r: Row): AuditRecord => ({
  id: r.id,
  at: new Date(Number(r.at)).toISOString(),
  type: r.type,
  actor: r.actor,
  clientId: r.client_id,
  ip: r.ip,
  detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
});

/** Reading and pruning the audit log (what AuditLog writes); every filter has an index (0006). */
export class AuditQuery {
  constructor(private readonly db: Kysely<AuthSchema>) {}

  private filtered(filter: AuditFilter) {
    let query = this.db.selectFrom('audit_events').selectAll();
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    return query;
  }

  /** The newest `limit` matching events, newest first. */
  async latest(filter: AuditFilter, limit: number): Promise<AuditRecord[]> {
    const rows = await this.filtered(filter).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toRecord);
  }

  /** Every matching event, oldest first, read `pageSize` at a time (keyset on at, id): never all in memory. */
  async *pages(filter: AuditFilter, pageSize = 1000): AsyncGenerator<AuditRecord[]> {
    let after: { at: number; id: string } | undefined;
    for (;;) {
      let query = this.filtered(filter);
      if (after) {
        const { at, id } = after;
        query = query.where((eb) => eb.or([eb('at', '>', at), eb.and([eb('at', '=', at), eb('id', '>', id)])]));
      }
      const rows = await query.orderBy('at').orderBy('id').limit(pageSize).execute();
      if (rows.length > 0) yield rows.map(toRecord);
      if (rows.length < pageSize) return;
      const last = rows.at(-1)!;
      after = { at: Number(last.at), id: last.id };
    }
  }

  /** Deletes events older than `before` (epoch ms); returns how many went. */
  async prune(before: number): Promise<number> {
    const result = await this.db.deleteFrom('audit_events').where('at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
