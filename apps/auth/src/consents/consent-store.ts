import { randomUUID } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { AuthSchema, ConsentChangeTable, ConsentTable } from '../db/schema.js';
import { GrantStore } from '../grants/grant-store.js';

export const CONSENT_STATUSES = ['ACTIVE', 'EXPIRED', 'REVOKED'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];
export const ENDED_BY = ['customer', 'client', 'operator', 'system'] as const;
export type EndedBy = (typeof ENDED_BY)[number];

const DAY_MS = 86_400_000;
/** Ended consents stay listed for the customer (and in the feed's history) this long: 13 months. */
export const ENDED_RETENTION_MS = 396 * DAY_MS;
/** touch() writes last-used at most this often per consent. */
const TOUCH_EVERY_MS = 60_000;

/** One consent a customer gave a client (one per grant). Times are epoch milliseconds. */
export interface Consent {
  id: string;
  grantId: string;
  clientId: string;
  customerId: string;
  status: ConsentStatus;
  scopes: string[];
  /** The FDX accountIds shared; null: all the customer's accounts (the client runs its own selection). */
  accountIds: string[] | null;
  durationDays: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  lastUsedAt: number | null;
  endedAt: number | null;
  endedBy: EndedBy | null;
  endReason: string | null;
  initiator: string | null;
}

export interface NewConsent {
  grantId: string;
  clientId: string;
  customerId: string;
  scopes: string[];
  accountIds: string[] | null;
  durationDays: number;
}

export interface Ending {
  status: Exclude<ConsentStatus, 'ACTIVE'>;
  by: EndedBy;
  reason?: string | undefined;
  initiator?: string | undefined;
}

/** One entry of the change feed / revocation history. */
export interface ConsentChange {
  seq: number;
  consentId: string;
  status: Exclude<ConsentStatus, 'ACTIVE'>;
  at: number;
  endedBy: EndedBy;
  reason: string | null;
  initiator: string | null;
}

