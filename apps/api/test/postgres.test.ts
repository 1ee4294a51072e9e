import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { seedIfEmpty } from '../src/demo/load.js';
import { startApi, type TestApi } from './support.js';

describe('on PostgreSQL', () => {
  let temp: TempDatabase;
  let api: TestApi;
  beforeAll(async () => {
    temp = await createTempDatabase('api_test');
    api = await startApi({ databaseUrl: temp.url });
  });
  afterAll(async () => {
    await api.close();
    await temp.drop();
  });

  it('does not seed twice', async () => {
    expect(await seedIfEmpty(api.database.db)).toBeUndefined();
  });

  it('serves the same accounts, scoped to the customer, and walks transaction pages once each', async () => {
    const token = await api.token({ sub: 'cust-10002' });
    const accounts = (await (await api.get('/accounts', token)).json()) as { accounts: Array<{ accountId: string }> };
    expect(accounts.accounts.map((a) => a.accountId)).toEqual(['acc-10002-card', 'acc-10002-checking', 'acc-10002-ira', 'acc-10002-studentloan']);
    expect((await api.get('/accounts/acc-10001-checking', token)).status).toBe(404);
    const start = new Date(Date.now() - 300 * 86_400_000).toISOString().slice(0, 10);
    const end = new Date().toISOString().slice(0, 10);
    const seen: string[] = [];
    let query = `startDate=${start}&endDate=${end}&limit=50`;
    for (;;) {
      const body = (await (await api.get(`/accounts/acc-10002-checking/transactions?${query}`, token)).json()) as {
        page?: { nextOffset: string };
        transactions: Array<{ transactionId: string; amount: number }>;
      };
      seen.push(...body.transactions.map((t) => t.transactionId));
      for (const t of body.transactions) expect(typeof t.amount).toBe('number');
      if (!body.page) break;
      query = `offset=${encodeURIComponent(body.page.nextOffset)}&limit=50`;
    }
    expect(seen.length).toBeGreaterThan(100);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
