import type { Kysely } from 'kysely';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { guarded } from './guarded.js';
import { ManagedClientAdapter } from '../clients/managed-client-adapter.js';
import type { AuthSchema } from './schema.js';
import type { SecretIds } from './secret-ids.js';

/** Models whose rows belong to a grant and go when the grant is revoked. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Models consumed once; a second consume of the same row means replay. */
const SINGLE_USE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);


export interface AdapterOptions {
  /**
   * Milliseconds after a refresh token's rotation during which presenting it again is taken as a
   * retry of a lost response (an instance crashed after rotating), not as theft — but only while
   * the token it was rotated into has never been used; that unused successor is then deleted so
   * one chain stays valid. 0 (default) keeps strict reuse detection: any reuse revokes the grant.
   */
  refreshReuseGraceMs?: number;
  /** Dynamic registration stops at this many registered clients (checked atomically with the insert). */
  maxRegisteredClients?: number;
}

/**
 * One oidc-provider Adapter for every model, over Kysely, so the same queries run on
 * SQLite and PostgreSQL. `consume` is a compare-and-set: of two concurrent uses of one
 * refresh token or code only one wins, the other revokes the whole grant. Rows of the
 * secret-keyed models (refresh tokens, codes, sessions…) are stored under the keyed hash of
 * their id, without it in the payload (SecretIds); every method takes the raw id.
 */
