import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { KyselyAdapter } from '../db/kysely-adapter.js';
import { guarded } from '../db/guarded.js';
import type { AuthSchema } from '../db/schema.js';

/**
 * oidc-provider's `Client` model: the clients an operator added with `pnpm kit clients` (table
 * `clients`), then those registered over HTTP (oidc_models, the wrapped adapter). oidc-provider
 * asks on every request for a non-static client and caches instances only by the hash of their
 * metadata, so an added, rotated or disabled client takes effect on every instance at once.
 * A disabled client is not found: `invalid_client` at the authorization and token endpoints.
 */
/** pg_advisory_xact_lock key of dynamic registration (any constant; one per purpose). */
const REGISTRATION_LOCK = 7_316_001;

export class ManagedClientAdapter implements Adapter {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly registered: KyselyAdapter,
    /** Dynamic registration's cap; undefined: no cap. */
    private readonly maxRegistered?: number,
  ) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await guarded(() =>
      this.db.selectFrom('clients').select(['metadata', 'disabled_at']).where('client_id', '=', id).executeTakeFirst(),
    );
    if (!row) return this.registered.find(id);
    if (row.disabled_at !== null) return undefined;
    return JSON.parse(row.metadata) as AdapterPayload;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    if (this.maxRegistered === undefined) return this.registered.upsert(id, payload, expiresIn);
    return guarded(() => this.db.transaction().execute(async (trx) => this.insertWithinCap(trx, id, payload, expiresIn)));
  }

  /**
   * A new registration only while fewer than the cap are stored: the count and the insert in one
   * transaction, serialised across instances (PostgreSQL: an advisory lock; SQLite: one writer),
   * so parallel registrations can not pass the cap together. Updates (RFC 7592) are not counted.
   */
  private async insertWithinCap(trx: Kysely<AuthSchema>, id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    if (trx.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(${REGISTRATION_LOCK})`.execute(trx);
    }
    const existing = await trx.selectFrom('oidc_models').select('id').where('model', '=', 'Client').where('id', '=', id).executeTakeFirst();
    if (!existing) {
      const { n } = await trx
        .selectFrom('oidc_models')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('model', '=', 'Client')
        .executeTakeFirstOrThrow();
      if (Number(n) >= this.maxRegistered!) throw new errors.InvalidClientMetadata('the client registration limit has been reached');
    }
    await this.registered.upsertIn(trx, id, payload, expiresIn);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.registered.findByUid(uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.registered.findByUserCode(userCode);
  }

  consume(id: string): Promise<void> {
    return this.registered.consume(id);
  }

  destroy(id: string): Promise<void> {
    return this.registered.destroy(id);
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return this.registered.revokeByGrantId(grantId);
  }
}
