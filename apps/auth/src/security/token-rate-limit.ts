import type { RateCounter } from '@apps/shared';
import type { RequestHandler } from 'express';
import type { AuthConfig } from '../config.js';
import type { AuditLog } from '../audit/audit.js';

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

/**
 * Token endpoint limits per IP and per client, shared through the database (table
 * token_rate_limit, batched every RATE_LIMIT_SYNC_MS; 0: exact); 429 + Retry-After.
 */
export function tokenRateLimit(counter: RateCounter, config: Pick<AuthConfig, 'rateLimits'>, audit: AuditLog): RequestHandler {
  const { tokenPerIp, tokenPerClient } = config.rateLimits;
  // One audit event per key and window, not one per rejected request (a flood must not become writes).
  let auditedWindow = 0;
  const audited = new Set<string>();
  return async (req, res, next) => {
    const ip = req.ip ?? 'unknown';
    const clientId = basicClientId(req.headers.authorization);
    const checks: [string, number][] = [[`ip:${ip}`, tokenPerIp]];
    if (clientId) checks.push([`client:${clientId}`, tokenPerClient]);
    const at = Date.now();
    const totals = await counter.hit(
      checks.map(([key]) => key),
      at,
    );
    for (const [key, max] of checks) {
      if ((totals.get(key) ?? 0) > max) {
        const window = counter.windowOf(at);
        if (auditedWindow !== window) {
          auditedWindow = window;
          audited.clear();
        }
        if (!audited.has(key)) {
          audited.add(key);
          void audit.record({ type: 'rate_limit.exceeded', clientId, ip, detail: { endpoint: 'token' } });
        }
        res
          .status(429)
          .set('Retry-After', String(counter.retryAfterSeconds(at)))
          .set('Cache-Control', 'no-store')
          .json({ error: 'temporarily_unavailable', error_description: 'too many requests, retry later' });
        return;
      }
    }
    next();
  };
}
