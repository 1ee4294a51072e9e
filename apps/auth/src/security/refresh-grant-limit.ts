import type { RateCounter } from '@apps/shared';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { AuditLog } from '../audit/audit.js';
import type { ClientLimits } from './client-limits.js';
import { TooManyRequests } from './too-many-requests.js';

/** 429 with the OAuth error the token endpoint's other limits answer. */
export class RefreshRateLimited extends errors.OIDCProviderError {
  constructor() {
    super(429, 'temporarily_unavailable');
    Object.assign(this, { error_description: 'too many refreshes of this grant, retry later' });
  }
}

/**
 * refresh_token grants per grant (one customer's connection to one client) and window, in the
 * token counters (table token_rate_limit): a client refreshing one customer in a loop is refused
 * with 429 + Retry-After for that grant only, its other customers' refreshes go on. Runs as
 * oidc-provider's `rotateRefreshToken` hook: after the refresh token was found and checked
 * (reuse detection comes first), before it is rotated, so a refused refresh writes nothing and
 * the client retries with the same token.
 */
export function refreshGrantLimit(counter: RateCounter, limits: ClientLimits, audit: AuditLog): (ctx: KoaContextWithOIDC) => Promise<void> {
  const tooMany = new TooManyRequests(counter, audit);
  return async (ctx) => {
    const client = ctx.oidc.client;
    const grantId = ctx.oidc.entities.RefreshToken?.grantId;
    if (!client || !grantId) return;
    const limit = limits.refreshPerGrantPerWindow(client);
    if (limit === 0) return;
    const key = `grant:${grantId}`;
    const at = Date.now();
    const hits = (await counter.hit([key], at)).get(key) ?? 0;
    if (hits <= limit) return;
    const retryAfter = tooMany.exceeded(key, at, { clientId: client.clientId, ip: ctx.ip, detail: { endpoint: 'token', reason: 'refresh_per_grant', grantId, limit } });
    ctx.set('Retry-After', String(retryAfter));
    throw new RefreshRateLimited();
  };
}
