import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@apps/shared';
import { PROPER, REQUESTS, bucketIndex, emptyCounts, type Counts } from '../../src/performance/buckets.js';
import { monthsUpTo } from '../../src/performance/months.js';
import { PerformanceRecorder } from '../../src/performance/recorder.js';
import { PerformanceStore } from '../../src/performance/store.js';
import { ENGINES, openTestStore, type TestStore } from '../import/store.js';

const silent = createLogger({ name: 'api', level: 'silent' });

/** Counts of `requests` responses, `proper` of them proper, all at `latencyMs`. */
function counts(requests: number, proper: number, latencyMs = 3): Counts {
  const c = emptyCounts();
  c[REQUESTS] = requests;
  c[PROPER] = proper;
  c[bucketIndex(latencyMs)] = requests;
  return c;
}

describe.each(ENGINES)('performance store on %s', (engine) => {
  let test: TestStore;
  let store: PerformanceStore;
  beforeAll(async () => {
    test = await openTestStore(engine);
    store = new PerformanceStore(test.database.db);
  });
  afterAll(() => test.close());
  beforeEach(async () => {
    await test.database.db.deleteFrom('performance_minute').execute();
    await test.database.db.deleteFrom('performance_month').execute();
  });

  const JAN_LAST_MINUTE = Date.UTC(2027, 0, 31, 23, 59);
  const FEB_FIRST_MINUTE = Date.UTC(2027, 1, 1, 0, 0);
  const MARCH = Date.UTC(2027, 2, 10, 8, 0);

  it('adds a minute written twice, and two instances’ minutes, into one total', async () => {
    await store.add('a', new Map([[FEB_FIRST_MINUTE, counts(3, 3)]]));
    await store.add('a', new Map([[FEB_FIRST_MINUTE, counts(2, 1, 4000)]]));
    await store.add('b', new Map([[FEB_FIRST_MINUTE, counts(5, 5)]]));
    const feb = (await store.countsFor(monthsUpTo(FEB_FIRST_MINUTE, 1))).get('2027-02')!;
    expect(feb[REQUESTS]).toBe(10);
    expect(feb[PROPER]).toBe(9);
    expect(feb[bucketIndex(3)]).toBe(8);
    expect(feb[bucketIndex(4000)]).toBe(2);
  });

  it('keeps the last minute of a month and the first of the next apart, before and after folding', async () => {
    await store.add(
      'a',
      new Map([
        [JAN_LAST_MINUTE, counts(7, 6)],
        [FEB_FIRST_MINUTE, counts(11, 11)],
        [MARCH, counts(1, 1)],
      ]),
    );
    const months = monthsUpTo(MARCH, 3);
    const before = await store.countsFor(months);
    expect([...before].map(([m, c]) => [m, c[REQUESTS], c[PROPER]])).toEqual([
      ['2027-01', 7, 6],
      ['2027-02', 11, 11],
      ['2027-03', 1, 1],
    ]);
    expect(await store.fold(MARCH)).toEqual(['2027-01', '2027-02']);
    expect(await store.countsFor(months)).toEqual(before);
    // Only the current month's minutes are left; the finished months are one row each.
    expect(await test.count('performance_minute')).toBe(1);
    expect(await test.count('performance_month')).toBe(2);
    expect(await store.fold(MARCH)).toEqual([]);
  });

  it('still counts a minute that arrives after its month was folded', async () => {
    await store.add('a', new Map([[FEB_FIRST_MINUTE, counts(4, 4)]]));
    await store.fold(MARCH);
    await store.add('late', new Map([[FEB_FIRST_MINUTE + 60_000, counts(2, 0)]]));
    const feb = (await store.countsFor(monthsUpTo(FEB_FIRST_MINUTE, 1))).get('2027-02')!;
    expect([feb[REQUESTS], feb[PROPER]]).toEqual([6, 4]);
    await store.fold(MARCH);
    expect((await store.countsFor(monthsUpTo(FEB_FIRST_MINUTE, 1))).get('2027-02')).toEqual(feb);
    expect(await test.count('performance_minute')).toBe(0);
  });

  it('writes a backlog longer than one statement takes (after an outage) in one go', async () => {
    await store.add('a', new Map(Array.from({ length: 450 }, (_, i) => [FEB_FIRST_MINUTE + i * 60_000, counts(1, 1)] as const)));
    expect(await test.count('performance_minute')).toBe(450);
    expect((await store.countsFor(monthsUpTo(FEB_FIRST_MINUTE, 1))).get('2027-02')![REQUESTS]).toBe(450);
  });

  it('counts each minute once when two instances fold at the same time', async () => {
    const minutes = new Map(Array.from({ length: 50 }, (_, i) => [FEB_FIRST_MINUTE + i * 60_000, counts(2, 2)] as const));
    await store.add('a', minutes);
    await store.add('b', minutes);
    const other = new PerformanceStore(test.database.db);
    await Promise.all([store.fold(MARCH), other.fold(MARCH), store.fold(MARCH)]);
    const feb = (await store.countsFor(monthsUpTo(FEB_FIRST_MINUTE, 1))).get('2027-02')!;
    expect(feb[REQUESTS]).toBe(200);
  });

  it('writes a recorder’s counts, per instance, in one flush', async () => {
    const recorders = ['a', 'b'].map(
      (instanceId) => new PerformanceRecorder({ store, instanceId, thresholdMs: 3500, flushMs: 60_000, logger: silent, now: () => MARCH }),
    );
    for (let i = 0; i < 30; i++) recorders[i % 2]!.record(MARCH + i * 1000, i === 0 ? 500 : 200, 8);
    await Promise.all(recorders.map((r) => r.close()));
    const rows = await test.database.db.selectFrom('performance_minute').select(['instance_id', 'requests', 'proper']).orderBy('instance_id').execute();
    expect(rows.map((r) => [r.instance_id, Number(r.requests), Number(r.proper)])).toEqual([
      ['a', 15, 14],
      ['b', 15, 15],
    ]);
  });
});
