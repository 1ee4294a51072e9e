import type { Kysely } from 'kysely';
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
  async revoke(grantId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
      const grant = await trx.deleteFrom('oidc_models').where('model', '=', 'Grant').where('id', '=', grantId).executeTakeFirst();
      return Number(grant.numDeletedRows) > 0;
    });
  }

  /** Revokes every grant of a client (when the client is deleted); returns their ids. */
  async revokeForClient(clientId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('oidc_models').select('id').where('model', '=', 'Grant').where('client_id', '=', clientId).execute();
    for (const row of rows) await this.revoke(row.id);
    return rows.map((r) => r.id);
  }
}
