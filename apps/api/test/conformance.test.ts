import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_CUSTOMERS } from '../src/demo/seed-data.js';
import { loadSpecValidator, specAvailable, specMissingMessage, type SpecValidator } from './spec.js';
import { SOURCES, startApi, type TestApi } from './support.js';

if (!specAvailable) console.warn(specMissingMessage);

describe.skipIf(!specAvailable).each(SOURCES)('responses conform to the FDX v6.3 spec (%s)', (source) => {
  let api: TestApi;
  let spec: SpecValidator;
  beforeAll(async () => {
    spec = loadSpecValidator();
    api = await startApi({ source });
  });
  afterAll(() => api.close());

  /** Fetches every page of `path` and validates each body against the spec operation. */
  async function walk(token: string, specPath: string, path: string, listKey?: string): Promise<number> {
    let url = path;
    let items = 0;
    for (let pages = 0; pages < 1000; pages++) {
      const res = await api.get(url, token);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(spec.validate(specPath, body), `${url}`).toEqual([]);
      if (!listKey) return 1;
      items += (body[listKey] as unknown[]).length;
      const next = (body.page as { nextOffset?: string } | undefined)?.nextOffset;
      if (!next) return items;
      url = `${path}${path.includes('?') ? '&' : '?'}offset=${encodeURIComponent(next)}`;
    }
    throw new Error('pagination did not end');
  }

  for (const customer of SEED_CUSTOMERS) {
    it(`validates every endpoint for every account of ${customer.id}`, async () => {
      const token = await api.token({ sub: customer.id });
      await walk(token, '/customers/current', '/customers/current');
      expect(await walk(token, '/accounts', '/accounts?limit=3', 'accounts')).toBe(customer.accounts.length);
      for (const account of customer.accounts.filter((a) => a.status === 'OPEN')) {
        const base = `/accounts/${account.id}`;
        await walk(token, '/accounts/{accountId}', base);
        await walk(token, '/accounts/{accountId}/contact', `${base}/contact`);
        await walk(token, '/accounts/{accountId}/payment-networks', `${base}/payment-networks`, 'paymentNetworks');
        await walk(token, '/accounts/{accountId}/asset-transfer-networks', `${base}/asset-transfer-networks`, 'assetTransferNetworks');
        expect(await walk(token, '/accounts/{accountId}/statements', `${base}/statements?limit=10`, 'statements')).toBeGreaterThan(20);
        const end = new Date().toISOString().slice(0, 10);
        const start = new Date(Date.now() - 180 * 86_400_000).toISOString().slice(0, 10);
        expect(
          await walk(token, '/accounts/{accountId}/transactions', `${base}/transactions?startTime=${start}&endTime=${end}&limit=100`, 'transactions'),
        ).toBeGreaterThan(0);
      }
      for (const account of customer.accounts.filter((a) => a.status !== 'OPEN')) {
        await walk(token, '/accounts/{accountId}', `/accounts/${account.id}`);
      }
    });
  }

  it('has a validator that does reject a non-conforming body', () => {
    expect(spec.validate('/accounts/{accountId}', { accountCategory: 'DEPOSIT_ACCOUNT', accountId: 'x' })).not.toEqual([]);
    expect(spec.validate('/accounts/{accountId}/transactions', { transactions: [{ accountCategory: 'DEPOSIT_ACCOUNT' }] })).not.toEqual([]);
  });

  it('serves each account category with its FDX detail entity', async () => {
    const token = await api.token();
    const kinds: Record<string, string[]> = {
      'acc-10001-checking': ['currentBalance', 'availableBalance'],
      'acc-10001-mortgage': ['principalBalance', 'interestRate', 'interestRateType', 'accountNumber'],
      'acc-10001-card': ['currentBalance', 'creditLine', 'availableCredit'],
      'acc-10001-brokerage': ['availableCashBalance', 'currentValue', 'holdings'],
    };
    for (const [id, fields] of Object.entries(kinds)) {
      const body = (await (await api.get(`/accounts/${id}`, token)).json()) as Record<string, unknown>;
      for (const field of fields) expect(body, `${id}.${field}`).toHaveProperty(field);
    }
  });
});
