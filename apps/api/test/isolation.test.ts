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

  describe('accounts selected for a consent (account_ids)', () => {
    const SELECTED = ['acc-10001-savings', 'acc-10001-card'];
    const UNSELECTED = SEED_CUSTOMERS[0]!.accounts.map((a) => a.id).filter((id) => !SELECTED.includes(id));
    let consented: string;
    beforeAll(async () => {
      consented = await api.token({ sub: 'cust-10001', consentId: 'consent-1', accountIds: SELECTED });
    });

    const listed = async (token: string, query = ''): Promise<string[]> => {
      const ids: string[] = [];
      for (let url = `/accounts${query}`, pages = 0; pages < 20; pages++) {
        const res = await api.get(url, token);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { accounts: Array<{ accountId: string }>; page?: { nextOffset: string } };
        ids.push(...body.accounts.map((a) => a.accountId));
        if (!body.page) return ids;
        url = `/accounts?${query ? `${query.slice(1)}&` : ''}offset=${encodeURIComponent(body.page.nextOffset)}`;
      }
      throw new Error('pagination did not end');
    };

    it('lists only the selected accounts, whole and page by page, with no empty last page', async () => {
      expect((await listed(consented)).sort()).toEqual([...SELECTED].sort());
      expect((await listed(consented, '?limit=1')).sort()).toEqual([...SELECTED].sort());
      const firstPage = (await (await api.get('/accounts?limit=2', consented)).json()) as { accounts: unknown[]; page?: unknown };
      expect(firstPage.accounts).toHaveLength(2);
      expect(firstPage.page).toBeUndefined();
    });

    it('serves the selected accounts on every endpoint', async () => {
      for (const id of SELECTED) {
        for (const suffix of SUFFIXES) expect((await api.get(`/accounts/${id}${suffix}`, consented)).status, `${id}${suffix}`).toBe(200);
      }
    });

    it("answers the customer's other accounts exactly like another customer's: 404/701 on every endpoint", async () => {
      const foreign = await api.get('/accounts/acc-10002-checking', consented);
      const foreignBody = await foreign.json();
      for (const id of UNSELECTED) {
        for (const suffix of SUFFIXES) {
          const res = await api.get(`/accounts/${id}${suffix}`, consented);
          expect(res.status, `${id}${suffix}`).toBe(404);
          expect(await res.json(), `${id}${suffix}`).toEqual(foreignBody);
        }
      }
      // A statement that exists, of an unselected account: its PDF is not served either.
      const all = await api.token({ sub: 'cust-10001' });
      const list = (await (await api.get('/accounts/acc-10001-checking/statements?limit=1', all)).json()) as { statements: Array<{ statementId: string }> };
      const path = `/accounts/acc-10001-checking/statements/${list.statements[0]!.statementId}`;
      expect((await api.get(path, all)).status).toBe(200);
      const unselectedStatement = await api.get(path, consented);
      expect(unselectedStatement.status).toBe(404);
      expect(await unselectedStatement.json()).toEqual(foreignBody);
    });

    it("cannot be widened by selecting another customer's account or a missing one", async () => {
      const widened = await api.token({ sub: 'cust-10001', accountIds: ['acc-10001-card', 'acc-10002-checking', 'acc-missing'] });
      expect(await listed(widened)).toEqual(['acc-10001-card']);
      expect(await listed(widened, '?limit=1')).toEqual(['acc-10001-card']);
      expect((await api.get('/accounts/acc-10002-checking', widened)).status).toBe(404);
    });

    it('shares nothing with an empty selection, and everything without the claim (tokens from before consents)', async () => {
      expect(await listed(await api.token({ sub: 'cust-10001', accountIds: [] }))).toEqual([]);
      expect((await listed(await api.token({ sub: 'cust-10001', consentId: 'consent-2' }))).length).toBe(SEED_CUSTOMERS[0]!.accounts.length);
    });
  });
});
