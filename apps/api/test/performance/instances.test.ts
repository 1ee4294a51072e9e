import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { PROPER, REQUESTS } from '../../src/performance/buckets.js';
import { monthsUpTo } from '../../src/performance/months.js';
import type { PerformanceReport } from '../../src/performance/report.js';
import { PerformanceStore } from '../../src/performance/store.js';
import { startApi, type TestApi } from '../support.js';

describe.each(['sqlite', 'postgres'] as const)('two API instances on one %s database', (engine) => {
  let temp: TempDatabase | undefined;
  let dataDir: string;
  let apis: TestApi[];
  beforeAll(async () => {
    temp = engine === 'postgres' ? await createTempDatabase('api_perf') : undefined;
    dataDir = mkdtempSync(join(tmpdir(), 'api-perf-'));
    const env = { DATA_DIR: dataDir, DISCLOSURE_FLUSH_MS: '60000' };
    apis = [];
    for (const instance of ['api-1', 'api-2']) {
      apis.push(await startApi({ databaseUrl: temp?.url, env: { ...env, INSTANCE_ID: instance } }));
    }
  }, 60_000);
  afterAll(async () => {
    for (const api of apis) await api.close();
    await temp?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds both instances’ FDX requests into the month, each under its own instance id', async () => {
    const month = monthsUpTo(Date.now(), 1);
    const store = new PerformanceStore(apis[0]!.database.db);
    const before = (await store.countsFor(month)).get(month[0]!.month)!;
    const [a, b] = apis as [TestApi, TestApi];
    const token = await a.token({ sub: 'cust-10001' });
    for (let i = 0; i < 3; i++) expect((await a.get('/accounts', token)).status).toBe(200);
    expect((await a.get('/accounts', null)).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await b.get('/accounts', await b.token({ sub: 'cust-10002' }))).status).toBe(200);
    // Not FDX: not counted.
    expect((await fetch(`${b.url}/public/health`)).status).toBe(200);
    await Promise.all(apis.map((api) => api.performance.flush()));

    const after = (await store.countsFor(month)).get(month[0]!.month)!;
    expect(after[REQUESTS]! - before[REQUESTS]!).toBe(6);
    expect(after[PROPER]! - before[PROPER]!).toBe(6);
    // Either instance's public JSON shows every instance's figures.
    const report = (await (await fetch(`${b.url}/performance.json`)).json()) as PerformanceReport;
    expect(report.months[0]).toMatchObject({ month: month[0]!.month, requests: after[REQUESTS], properResponses: after[PROPER] });
    const rows = await apis[1]!.database.db
      .selectFrom('performance_minute')
      .select(['instance_id'])
      .select((eb) => eb.fn.sum<number | string>('requests').as('requests'))
      .groupBy('instance_id')
      .orderBy('instance_id')
      .execute();
    expect(rows.map((r) => [r.instance_id, Number(r.requests)])).toEqual([
      ['api-1', 4],
      ['api-2', 2],
    ]);
  });

  it('writes what an instance counted when it shuts down, without waiting for its next flush', async () => {
    const month = monthsUpTo(Date.now(), 1);
    const store = new PerformanceStore(apis[0]!.database.db);
    const before = (await store.countsFor(month)).get(month[0]!.month)![REQUESTS]!;
    const leaving = await startApi({ databaseUrl: temp?.url, env: { DATA_DIR: dataDir, DISCLOSURE_FLUSH_MS: '60000', INSTANCE_ID: 'api-3' } });
    expect((await leaving.get('/accounts', null)).status).toBe(401);
    await leaving.close();
    expect((await store.countsFor(month)).get(month[0]!.month)![REQUESTS]! - before).toBe(1);
  });
});