export class KyselyAdapter implements Adapter {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly model: string,
    private readonly ids: SecretIds,
    private readonly now: () => number = Date.now,
    private readonly options: AdapterOptions = {},
  ) {}

  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    return guarded(() => this.upsertIn(this.db, id, payload, expiresIn));
  }

  /** The upsert on `db` (this adapter's database, or a transaction of it). */
  async upsertIn(db: Kysely<AuthSchema>, id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const row = {
      model: this.model,
      id: this.ids.rowId(this.model, id),
      payload: JSON.stringify(this.ids.seal(this.model, id, payload)),
      id_hashed: this.ids.isHashed(this.model) ? 1 : 0,
      grant_id: GRANTABLE.has(this.model) ? (payload.grantId ?? null) : null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      consumed_at: typeof payload.consumed === 'number' ? payload.consumed * 1000 : null,
      expires_at: typeof expiresIn === 'number' ? this.now() + expiresIn * 1000 : null,
      // Grants are listed and revoked by customer and by client (`pnpm kit grants`, migration 0006).
      ...(this.model === 'Grant'
        ? {
            account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
            client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
          }
        : {}),
    };
    await db
      .insertInto('oidc_models')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['model', 'id']).doUpdateSet({
          payload: row.payload,
          grant_id: row.grant_id,
          user_code: row.user_code,
          uid: row.uid,
          consumed_at: row.consumed_at,
          expires_at: row.expires_at,
          ...(this.model === 'Grant' ? { account_id: row.account_id, client_id: row.client_id } : {}),
        }),
      )
      .execute();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const stored = await this.findBy('id', this.ids.rowId(this.model, id));
    const payload = stored && this.ids.open(this.model, id, stored);
    const grace = this.options.refreshReuseGraceMs ?? 0;
    if (this.model !== 'RefreshToken' || grace <= 0 || !payload || typeof payload.consumed !== 'number') return payload;
    if (this.now() - payload.consumed * 1000 > grace) return payload;
    return guarded(() => this.reopenForRetry(this.ids.rowId(this.model, id), payload));
  }

  /**
   * Within the grace period: if the successor of this refresh token was never used, delete it and
   * un-consume this one, so oidc-provider rotates it again (one valid chain). Otherwise the
   * payload stays consumed and oidc-provider's reuse detection revokes the grant. `id` is the row id.
   */
  private reopenForRetry(id: string, payload: AdapterPayload): Promise<AdapterPayload> {
    const grantId = typeof payload.grantId === 'string' ? payload.grantId : undefined;
    if (!grantId) return Promise.resolve(payload);
    const rotations = (typeof payload.rotations === 'number' ? payload.rotations : 0) + 1;
    return this.db.transaction().execute(async (trx) => {
      const siblings = await trx
        .selectFrom('oidc_models')
        .select(['id', 'payload', 'consumed_at'])
        .where('model', '=', 'RefreshToken')
        .where('grant_id', '=', grantId)
        .where('id', '!=', id)
        .execute();
      const successors = siblings.filter((row) => {
        const p = JSON.parse(row.payload) as AdapterPayload;
        return p.iiat === payload.iiat && p.rotations === rotations;
      });
      if (successors.some((row) => row.consumed_at !== null)) return payload;
      for (const row of successors) {
        await trx.deleteFrom('oidc_models').where('model', '=', 'RefreshToken').where('id', '=', row.id).execute();
      }
      const parent = await trx
        .selectFrom('oidc_models')
        .select('consumed_at')
        .where('model', '=', 'RefreshToken')
        .where('id', '=', id)
        .executeTakeFirst();
      if (parent?.consumed_at === null || parent?.consumed_at === undefined) return payload;
      // Compare-and-set on the exact consumption: of two concurrent retries only one reopens it.
      const reopened = await trx
        .updateTable('oidc_models')
        .set({ consumed_at: null })
        .where('model', '=', 'RefreshToken')
        .where('id', '=', id)
        .where('consumed_at', '=', parent.consumed_at)
        .executeTakeFirst();
      if (Number(reopened.numUpdatedRows) === 0) return payload;
      const open: AdapterPayload = { ...payload };
      delete open.consumed;
      return open;
    });
  }

  /**
   * A session by its uid (not a credential: tokens carry it as `sessionUid`). The payload comes
   * back without the session id, which only its cookie holds; oidc-provider only compares such a
   * session's account and grants, never saves it.
   */
  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findBy('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findBy('user_code', userCode);
  }

  consume(rawId: string): Promise<void> {
    const id = this.ids.rowId(this.model, rawId);
    return guarded(async () => {
      const now = this.now();
      const result = await this.db
        .updateTable('oidc_models')
        .set({ consumed_at: now })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0 || !SINGLE_USE.has(this.model)) return;
      // Lost the race against another use of the same token: treat it as the replay it is.
      const row = await this.db
        .selectFrom('oidc_models')
        .select('grant_id')
        .where('model', '=', this.model)
        .where('id', '=', id)
        .executeTakeFirst();
      if (row?.grant_id) await this.revokeGrantCompletely(row.grant_id);
      throw new errors.InvalidGrant('grant already used');
    });
  }

  destroy(id: string): Promise<void> {
    return guarded(async () => {
      await this.db.deleteFrom('oidc_models').where('model', '=', this.model).where('id', '=', this.ids.rowId(this.model, id)).execute();
    });
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return guarded(async () => {
      await this.db.deleteFrom('oidc_models').where('grant_id', '=', grantId).where('model', '=', this.model).execute();
    });
  }

  private async revokeGrantCompletely(grantId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
      await trx.deleteFrom('oidc_models').where('model', '=', 'Grant').where('id', '=', grantId).execute();
    });
  }

  private findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    return guarded(async () => {
      const row = await this.db
        .selectFrom('oidc_models')
        .select(['payload', 'consumed_at', 'expires_at'])
        .where('model', '=', this.model)
        .where(column, '=', value)
        .executeTakeFirst();
      if (!row) return undefined;
      if (row.expires_at !== null && row.expires_at <= this.now()) return undefined;
      const payload = JSON.parse(row.payload) as AdapterPayload;
      if (row.consumed_at !== null) payload.consumed = Math.floor(row.consumed_at / 1000);
      return payload;
    });
  }
}

export function kyselyAdapterFactory(db: Kysely<AuthSchema>, ids: SecretIds, options: AdapterOptions = {}) {
  return (model: string): Adapter => {
    const adapter = new KyselyAdapter(db, model, ids, Date.now, options);
    // Clients added with `pnpm kit clients` come first, read per request (no restart, no cache).
    return model === 'Client' ? new ManagedClientAdapter(db, adapter, options.maxRegisteredClients) : adapter;
  };
}
