import { performance } from 'node:perf_hooks';
import { rateLimit, type AccessToken, type ApiSchema } from '@apps/api';
import { RateCounter, type Database } from '@apps/shared';

/** Runs `fn` repeatedly for about `ms`, one call at a time, after a short warm-up; returns calls and mean ms. */
export async function repeat(ms: number, fn: () => Promise<unknown>): Promise<{ calls: number; meanMs: number }> {
  for (let i = 0; i < 20; i++) await fn();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await fn();
    calls++;
  }
  return { calls, meanMs: (performance.now() - start) / calls };
}

/**
 * Mean µs of counting one request (client and address keys), as a request pays it: with
 * syncMs 0 one upsert each, otherwise in memory with a flush per interval (timed in too).
 */
export async function rateCounterMicros(db: Database<ApiSchema>['db'], ms: number, syncMs: number): Promise<number> {
  const counter = new RateCounter(db, { windowMs: 60_000, syncMs });
  const { meanMs } = await repeat(ms, () => counter.hit(['ip:127.0.0.1', 'client:bench'], Date.now())).finally(() => counter.close());
  return Math.round(meanMs * 10_000) / 10;
}

/**
 * Mean µs of the API's whole rate-limit check for one request with a verified token, as the
 * router runs it: the customer's count read (refusal before counting), then one hit on the
 * client and (client, customer) keys, over `customers` customers of one client. Compare with
 * rateCounterMicros (one hit on two keys, the check before per-customer limits); `perCustomer:
 * false` times the same middleware with the per-customer limit off (client key only).
 */
export async function rateLimitCheckMicros(db: Database<ApiSchema>['db'], ms: number, syncMs: number, options: { customers?: number; perCustomer?: boolean } = {}): Promise<number> {
  const customers = options.customers ?? 1000;
  const counter = new RateCounter(db, { windowMs: 60_000, syncMs });
  const perCustomer = options.perCustomer === false ? 0 : 1e9;
  const { afterToken } = rateLimit({ limits: { windowMs: 60_000, perClient: 1e9, perCustomer, perIp: 0 }, counter, now: Date.now });
  const req = { ip: '127.0.0.1' };
  let n = 0;
  const check = () =>
    new Promise<void>((resolve, reject) => {
      const token: AccessToken = { sub: `cust-${n++ % customers}`, scopes: new Set(), clientId: 'bench', jti: undefined, exp: undefined, rateLimits: undefined };
      const next = (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error('rate-limit check failed', { cause: err })) : resolve());
      Promise.resolve(afterToken(req as never, { locals: { token } } as never, next)).catch(reject);
    });
  const { meanMs } = await repeat(ms, check).finally(() => counter.close());
  return Math.round(meanMs * 10_000) / 10;
}
