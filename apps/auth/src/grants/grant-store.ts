import { sql, type Kysely } from 'kysely';
import type { AuthSchema } from '../db/schema.js';

/** One consent a customer gave a client, as `pnpm kit grants` shows it. */
export interface GrantSummary {
  grantId: string;
  customer: string | null;
  client: string | null;
  /** OpenID scopes and API (resource) scopes granted, deduplicated. */
  scopes: string[];
  createdAt: string | null;
  expiresAt: string | null;
}

interface GrantPayload {
  accountId?: string;
  clientId?: string;
  openid?: { scope?: string };
  resources?: Record<string, string>;
  iat?: number;
  exp?: number;
}

/** `LIKE` pattern text for a literal value (`\` escapes). */
const likeLiteral = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Deletes a grant and every token and code issued under it (the adapter's grant_id index). */
async function deleteGrant(db: Kysely<AuthSchema>, grantId: string): Promise<boolean> {
  await db.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
  const grant = await db.deleteFrom('oidc_models').where('model', '=', 'Grant').where('id', '=', grantId).executeTakeFirst();
  return Number(grant.numDeletedRows) > 0;
}

const isoFromSeconds = (s: unknown) => (typeof s === 'number' ? new Date(s * 1000).toISOString() : null);

function summarize(id: string, payloadText: string): GrantSummary {
  const payload = JSON.parse(payloadText) as GrantPayload;
  const scopes = [payload.openid?.scope ?? '', ...Object.values(payload.resources ?? {})].flatMap((s) => s.split(' ')).filter(Boolean);
  return {
    grantId: id,
    customer: payload.accountId ?? null,
    client: payload.clientId ?? null,
    scopes: [...new Set(scopes)],
    createdAt: isoFromSeconds(payload.iat),
    expiresAt: isoFromSeconds(payload.exp),
  };
}

/** The OP's grants (oidc-provider `Grant` rows) for operators: find them, revoke them. */
export class GrantStore {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Live grants of one customer and/or one client, newest first. */
  async list(filter: { customer?: string | undefined; client?: string | undefined }): Promise<GrantSummary[]> {
    let query = this.db
      .selectFrom('oidc_models')
      .select(['id', 'payload'])
      .where('model', '=', 'Grant')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', this.now())]));
    if (filter.customer !== undefined) query = query.where('account_id', '=', filter.customer);
    if (filter.client !== undefined) query = query.where('client_id', '=', filter.client);
    const rows = await query.execute();
    return rows.map((r) => summarize(r.id, r.payload)).sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  }

  async find(grantId: string): Promise<GrantSummary | undefined> {
    const row = await this.db.selectFrom('oidc_models').select(['id', 'payload']).where('model', '=', 'Grant').where('id', '=', grantId).executeTakeFirst();
    return row && summarize(row.id, row.payload);
  }

  /**
   * What oidc-provider does when it revokes a grant: the grant goes, and with it every token and
   * code issued under it (the adapter's grant_id index). Refresh tokens then get `invalid_grant`
   * and opaque tokens introspect inactive. Returns whether the grant existed.
   */
  revoke(grantId: string): Promise<boolean> {
    return this.atomically((db) => deleteGrant(db, grantId));
  }

  /** Revokes every grant of a client (when the client is deleted); returns their ids. */
  async revokeForClient(clientId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('oidc_models').select('id').where('model', '=', 'Grant').where('client_id', '=', clientId).execute();
    for (const row of rows) await this.revoke(row.id);
    return rows.map((r) => r.id);
  }

  /**
   * Everything the OP holds for one customer: their grants with every token issued under them,
   * and their sessions (which carry the account id only inside the payload, so candidates are
   * found by text and confirmed by parsing). Joins the caller's transaction when given one.
   */
  async revokeForCustomer(customerId: string): Promise<{ grants: string[]; sessions: number }> {
    return this.atomically(async (db) => {
      const grantRows = await db.selectFrom('oidc_models').select('id').where('model', '=', 'Grant').where('account_id', '=', customerId).execute();
      for (const row of grantRows) await deleteGrant(db, row.id);
      const pattern = `%"accountId":${likeLiteral(JSON.stringify(customerId))}%`;
      const sessionRows = await db
        .selectFrom('oidc_models')
        .select(['id', 'payload'])
        .where('model', '=', 'Session')
        .where(sql<boolean>`payload like ${pattern} escape '\\'`)
        .execute();
      const sessions = sessionRows.filter((row) => (JSON.parse(row.payload) as { accountId?: unknown }).accountId === customerId).map((row) => row.id);
      if (sessions.length > 0) await db.deleteFrom('oidc_models').where('model', '=', 'Session').where('id', 'in', sessions).execute();
      return { grants: grantRows.map((r) => r.id), sessions: sessions.length };
    });
  }

  private atomically<T>(work: (db: Kysely<AuthSchema>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work);
  }
}
