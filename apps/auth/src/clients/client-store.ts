import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuthSchema } from '../db/schema.js';
import { ALL_SCOPES } from '../provider/scopes.js';
import { rateLimitsSchema, type ClientRateLimits } from '../security/client-limits.js';
import { staticClientSchema, type StaticClient } from './static-clients.js';

/** Where a client the OP knows comes from; static clients win (oidc-provider looks them up first). */
export type ClientSource = 'static' | 'cli' | 'registration';

export interface ClientSummary {
  clientId: string;
  name: string | null;
  source: ClientSource;
  type: 'confidential' | 'public';
  status: 'enabled' | 'disabled';
  redirectUris: string[];
  grantTypes: string[];
  fdxScopes: string[];
  requirePar: boolean;
  /** Whether the consent page asks the customer which accounts to share (false: the client selects). */
  accountSelection: boolean;
  /** The client's own consent duration (days); null: CONSENT_DURATION_DAYS. */
  consentDurationDays: number | null;
  /** The client's own allowances (requests per minute, 0: none); absent fields take its kind's default. */
  rateLimits: ClientRateLimits;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface NewClient {
  clientId?: string | undefined;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[] | undefined;
  public: boolean;
  fdxScopes?: string[] | undefined;
  grantTypes?: string[] | undefined;
  scope?: string | undefined;
  /** RFC 9126: authorization requests only through PAR. */
  requirePar?: boolean | undefined;
  accountSelection?: boolean | undefined;
  consentDurationDays?: number | undefined;
  rateLimits?: ClientRateLimits | undefined;
}

/** A static client (env / .env.clients.json) is changed there, never in the database. */
export class StaticClientError extends Error {}
export class ClientExistsError extends Error {}
export class ClientValidationError extends Error {}

/** A client secret: 256 random bits, shown to the operator once. */
const newSecret = () => randomBytes(32).toString('base64url');

type Metadata = StaticClient & Record<string, unknown>;

function summary(metadata: Metadata, source: ClientSource, row?: { disabled_at: number | null; created_at: number; updated_at: number }): ClientSummary {
  return {
    clientId: metadata.client_id,
    name: metadata.client_name ?? null,
    source,
    type: metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
    status: row?.disabled_at ? 'disabled' : 'enabled',
    redirectUris: metadata.redirect_uris,
    grantTypes: metadata.grant_types ?? ['authorization_code'],
    fdxScopes: metadata.fdx_scopes ?? [],
    requirePar: metadata.require_pushed_authorization_requests === true,
    accountSelection: metadata.account_selection !== false,
    consentDurationDays: typeof metadata.consent_duration_days === 'number' ? metadata.consent_duration_days : null,
    rateLimits: metadata.rate_limits ?? {},
    createdAt: row ? new Date(row.created_at).toISOString() : null,
    updatedAt: row ? new Date(row.updated_at).toISOString() : null,
  };
}

/**
 * The OP's clients for operators: static ones (read only), those added from the CLI (table
 * `clients`, what this store writes) and those registered over HTTP (oidc_models). Secrets are
 * stored as oidc-provider reads them, like registered clients' (hashing them at rest is issue 16).
 */
export class ClientStore {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly staticClients: readonly StaticClient[],
    private readonly now: () => number = Date.now,
  ) {}

  private isStatic(clientId: string): boolean {
    return this.staticClients.some((c) => c.client_id === clientId);
  }

  private refuseStatic(clientId: string): void {
    if (this.isStatic(clientId)) {
      throw new StaticClientError(`client ${clientId} is configured statically (OIDC_CLIENTS / clients file); change it there`);
    }
  }

