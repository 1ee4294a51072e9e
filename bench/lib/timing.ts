import { performance } from 'node:perf_hooks';
import type { ApiSchema } from '@apps/api';
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
