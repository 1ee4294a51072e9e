import { describe, expect, it } from 'vitest';
import { createLogger } from '@apps/shared';
import { LATENCY_BOUNDS_MS, PROPER, REQUESTS, bucketIndex, bucketsOf, emptyCounts, percentileMs, type Counts } from '../../src/performance/buckets.js';
import { monthOf, monthsUpTo } from '../../src/performance/months.js';
import { PerformanceRecorder } from '../../src/performance/recorder.js';
import type { PerformanceStore } from '../../src/performance/store.js';

/** Counts with `n` responses in the bucket of each given latency. */
function withLatencies(entries: [latencyMs: number, n: number][]): Counts {
  const counts = emptyCounts();
  for (const [ms, n] of entries) counts[bucketIndex(ms)]! += n;
  return counts;
}

describe('latency buckets and percentiles', () => {
  it('puts a latency equal to a bound in that bound’s bucket, and anything beyond the last in the overflow', () => {
    const counts = withLatencies([
      [0.2, 1],
      [1, 1],
      [1.01, 1],
      [3500, 1],
      [3500.5, 1],
      [10_000, 1],
      [10_001, 1],
    ]);
    const buckets = bucketsOf(counts);
    expect(buckets).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(1)]).toBe(2);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(2)]).toBe(1);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(3500)]).toBe(1);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(5000)]).toBe(1);
    expect(buckets[LATENCY_BOUNDS_MS.indexOf(10_000)]).toBe(1);
    expect(buckets.at(-1)).toBe(1);
  });

  it('states each percentile as the upper bound of the bucket holding its nearest rank', () => {
    // 100 responses: 50 at ≤ 5 ms, 40 at ≤ 20 ms, 9 at ≤ 200 ms, 1 at ≤ 2 s.
    const counts = withLatencies([
      [4, 50],
      [15, 40],
      [150, 9],
      [1500, 1],
    ]);
    expect(percentileMs(counts, 50)).toBe(5);
    expect(percentileMs(counts, 51)).toBe(20);
    expect(percentileMs(counts, 90)).toBe(20);
    expect(percentileMs(counts, 99)).toBe(200);
    expect(percentileMs(counts, 100)).toBe(2000);
  });

  it('has no percentile without traffic, nor one beyond the last bound', () => {
    expect(percentileMs(emptyCounts(), 50)).toBeNull();
    expect(
      percentileMs(
        withLatencies([
          [3, 98],
          [20_000, 2],
        ]),
        99,
      ),
    ).toBeNull();
  });

  it('lists UTC calendar months across a year boundary, oldest first', () => {
    const months = monthsUpTo(Date.UTC(2027, 1, 10), 14);
    expect(months.map((m) => m.month)).toEqual([
      '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07',
      '2026-08', '2026-09', '2026-10', '2026-11', '2026-12', '2027-01', '2027-02',
    ]);
    expect(months.at(-2)).toEqual({ month: '2027-01', start: Date.UTC(2027, 0, 1), end: Date.UTC(2027, 1, 1) });
    expect(monthOf(Date.UTC(2027, 0, 31, 23, 59, 59, 999))).toBe('2027-01');
  });
});

/** A store whose writes fail while `down` is set; what it was given is kept per minute. */
function flakyStore() {
  const written = new Map<number, Counts>();
  const store = {
    down: false,
    written,
    add: async (_instance: string, minutes: ReadonlyMap<number, Counts>) => {
      if (store.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      for (const [minute, counts] of minutes) written.set(minute, counts.map((n, i) => n + (written.get(minute)?.[i] ?? 0)));
    },
  };
  return store;
}

describe('the recorder', () => {
  const T = Date.UTC(2027, 2, 15, 12, 0, 0);
  const silent = createLogger({ name: 'api', level: 'silent' });
  const recorder = (store: ReturnType<typeof flakyStore>, max?: number) =>
    new PerformanceRecorder({
      store: store as unknown as PerformanceStore,
      instanceId: 'a',
      thresholdMs: 100,
      flushMs: 60_000,
      logger: silent,
      maxPendingMinutes: max,
    });

  it('counts as proper only a sent, non-5xx response within the threshold', async () => {
    const store = flakyStore();
    const r = recorder(store);
    r.record(T, 200, 12);
    r.record(T, 404, 100); // at the threshold: proper (a 4xx explains why the query was not fulfilled)
    r.record(T, 429, 3);
    r.record(T, 200, 100.5); // slower than the threshold
    r.record(T, 503, 2);
    r.record(T, 200, 5, false); // the connection closed before the response was sent
    await r.close();
    const counts = store.written.get(T)!;
    expect(counts[REQUESTS]).toBe(6);
    expect(counts[PROPER]).toBe(3);
  });

  it('keeps counts through a database outage and writes them once it is back', async () => {
    const store = flakyStore();
    const r = recorder(store);
    store.down = true;
    r.record(T, 200, 3);
    await r.flush();
    r.record(T + 60_000, 200, 3);
    r.record(T, 200, 3);
    await r.flush();
    expect(r.pendingMinutes).toBe(2);
    store.down = false;
    await r.flush();
    expect(r.pendingMinutes).toBe(0);
    expect(store.written.get(T)![REQUESTS]).toBe(2);
    expect(store.written.get(T + 60_000)![REQUESTS]).toBe(1);
    await r.close();
  });

  it('drops the oldest minutes, not the newest, once the outage outlasts what it keeps', async () => {
    const store = flakyStore();
    const r = recorder(store, 2);
    store.down = true;
    for (let i = 0; i < 4; i++) r.record(T + i * 60_000, 200, 3);
    await r.flush();
    expect(r.pendingMinutes).toBe(2);
    store.down = false;
    await r.close();
    expect([...store.written.keys()]).toEqual([T + 2 * 60_000, T + 3 * 60_000]);
  });
});
