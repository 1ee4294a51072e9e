import type { Kysely } from 'kysely';
import type { AuthSchema } from '../../db/schema.js';

/** A sign-in sent to the upstream IdP and not yet back: what the callback must check. */
export interface PendingLogin {
  /** The OP interaction it belongs to (bound to the browser by oidc-provider's interaction cookie). */
  uid: string;
  /** PKCE code verifier. */
  verifier: string;
  nonce: string;
}

/** Rows of oidc_models under their own model name, so the sweeper drops expired ones with the rest. */
const MODEL = 'UpstreamLogin';

/**
 * Pending upstream logins, keyed by their `state`, in the shared database (any instance may
 * receive the callback). Each is used once: `take` deletes it in the same statement that reads it.
 */
export class PendingLogins {
  constructor(
    private readonly db: Kysely<AuthSchema>,
    private readonly ttlSeconds: number,
  ) {}

  async save(state: string, pending: PendingLogin): Promise<void> {
    await this.db
      .insertInto('oidc_models')
      .values({
        model: MODEL,
        id: state,
        payload: JSON.stringify(pending),
        grant_id: null,
        user_code: null,
        uid: pending.uid,
        consumed_at: null,
        expires_at: Date.now() + this.ttlSeconds * 1000,
      })
      .execute();
  }

  /** The interaction a state belongs to, without using it up. */
  async interactionOf(state: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('oidc_models')
      .select(['uid', 'expires_at'])
      .where('model', '=', MODEL)
      .where('id', '=', state)
      .executeTakeFirst();
    return row && live(row.expires_at) ? (row.uid ?? undefined) : undefined;
  }

  /** The pending login for this state, removed so that no second callback can use it. */
  async take(state: string): Promise<PendingLogin | undefined> {
    const row = await this.db
      .deleteFrom('oidc_models')
      .where('model', '=', MODEL)
      .where('id', '=', state)
      .returning(['payload', 'expires_at'])
      .executeTakeFirst();
    return row && live(row.expires_at) ? (JSON.parse(row.payload) as PendingLogin) : undefined;
  }
}

const live = (expiresAt: number | null) => expiresAt === null || expiresAt > Date.now();
