import type { RateCounter } from '@apps/shared';
import type { RequestHandler } from 'express';
import type { AuthConfig } from '../config.js';
import type { AuditLog } from '../audit/audit.js';
import { basicClientId } from './claimed-client.js';
import { onClientAuthOutcome } from './client-auth-outcome.js';
import type { ClientLimits } from './client-limits.js';
import { TooManyRequests } from './too-many-requests.js';

/**
 * Token endpoint limits per client and per IP, shared through the database (table
 * token_rate_limit, batched every RATE_LIMIT_SYNC_MS; 0: exact); 429 + Retry-After.
 * A client's allowance (ClientLimits: its `rate_limits`, else its kind's default) counts only
 * the requests in which it authenticated, so requests with a wrong secret in its client_id never
 * spend it; a request naming (HTTP Basic) a client whose allowance is spent is refused. A request
 * in which a client authenticated with HTTP Basic (client_secret_basic, what Plaid uses) is
 * neither counted nor refused for its IP: an aggregator sends all its customers' refreshes from a
 * few addresses, its own allowance bounds them, and wrong secrets are throttled per IP by
 * clientAuthThrottle. Every other request counts for its IP.
 */
export function tokenRateLimit(counter: RateCounter, config: Pick<AuthConfig, 'rateLimits'>, limits: ClientLimits, audit: AuditLog): RequestHandler {
  const { tokenPerIp } = config.rateLimits;
  const tooMany = new TooManyRequests(counter, audit);
  // The allowance of each client that authenticated here, to refuse its next request before the
  // work; at most one entry per client the OP knows, updated when its metadata changes.
  const allowance = new Map<string, number>();
  return async (req, res, next) => {
    const ip = req.ip ?? 'unknown';
    const clientId = basicClientId(req);
    const at = Date.now();
    const ipKey = `ip:${ip}`;
    const clientLimit = clientId === undefined ? 0 : (allowance.get(clientId) ?? 0);
    // A request with a client secret (HTTP Basic) answers to that client's allowance, or to the
    // failure throttle when the secret is wrong, not to the address: an aggregator's address
    // spent by others' requests must not stop its own.
    const [ipHits, clientHits] = await Promise.all([
      clientId === undefined ? counter.seen(ipKey, at) : 0,
      clientLimit === 0 ? 0 : counter.seen(`client:${clientId}`, at),
    ]);
    if (ipHits >= tokenPerIp) return tooMany.reject(res, ipKey, at, { ip, detail: { endpoint: 'token' } });
    if (clientLimit > 0 && clientHits >= clientLimit) {
      return tooMany.reject(res, `client:${clientId}`, at, { clientId, ip, detail: { endpoint: 'token', limit: clientLimit } });
    }
    onClientAuthOutcome(req, async (outcome) => {
      const keys: string[] = [];
      if (outcome.kind === 'authenticated') {
        const limit = limits.tokenPerWindow(outcome.client);
        allowance.set(outcome.clientId, limit);
        if (limit > 0) keys.push(`client:${outcome.clientId}`);
        // Only the allowance of a client named in HTTP Basic is checked before the work (the body is
        // oidc-provider's to parse): other clients' requests keep counting for their address too.
        if (clientId === undefined) keys.push(ipKey);
      } else {
        keys.push(ipKey);
      }
      if (keys.length > 0) await counter.hit(keys, Date.now());
    });
    next();
  };
}
