// An AI assistant's path to the MCP server on the real stack (OP + API + app behind Caddy's HTTPS):
// discovery from the 401, the OP's metadata, login and consent for the MCP resource (scripted, as
// the OP tests do; e2e/mcp-agent.test.ts has an agent with a client ID metadata document, in Chromium), then the MCP SDK's own
// client calling the tools with the OP-issued token, refresh, and the audience walls both ways.
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Https, webFetch } from '@kit/harness/http';
import { codeFrom, OAuthClient } from '@kit/harness/oauth';
import { DEV_CLIENT, startStack, type Stack } from '@kit/harness/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryOAuthProvider } from './lib/mcp-auth.js';

let stack: Stack;
let http: Https;

beforeAll(async () => {
  stack = await startStack();
  http = new Https(stack.ca);
});

afterAll(async () => {
  await stack?.stop();
});

/** The SDK's fetch, over the harness client that trusts this run's Caddy CA. */
const caddyFetch = (url: string | URL, init?: RequestInit) => webFetch(http)(url, init);

async function mcpClient(token: string): Promise<Client> {
  const client = new Client({ name: 'e2e-assistant', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${stack.urls.api}/mcp`), {
    fetch: caddyFetch,
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

const structured = <T>(result: unknown): T => {
  const r = result as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as T;
};

describe('an MCP client against the real stack', () => {
  it('discovers the OP from the 401, gets an MCP token with PKCE and reads only through /mcp with it', async () => {
    const mcpUrl = `${stack.urls.api}/mcp`;
    // 1. The 401 names the resource metadata, which names the resource and the OP.
    const unauthorized = await http.fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(unauthorized.status).toBe(401);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(unauthorized.headers.get('www-authenticate') ?? '')?.[1];
    expect(metadataUrl).toBe(`${stack.urls.api}/.well-known/oauth-protected-resource/mcp`);
    const metadata = (await http.fetch(metadataUrl!)).json<{ resource: string; authorization_servers: string[] }>();
    expect(metadata.resource).toBe(mcpUrl);
    expect(metadata.authorization_servers).toEqual([stack.urls.auth]);
    const discovery = (await http.fetch(`${metadata.authorization_servers[0]}/.well-known/openid-configuration`)).json<Record<string, unknown>>();
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);

    // 2. Login and consent for the MCP resource; the token's audience is the MCP resource.
    const oauth = new OAuthClient(stack.urls.auth, {
      client: { client_id: DEV_CLIENT.id, client_secret: DEV_CLIENT.secret, redirect_uris: [`${stack.urls.app}/callback`] },
      http,
    });
    const { code, verifier, error } = await oauth.authorize({
      resource: metadata.resource,
      scope: 'openid offline_access accounts:read customers:read transactions:read',
      prompt: 'consent',
    });
    expect(error).toBeNull();
    const tokens = await oauth.token({ grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: `${stack.urls.app}/callback`, resource: metadata.resource });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    const claims = JSON.parse(Buffer.from(tokens.body.access_token.split('.')[1]!, 'base64url').toString()) as { aud: string };
    expect(claims.aud).toBe(mcpUrl);

    // 3. The SDK's client lists and calls tools with it.
    const client = await mcpClient(tokens.body.access_token);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['get_account', 'list_accounts', 'list_statements', 'search_transactions', 'who_am_i']);
      const me = structured<{ customerId: string }>(await client.callTool({ name: 'who_am_i', arguments: {} }));
      expect(me.customerId).toBe('cust-10001');
      const { accounts } = structured<{ accounts: Array<{ accountId: string }> }>(await client.callTool({ name: 'list_accounts', arguments: {} }));
      expect(accounts.map((a) => a.accountId)).toContain('acc-10001-checking');
      const found = structured<{ totals: { count: number } }>(await client.callTool({ name: 'search_transactions', arguments: { accountId: 'acc-10001-checking' } }));
      expect(found.totals.count).toBeGreaterThan(0);
    } finally {
      await client.close();
    }

    // 4. The audience walls: the MCP token is refused by the FDX routes.
    const atFdx = await http.fetch(`${stack.urls.api}/api/fdx/v6/accounts`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    expect(atFdx.status).toBe(401);

    // 5. Refresh keeps the MCP audience.
    const refreshed = await oauth.token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token!, resource: metadata.resource });
    expect(refreshed.status).toBe(200);
    const again = await mcpClient(refreshed.body.access_token);
    await again.close();
  });

  it('refuses an FDX token at /mcp', async () => {
    const oauth = new OAuthClient(stack.urls.auth, {
      client: { client_id: DEV_CLIENT.id, client_secret: DEV_CLIENT.secret, redirect_uris: [`${stack.urls.app}/callback`] },
      http,
    });
    const { code, verifier } = await oauth.authorize({ scope: 'openid accounts:read', prompt: 'consent' });
    const tokens = await oauth.exchange(code!, verifier);
    expect(tokens.status).toBe(200);
    const res = await http.fetch(`${stack.urls.api}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.body.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

/**
 * The SDK's OAuth client support with an operator-registered client: the dev client's
 * registration (e2e/mcp-agent.test.ts: with a client ID metadata document instead), tokens and the PKCE verifier kept in
 * memory, and the "browser" a scripted user agent that signs in and consents.
 */
class AssistantAuth extends MemoryOAuthProvider {
  get redirectUrl(): string {
    return `${stack.urls.app}/callback`;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { redirect_uris: [this.redirectUrl], client_name: 'e2e assistant', token_endpoint_auth_method: 'client_secret_basic' };
  }
  clientInformation() {
    return { client_id: DEV_CLIENT.id, client_secret: DEV_CLIENT.secret };
  }
}

describe("the MCP SDK's OAuth client flow against the real OP", () => {
  it('discovers everything from the 401, authorizes with PKCE S256 and the MCP resource, then calls tools', async () => {
    const mcpUrl = new URL(`${stack.urls.api}/mcp`);
    const auth = new AssistantAuth();
    const first = new StreamableHTTPClientTransport(mcpUrl, { fetch: caddyFetch, authProvider: auth });
    await expect(new Client({ name: 'e2e-assistant', version: '1.0.0' }).connect(first)).rejects.toThrow(UnauthorizedError);
    const url = auth.authorizationUrl!;
    expect(url.origin + url.pathname).toBe(`${stack.urls.auth}/auth`);
    expect(url.searchParams.get('resource')).toBe(mcpUrl.href);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');

    // The user agent: sign in and consent at the OP, back to the redirect URI with a code.
    const browser = new OAuthClient(stack.urls.auth, { http });
    let page = await browser.login(await browser.get(url.href));
    if (page.body.includes('id="consent-allow"')) page = await browser.submit(page, 'confirm');
    const { code, error } = codeFrom(page);
    expect(error).toBeNull();
    await first.finishAuth(code!);
    expect(auth.saved?.access_token).toBeTruthy();

    const client = new Client({ name: 'e2e-assistant', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { fetch: caddyFetch, authProvider: auth }));
    try {
      const { accounts } = structured<{ accounts: Array<{ accountId: string }> }>(await client.callTool({ name: 'list_accounts', arguments: {} }));
      expect(accounts.map((a) => a.accountId)).toContain('acc-10001-checking');
    } finally {
      await client.close();
    }
  });
});
