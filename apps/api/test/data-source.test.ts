import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import {
  DataSourceUnavailableError,
  UnsupportedOperationError,
  type Account,
  type CustomerData,
  type FdxDataSource,
  type Statement,
} from '../src/data-source.js';
import { MemoryDataSource } from '../src/memory/memory-data-source.js';
import { CoreBankingDataSource } from './adapter-skeleton.js';
import { startFakeCore } from './fake-core.js';
import { startApi, type TestApi } from './support.js';

const ACCOUNT: Account = {
  id: 'acc-1',
  category: 'DEPOSIT_ACCOUNT',
  accountType: 'CHECKING',
  status: 'OPEN',
  accountNumber: '4001000000001',
  productName: 'Checking',
  currency: 'USD',
  details: { currentBalance: 10, availableBalance: 10 },
};
const STATEMENT: Statement = {
  id: 'st-1',
  statementDate: '2026-11-30',
  periodStart: '2026-11-01',
  periodEnd: '2026-11-30',
  openingBalance: 10,
  closingBalance: 10,
};

/** A tiny source for the adapter-author contract: accounts and statements answer, the rest fails as told. */
function failingSource(failure: () => Error): FdxDataSource {
  const fail = async (): Promise<never> => {
    throw failure();
  };
  return {
    forCustomer: (customerId): CustomerData => ({
      customerId,
      accounts: fail,
      account: async (id) => (id === ACCOUNT.id ? ACCOUNT : undefined),
      contact: fail,
      paymentNetworks: fail,
      assetTransferNetworks: fail,
      transactions: fail,
      statements: fail,
      statement: async (_account, id) => (id === STATEMENT.id ? STATEMENT : undefined),
      statementDocument: fail,
    }),
  };
}

describe('the adapter-author contract', () => {
  const started: TestApi[] = [];
  afterAll(async () => {
    for (const api of started) await api.close();
  });
  const start = async (dataSource: FdxDataSource) => {
    const api = await startApi({ dataSource });
    started.push(api);
    return api;
  };

  it('answers 503 with Retry-After and FDX code 501 when the source is down', async () => {
    const api = await start(failingSource(() => new DataSourceUnavailableError('core banking is down')));
    for (const path of ['/accounts', '/accounts/acc-1/transactions', '/accounts/acc-1/statements/st-1']) {
      const res = await api.get(path);
      expect(res.status, path).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ code: 501, message: 'Subsystem unavailable', debugMessage: expect.any(String) });
      expect(text).not.toContain('core banking');
    }
    // What the source does serve is still served.
    expect((await api.get('/accounts/acc-1')).status).toBe(200);
  });

  it('answers 501 in the FDX error format for an operation the source does not offer', async () => {
    const api = await start(failingSource(() => new UnsupportedOperationError('statement documents')));
    const res = await api.get('/accounts/acc-1/statements/st-1');
    expect(res.status).toBe(501);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ code: 501, message: 'Not implemented', debugMessage: expect.any(String) });
  });

  it('answers any other failure of the source with 500 and nothing of it', async () => {
    const api = await start(failingSource(() => new Error('ECONNRESET core.bank.internal:8443')));
    const res = await api.get('/accounts');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ code: 500, message: 'Internal server error' });
    expect(text).not.toContain('core.bank');
  });

  it("turns the README skeleton's unreachable or failing core system into 503", async () => {
    const core = await startFakeCore(new MemoryDataSource([{ id: 'cust-10001', accounts: [{ ...ACCOUNT, contact: {} }] }], { institutionName: 'Bank' }));
    const api = await start(new CoreBankingDataSource({ baseUrl: core.url, token: core.token }));
    expect((await api.get('/accounts')).status).toBe(200);
    core.down = true;
    const failing = await api.get('/accounts');
    expect(failing.status).toBe(503);
    expect(await failing.json()).toMatchObject({ code: 501 });
    await core.close();
    const unreachable = await api.get('/accounts/acc-1');
    expect(unreachable.status).toBe(503);
    expect(unreachable.headers.get('retry-after')).toBeTruthy();
  });
});

const PDF = Buffer.from('%PDF-1.7\n% the bank issued this one\n%%EOF\n', 'latin1');

async function storeDocument(api: TestApi, statementId: string): Promise<void> {
  await api.database.db
    .insertInto('statement_document')
    .values({ statement_id: statementId, content_type: 'application/pdf', sha256: 'not-checked-here', size: PDF.length, content: PDF })
    .execute();
}

async function firstStatementId(api: TestApi, token: string): Promise<string> {
  const list = (await (await api.get('/accounts/acc-10001-checking/statements?limit=2', token)).json()) as { statements: Array<{ statementId: string }> };
  return list.statements[0]!.statementId;
}

describe.each([
  ['SQLite', false],
  ['PostgreSQL', true],
])('statement documents in the SQL store (%s)', (_engine, postgres) => {
  let temp: TempDatabase | undefined;
  let api: TestApi;
  beforeAll(async () => {
    temp = postgres ? await createTempDatabase('api_docs') : undefined;
    api = await startApi({ databaseUrl: temp?.url });
  });
  afterAll(async () => {
    await api.close();
    await temp?.drop();
  });

  it("serves the bank's stored PDF byte for byte, and renders one for a statement without", async () => {
    const token = await api.token();
    const list = (await (await api.get('/accounts/acc-10001-checking/statements?limit=2', token)).json()) as { statements: Array<{ statementId: string }> };
    const [stored, rendered] = list.statements.map((s) => s.statementId);
    await storeDocument(api, stored!);
    const res = await api.get(`/accounts/acc-10001-checking/statements/${stored}`, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);
    const other = Buffer.from(await (await api.get(`/accounts/acc-10001-checking/statements/${rendered}`, token)).arrayBuffer()).toString('latin1');
    expect(other).toContain('Account ending in 8201');
  });

  it("keeps a stored document behind the customer's own account", async () => {
    const id = await firstStatementId(api, await api.token());
    const res = await api.get(`/accounts/acc-10001-checking/statements/${id}`, await api.token({ sub: 'cust-10002' }));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 701 });
  });
});

describe('statement documents in the memory adapter', () => {
  it('serves a stored document as it is', async () => {
    const source = new MemoryDataSource(
      [{ id: 'cust-10001', accounts: [{ ...ACCOUNT, contact: {}, statements: [{ ...STATEMENT, document: { contentType: 'application/pdf', content: PDF } }] }] }],
      { institutionName: 'Bank' },
    );
    const api = await startApi({ dataSource: source });
    try {
      const res = await api.get('/accounts/acc-1/statements/st-1');
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);
    } finally {
      await api.close();
    }
  });
});
