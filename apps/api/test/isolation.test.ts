import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_CUSTOMERS } from '../src/demo/seed-data.js';
import { SOURCES, startApi, type TestApi } from './support.js';

const OTHER_ACCOUNTS = SEED_CUSTOMERS.find((c) => c.id === 'cust-10001')!.accounts.map((a) => a.id);
const SUFFIXES = ['', '/contact', '/transactions', '/statements', '/payment-networks', '/asset-transfer-networks'];

describe.each(SOURCES)('customer isolation (%s)', (source) => {
  let api: TestApi;
  let user2: string;
  beforeAll(async () => {
    api = await startApi({ source });
    user2 = await api.token({ sub: 'cust-10002' });
  });
  afterAll(() => api.close());

  it("lists only the token customer's accounts", async () => {
    const body = (await (await api.get('/accounts', user2)).json()) as { accounts: Array<{ accountId: string }> };
    expect(body.accounts.map((a) => a.accountId).sort()).toEqual(SEED_CUSTOMERS[1]!.accounts.map((a) => a.id).sort());
  });

  it("hides another customer's account behind 404/701, on every endpoint", async () => {
    for (const id of OTHER_ACCOUNTS) {
      for (const suffix of SUFFIXES) {
        const res = await api.get(`/accounts/${id}${suffix}`, user2);
        expect(res.status, `${id}${suffix}`).toBe(404);
        expect(await res.json()).toMatchObject({ code: 701 });
      }
    }
    const statement = await api.get('/accounts/acc-10001-checking/statements/acc-10001-checking-s2000-01', user2);
    expect(statement.status).toBe(404);
  });

  it('answers the same for a missing account as for a foreign one', async () => {
    const missing = await api.get('/accounts/acc-does-not-exist', user2);
    const foreign = await api.get('/accounts/acc-10001-checking', user2);
    expect(missing.status).toBe(foreign.status);
    expect(await missing.json()).toEqual(await foreign.json());
  });

  it("cannot be steered to another customer's data by a cursor or odd ids", async () => {
    const user1 = await api.token({ sub: 'cust-10001' });
    const page = (await (await api.get('/accounts?limit=2', user1)).json()) as { page: { nextOffset: string } };
    const res = await api.get(`/accounts?offset=${encodeURIComponent(page.page.nextOffset)}`, user2);
    // The cursor is valid but only positions within cust-10002's own accounts.
    const body = (await res.json()) as { accounts: Array<{ accountId: string }> };
    expect(body.accounts.every((a) => a.accountId.startsWith('acc-10002'))).toBe(true);
    for (const id of ["acc-10001-checking' OR '1'='1", '%2e%2e%2facc-10001-checking', 'ACC-10001-CHECKING']) {
      expect((await api.get(`/accounts/${encodeURIComponent(id)}`, user2)).status).toBe(404);
    }
  });

  it('gives a customer with no data an empty list', async () => {
    const res = await api.get('/accounts', await api.token({ sub: 'cust-10003' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accounts: [] });
  });
});
