import { createLogger, listen, openDatabase } from '@apps/shared';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiSchema } from '../src/db/schema.js';
import { SqlDataSource } from '../src/db/sql-data-source.js';
import { createConsentRevocations, createServer } from '../src/server.js';
import { SOURCES, startApi, testConfig, type TestApi } from './support.js';


describe.each(SOURCES)('endpoints, errors and hygiene (%s)', (source) => {
  let api: TestApi;
  let token: string;
  beforeAll(async () => {
    api = await startApi({ source });
    token = await api.token();
  });
  afterAll(() => api.close());

  it('serves a statement as a valid PDF', async () => {
    const list = (await (await api.get('/accounts/acc-10001-checking/statements?limit=1', token)).json()) as {
      statements: Array<{ statementId: string; links: Array<{ href: string }> }>;
    };
    const [first] = list.statements;
    expect(first!.links[0]!.href).toBe(`https://api.test.example/api/fdx/v6/accounts/acc-10001-checking/statements/${first!.statementId}`);
    const res = await api.get(`/accounts/acc-10001-checking/statements/${first!.statementId}`, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    const text = pdf.toString('latin1');
    expect(text.startsWith('%PDF-1.4')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    // The xref offset points at the xref table, and every object offset points at its object.
    const startxref = Number(/startxref\n(\d+)\n%%EOF/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const entries = text.slice(startxref).split('\n').slice(3).filter((l) => / n $/.test(l));
    entries.forEach((entry, i) => {
      const offset = Number(entry.slice(0, 10));
      expect(text.slice(offset, offset + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`);
    });
    expect(text).toContain('Account ending in 8201');
  });

  it('heads statement PDFs with the configured institution name (INSTITUTION_NAME)', async () => {
    const statementPdf = async (target: TestApi) => {
      const bearer = await target.token();
      const list = (await (await target.get('/accounts/acc-10001-checking/statements?limit=1', bearer)).json()) as {
        statements: Array<{ statementId: string }>;
      };
      const res = await target.get(`/accounts/acc-10001-checking/statements/${list.statements[0]!.statementId}`, bearer);
      expect(res.status).toBe(200);
      return Buffer.from(await res.arrayBuffer()).toString('latin1');
    };
    expect(await statementPdf(api)).toContain('(Open Finance Demo Bank)');
    const named = await startApi({ source, env: { INSTITUTION_NAME: 'Prairie State Savings Bank' } });
    try {
      const text = await statementPdf(named);
      expect(text).toContain('(Prairie State Savings Bank)');
      expect(text).not.toContain('Open Finance Demo Bank');
    } finally {
      await named.close();
    }
  });

  it('answers an unknown statement with 404', async () => {
    const res = await api.get('/accounts/acc-10001-checking/statements/nope', token);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 1107 });
  });

  it('refuses data of a closed account with 409/705 and of a restricted one with 403/706', async () => {
    for (const suffix of ['/transactions', '/statements', '/payment-networks', '/contact']) {
      const closed = await api.get(`/accounts/acc-10001-closed${suffix}`, token);
      expect(closed.status).toBe(409);
      expect(await closed.json()).toEqual({ code: 705, message: 'Account is closed', debugMessage: expect.any(String) });
      const restricted = await api.get(`/accounts/acc-10001-restricted${suffix}`, token);
      expect(restricted.status).toBe(403);
      expect(await restricted.json()).toMatchObject({ code: 706 });
    }
    const details = (await (await api.get('/accounts/acc-10001-closed', token)).json()) as { status: string };
    expect(details.status).toBe('CLOSED');
  });

  it('serves ACH with the routing number on deposit accounts and ACATS on investment accounts', async () => {
    const pn = (await (await api.get('/accounts/acc-10001-checking/payment-networks', token)).json()) as {
      paymentNetworks: Array<{ type: string; bankId: string; identifier: string; transferIn: boolean; transferOut: boolean }>;
    };
    expect(pn.paymentNetworks).toContainEqual({ type: 'US_ACH', bankId: '123456780', identifier: '4001000158201', transferIn: true, transferOut: true });
    const atn = (await (await api.get('/accounts/acc-10001-brokerage/asset-transfer-networks', token)).json()) as {
      assetTransferNetworks: Array<{ type: string }>;
    };
    expect(atn.assetTransferNetworks.map((n) => n.type)).toEqual(['US_ACATS']);
  });

  it('answers unknown routes, bad JSON and wrong methods with FDX errors, never a stack', async () => {
    const unknown = await api.get('/nope', token);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 404, message: 'Not found' });
    const outside = await fetch(`${api.url}/whatever`);
    expect(outside.status).toBe(404);
    const bad = await fetch(`${api.base}/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"broken":',
    });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(JSON.parse(text)).toMatchObject({ code: 703 });
    expect(text).not.toMatch(/at .*\.(js|ts)|SyntaxError/);
  });

  it('sets API security headers, no-store and a request id', async () => {
    const res = await api.get('/accounts', token);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('reports readiness when the database answers', async () => {
    expect((await fetch(`${api.url}/public/ready`)).status).toBe(200);
    expect((await fetch(`${api.url}/public/health`)).status).toBe(200);
  });
});

describe('database outage', () => {
  it('answers 503 with FDX code 501 and is not ready', async () => {
    const api = await startApi({ seeded: false });
    // A PostgreSQL pool pointed at a closed port: every query fails to connect.
    const dead = openDatabase<ApiSchema>({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', sqliteFile: '' });
    const config = testConfig({ JWKS_URI: api.jwks.url });
    const dataSource = new SqlDataSource(dead.db, { institutionName: config.institutionName });
    const logger = createLogger({ name: 'api', level: 'silent' });
    const app = createServer(config, { logger, database: dead, dataSource, ended: createConsentRevocations(config, logger) });
    const server = await listen(app, '127.0.0.1', 0);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${url}/api/fdx/v6/accounts`, { headers: { authorization: `Bearer ${await api.token()}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(await res.json()).toMatchObject({ code: 501, message: 'Subsystem unavailable' });
      expect((await fetch(`${url}/public/ready`)).status).toBe(503);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await dead.close();
      await api.close();
    }
  });
});
