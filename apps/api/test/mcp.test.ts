import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_CUSTOMERS } from '../src/demo/seed-data.js';
import { startApi, testConfig, type TestApi } from './support.js';

const API_URL = testConfig().publicUrl;
const MCP_RESOURCE = `${API_URL}/mcp`;
const METADATA_URL = `${API_URL}/.well-known/oauth-protected-resource/mcp`;
const ALEX = SEED_CUSTOMERS[0]!;

/** An MCP client of the SDK connected to the API under test with `token`. */
async function connect(api: TestApi, token: string): Promise<Client> {
  const client = new Client({ name: 'mcp-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return client;
}

async function call<T>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as T;
}

async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError).toBe(true);
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  expect(text).not.toMatch(/\bat .+:\d+:\d+/); // never a stack trace
  return text;
}

interface FdxTransaction {
  transactionId: string;
  amount: number;
  description: string;
  debitCreditMemo: string;
  payee?: string;
}

/** Every FDX transaction of an account in [from, to] (YYYY-MM-DD), read through the FDX routes. */
async function fdxTransactions(api: TestApi, token: string, accountId: string, from: string, to: string): Promise<FdxTransaction[]> {
  const all: FdxTransaction[] = [];
  let url = `/accounts/${accountId}/transactions?startDate=${from}&endDate=${to}&limit=500`;
  for (;;) {
    const res = await api.get(url, token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { transactions: FdxTransaction[]; page?: { nextOffset: string } };
    all.push(...body.transactions);
    if (!body.page) return all;
    url = `/accounts/${accountId}/transactions?offset=${encodeURIComponent(body.page.nextOffset)}&limit=500`;
  }
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe.each(['sql', 'sql on PostgreSQL', 'memory'] as const)('MCP server (%s)', (source) => {
  let api: TestApi;
  let fdxToken: string;
  let client: Client;
  beforeAll(async () => {
    api = await startApi({ source });
    fdxToken = await api.token({ sub: ALEX.id });
    client = await connect(api, await api.token({ sub: ALEX.id, aud: MCP_RESOURCE }));
  });
  afterAll(async () => {
    await client?.close();
    await api?.close();
  });

  it('lists read-only tools with input and output schemas, and the statement resource template', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['get_account', 'list_accounts', 'list_statements', 'search_transactions', 'who_am_i']);
    for (const tool of tools) {
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
      expect(tool.annotations?.destructiveHint, tool.name).toBe(false);
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.inputSchema.type, tool.name).toBe('object');
    }
    const search = tools.find((t) => t.name === 'search_transactions')!;
    expect(search.inputSchema.required).toEqual(['accountId']);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['bank://accounts/{accountId}/statements/{statementId}']);
  });

  it('who_am_i: the customer, the scopes and their contact details', async () => {
    const me = await call<{ customerId: string; scopes: string[]; accounts: string; contact?: { emails?: string[] } }>(client, 'who_am_i');
    expect(me.customerId).toBe(ALEX.id);
    expect(me.scopes).toEqual(['accounts:read', 'customers:read', 'transactions:read']);
    expect(me.accounts).toBe('all');
    expect(JSON.stringify(me.contact)).toContain(ALEX.person.email);
  });

  it('list_accounts: every account of the customer with the balances the FDX routes report', async () => {
    const { accounts, truncated } = await call<{ accounts: Array<{ accountId: string; name: string; accountNumberLast4: string; balances: Record<string, number> }>; truncated: boolean }>(
      client,
      'list_accounts',
    );
    expect(truncated).toBe(false);
    expect(accounts.map((a) => a.accountId).sort()).toEqual(ALEX.accounts.map((a) => a.id).sort());
    for (const account of accounts) {
      const seeded = ALEX.accounts.find((a) => a.id === account.accountId)!;
      expect(account.name).toBe(seeded.nickname ?? seeded.productName);
      expect(account.accountNumberLast4).toBe(seeded.accountNumber.slice(-4));
      const fdx = (await (await api.get(`/accounts/${account.accountId}`, fdxToken)).json()) as Record<string, unknown>;
      for (const [key, value] of Object.entries(account.balances)) expect(fdx[key], `${account.accountId} ${key}`).toEqual(value);
    }
    const checking = accounts.find((a) => a.accountId === 'acc-10001-checking')!;
    expect(typeof checking.balances.currentBalance).toBe('number');
    expect(typeof checking.balances.availableBalance).toBe('number');
  });

  it('get_account: the FDX account entity; a foreign or missing account is the same tool error', async () => {
    const { account } = await call<{ account: Record<string, unknown> }>(client, 'get_account', { accountId: 'acc-10001-mortgage' });
    const fdx = await (await api.get('/accounts/acc-10001-mortgage', fdxToken)).json();
    expect(account).toEqual(fdx);
    const foreign = await callError(client, 'get_account', { accountId: SEED_CUSTOMERS[1]!.accounts[0]!.id });
    const missing = await callError(client, 'get_account', { accountId: 'acc-nope' });
    expect(foreign.replace(SEED_CUSTOMERS[1]!.accounts[0]!.id, 'X')).toBe(missing.replace('acc-nope', 'X'));
    expect(missing).toContain('list_accounts');
  });

  it('search_transactions: the FDX transactions of the range, filtered, paged with a cursor, with totals over all matches', async () => {
    const to = day(Date.now());
    const from = day(Date.now() - 89 * 86_400_000);
    const fdx = await fdxTransactions(api, fdxToken, 'acc-10001-checking', from, to);
    expect(fdx.length).toBeGreaterThan(20);
    type Result = { transactions: Array<{ transactionId: string; amount: number }>; totals: { count: number; debits: number; credits: number; partial: boolean }; nextCursor?: string };
    // Everything in the range, page by page.
    const ids: string[] = [];
    let cursor: string | undefined;
    let first: Result | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const page: Result = await call<Result>(client, 'search_transactions', { accountId: 'acc-10001-checking', fromDate: from, toDate: to, limit: 7, ...(cursor ? { cursor } : {}) });
      first ??= page;
      expect(page.transactions.length).toBeLessThanOrEqual(7);
      ids.push(...page.transactions.map((t) => t.transactionId));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(ids).toEqual(fdx.map((t) => t.transactionId));
    const sum = (memo: string) => Math.round(fdx.filter((t) => t.debitCreditMemo === memo).reduce((s, t) => s + Math.abs(t.amount), 0) * 100) / 100;
    expect(first!.totals).toEqual({ count: fdx.length, debits: sum('DEBIT'), credits: sum('CREDIT'), partial: false });

    // Text and amount filters match what the FDX data says.
    const payroll = await call<Result>(client, 'search_transactions', { accountId: 'acc-10001-checking', fromDate: from, toDate: to, text: 'payroll' });
    const expected = fdx.filter((t) => `${t.description} ${t.payee ?? ''}`.toLowerCase().includes('payroll'));
    expect(expected.length).toBeGreaterThan(0);
    expect(payroll.transactions.map((t) => t.transactionId)).toEqual(expected.map((t) => t.transactionId));
    const big = await call<Result>(client, 'search_transactions', { accountId: 'acc-10001-checking', fromDate: from, toDate: to, minAmount: 100, maxAmount: 1000, limit: 50 });
    expect(big.totals.count).toBe(fdx.filter((t) => Math.abs(t.amount) >= 100 && Math.abs(t.amount) <= 1000).length);
    expect(big.transactions.every((t) => Math.abs(t.amount) >= 100 && Math.abs(t.amount) <= 1000)).toBe(true);

    // A cursor belongs to its filters.
    expect(first!.nextCursor).toBeDefined();
    const reused = await callError(client, 'search_transactions', { accountId: 'acc-10001-checking', fromDate: from, toDate: to, text: 'card', cursor: first!.nextCursor });
    expect(reused).toMatch(/cursor is invalid/);
  });

  it('search_transactions: clear tool errors for bad dates, closed accounts and invalid input', async () => {
    expect(await callError(client, 'search_transactions', { accountId: 'acc-10001-checking', fromDate: '2026-02-10', toDate: '2026-02-01' })).toMatch(/fromDate is after toDate/);
    expect(await callError(client, 'search_transactions', { accountId: 'acc-10001-checking', fromDate: '2001-01-01', toDate: '2001-01-31' })).toMatch(/months of history/);
    expect(await callError(client, 'search_transactions', { accountId: 'acc-10001-closed' })).toMatch(/closed/);
    expect(await callError(client, 'search_transactions', { accountId: 'acc-10001-checking', limit: 1000 })).toMatch(/limit/i);
  });

  it('list_statements and the statement resource: the PDF the FDX route serves', async () => {
    const result = (await client.callTool({ name: 'list_statements', arguments: { accountId: 'acc-10001-checking' } })) as CallToolResult;
    const { statements } = result.structuredContent as { statements: Array<{ statementId: string; uri: string }> };
    const fdx = (await (await api.get('/accounts/acc-10001-checking/statements', fdxToken)).json()) as { statements: Array<{ statementId: string }> };
    expect(statements.map((s) => s.statementId)).toEqual(fdx.statements.slice(0, 24).map((s) => s.statementId));
    expect(result.content.filter((c) => c.type === 'resource_link')).toHaveLength(statements.length);
    const { uri, statementId } = statements[0]!;
    const read = await client.readResource({ uri });
    const content = read.contents[0] as { mimeType: string; blob: string };
    expect(content.mimeType).toBe('application/pdf');
    const pdf = Buffer.from(await (await api.get(`/accounts/acc-10001-checking/statements/${statementId}`, fdxToken)).arrayBuffer());
    expect(Buffer.from(content.blob, 'base64').equals(pdf)).toBe(true);
    await expect(client.readResource({ uri: 'bank://accounts/acc-10002-checking/statements/x' })).rejects.toThrow(/No account/);
  });
});

