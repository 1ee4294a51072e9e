import type { RateCounter } from '@apps/shared';
import type { Request, RequestHandler } from 'express';
import type { AuthConfig } from '../config.js';
import type { AuditLog } from '../audit/audit.js';
import type { OpMetrics } from '../metrics.js';
import { onClientAuthOutcome } from './client-auth-outcome.js';
import { TooManyRequests } from './too-many-requests.js';

export type ClientAuthEndpoint = 'token' | 'revocation' | 'introspection' | 'registration';

/**
 * Throttles failed client authentication (table client_auth_failure, shared by instances):
 * once an IP has failed CLIENT_AUTH_FAILURES_PER_IP times in a window, or failed
 * CLIENT_AUTH_FAILURES_PER_WINDOW times for one client id, its requests are refused with 429
 * before they reach oidc-provider, until the window ends. Only failures count (learnt from
 * oidc-provider's answer), so the client itself, sending valid credentials from another IP, is
 * never refused for them. `claimedClient` reads the client id the request names, unverified.
 */
export function clientAuthThrottle(
  failures: RateCounter,
  config: Pick<AuthConfig, 'rateLimits'>,
  audit: AuditLog,
  metrics?: OpMetrics,
): (endpoint: ClientAuthEndpoint, claimedClient: (req: Request) => string | undefined) => RequestHandler {
  const { clientAuthFailuresPerClientIp, clientAuthFailuresPerIp } = config.rateLimits;
  const tooMany = new TooManyRequests(failures, audit);
  return (endpoint, claimedClient) => async (req, res, next) => {
    const ip = req.ip ?? 'unknown';
    const clientId = claimedClient(req);
    const limits: [string, number][] = [[`ip:${ip}`, clientAuthFailuresPerIp]];
    if (clientId !== undefined) limits.push([`client:${clientId}|ip:${ip}`, clientAuthFailuresPerClientIp]);
    const at = Date.now();
    const seen = await Promise.all(limits.map(([key]) => failures.seen(key, at)));
    const exceeded = limits.find(([, max], i) => seen[i]! >= max);
    if (exceeded) {
      return tooMany.reject(res, exceeded[0], at, { clientId, ip, detail: { endpoint, reason: 'client_authentication_failures' } });
    }
    onClientAuthOutcome(req, async (outcome) => {
      if (outcome.kind !== 'failed') return;
      metrics?.clientAuthenticationFailed(endpoint);
      await failures.hit(limits.map(([key]) => key), Date.now());
    });
    next();
  };
}
