import type { RateCounter } from '@apps/shared';
import type { RequestHandler } from 'express';
import type { AuthConfig } from '../config.js';
import type { AuditLog } from '../audit/audit.js';
import { basicClientId } from './claimed-client.js';
import { onClientAuthOutcome } from './client-auth-outcome.js';
import { TooManyRequests } from './too-many-requests.js';

/**
 * Token endpoint limits per IP and per client, shared through the database (table
 * token_rate_limit, batched every RATE_LIMIT_SYNC_MS; 0: exact); 429 + Retry-After.
 * Every request counts for its IP. A client's allowance counts only the requests in which it
 * authenticated (counted once oidc-provider verified it), so requests with a wrong secret in
 * its client_id never spend it; a request claiming a client whose allowance is spent is refused.
 */
export function tokenRateLimit(counter: RateCounter, config: Pick<AuthConfig, 'rateLimits'>, audit: AuditLog): RequestHandler {
  const { tokenPerIp, tokenPerClient } = config.rateLimits;
  const tooMany = new TooManyRequests(counter, audit);
  return async (req, res, next) => {
    const ip = req.ip ?? 'unknown';
    const clientId = basicClientId(req);
    const at = Date.now();
    const ipKey = `ip:${ip}`;
    const [ipHits, clientHits] = await Promise.all([
      counter.hit([ipKey], at).then((totals) => totals.get(ipKey) ?? 0),
      clientId === undefined ? 0 : counter.seen(`client:${clientId}`, at),
    ]);
    if (ipHits > tokenPerIp) return tooMany.reject(res, ipKey, at, { clientId, ip, detail: { endpoint: 'token' } });
    if (clientHits >= tokenPerClient) return tooMany.reject(res, `client:${clientId}`, at, { clientId, ip, detail: { endpoint: 'token' } });
    onClientAuthOutcome(req, async (outcome) => {
      if (outcome.kind === 'authenticated') await counter.hit([`client:${outcome.clientId}`], Date.now());
    });
    next();
  };
}
