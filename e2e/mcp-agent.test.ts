// An AI assistant nobody registered, as the MCP authorization spec has it: the MCP SDK's own OAuth
// client with a client ID metadata document served over HTTPS from a test origin (its CA trusted
// by the OP, beside the machine's), discovery from the 401, sign-in and consent in Chromium (the
// agent's name and its document's host on the page, the customer picking accounts), every tool
// checked against what the FDX API returns for the same customer, refresh through the SDK, the
// customer ending the connection on the connected-apps page, and the refusals on the real stack.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { openBrowser, type BrowserSession } from '@kit/harness/browser';
import { agentDocument, startDocumentOrigin, type DocumentOrigin } from '@kit/harness/client-documents';
import { Https, webFetch, type HttpReply } from '@kit/harness/http';
import { codeFrom, OAuthClient } from '@kit/harness/oauth';
import { OP, signIn, USERS } from '@kit/harness/op-pages';
import { DEV_CLIENT, startStack, type Stack } from '@kit/harness/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryOAuthProvider } from './lib/mcp-auth.js';

const SHARED = ['acc-10001-checking', 'acc-10001-savings'];

let origin: DocumentOrigin;
let stack: Stack;
let http: Https;
let browser: BrowserSession;
let callback: LoopbackCallback;

/** The desktop assistant's loopback redirect (RFC 8252): where the browser brings the code back. */
interface LoopbackCallback {
  uri: string;
  next(): Promise<URLSearchParams>;
  close(): Promise<void>;
}

