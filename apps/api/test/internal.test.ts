import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_CUSTOMERS } from '../src/demo/seed-data.js';
import { CoreBankingDataSource } from './adapter-skeleton.js';
import { SOURCES, startApi, TEST_INTERNAL_SECRET, type TestApi } from './support.js';

/** `authorization` null sends none. */
const accountsOf = (api: TestApi, customerId: string, authorization: string | null = `Bearer ${TEST_INTERNAL_SECRET}`) =>
  fetch(`${api.url}/internal/v1/customers/${encodeURIComponent(customerId)}/accounts`, { headers: authorization === null ? {} : { authorization } });

describe.each(SOURCES)("the customer's accounts for the OP's consent page (CONSENT-CONTRACT §4, %s)", (source) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ source });
  });
  afterAll(() => api.close());

  it('lists every account of the customer, closed and restricted ones too, masked, not cached', async () => {
    const res = await accountsOf(api, 'cust-10001');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { accounts: Array<Record<string, unknown>> };
    const seeded = SEED_CUSTOMERS[0]!.accounts;
    expect(body.accounts.map((a) => a.accountId).sort()).toEqual(seeded.map((a) => a.id).sort());
    expect(body.accounts.find((a) => a.accountId === 'acc-10001-checking')).toEqual({
      accountId: 'acc-10001-checking',
      nickname: 'Main checking',
      accountNumberDisplay: '…8201',
      accountCategory: 'DEPOSIT_ACCOUNT',
      accountType: 'CHECKING',
      status: 'OPEN',
    });
    expect(body.accounts.map((a) => a.status)).toEqual(expect.arrayContaining(['CLOSED', 'RESTRICTED']));
    const text = JSON.stringify(body);
    for (const account of seeded) expect(text).not.toContain(account.accountNumber);
  });

  it('answers an unknown customer with no accounts', async () => {
    const res = await accountsOf(api, 'cust-unknown');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accounts: [] });
  });

  it('answers only the OP: 401 without INTERNAL_SECRET, with another secret, or with an access token', async () => {
    for (const authorization of [null, 'Bearer wrong-secret', `Basic ${TEST_INTERNAL_SECRET}`, `Bearer ${TEST_INTERNAL_SECRET}x`, `Bearer ${await api.token()}`]) {
      const res = await accountsOf(api, 'cust-10001', authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
    const unknown = await fetch(`${api.url}/internal/v1/nothing-here`, { headers: { authorization: `Bearer ${TEST_INTERNAL_SECRET}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found' });
  });
});

describe('the account catalog while the data source is down', () => {
  let api: TestApi;
  beforeAll(async () => {
    // The README's adapter skeleton, pointed at a core system that is not there.
    api = await startApi({ dataSource: new CoreBankingDataSource({ baseUrl: 'http://127.0.0.1:9', token: 'unused' }) });
  });
  afterAll(() => api.close());

  it('answers 503 { "error": "unavailable" }, never a stack trace', async () => {
    const res = await accountsOf(api, 'cust-10001');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'unavailable' });
  });
});