describe('MCP authorization', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ env: { CONSENT_FEED_INTERVAL_MS: '100' } });
  });
  afterAll(() => api.close());

  const initialize = (token?: string) =>
    fetch(`${api.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });

  it('answers 401 without a token, naming the MCP resource metadata', async () => {
    const res = await initialize();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${METADATA_URL}"`);
  });

  it('publishes RFC 9728 metadata for the MCP resource, beside the FDX one', async () => {
    const mcp = await (await fetch(`${api.url}/.well-known/oauth-protected-resource/mcp`)).json();
    expect(mcp).toMatchObject({ resource: MCP_RESOURCE, authorization_servers: [testConfig().issuer], bearer_methods_supported: ['header'] });
    const fdx = await (await fetch(`${api.url}/.well-known/oauth-protected-resource`)).json();
    expect(fdx).toMatchObject({ resource: API_URL });
  });

  it('refuses an FDX token at /mcp and an MCP token at the FDX routes', async () => {
    const fdxAtMcp = await initialize(await api.token());
    expect(fdxAtMcp.status).toBe(401);
    expect(fdxAtMcp.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(fdxAtMcp.headers.get('www-authenticate')).toContain(`resource_metadata="${METADATA_URL}"`);
    const mcpToken = await api.token({ aud: MCP_RESOURCE });
    expect((await initialize(mcpToken)).status).toBe(200);
    const mcpAtFdx = await api.get('/accounts', mcpToken);
    expect(mcpAtFdx.status).toBe(401);
  });

  it('the SDK client fails to connect with a wrong-audience token', async () => {
    await expect(connect(api, await api.token())).rejects.toThrow();
  });

  it('is stateless: no session id, GET answers 405', async () => {
    const token = await api.token({ aud: MCP_RESOURCE });
    const res = await initialize(token);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    const get = await fetch(`${api.url}/mcp`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
  });

  it('sees only the accounts selected for the consent (account_ids)', async () => {
    const selected = ['acc-10001-savings', 'acc-10001-card'];
    const client = await connect(api, await api.token({ aud: MCP_RESOURCE, consentId: 'consent-mcp', accountIds: selected }));
    try {
      const { accounts } = await call<{ accounts: Array<{ accountId: string }> }>(client, 'list_accounts');
      expect(accounts.map((a) => a.accountId).sort()).toEqual([...selected].sort());
      expect(await callError(client, 'get_account', { accountId: 'acc-10001-checking' })).toMatch(/No account "acc-10001-checking"/);
      expect(await callError(client, 'search_transactions', { accountId: 'acc-10001-checking' })).toMatch(/No account/);
      expect(await callError(client, 'list_statements', { accountId: 'acc-10001-checking' })).toMatch(/No account/);
      await expect(client.readResource({ uri: 'bank://accounts/acc-10001-checking/statements/acc-10001-checking-s2000-01' })).rejects.toThrow(/No account/);
      const me = await call<{ accounts: string; consentId: string }>(client, 'who_am_i');
      expect(me).toMatchObject({ accounts: 'selected', consentId: 'consent-mcp' });
    } finally {
      await client.close();
    }
  });

  it('a tool outside the granted scopes is a tool error naming the scope', async () => {
    const client = await connect(api, await api.token({ aud: MCP_RESOURCE, scope: 'openid accounts:read' }));
    try {
      expect(await callError(client, 'search_transactions', { accountId: 'acc-10001-checking' })).toMatch(/"transactions:read"/);
      const me = await call<{ contact?: unknown; scopes: string[] }>(client, 'who_am_i');
      expect(me.contact).toBeUndefined();
      expect(me.scopes).toEqual(['accounts:read']);
    } finally {
      await client.close();
    }
  });

  it('refuses the token of an ended consent once the feed says so', async () => {
    const token = await api.token({ aud: MCP_RESOURCE, consentId: 'consent-mcp-ended' });
    expect((await initialize(token)).status).toBe(200);
    api.op.end('consent-mcp-ended');
    const deadline = Date.now() + 5000;
    let res = await initialize(token);
    while (res.status !== 401 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      res = await initialize(token);
    }
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});
