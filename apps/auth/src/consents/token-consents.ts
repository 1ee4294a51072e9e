import { errors } from 'oidc-provider';
import type { Consent, ConsentStore } from './consent-store.js';

/** What oidc-provider hands the hooks: a token or code with the grant it belongs to. */
interface GrantBound {
  kind?: string;
  grantId?: string;
  resourceServer?: unknown;
}

/**
 * The consent behind the tokens of one token request. At the token endpoint oidc-provider looks up
 * the account of the code or refresh token (findAccount) before it creates any token: the consent
 * of its grant is loaded there, once per request, and refused when ended or expired (invalid_grant).
 * The synchronous hooks that follow (ttl) and extraTokenClaims read it back by request.
 */
export class TokenConsents {
  private readonly byRequest = new WeakMap<object, Consent | null>();

  constructor(
    private readonly store: ConsentStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** From findAccount: for a code or refresh token, its grant's consent must be active. */
  async check(ctx: object | undefined, token: GrantBound | undefined): Promise<void> {
    if (!ctx || !token?.grantId || (token.kind !== 'RefreshToken' && token.kind !== 'AuthorizationCode')) return;
    const consent = (await this.store.byGrant(token.grantId)) ?? null;
    if (consent && (consent.status !== 'ACTIVE' || consent.expiresAt <= this.now())) {
      throw new errors.InvalidGrant(consent.status === 'REVOKED' ? 'the consent was revoked' : 'the consent has expired');
    }
    this.byRequest.set(ctx, consent);
  }

  /** A token lifetime (seconds) capped at the request's consent expiry. */
  capTtl(ctx: object | undefined, seconds: number): number {
    const consent = ctx ? this.byRequest.get(ctx) : undefined;
    if (!consent) return seconds;
    return Math.max(1, Math.min(seconds, Math.floor((consent.expiresAt - this.now()) / 1000)));
  }

  /**
   * `fdxConsentId` and, when the customer chose accounts, `account_ids` for an API access token
   * (none for a grant without a consent: tokens of grants made before consents existed). Also
   * records the consent's use.
   */
  async claims(ctx: object | undefined, token: GrantBound): Promise<Record<string, unknown> | undefined> {
    if (!token.resourceServer || !token.grantId) return undefined;
    const known = ctx ? this.byRequest.get(ctx) : undefined;
    const consent = known === undefined ? await this.store.byGrant(token.grantId) : known;
    if (!consent || consent.status !== 'ACTIVE') return undefined;
    // Last-used is a courtesy for the customer's page: a failed write does not fail the token.
    await this.store.touch(consent.id).catch(() => undefined);
    return { fdxConsentId: consent.id, ...(consent.accountIds === null ? {} : { account_ids: consent.accountIds }) };
  }
}
