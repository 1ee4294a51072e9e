import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSources, type ImportOptions } from '../../src/import/importer.js';
import { openSources } from '../../src/import/read.js';
import { ENGINES, openTestStore, tempDir, type TestStore } from './store.js';

const EXAMPLE = fileURLToPath(new URL('../../../../examples/bank-data', import.meta.url));

const customer = (id: string) => ({ kind: 'customer', customerId: id, name: { first: 'Ada', last: 'Lovelace' } });
const account = (id: string, customerId: string, extra: Record<string, unknown> = {}) => ({
  kind: 'account',
  accountId: id,
  customerId,
  accountCategory: 'DEPOSIT_ACCOUNT',
  accountType: 'CHECKING',
  status: 'OPEN',
  accountNumber: '000011112222',
  productName: 'Checking',
  currentBalance: 10,
  ...extra,
});
const transaction = (id: string, accountId: string, extra: Record<string, unknown> = {}) => ({
  kind: 'transaction',
  transactionId: id,
  accountId,
  postedTimestamp: '2026-11-02T10:00:00.000Z',
  transactionTimestamp: '2026-11-02T09:00:00.000Z',
  description: 'COFFEE',
  debitCreditMemo: 'DEBIT',
  status: 'POSTED',
  amount: 3.5,
  ...extra,
});

