import type { RequestHandler } from 'express';
import type { AuthConfig } from '../config.js';
import type { AuditLog } from '../audit/audit.js';
import type { RateLimiter } from './rate_limiter.js';

/** The client_id of HTTP Basic client authentication, if any (RFC 6749 §2.3.1: form-urlencoded). */
function basicClientId(header: string | undefined): string | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Token endpoint limits per IP and per client, shared through the database; 429 + Retry-After. */
export function tokenRateLimit(limiter: RateLimiter, config: Pick<AuthConfig, 'rateLimits'>, audit: AuditLog): RequestHandler {
  const { windowSeconds, tokenPerIp, tokenPerClient } = config.rateLimits;
  return async (req, res, next) => {
    const ip = req.ip ?? 'unknown';
    const clientId = basicClientId(req.headers.authorization);
    const checks: [string, number][] = [[`token:ip:${ip}`, tokenPerIp]];
    if (clientId) checks.push([`token:client:${clientId}`, tokenPerClient]);
    for (const [key, max] of checks) {
      const hit = await limiter.hit(key, windowSeconds);
      if (hit.count > max) {
        void audit.record({ type: 'rate_limit.exceeded', clientId, ip, detail: { endpoint: 'token' } });
        res
          .status(429)
          .set('Retry-After', String(limiter.retryAfterSeconds(hit)))
          .set('Cache-Control', 'no-store')
          .json({ error: 'temporarily_unavailable', error_description: 'too many requests, retry later' });
        return;
      }
    }
    next();
  };
}
