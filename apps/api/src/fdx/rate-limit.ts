import type { RateCounter } from '@apps/shared';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AccessToken } from '../auth/verifier.js';
import { tooManyRequests } from '../errors.js';

export interface RateLimits {
  windowMs: number;
  /** Requests per window per OAuth client (the token's client_id); 0 disables. */
  perClient: number;
  /** Requests per window per caller address; 0 disables. */
  perIp: number;
}

export interface RateLimitOptions {
  limits: RateLimits;
  counter: RateCounter;
  now: () => number;
}

interface Bucket {
  key: string;
  limit: number;
}

/**
 * Limits per client and per address, counted in the database (shared by all instances).
 * `afterToken` runs once the token is verified and counts both keys; `afterTokenError`
 * counts the address alone for requests whose token failed, so a flood of bad tokens is
 * throttled too. What a hit costs (an upsert, or a batched one) is the counter's business.
 */
export function rateLimit(options: RateLimitOptions): { afterToken: RequestHandler; afterTokenError: ErrorRequestHandler } {
  const { limits, counter, now } = options;

  const check = async (req: Request, clientId: string | undefined): Promise<void> => {
    const buckets: Bucket[] = [];
    if (limits.perIp > 0) buckets.push({ key: `ip:${req.ip ?? 'unknown'}`, limit: limits.perIp });
    if (limits.perClient > 0 && clientId !== undefined) buckets.push({ key: `client:${clientId}`, limit: limits.perClient });
    if (buckets.length === 0) return;
    const at = now();
    const hits = await counter.hit(
      buckets.map((b) => b.key),
      at,
    );
    if (buckets.some((b) => (hits.get(b.key) ?? 0) > b.limit)) {
      throw tooManyRequests(counter.retryAfterSeconds(at));
    }
  };

  return {
    afterToken: async (req, res: Response, next) => {
      await check(req, (res.locals as { token?: AccessToken }).token?.clientId);
      next();
    },
    afterTokenError: async (err: unknown, req, _res, next) => {
      await check(req, undefined);
      next(err);
    },
  };
}