describe.each(ENGINES)('importing into %s', (engine) => {
  let store: TestStore;
  let files: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    store = await openTestStore(engine);
    files = tempDir();
  });
  afterAll(async () => {
    await store.close();
    files.remove();
  });

  const write = (name: string, lines: Array<object | string>) => {
    const path = join(files.dir, name);
    writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
    return path;
  };
  const run = async (paths: string[], options: ImportOptions = {}) =>
    importSources(store.database.db, await openSources(paths.map((p) => ({ path: p, name: p.startsWith(files.dir) ? p.slice(files.dir.length + 1) : p }))), options);

  it('imports the example data set, and a second run changes no count', async () => {
    const first = await run([EXAMPLE]);
    expect(first.rejections).toEqual([]);
    expect(first.imported).toMatchObject({ customer: 2, account: 5, transaction: 10, statement: 2, payment_network: 3, asset_transfer_network: 1, document: 1 });
    const tables = ['customer', 'account', 'transaction', 'statement', 'statement_document', 'payment_network', 'asset_transfer_network'] as const;
    const counts = async (): Promise<Record<string, number>> => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await store.count(t)] as const)));
    const before = await counts();
    expect(before).toEqual({ customer: 2, account: 5, transaction: 10, statement: 2, statement_document: 1, payment_network: 3, asset_transfer_network: 1 });
    const documentVersion = async () =>
      engine === 'postgres' ? (await sql<{ xmin: string }>`select xmin::text as xmin from statement_document`.execute(store.database.db)).rows[0]!.xmin : undefined;
    const version = await documentVersion();
    const second = await run([EXAMPLE], { batchSize: 3 });
    expect(second.rejectedTotal).toBe(0);
    expect(await counts()).toEqual(before);
    // The same PDF again: its row is not rewritten (on PostgreSQL an update would give it a new xmin).
    expect(await documentVersion()).toBe(version);
  });

  it.runIf(engine === 'sqlite')('gives the connection its page cache back after an import', async () => {
    const cacheSize = async () => (await sql<{ cache_size: number }>`pragma cache_size`.execute(store.database.db)).rows[0]!.cache_size;
    const before = await cacheSize();
    await run([join(EXAMPLE, '01-customers.json')]);
    expect(await cacheSize()).toBe(before);
  });

  it('stores what the records say: detail fields as JSON, timestamps as epoch ms, the PDF with its hash', async () => {
    const acc = await store.database.db.selectFrom('account').selectAll().where('id', '=', 'nw-acc-7310').executeTakeFirstOrThrow();
    expect(acc).toMatchObject({ customer_id: 'nw-cust-001', category: 'LOAN_ACCOUNT', account_type: 'AUTOLOAN', nickname: null, currency: 'USD' });
    expect(JSON.parse(acc.details)).toMatchObject({ accountNumber: '700200007310', principalBalance: 14210.55, interestRateType: 'FIXED' });
    const pending = await store.database.db.selectFrom('transaction').selectAll().where('id', '=', 'nw-tx-000005').executeTakeFirstOrThrow();
    expect(Number(pending.posted_at)).toBe(Date.parse('2026-12-03T18:25:00.000Z'));
    expect(JSON.parse(pending.details)).toEqual({ payee: "Powell's Books", category: '5942', subCategory: 'MCC' });
    const doc = await store.database.db.selectFrom('statement_document').selectAll().executeTakeFirstOrThrow();
    const pdf = readFileSync(join(EXAMPLE, 'statements/chk-4821-2026-10.pdf'));
    expect(doc).toMatchObject({ statement_id: 'nw-stmt-4821-2026-10', content_type: 'application/pdf', size: pdf.length });
    expect(Buffer.from(doc.content).equals(pdf)).toBe(true);
  });

  it('replaces a statement document whose file changed', async () => {
    const dir = join(files.dir, 'changed');
    mkdirSync(join(dir, 'docs'), { recursive: true });
    copyFileSync(join(EXAMPLE, 'statements/chk-4821-2026-10.pdf'), join(dir, 'docs/a.pdf'));
    writeFileSync(join(dir, 'docs/a.pdf'), '\n% revised\n', { flag: 'a' });
    const line = JSON.parse(readFileSync(join(EXAMPLE, '05-statements.ndjson'), 'utf8').split('\n')[0]!) as Record<string, unknown>;
    writeFileSync(join(dir, 's.ndjson'), `${JSON.stringify({ ...line, document: 'docs/a.pdf' })}\n`);
    expect((await run([join(dir, 's.ndjson')])).imported.document).toBe(1);
    const doc = await store.database.db.selectFrom('statement_document').selectAll().executeTakeFirstOrThrow();
    expect(Buffer.from(doc.content).toString('latin1')).toContain('% revised');
    expect(await store.count('statement_document')).toBe(1);
  });

  it('reports each bad record with its file, line and reason, and imports the rest', async () => {
    const ndjson = write('mixed.ndjson', [
      customer('c-mixed'),
      account('a-mixed', 'c-mixed'),
      transaction('t-ok-1', 'a-mixed'),
      '{"kind": "transaction", oops',
      transaction('t-bad-amount', 'a-mixed', { amount: '3.50' }),
      '',
      transaction('t-orphan', 'a-nowhere'),
      transaction('t-unknown-field', 'a-mixed', { merchantName: 'X' }),
      { kind: 'loan', id: 1 },
      transaction('t-ok-2', 'a-mixed', { status: 'PENDING', postedTimestamp: undefined }),
      account('a-orphan', 'c-nowhere'),
    ]);
    const json = join(files.dir, 'more.json');
    writeFileSync(json, `{\n  "records": [\n    ${JSON.stringify(transaction('t-ok-3', 'a-mixed'))},\n    ${JSON.stringify(transaction('t-posted-no-time', 'a-mixed', { postedTimestamp: undefined }))}\n  ]\n}\n`);
    const report = await run([ndjson, json]);
    expect(report.imported).toMatchObject({ customer: 1, account: 1, transaction: 3 });
    expect(report.rejectedTotal).toBe(7);
    expect(report.rejections.map((r) => [r.file, r.line, r.kind])).toEqual([
      ['mixed.ndjson', 4, undefined],
      ['mixed.ndjson', 5, 'transaction'],
      ['mixed.ndjson', 7, 'transaction'],
      ['mixed.ndjson', 8, 'transaction'],
      ['mixed.ndjson', 9, 'loan'],
      ['mixed.ndjson', 11, 'account'],
      ['more.json', 4, 'transaction'],
    ]);
    const reasons = report.rejections.map((r) => r.reason);
    expect(reasons[0]).toMatch(/^invalid JSON/);
    expect(reasons[1]).toMatch(/^amount: .*expected number/);
    expect(reasons[2]).toBe('account "a-nowhere" is neither in the store nor earlier in the input');
    expect(reasons[3]).toMatch(/merchantName/);
    expect(reasons[4]).toMatch(/^kind must be one of customer, account, transaction/);
    expect(reasons[5]).toBe('customer "c-nowhere" is neither in the store nor earlier in the input');
    expect(reasons[6]).toMatch(/^postedTimestamp: a POSTED transaction needs postedTimestamp/);
    const ids = await store.database.db.selectFrom('transaction').select('id').where('account_id', '=', 'a-mixed').orderBy('id').execute();
    expect(ids.map((r) => r.id)).toEqual(['t-ok-1', 't-ok-2', 't-ok-3']);
  });

  it('checks references against the store: a later file may use a customer imported before', async () => {
    const report = await run([write('later.ndjson', [account('a-later', 'c-mixed'), transaction('t-later', 'a-later')])]);
    expect(report.rejectedTotal).toBe(0);
    expect(report.imported).toMatchObject({ account: 1, transaction: 1 });
  });

  it('under strict refuses a whole file for one bad record and still imports the other files', async () => {
    const bad = write('strict-bad.ndjson', [customer('c-strict'), account('a-strict', 'c-strict'), transaction('t-strict-1', 'a-strict'), transaction('t-strict-2', 'a-strict', { amount: null })]);
    const good = write('strict-good.ndjson', [customer('c-strict-good')]);
    const report = await run([bad, good], { strict: true });
    expect(report.rejectedFiles).toEqual(['strict-bad.ndjson']);
    expect(report.rejected).toMatchObject({ customer: 1, account: 1, transaction: 2 });
    expect(report.rejections).toHaveLength(1);
    expect(report.rejections[0]).toMatchObject({ file: 'strict-bad.ndjson', line: 4 });
    expect(report.imported.customer).toBe(1);
    expect(await store.database.db.selectFrom('customer').select('id').where('id', 'in', ['c-strict', 'c-strict-good']).execute()).toEqual([{ id: 'c-strict-good' }]);
    expect(await store.database.db.selectFrom('account').select('id').where('id', '=', 'a-strict').execute()).toEqual([]);
  });

  it('writes a record repeated within one batch once, the last one winning', async () => {
    const report = await run([write('repeat.ndjson', [transaction('t-rep', 'a-mixed', { amount: 1 }), transaction('t-rep', 'a-mixed', { amount: 2 })])]);
    expect(report.rejectedTotal).toBe(0);
    const rows = await store.database.db.selectFrom('transaction').select('amount').where('id', '=', 't-rep').execute();
    expect(rows.map((r) => Number(r.amount))).toEqual([2]);
  });

  it('rejects a statement whose document is missing or not a PDF', async () => {
    writeFileSync(join(files.dir, 'fake.pdf'), 'not a pdf');
    const base = { kind: 'statement', accountId: 'a-mixed', statementDate: '2026-11-01', periodStart: '2026-10-01', periodEnd: '2026-10-31', openingBalance: 0, closingBalance: 1 };
    const report = await run([write('docs.ndjson', [{ ...base, statementId: 's-missing', document: 'nope.pdf' }, { ...base, statementId: 's-fake', document: 'fake.pdf' }])]);
    expect(report.rejections.map((r) => r.reason)).toEqual(['document "nope.pdf" cannot be read', 'document "fake.pdf" is not a PDF']);
    expect(await store.database.db.selectFrom('statement').select('id').where('id', 'in', ['s-missing', 's-fake']).execute()).toEqual([]);
  });
});
