import { perWindow, requestLog, type Logger, type RateCounter } from '@apps/shared';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AccessToken } from '../auth/verifier.js';
import { tooManyRequests } from '../errors.js';

export interface RateLimits {
  windowMs: number;
  /** Requests per window per OAuth client, for tokens without an `rl` claim; 0 disables. */
  perClient: number;
  /** Requests per window per (client, customer), for tokens without an `rl` claim; 0 disables. */
  perCustomer: number;
  /** Requests per window per caller address whose token failed or that needed none (public routes); 0 disables. */
  perIp: number;
}

export interface RateLimitOptions {
  limits: RateLimits;
  counter: RateCounter;
  now: () => number;
  /** Each refused key is logged once per window (warn), not once per refused request. */
  logger?: Logger;
}

interface Bucket {
  key: string;
  limit: number;
}

/**
 * Limits per client, per (client, customer) and per address, counted in the database (shared by
 * all instances). A verified token counts for its client and for its client and customer, with
 * the allowances the OP signed into it (`rl`, per minute) or the API's defaults; a request over
 * its customer's allowance is refused without spending the client's, so one customer hammered
 * does not slow the client's others. A failed token counts for its address alone, so a flood of
 * bad tokens is throttled too. What a hit costs (an upsert, or a batched one) is the counter's.
 */
export function rateLimit(options: RateLimitOptions): { afterToken: RequestHandler; afterTokenError: ErrorRequestHandler; anonymous: RequestHandler } {
  const { limits, counter, now, logger } = options;
  let loggedWindow = 0;
  const logged = new Set<string>();

  const refuse = (req: Request, bucket: Bucket, at: number): never => {
    const window = counter.windowOf(at);
    if (window !== loggedWindow) {
      loggedWindow = window;
      logged.clear();
    }
    if (logger && !logged.has(bucket.key)) {
      logged.add(bucket.key);
      requestLog(req, logger).warn({ rateLimitKey: bucket.key, limit: bucket.limit }, 'rate limit exceeded');
    }
    throw tooManyRequests(counter.retryAfterSeconds(at));
  };

  const count = async (req: Request, buckets: Bucket[], at: number): Promise<void> => {
    if (buckets.length === 0) return;
    const hits = await counter.hit(
      buckets.map((b) => b.key),
      at,
    );
    const exceeded = buckets.find((b) => (hits.get(b.key) ?? 0) > b.limit);
    if (exceeded) refuse(req, exceeded, at);
  };

  const limitOf = (fromToken: number | undefined, fallback: number) => (fromToken === undefined ? fallback : perWindow(fromToken, limits.windowMs));

  return {
    afterToken: async (req, res: Response, next) => {
      const token = (res.locals as { token: AccessToken }).token;
      const at = now();
      const buckets: Bucket[] = [];
      if (token.clientId !== undefined) {
        const perCustomer = limitOf(token.rateLimits?.perCustomer, limits.perCustomer);
        const perClient = limitOf(token.rateLimits?.perClient, limits.perClient);
        if (perCustomer > 0) {
          const customer = { key: `customer:${token.clientId}|${token.sub}`, limit: perCustomer };
          // Spent: refused before anything is counted, so the client's allowance is left to its other customers.
          if ((await counter.seen(customer.key, at)) >= perCustomer) refuse(req, customer, at);
          buckets.push(customer);
        }
        if (perClient > 0) buckets.push({ key: `client:${token.clientId}`, limit: perClient });
      }
      await count(req, buckets, at);
      next();
    },
    afterTokenError: async (err: unknown, req, _res, next) => {
      if (limits.perIp > 0) await count(req, [{ key: `ip:${req.ip ?? 'unknown'}`, limit: limits.perIp }], now());
      next(err);
    },
    // Public routes (the performance disclosure) need no token: they count for the address, as a failed token does.
    anonymous: async (req, _res, next) => {
      if (limits.perIp > 0) await count(req, [{ key: `ip:${req.ip ?? 'unknown'}`, limit: limits.perIp }], now());
      next();
    },
  };
}