function toConsent(row: Selectable<ConsentTable>): Consent {
  return {
    id: row.id,
    grantId: row.grant_id,
    clientId: row.client_id,
    customerId: row.customer_id,
    status: row.status as ConsentStatus,
    scopes: row.scopes.split(' ').filter(Boolean),
    accountIds: row.account_ids === null ? null : (JSON.parse(row.account_ids) as string[]),
    durationDays: Number(row.duration_days),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    expiresAt: Number(row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    endedAt: row.ended_at === null ? null : Number(row.ended_at),
    endedBy: row.ended_by as EndedBy | null,
    endReason: row.end_reason,
    initiator: row.initiator,
  };
}

function toChange(row: Selectable<ConsentChangeTable>): ConsentChange {
  return {
    seq: Number(row.seq),
    consentId: row.consent_id,
    status: row.status as ConsentChange['status'],
    at: Number(row.at),
    endedBy: row.ended_by as EndedBy,
    reason: row.reason,
    initiator: row.initiator,
  };
}

/** An arbitrary constant: the PostgreSQL advisory lock that orders consent_changes writers. */
const FEED_LOCK = 160_016;

/**
 * Consents (issue 16): created at the consent step, ended by whoever ends them. Ending a consent
 * records a change (the feed the API polls) and destroys its oidc-provider grant with every
 * token issued under it, in one transaction.
 */
export class ConsentStore {
  /** When touch() last wrote each consent's last-used time (this instance only). */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: NewConsent): Promise<Consent> {
    const now = this.now();
    const row: ConsentTable = {
      id: randomUUID(),
      grant_id: input.grantId,
      client_id: input.clientId,
      customer_id: input.customerId,
      status: 'ACTIVE',
      scopes: [...new Set(input.scopes)].join(' '),
      account_ids: input.accountIds === null ? null : JSON.stringify(input.accountIds),
      duration_days: input.durationDays,
      created_at: now,
      updated_at: now,
      expires_at: now + input.durationDays * DAY_MS,
      last_used_at: null,
      ended_at: null,
      ended_by: null,
      end_reason: null,
      initiator: null,
    };
    await this.db.insertInto('consents').values(row).execute();
    return toConsent(row);
  }

  async get(id: string): Promise<Consent | undefined> {
    const row = await this.db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toConsent(row);
  }

  /** The consent of an oidc-provider grant (the newest, should a grant ever have had two). */
  async byGrant(grantId: string): Promise<Consent | undefined> {
    const row = await this.db.selectFrom('consents').selectAll().where('grant_id', '=', grantId).orderBy('created_at', 'desc').executeTakeFirst();
    return row && toConsent(row);
  }

  /** A customer's consents, newest first, at most `limit`: the active ones and those ended in the last 13 months. */
  async listForCustomer(customerId: string, limit = 1000): Promise<Consent[]> {
    const since = this.now() - ENDED_RETENTION_MS;
    const rows = await this.db
      .selectFrom('consents')
      .selectAll()
      .where('customer_id', '=', customerId)
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', since)]))
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toConsent);
  }

  /** Consents for operators: by customer and/or client, optionally only the active ones, newest first. */
  async list(filter: { customer?: string | undefined; client?: string | undefined; active?: boolean }): Promise<Consent[]> {
    let query = this.db.selectFrom('consents').selectAll();
    if (filter.customer !== undefined) query = query.where('customer_id', '=', filter.customer);
    if (filter.client !== undefined) query = query.where('client_id', '=', filter.client);
    if (filter.active) query = query.where('status', '=', 'ACTIVE');
    const rows = await query.orderBy('created_at', 'desc').limit(1000).execute();
    return rows.map(toConsent);
  }

  /** Active consents of a customer (e.g. to end them all when the customer is blocked). */
  async activeForCustomer(customerId: string): Promise<Consent[]> {
    const rows = await this.db.selectFrom('consents').selectAll().where('customer_id', '=', customerId).where('status', '=', 'ACTIVE').execute();
    return rows.map(toConsent);
  }

  /**
   * Ends a consent: its status, who ended it and why, a feed change, and its grant destroyed with
   * every token and code issued under it. Idempotent: an ended consent is returned as it is
   * (`changed: false`). Undefined for an unknown id. Joins the caller's transaction when given one.
   */
  async end(id: string, ending: Ending): Promise<{ consent: Consent; changed: boolean } | undefined> {
    return this.atomically(async (db) => {
      await this.lockFeed(db);
      const now = this.now();
      const updated = await db
        .updateTable('consents')
        .set({
          status: ending.status,
          updated_at: now,
          ended_at: now,
          ended_by: ending.by,
          end_reason: ending.reason ?? null,
          initiator: ending.initiator ?? null,
        })
        .where('id', '=', id)
        .where('status', '=', 'ACTIVE')
        .executeTakeFirst();
      const changed = Number(updated.numUpdatedRows) > 0;
      const row = await db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      if (changed) {
        await db
          .insertInto('consent_changes')
          .values({ consent_id: id, status: ending.status, at: now, ended_by: ending.by, reason: ending.reason ?? null, initiator: ending.initiator ?? null })
          .execute();
        await new GrantStore(db).revoke(row.grant_id);
        this.touched.delete(id);
      }
      return { consent: toConsent(row), changed };
    });
  }

  /** Ends the active consent of a grant, if any (the grant went another way: revocation, reuse…). */
  async endByGrant(grantId: string, ending: Ending): Promise<Consent | undefined> {
    const consent = await this.byGrant(grantId);
    if (!consent || consent.status !== 'ACTIVE') return undefined;
    const ended = await this.end(consent.id, ending);
    return ended?.changed ? ended.consent : undefined;
  }

  /** Active consents past their expiry, each marked EXPIRED by the system; returns those it ended. */
  async expireDue(limit = 500): Promise<Consent[]> {
    const due = await this.db
      .selectFrom('consents')
      .select('id')
      .where('status', '=', 'ACTIVE')
      .where('expires_at', '<=', this.now())
      .limit(limit)
      .execute();
    const ended: Consent[] = [];
    for (const { id } of due) {
      const result = await this.end(id, { status: 'EXPIRED', by: 'system', reason: 'expired' });
      if (result?.changed) ended.push(result.consent);
    }
    return ended;
  }

  /**
   * Records use (a token issued under the consent). Cheap: at most one write per consent per
   * minute on this instance, and the write itself skips rows touched within the minute.
   */
  async touch(id: string): Promise<void> {
    const now = this.now();
    const last = this.touched.get(id);
    if (last !== undefined && now - last < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    if (this.touched.size > 10_000) this.touched.clear();
    await this.db
      .updateTable('consents')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - TOUCH_EVERY_MS)]))
      .execute();
  }

  /**
   * The change feed. With `after`: changes with a greater seq, oldest first, up to `limit`; `next`
   * is the last seq returned (or `after`). Without: the changes made since `since` (epoch ms) and
   * `next` the highest seq (0 for none), so the caller starts from now.
   */
  async changesAfter(after: number | undefined, limit: number, since = 0): Promise<{ changes: ConsentChange[]; next: number }> {
    if (after !== undefined) {
      const rows = await this.db.selectFrom('consent_changes').selectAll().where('seq', '>', after).orderBy('seq').limit(limit).execute();
      const changes = rows.map(toChange);
      return { changes, next: changes.at(-1)?.seq ?? after };
    }
    const top = await this.db.selectFrom('consent_changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    const highest = top?.seq === null || top?.seq === undefined ? 0 : Number(top.seq);
    const rows = await this.db.selectFrom('consent_changes').selectAll().where('at', '>', since).where('seq', '<=', highest).orderBy('seq').limit(limit).execute();
    const changes = rows.map(toChange);
    return { changes, next: changes.length === limit ? changes.at(-1)!.seq : highest };
  }

  /** A consent's status changes, oldest first (the FDX revocation history). */
  async history(id: string): Promise<ConsentChange[]> {
    const rows = await this.db.selectFrom('consent_changes').selectAll().where('consent_id', '=', id).orderBy('seq').execute();
    return rows.map(toChange);
  }

  /** Deletes consents ended, and feed changes made, more than 13 months ago. Returns how many rows went. */
  async prune(): Promise<number> {
    const before = this.now() - ENDED_RETENTION_MS;
    const consents = await this.db.deleteFrom('consents').where('ended_at', '<', before).executeTakeFirst();
    const changes = await this.db.deleteFrom('consent_changes').where('at', '<', before).executeTakeFirst();
    return Number(consents.numDeletedRows) + Number(changes.numDeletedRows);
  }

  /**
   * PostgreSQL: writers of consent_changes take turns (transaction-scoped advisory lock), so a seq
   * is never committed after a greater one a poller may already have read past. SQLite has one
   * writer at a time anyway.
   */
  private async lockFeed(db: Kysely<AuthSchema>): Promise<void> {
    if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`select pg_advisory_xact_lock(${FEED_LOCK})`.execute(db);
  }

  private atomically<T>(work: (db: Kysely<AuthSchema>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work);
  }
}
