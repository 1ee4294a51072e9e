import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
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
export class ManagedClientAdapter implements Adapter {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly registered: KyselyAdapter,
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
    return this.registered.upsert(id, payload, expiresIn);
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
