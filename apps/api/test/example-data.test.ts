import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSources } from '../src/import/importer.js';
import { openSources } from '../src/import/read.js';
import { startApi, type TestApi } from './support.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/bank-data', import.meta.url));

/** examples/bank-data documents the import format; here it goes in through the importer and comes out of the FDX routes. */
describe('the example data set, imported and served', () => {
  let api: TestApi;
  let token: string;
  beforeAll(async () => {
    api = await startApi({ seeded: false });
    const report = await importSources(api.database.db, await openSources([{ path: EXAMPLE, name: 'examples/bank-data' }]));
    expect(report.rejections).toEqual([]);
    token = await api.token({ sub: 'nw-cust-001' });
  });
  afterAll(() => api.close());

  const json = async (path: string, as = token) => {
    const res = await api.get(path, as);
    expect(res.status, path).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  it("lists the customer's accounts, and only theirs", async () => {
    const body = await json('/accounts');
    expect(body.accounts).toEqual([
      { accountCategory: 'DEPOSIT_ACCOUNT', accountId: 'nw-acc-4821', accountType: 'CHECKING', accountNumberDisplay: '4821', productName: 'Everyday Checking', nickname: 'Bills', status: 'OPEN', currency: { currencyCode: 'USD' } },
      { accountCategory: 'LOC_ACCOUNT', accountId: 'nw-acc-5512', accountType: 'CREDITCARD', accountNumberDisplay: '5512', productName: 'Northwind Rewards Visa', status: 'OPEN', currency: { currencyCode: 'USD' } },
      { accountCategory: 'LOAN_ACCOUNT', accountId: 'nw-acc-7310', accountType: 'AUTOLOAN', accountNumberDisplay: '7310', productName: 'Auto Loan 60 months', status: 'OPEN', currency: { currencyCode: 'USD' } },
    ]);
    expect((await api.get('/accounts/nw-acc-9034', token)).status).toBe(404);
  });

  it('serves each account with its detail fields and contact', async () => {
    expect(await json('/accounts/nw-acc-7310')).toMatchObject({ accountNumber: '700200007310', principalBalance: 14210.55, interestRateType: 'FIXED', loanTerm: 60 });
    expect(await json('/accounts/nw-acc-5512')).toMatchObject({ creditLine: 5000, availableCredit: 4387.6 });
    const other = await api.token({ sub: 'nw-cust-002' });
    const ira = await json('/accounts/nw-acc-9034', other);
    expect(ira).toMatchObject({ accountType: 'IRA', currentValue: 10345.5 });
    expect((ira.holdings as unknown[])[0]).toMatchObject({ symbol: 'VTI', units: 40.86 });
    const contact = await json('/accounts/nw-acc-4821/contact');
    expect(contact).toMatchObject({ emails: ['maria.okafor@example.test'], holders: [{ relationship: 'PRIMARY', name: { first: 'Maria', middle: 'L', last: 'Okafor' } }] });
  });

  it('serves transactions newest first, pending ones without postedTimestamp', async () => {
    const body = await json('/accounts/nw-acc-4821/transactions?startTime=2026-10-01&endTime=2026-12-31');
    const items = body.transactions as Array<Record<string, unknown>>;
    expect(items.map((t) => t.transactionId)).toEqual(['nw-tx-000005', 'nw-tx-000004', 'nw-tx-000003', 'nw-tx-000002', 'nw-tx-000001']);
    expect(items[0]).toEqual({
      accountCategory: 'DEPOSIT_ACCOUNT',
      transactionId: 'nw-tx-000005',
      transactionTimestamp: '2026-12-03T18:25:00.000Z',
      description: 'DEBIT CARD PURCHASE POWELLS BOOKS',
      debitCreditMemo: 'DEBIT',
      status: 'PENDING',
      amount: 73.5,
      payee: "Powell's Books",
      category: '5942',
      subCategory: 'MCC',
    });
    expect(items[1]).toMatchObject({ postedTimestamp: '2026-11-20T12:00:00.000Z', checkNumber: 1043 });
  });

  it('serves payment and asset transfer networks', async () => {
    expect((await json('/accounts/nw-acc-4821/payment-networks')).paymentNetworks).toEqual([
      { bankId: '123000220', identifier: '200100004821', type: 'US_ACH', transferIn: true, transferOut: true },
      { bankId: '123000220', identifier: '200100004821', type: 'US_RTP', transferIn: true, transferOut: false },
    ]);
    const other = await api.token({ sub: 'nw-cust-002' });
    expect((await json('/accounts/nw-acc-9034/asset-transfer-networks', other)).assetTransferNetworks).toEqual([
      { identifier: '800300009034', identifierType: 'ACCOUNT_NUMBER', institutionName: 'Northwind Community Bank', institutionId: '0777', type: 'US_ACATS', jointAccount: false },
    ]);
  });

  it('serves the bank\'s own PDF for a statement imported with a document', async () => {
    const res = await api.get('/accounts/nw-acc-4821/statements/nw-stmt-4821-2026-10', token);
    expect(res.status).toBe(200);
    const served = Buffer.from(await res.arrayBuffer());
    expect(served.equals(readFileSync(join(EXAMPLE, 'statements/chk-4821-2026-10.pdf')))).toBe(true);
  });

  it('lists the statements and serves each as a PDF', async () => {
    const body = await json('/accounts/nw-acc-4821/statements?startTime=2026-01-01&endTime=2026-12-31');
    const statements = body.statements as Array<{ statementId: string; statementDate: string }>;
    expect(statements.map((s) => [s.statementId, s.statementDate])).toEqual([
      ['nw-stmt-4821-2026-11', '2026-12-01'],
      ['nw-stmt-4821-2026-10', '2026-11-01'],
    ]);
    for (const s of statements) {
      const res = await api.get(`/accounts/nw-acc-4821/statements/${s.statementId}`, token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(Buffer.from(await res.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    }
  });
});
