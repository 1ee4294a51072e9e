import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCES, startApi, type TestApi } from './support.js';

interface TxPage {
  page?: { nextOffset: string; nextPageKey: string };
  transactions: Array<{ transactionId: string; postedTimestamp?: string; transactionTimestamp: string; status: string }>;
}

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe.each(SOURCES)('pagination and date filters (%s)', (source) => {
  let api: TestApi;
  let token: string;
  beforeAll(async () => {
    api = await startApi({ source });
    token = await api.token();
  });
  afterAll(() => api.close());

  const tx = async (query: string) => {
    const res = await api.get(`/accounts/acc-10001-checking/transactions?${query}`, token);
    return { status: res.status, body: (await res.json()) as TxPage & { code?: number } };
  };

  it('walks every transaction exactly once, newest first, with nextOffset only while more remain', async () => {
    const range = `startDate=${day(-365)}&endDate=${day(0)}`;
    const all = await tx(`${range}&limit=500`);
    const seen: string[] = [];
    let query = `${range}&limit=37`;
    for (;;) {
      const { status, body } = await tx(query);
      expect(status).toBe(200);
      seen.push(...body.transactions.map((t) => t.transactionId));
      if (!body.page) break;
      expect(body.transactions).toHaveLength(37);
      expect(body.page.nextPageKey).toBe(body.page.nextOffset);
      query = `pageKey=${encodeURIComponent(body.page.nextOffset)}&limit=37`;
    }
    expect(new Set(seen).size).toBe(seen.length);
    let total = all.body.transactions.length;
    let next = all.body.page?.nextOffset;
    while (next) {
      const page = await tx(`offset=${encodeURIComponent(next)}&limit=500`);
      total += page.body.transactions.length;
      next = page.body.page?.nextOffset;
    }
    expect(seen.length).toBe(total);
    expect(seen.length).toBeGreaterThan(500);
  });

  it('filters inclusively on the posted day and defaults to the last 7 days', async () => {
    const { body } = await tx(`startDate=${day(-40)}&endDate=${day(-40)}&limit=500`);
    for (const t of body.transactions) expect(t.postedTimestamp!.slice(0, 10)).toBe(day(-40));
    const window = await tx('limit=500');
    expect(window.status).toBe(200);
    for (const t of window.body.transactions) {
      expect((t.postedTimestamp ?? t.transactionTimestamp).slice(0, 10) >= day(-6)).toBe(true);
    }
    expect(window.body.transactions.length).toBeGreaterThan(0);
  });

  it('accepts RFC 3339 times in startTime/endTime', async () => {
    const { status } = await tx(`startTime=${day(-10)}T00:00:00Z&endTime=${day(0)}T23:59:59.999Z`);
    expect(status).toBe(200);
  });

  it.each([
    ['reversed', `startDate=${day(-1)}&endDate=${day(-5)}`],
    ['half-given', `startDate=${day(-5)}`],
    ['only an end', `endTime=${day(-5)}`],
    ['malformed', 'startDate=2024-13-01&endDate=2024-12-01'],
    ['impossible day', 'startDate=2025-02-30&endDate=2025-03-01'],
    ['not a date', 'startTime=yesterday&endTime=today'],
    ['older than 24 months', `startDate=${day(-800)}&endDate=${day(-700)}`],
    ['both startTime and startDate', `startTime=${day(-3)}&startDate=${day(-3)}&endDate=${day(0)}`],
  ])('rejects a %s range with 400/703', async (_name, query) => {
    const { status, body } = await tx(query);
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 703 });
  });

  it.each([['limit=0'], ['limit=-1'], ['limit=abc'], ['limit=501'], ['limit=1&limit=2'], ['offset=tampered'], ['pageKey=']])(
    'rejects bad paging parameter %s with 400/703',
    async (query) => {
      const { status, body } = await tx(query);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 703 });
    },
  );

  it('rejects a tampered cursor and a cursor for another account or range', async () => {
    const first = await tx(`startDate=${day(-200)}&endDate=${day(0)}&limit=5`);
    const cursor = first.body.page!.nextOffset;
    const [payload, mac] = cursor.split('.');
    const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { k: [number, string] };
    decoded.k[0] += 1;
    const forged = `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${mac}`;
    expect((await tx(`offset=${encodeURIComponent(forged)}`)).status).toBe(400);
    const savings = await api.get(`/accounts/acc-10001-savings/transactions?offset=${encodeURIComponent(cursor)}`, token);
    expect(savings.status).toBe(400);
    expect((await tx(`offset=${encodeURIComponent(cursor)}&startDate=${day(-100)}&endDate=${day(0)}`)).status).toBe(400);
    expect((await tx(`offset=${encodeURIComponent(cursor)}&startDate=${day(-200)}&endDate=${day(0)}`)).status).toBe(200);
  });

  it('paginates accounts and statements the same way', async () => {
    const ids: string[] = [];
    let url = '/accounts?limit=2';
    for (;;) {
      const body = (await (await api.get(url, token)).json()) as { page?: { nextOffset: string }; accounts: Array<{ accountId: string }> };
      ids.push(...body.accounts.map((a) => a.accountId));
      if (!body.page) break;
      url = `/accounts?limit=2&offset=${encodeURIComponent(body.page.nextOffset)}`;
    }
    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    const statements = (await (await api.get(`/accounts/acc-10001-card/statements?startDate=${day(-95)}&endDate=${day(0)}`, token)).json()) as {
      statements: Array<{ statementDate: string }>;
    };
    expect(statements.statements.length).toBeGreaterThanOrEqual(2);
    expect(statements.statements.length).toBeLessThanOrEqual(4);
  });
});
