// AI assistants identified by client ID metadata documents (draft-ietf-oauth-client-id-metadata-document-02,
// as the MCP authorization spec uses them): the OP fetches the document at the client_id URL from a
// real HTTPS origin, applies the bank's policy, and answers every refusal with an OAuth error.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentDocument, fetchTrusting, startDocumentOrigin, type DocumentOrigin } from '@kit/harness/client-documents';
import { codeFrom, OAuthClient } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { clientKind } from '../src/security/client-limits.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

const MCP = 'https://api.bank.test/mcp';
const REDIRECT = 'http://127.0.0.1:33418/callback';
const SCOPE = 'accounts:read transactions:read';

let origin: DocumentOrigin;
let store: TestStore;
let auth: TestAuth;

/** An OP trusting the test origin's CA, with `env` on top of the MCP resource. */
async function startOp(env: Record<string, string> = {}, onLog?: (line: string) => void): Promise<TestAuth> {
  return startTestAuth(store, { MCP_RESOURCE: MCP, ...env }, onLog, { fetch: fetchTrusting(origin.caPem) });
}

/** Serves a fresh agent document at `path` (fresh paths: the OP caches documents) and the client for it. */
function agentAt(path: string, overrides: Record<string, unknown> = {}, served: { headers?: Record<string, string>; delayMs?: number } = {}) {
  const clientId = origin.url(path);
  origin.serve(path, { body: agentDocument(clientId, { redirect_uris: [REDIRECT], ...overrides }), ...served });
  return { clientId, path, browser: (op = auth) => new OAuthClient(op.issuer, { client: { client_id: clientId, redirect_uris: [REDIRECT] } }) };
}

/** The OP's HTML error page: its OAuth error code. */
const errorCodeOf = (html: string) => /id="error-code"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();
const errorDescriptionOf = (html: string) => /id="error-description"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();

beforeAll(async () => {
  origin = await startDocumentOrigin();
  store = await createTestStore('sqlite');
  auth = await startOp();
});

afterAll(async () => {
  await auth?.close();
  await store?.cleanup();
  await origin?.close();
});