  /** Adds a client; returns it with its secret (the only time the secret is shown). */
  async add(input: NewClient): Promise<{ client: ClientSummary; secret: string | undefined }> {
    // Hex: a generated id never starts with `-` (which a command line would take for an option).
    const clientId = input.clientId ?? randomBytes(16).toString('hex');
    this.refuseStatic(clientId);
    // What oidc-provider would refuse only when the client is first used.
    const unknown = (input.scope ?? '').split(' ').filter((s) => s && !ALL_SCOPES.includes(s));
    if (unknown.length > 0) throw new ClientValidationError(`scope: unknown ${unknown.join(' ')} (known: ${ALL_SCOPES.join(' ')})`);
    if (input.grantTypes?.length && !input.grantTypes.includes('authorization_code')) {
      throw new ClientValidationError('grant_types: authorization_code is required (clients use the code flow)');
    }
    const secret = input.public ? undefined : newSecret();
    const parsed = staticClientSchema.safeParse({
      client_id: clientId,
      client_name: input.name,
      redirect_uris: input.redirectUris,
      post_logout_redirect_uris: input.postLogoutRedirectUris ?? [],
      ...(secret ? { client_secret: secret } : { token_endpoint_auth_method: 'none' }),
      ...(input.grantTypes?.length ? { grant_types: input.grantTypes } : {}),
      ...(input.scope ? { scope: input.scope } : {}),
      fdx_scopes: input.fdxScopes ?? [],
      require_pushed_authorization_requests: input.requirePar === true,
      ...(input.accountSelection === false ? { account_selection: false } : {}),
      ...(input.consentDurationDays === undefined ? {} : { consent_duration_days: input.consentDurationDays }),
      ...(input.rateLimits && Object.keys(input.rateLimits).length > 0 ? { rate_limits: input.rateLimits } : {}),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ClientValidationError(`${issue.path.join('.') || 'client'}: ${issue.message}`);
    }
    const registered = await this.db.selectFrom('oidc_models').select('id').where('model', '=', 'Client').where('id', '=', clientId).executeTakeFirst();
    if (registered) throw new ClientExistsError(`client ${clientId} exists (registered over HTTP)`);
    const at = this.now();
    const inserted = await this.db
      .insertInto('clients')
      .values({ client_id: clientId, metadata: JSON.stringify(parsed.data), disabled_at: null, created_at: at, updated_at: at })
      .onConflict((oc) => oc.column('client_id').doNothing())
      .returning('client_id')
      .executeTakeFirst();
    if (!inserted) throw new ClientExistsError(`client ${clientId} exists`);
    return { client: summary(parsed.data, 'cli', { disabled_at: null, created_at: at, updated_at: at }), secret };
  }

  async list(): Promise<ClientSummary[]> {
    const managed = await this.db.selectFrom('clients').selectAll().orderBy('created_at').execute();
    const registered = await this.db.selectFrom('oidc_models').select('payload').where('model', '=', 'Client').execute();
    return [
      ...this.staticClients.map((c) => summary(c, 'static')),
      ...managed.map((r) => summary(JSON.parse(r.metadata) as Metadata, 'cli', r)),
      ...registered.map((r) => summary(JSON.parse(r.payload) as Metadata, 'registration')),
    ];
  }

  async find(clientId: string): Promise<ClientSummary | undefined> {
    const all = await this.list();
    return all.find((c) => c.clientId === clientId);
  }

  private async managed(clientId: string): Promise<{ metadata: Metadata; disabled_at: number | null; created_at: number } | undefined> {
    this.refuseStatic(clientId);
    const row = await this.db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row && { metadata: JSON.parse(row.metadata) as Metadata, disabled_at: row.disabled_at, created_at: row.created_at };
  }

  /** A new secret for a confidential CLI client; the old one stops working at once. Undefined: no such client. */
  async rotateSecret(clientId: string): Promise<{ client: ClientSummary; secret: string } | undefined> {
    const current = await this.managed(clientId);
    if (!current) return undefined;
    if (current.metadata.token_endpoint_auth_method === 'none') throw new ClientValidationError(`client ${clientId} is public: it has no secret`);
    const secret = newSecret();
    const metadata = { ...current.metadata, client_secret: secret };
    const at = this.now();
    await this.db.updateTable('clients').set({ metadata: JSON.stringify(metadata), updated_at: at }).where('client_id', '=', clientId).execute();
    return { client: summary(metadata, 'cli', { ...current, updated_at: at }), secret };
  }

  /**
   * Sets a CLI client's own allowances: the given fields replace its current ones (all of them
   * with `reset`, so the rest fall back to its kind's defaults). Undefined: no such client.
   */
  async setRateLimits(clientId: string, limits: ClientRateLimits, reset = false): Promise<ClientSummary | undefined> {
    const current = await this.managed(clientId);
    if (!current) return undefined;
    const parsed = rateLimitsSchema.safeParse({ ...(reset ? {} : current.metadata.rate_limits), ...limits });
    if (!parsed.success) throw new ClientValidationError(`rate_limits: ${parsed.error.issues[0]!.message}`);
    const { rate_limits: _old, ...rest } = current.metadata;
    const metadata = { ...rest, ...(Object.keys(parsed.data).length > 0 ? { rate_limits: parsed.data } : {}) } as Metadata;
    const at = this.now();
    await this.db.updateTable('clients').set({ metadata: JSON.stringify(metadata), updated_at: at }).where('client_id', '=', clientId).execute();
    return summary(metadata, 'cli', { ...current, updated_at: at });
  }

  /** Disables or enables a CLI client. Undefined: no such client. */
  async setDisabled(clientId: string, disabled: boolean): Promise<ClientSummary | undefined> {
    const current = await this.managed(clientId);
    if (!current) return undefined;
    const at = this.now();
    const disabledAt = disabled ? (current.disabled_at ?? at) : null;
    await this.db.updateTable('clients').set({ disabled_at: disabledAt, updated_at: at }).where('client_id', '=', clientId).execute();
    return summary(current.metadata, 'cli', { disabled_at: disabledAt, created_at: current.created_at, updated_at: at });
  }

  /** Deletes a CLI or registered client (the caller revokes its grants). Returns whether it existed. */
  async delete(clientId: string): Promise<boolean> {
    this.refuseStatic(clientId);
    const managed = await this.db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
    const registered = await this.db.deleteFrom('oidc_models').where('model', '=', 'Client').where('id', '=', clientId).executeTakeFirst();
    if (Number(registered.numDeletedRows) > 0) await this.deleteRegistrationTokens(clientId);
    return Number(managed.numDeletedRows) + Number(registered.numDeletedRows) > 0;
  }

  /** A registered client's RFC 7592 access tokens (few: one per registered client) go with it. */
  private async deleteRegistrationTokens(clientId: string): Promise<void> {
    const tokens = await this.db.selectFrom('oidc_models').select(['id', 'payload']).where('model', '=', 'RegistrationAccessToken').execute();
    const ids = tokens.filter((t) => (JSON.parse(t.payload) as { clientId?: string }).clientId === clientId).map((t) => t.id);
    if (ids.length > 0) await this.db.deleteFrom('oidc_models').where('model', '=', 'RegistrationAccessToken').where('id', 'in', ids).execute();
  }
}