async function startCallback(): Promise<LoopbackCallback> {
  let deliver: (params: URLSearchParams) => void = () => undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p id="agent-connected">Connected. You can close this window.</p>');
    deliver(url.searchParams);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    next: () => new Promise((resolve) => (deliver = resolve)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

beforeAll(async () => {
  origin = await startDocumentOrigin();
  stack = await startStack({
    extraCaPems: [origin.caPem],
    // The test origin is on loopback, which the OP refuses outside development.
    env: { auth: { CLIENT_ID_METADATA_DOCUMENT_ALLOW_LOOPBACK: 'true' } },
  });
  http = new Https(stack.ca);
  callback = await startCallback();
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await callback?.close();
  await stack?.stop();
  await origin?.close();
});

const sdkFetch = (url: string | URL, init?: RequestInit) => webFetch(http)(url, init);

/** The SDK's OAuth client provider of a desktop assistant known by its client ID metadata document. */
class AgentAuth extends MemoryOAuthProvider {
  info: OAuthClientInformationMixed | undefined;
  constructor(readonly clientMetadataUrl: string) {
    super();
  }
  get redirectUrl(): string {
    return callback.uri;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { redirect_uris: [callback.uri], client_name: 'Pocket Assistant', token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
}

const mcpUrl = () => new URL(`${stack.urls.api}/mcp`);

async function connected(auth: AgentAuth): Promise<Client> {
  const client = new Client({ name: 'pocket-assistant', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl(), { fetch: sdkFetch, authProvider: auth }));
  return client;
}

const structured = <T>(result: unknown): T => {
  const r = result as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as T;
};

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** The oracle: the same customer's data through the FDX API, with the operator's app and every account. */
async function fdxReader(): Promise<(path: string) => Promise<HttpReply>> {
  const app = new OAuthClient(stack.urls.auth, {
    client: { client_id: DEV_CLIENT.id, client_secret: DEV_CLIENT.secret, redirect_uris: [`${stack.urls.app}/callback`] },
    http,
  });
  const { code, verifier } = await app.authorize({ scope: 'openid accounts:read transactions:read', prompt: 'consent' });
  const tokens = await app.exchange(code!, verifier);
  expect(tokens.status).toBe(200);
  return (path) => http.fetch(`${stack.urls.api}/api/fdx/v6${path}`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
}

const isoDay = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

describe('an AI assistant with a client ID metadata document, end to end', () => {
  it('connects from the 401 through Chromium, reads only what the customer shared, refreshes, and is cut off on the connected-apps page', async () => {
    const documentPath = '/pocket-assistant/client.json';
    const clientId = origin.url(documentPath);
    origin.serve(documentPath, { body: agentDocument(clientId, { redirect_uris: [callback.uri] }), headers: { 'cache-control': 'max-age=300' } });

    // 1. Discovery from the 401: the SDK finds the OP, sees client_id_metadata_document_supported
    //    and uses the document's URL as its client_id (no registration).
    const auth = new AgentAuth(clientId);
    await expect(connected(auth)).rejects.toThrow(UnauthorizedError);
    const url = auth.authorizationUrl!;
    expect(url.origin + url.pathname).toBe(`${stack.urls.auth}/auth`);
    expect(url.searchParams.get('client_id')).toBe(clientId);
    expect(url.searchParams.get('resource')).toBe(mcpUrl().href);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')?.split(' ')).not.toContain('offline_access');

    // 2. The customer in Chromium: sign in, the consent page names the agent and its host, two accounts shared.
    const { page } = browser;
    const code = callback.next();
    await page.goto(url.href);
    await signIn(page, USERS.demo);
    await page.locator(OP.consentAllow).waitFor();
    expect(await page.locator(OP.consentClient).innerText()).toBe('Pocket Assistant');
    expect(await page.locator('#consent-agent-host').innerText()).toBe(new URL(origin.origin).host);
    expect(await page.locator('#consent-agent').innerText()).toContain('Its name is its own claim');
    await browser.screenshot('op-consent-agent');
    for (const box of await page.locator('input[name="account"]').all()) {
      if (!SHARED.includes((await box.getAttribute('value')) ?? '')) await box.uncheck();
    }
    await page.locator(OP.consentAllow).click();
    const back = await code;
    await page.locator('#agent-connected').waitFor();
    expect(back.get('error')).toBeNull();
    expect(origin.hits(documentPath)).toBe(1);

    // 3. The SDK exchanges the code (public client, PKCE): an MCP token and a refresh token.
    await new StreamableHTTPClientTransport(mcpUrl(), { fetch: sdkFetch, authProvider: auth }).finishAuth(back.get('code')!);
    const first = auth.saved!;
    expect(first.refresh_token).toBeTruthy();
    expect(claimsOf(first.access_token)).toMatchObject({ aud: mcpUrl().href, client_id: clientId, sub: USERS.demo.sub, account_ids: SHARED });
    // The audience wall: the agent's token is refused by the FDX routes.
    expect((await http.fetch(`${stack.urls.api}/api/fdx/v6/accounts`, { headers: { authorization: `Bearer ${first.access_token}` } })).status).toBe(401);

    // 4. Every tool, checked against the FDX API's answer for the same customer.
    const fdx = await fdxReader();
    const client = await connected(auth);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['get_account', 'list_accounts', 'list_statements', 'search_transactions', 'who_am_i']);
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);

      const me = structured<{ customerId: string; accounts: string; scopes: string[] }>(await client.callTool({ name: 'who_am_i', arguments: {} }));
      expect(me).toMatchObject({ customerId: USERS.demo.sub, accounts: 'selected' });

      const { accounts } = structured<{ accounts: Array<{ accountId: string; balances: Record<string, unknown> }> }>(
        await client.callTool({ name: 'list_accounts', arguments: {} }),
      );
      expect(accounts.map((a) => a.accountId).sort()).toEqual([...SHARED].sort());
      const everyAccount = (await fdx('/accounts')).json<{ accounts: Array<{ accountId: string }> }>().accounts.map((a) => a.accountId);
      const unshared = everyAccount.find((id) => !SHARED.includes(id))!;
      expect(unshared).toBeTruthy();

      for (const accountId of SHARED) {
        const fdxAccount = (await fdx(`/accounts/${accountId}`)).json<Record<string, unknown>>();
        const { account } = structured<{ account: Record<string, unknown> }>(await client.callTool({ name: 'get_account', arguments: { accountId } }));
        expect(account).toEqual(fdxAccount);
        const balances = accounts.find((a) => a.accountId === accountId)!.balances;
        for (const [key, value] of Object.entries(balances)) expect(fdxAccount[key], key).toEqual(value);
      }

      // Transactions of the last 60 days, every page of both sides.
      const [from, to] = [isoDay(59), isoDay(0)];
      const fdxIds: string[] = [];
      let path: string | undefined = `/accounts/${SHARED[0]}/transactions?startTime=${from}&endTime=${to}&limit=100`;
      while (path) {
        const body: { transactions: Array<{ transactionId: string }>; page?: { nextOffset?: string } } = (await fdx(path)).json();
        fdxIds.push(...body.transactions.map((t) => t.transactionId));
        path = body.page?.nextOffset ? `/accounts/${SHARED[0]}/transactions?offset=${encodeURIComponent(body.page.nextOffset)}&limit=100` : undefined;
      }
      const mcpIds: string[] = [];
      let cursor: string | undefined;
      let totals = { count: -1 };
      do {
        const found = structured<{ transactions: Array<{ transactionId: string }>; totals: { count: number }; nextCursor?: string }>(
          await client.callTool({ name: 'search_transactions', arguments: { accountId: SHARED[0], fromDate: from, toDate: to, limit: 50, ...(cursor ? { cursor } : {}) } }),
        );
        mcpIds.push(...found.transactions.map((t) => t.transactionId));
        totals = found.totals;
        cursor = found.nextCursor;
      } while (cursor);
      expect(fdxIds.length).toBeGreaterThan(0);
      expect(mcpIds).toEqual(fdxIds);
      expect(totals.count).toBe(fdxIds.length);

      // Statements and one statement's PDF, byte for byte.
      const fdxStatements = (await fdx(`/accounts/${SHARED[0]}/statements`)).json<{ statements: Array<{ statementId: string }> }>().statements;
      const listed = structured<{ statements: Array<{ statementId: string; uri: string }> }>(
        await client.callTool({ name: 'list_statements', arguments: { accountId: SHARED[0] } }),
      ).statements;
      expect(listed.map((s) => s.statementId).sort()).toEqual(fdxStatements.map((s) => s.statementId).slice(0, 24).sort());
      const read = await client.readResource({ uri: listed[0]!.uri });
      const pdf = Buffer.from((read.contents[0] as { blob: string }).blob, 'base64');
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      // The harness reads answers as text, so the FDX PDF is compared by its length.
      const fdxPdf = await fdx(`/accounts/${SHARED[0]}/statements/${listed[0]!.statementId}`);
      expect(fdxPdf.status).toBe(200);
      expect(pdf.length).toBe(Number(fdxPdf.headers.get('content-length')));

      // An account the customer did not share does not exist for the agent.
      const refused = (await client.callTool({ name: 'get_account', arguments: { accountId: unshared } })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect((refused.content[0] as { text: string }).text).toContain(`No account "${unshared}" is shared with this assistant`);
    } finally {
      await client.close();
    }

    // 5. Refresh through the SDK: a rejected access token makes it use the refresh token, which rotates.
    auth.saved = { ...first, access_token: 'expired' };
    const again = await connected(auth);
    await again.listTools();
    await again.close();
    expect(auth.saved.refresh_token).toBeTruthy();
    expect(auth.saved.refresh_token).not.toBe(first.refresh_token);
    expect(auth.saved.access_token).not.toBe('expired');
    const current = auth.saved;

    // 6. The customer ends it on the connected-apps page (same browser, same OP session).
    const host = new URL(origin.origin).host;
    await page.goto(`${stack.urls.auth}/account/connections`);
    const connection = page.locator('#connections-active li[data-connection]', { has: page.locator(`[data-field="app"]`, { hasText: host }) });
    await expect(connection.locator('[data-field="agent"]').count()).resolves.toBe(1);
    await browser.screenshot('op-connections-agent');
    await Promise.all([page.waitForNavigation(), connection.locator('a[data-action="stop"]').click()]);
    await Promise.all([page.waitForNavigation(), page.locator('#stop-confirm').click()]);
    await page.locator('#connections-stopped').waitFor();
    const stoppedAt = Date.now();

    // /mcp refuses the agent's still-unexpired token within 5 s (the API's consent feed).
    let refusedAfter = -1;
    while (Date.now() - stoppedAt < 10_000) {
      const res = await http.fetch(mcpUrl().href, {
        method: 'POST',
        headers: { authorization: `Bearer ${current.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      if (res.status === 401) {
        refusedAfter = Date.now() - stoppedAt;
        // Refused for the ended consent, not for another reason.
        expect(res.headers.get('www-authenticate')).toContain('the consent behind the token has ended');
        break;
      }
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`[mcp-agent] /mcp refused the agent's token ${refusedAfter} ms after Stop sharing`);
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
    expect(refusedAfter).toBeLessThan(5_000);
    // And it cannot renew: its refresh token is dead.
    const renewal = await new OAuthClient(stack.urls.auth, { client: { client_id: clientId, redirect_uris: [callback.uri] }, http }).token({
      grant_type: 'refresh_token',
      refresh_token: current.refresh_token!,
      resource: mcpUrl().href,
    });
    expect(renewal.body.error).toBe('invalid_grant');
  });
});

describe('what the OP refuses an agent, through the real stack', () => {
  const agentAt = (path: string, overrides: Record<string, unknown> = {}) => {
    const clientId = origin.url(path);
    origin.serve(path, { body: agentDocument(clientId, { redirect_uris: [callback.uri], ...overrides }) });
    return new OAuthClient(stack.urls.auth, { client: { client_id: clientId, redirect_uris: [callback.uri] }, http });
  };
  const errorCode = (html: string) => /id="error-code"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();
  const scope = 'accounts:read transactions:read';

  it('the FDX API as the resource (invalid_target), and no PKCE (invalid_request)', async () => {
    const agent = agentAt('/refused/target.json');
    const wrongAudience = await agent.startAuthorization({ scope, resource: `${stack.urls.api}`, redirectUri: callback.uri });
    expect(codeFrom(wrongAudience.page).error).toBe('invalid_target');
    const noPkce = await agent.startAuthorization({ scope, resource: mcpUrl().href, redirectUri: callback.uri, codeChallengeMethod: null });
    expect(codeFrom(noPkce.page).error).toBe('invalid_request');
  });

  it('a document that is unreachable, oversized, or does not list the redirect_uri, with an error page', async () => {
    const closed = new OAuthClient(stack.urls.auth, { client: { client_id: `https://localhost:9/unreachable.json`, redirect_uris: [callback.uri] }, http });
    const oversized = agentAt('/refused/big.json', { description: 'x'.repeat(6 * 1024) });
    const mismatch = agentAt('/refused/redirect.json', { redirect_uris: ['http://127.0.0.1:1/elsewhere'] });
    for (const [agent, expected] of [[closed, 'invalid_client'], [oversized, 'invalid_client'], [mismatch, 'invalid_redirect_uri']] as const) {
      const { page } = await agent.startAuthorization({ scope, resource: mcpUrl().href, redirectUri: callback.uri });
      expect(page.status, agent.client.client_id).toBe(400);
      expect(errorCode(page.body), agent.client.client_id).toBe(expected);
    }
  });
});