describe('client ID metadata documents', () => {
  it('are advertised in discovery, with S256 as the only PKCE method', async () => {
    const discovery = (await (await fetch(`${auth.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.client_id_metadata_document_supported).toBe(true);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('let an agent connect: its name and host on the consent page, an MCP token and a rotating refresh token without offline_access', async () => {
    const agent = agentAt('/agents/pocket.json');
    const browser = agent.browser();
    const { page, verifier, state } = await browser.startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT });
    const consent = await browser.login(page);
    expect(consent.body).toContain('id="consent-allow"');
    expect(/id="consent-client">([^<]*)</.exec(consent.body)?.[1]).toBe('Pocket Assistant');
    expect(/id="consent-agent-host">([^<]*)</.exec(consent.body)?.[1]).toBe(new URL(origin.origin).host);
    expect(consent.body).toContain('Its name is its own claim');
    expect(consent.body).not.toContain('consent-self-registered');
    const back = codeFrom(await browser.submit(consent, 'confirm'));
    expect(back.state).toBe(state);

    const tokens = await browser.token({ grant_type: 'authorization_code', code: back.code!, code_verifier: verifier, redirect_uri: REDIRECT, resource: MCP });
    expect(tokens.status, tokens.text).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${auth.issuer}/jwks`));
    const { payload } = await jwtVerify(tokens.body.access_token, jwks, { issuer: auth.issuer, audience: MCP, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'cust-10001', client_id: agent.clientId, scope: SCOPE });
    expect(tokens.body.refresh_token).toBeTruthy();

    const refreshed = await browser.token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token!, resource: MCP });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.body.refresh_token);
    const reused = await browser.token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token!, resource: MCP });
    expect(reused.body.error).toBe('invalid_grant');
    // Authorization, code and refresh grants: one fetch, then the cache (30 s at least).
    expect(origin.hits(agent.path)).toBe(1);
  });

  it('count agents as their own client kind (the tight rate limits)', async () => {
    const agent = agentAt('/agents/kind.json');
    const client = await auth.current.provider.Client.find(agent.clientId);
    expect(client).toBeDefined();
    expect(clientKind(client!)).toBe('agent');
  });

  it('refuse a resource other than the MCP server, and a request naming none (invalid_target)', async () => {
    const agent = agentAt('/agents/target.json');
    const browser = agent.browser();
    for (const resource of ['api://my-api', null]) {
      const { page } = await browser.startAuthorization({ scope: SCOPE, resource, redirectUri: REDIRECT });
      const back = codeFrom(page);
      expect(back.error, String(resource)).toBe('invalid_target');
      expect(back.code).toBeNull();
    }
  });

  it('refuse an authorization request without PKCE', async () => {
    const browser = agentAt('/agents/no-pkce.json').browser();
    const { page } = await browser.startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT, codeChallengeMethod: null });
    const location = new URL(page.location!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuse a redirect_uri the document does not list, without redirecting there', async () => {
    const browser = agentAt('/agents/redirect.json').browser();
    const { page } = await browser.startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: 'https://attacker.example/cb' });
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
    expect(errorCodeOf(page.body)).toBe('invalid_redirect_uri');
  });

  it('refuse documents that declare a secret-less confidential method or operator-only metadata', async () => {
    const keyed = agentAt('/agents/keyed.json', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } });
    const rated = agentAt('/agents/rated.json', { rate_limits: { api_per_minute: 100_000 } });
    for (const agent of [keyed, rated]) {
      const { page } = await agent.browser().startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT });
      expect(page.status, agent.path).toBe(400);
      expect(errorCodeOf(page.body), agent.path).toBe('invalid_client_metadata');
    }
  });

  it('refuse a document that is unreachable, oversized, or whose client_id is another URL (invalid_client)', async () => {
    const unreachable = { clientId: 'https://127.0.0.1:9/agent.json', path: '' };
    const big = agentAt('/agents/big.json', { description: 'x'.repeat(6 * 1024) });
    const impostor = agentAt('/agents/impostor.json', { client_id: 'https://assistant.example/agent.json' });
    for (const { clientId } of [unreachable, big]) {
      const browser = new OAuthClient(auth.issuer, { client: { client_id: clientId, redirect_uris: [REDIRECT] } });
      const { page } = await browser.startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT });
      expect(page.status, clientId).toBe(400);
      expect(errorCodeOf(page.body), clientId).toBe('invalid_client');
      expect(page.body).not.toMatch(/at .*\.js:\d+/);
    }
    const { page } = await impostor.browser().startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT });
    expect(errorCodeOf(page.body)).toBe('invalid_client_metadata');
  });

  it('give up on a slow host after the configured timeout, and log which host and why', async () => {
    const lines: string[] = [];
    const op = await startOp({ CLIENT_ID_METADATA_DOCUMENT_TIMEOUT_MS: '300' }, (line) => lines.push(line));
    try {
      const agent = agentAt('/agents/slow.json', {}, { delayMs: 3_000 });
      const started = Date.now();
      const { page } = await agent.browser(op).startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT });
      const took = Date.now() - started;
      expect(errorCodeOf(page.body)).toBe('invalid_client');
      expect(took).toBeLessThan(2_000);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'client ID metadata document refused');
      expect(logged).toMatchObject({ host: new URL(origin.origin).host, error: 'invalid_client', detail: expect.stringMatching(/abort/i) });
    } finally {
      await op.close();
    }
  });

  it('fetch only from allowed hosts and never from denied ones', async () => {
    const allowOther = await startOp({ CLIENT_ID_METADATA_DOCUMENT_HOSTS: 'agents.example,*.assistant.example' });
    const deny = await startOp({ CLIENT_ID_METADATA_DOCUMENT_HOSTS: 'localhost', CLIENT_ID_METADATA_DOCUMENT_DENY_HOSTS: 'localhost' });
    const allowed = await startOp({ CLIENT_ID_METADATA_DOCUMENT_HOSTS: 'agents.example,localhost' });
    try {
      for (const [op, name] of [[allowOther, 'not allowed'], [deny, 'denied']] as const) {
        const agent = agentAt(`/agents/${name.replace(' ', '-')}.json`);
        const { page } = await agent.browser(op).startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT });
        expect(errorCodeOf(page.body), name).toBe('invalid_client');
        expect(errorDescriptionOf(page.body), name).toContain('not accepted');
        expect(origin.hits(agent.path), name).toBe(0);
      }
      const agent = agentAt('/agents/allowed.json');
      const { page } = await agent.browser(allowed).startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT });
      expect(page.body).toContain('id="login-form"');
      expect(origin.hits(agent.path)).toBe(1);
    } finally {
      await Promise.all([allowOther.close(), deny.close(), allowed.close()]);
    }
  });

  it('can be turned off: not advertised, and a URL client_id is an unknown client', async () => {
    const off = await startOp({ CLIENT_ID_METADATA_DOCUMENTS: 'false' });
    try {
      const discovery = (await (await fetch(`${off.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(discovery.client_id_metadata_document_supported).toBeUndefined();
      const agent = agentAt('/agents/off.json');
      const { page } = await agent.browser(off).startAuthorization({ scope: SCOPE, resource: MCP, redirectUri: REDIRECT });
      expect(errorCodeOf(page.body)).toBe('invalid_client');
      expect(origin.hits(agent.path)).toBe(0);
    } finally {
      await off.close();
    }
  });
});
