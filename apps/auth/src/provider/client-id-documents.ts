import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { EXTRA_CLIENT_METADATA } from './client-policy.js';

/**
 * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document-02), what the MCP
 * authorization spec has AI assistants use instead of registering: the `client_id` is an https
 * URL and the OP fetches the client's metadata from it. oidc-provider's own experimental
 * `clientIdMetadataDocument` feature does the fetching, validation and caching; this module is
 * the bank's policy around it (which hosts, how long, how big) and the rules for such clients.
 */
export interface ClientIdDocumentsConfig {
  enabled: boolean;
  /** Hostnames (`agent.example`, `*.example` for its subdomains) whose documents are fetched; empty: any host. */
  allowHosts: string[];
  /** Hostnames never fetched, even when allowed above. */
  denyHosts: string[];
  timeoutMs: number;
  maxBytes: number;
  /** Development only: documents on loopback hosts are fetched (oidc-provider refuses special-use addresses). */
  allowLoopback: boolean;
}

/** The version of the draft oidc-provider 9.13 implements; a new one must be read and acknowledged here. */
export const CLIENT_ID_DOCUMENTS_ACK = 'draft-02';

/** A document is cached as its Cache-Control max-age or Expires say, within these bounds (seconds). */
export const DOCUMENT_CACHE_SECONDS = { min: 30, max: 3600 } as const;

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** What the agent rules need of oidc-provider's Client. */
export interface AgentCandidate {
  clientIdMetadataDocument?: boolean;
  clientAuthMethod?: string;
}

/** A client whose metadata is the document at its `client_id` URL (oidc-provider marks them). */
export function isAgent(client: unknown): boolean {
  return (client as AgentCandidate | undefined)?.clientIdMetadataDocument === true;
}

/** `agent.example.com` matches `agent.example.com` and `*.example.com`. */
export function hostMatches(hostname: string, patterns: readonly string[]): boolean {
  const host = hostname.toLowerCase();
  return patterns.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern));
}

/** The host a client ID document came from: what the consent page shows. */
export function documentHost(clientId: string): string {
  return URL.parse(clientId)?.host ?? clientId;
}

function assertHostAllowed(config: ClientIdDocumentsConfig, clientId: string): void {
  const { hostname } = new URL(clientId);
  const listed = config.allowHosts.length === 0 || hostMatches(hostname, config.allowHosts);
  if (!listed || hostMatches(hostname, config.denyHosts)) {
    throw new errors.InvalidClient(`client ID metadata documents from ${hostname} are not accepted by this server`);
  }
}

/**
 * The rules every agent meets, on every use (cached documents included): a public client (no
 * secret, no key: PKCE S256 is its proof, and oidc-provider requires PKCE of public clients), and
 * nothing in its document that only the bank's operator may set (allowances, lifetimes, scopes).
 */
function assertAgentPolicy(client: AgentCandidate & Record<string, unknown>): void {
  if (client.clientAuthMethod !== 'none') {
    throw new errors.InvalidClientMetadata('a client ID metadata document must declare token_endpoint_auth_method "none" (agents are public clients)');
  }
  const operatorOnly = EXTRA_CLIENT_METADATA.filter((key) => client[key] !== undefined && !(key === 'require_pkce' && client[key] === true));
  if (operatorOnly.length > 0) {
    throw new errors.InvalidClientMetadata(`${operatorOnly.join(', ')} can only be set by the operator`);
  }
}

/** oidc-provider's `features.clientIdMetadataDocument`. */
export function clientIdDocumentsFeature(config: ClientIdDocumentsConfig): NonNullable<NonNullable<Configuration['features']>['clientIdMetadataDocument']> {
  return {
    enabled: config.enabled,
    ack: CLIENT_ID_DOCUMENTS_ACK,
    cacheDuration: { ...DOCUMENT_CACHE_SECONDS },
    allowFetch(_ctx: KoaContextWithOIDC, clientId: string) {
      assertHostAllowed(config, clientId);
      return true;
    },
    allowClient(_ctx: KoaContextWithOIDC, client) {
      assertAgentPolicy(client);
      return true;
    },
  };
}

/** The fetch oidc-provider calls (its options carry an undici `dispatcher` beside RequestInit's). */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * oidc-provider's outbound `fetch` with the document policy. Its document request is the only
 * one it sends with `redirect: 'manual'` (key sets and sector documents follow redirects), which
 * is how it is told apart: it gets the configured timeout instead of the library's fixed 2.5 s, and in
 * development a loopback document host bypasses the library's special-use-address guard (its
 * dispatcher) so a local agent can be tried. Everything else goes out untouched.
 */
export function documentFetch(config: ClientIdDocumentsConfig, base: Fetch = globalThis.fetch): Fetch {
  return (input, init) => {
    if (init?.redirect !== 'manual') return base(input, init);
    const request: RequestInit & { dispatcher?: unknown } = { ...init, signal: AbortSignal.timeout(config.timeoutMs) };
    const url = new URL(input instanceof Request ? input.url : input);
    if (config.allowLoopback && LOOPBACK_HOSTNAMES.has(url.hostname)) delete request.dispatcher;
    return base(input, request);
  };
}

/**
 * RFC 8707 for agents: they ask for the MCP server and nothing else (the FDX API is for the apps
 * the bank registered). `indicator` undefined: the request named no resource.
 */
export function assertAgentResource(client: unknown, indicator: string | undefined, mcpResource: string): void {
  if (!isAgent(client)) return;
  if (indicator === undefined) throw new errors.InvalidTarget(`resource is required: an agent asks for the MCP server (${mcpResource})`);
  if (indicator !== mcpResource) throw new errors.InvalidTarget(`an agent can only ask for the MCP server (${mcpResource})`);
}

/** What an operator needs to see why an agent was refused: its document's host and the reason. */
export interface DocumentRefusal {
  host: string;
  error: string;
  description: string | undefined;
  /** oidc-provider's detail, e.g. the fetch failure (`This operation was aborted`, `response too large`). */
  detail: string | undefined;
}

const REFUSALS = new Set(['invalid_client', 'invalid_client_metadata', 'invalid_redirect_uri', 'invalid_target']);

/**
 * The refusal of a client identified by a document URL, for the log; undefined for every other
 * error. The document is public metadata and the detail a library message: no secret in either.
 */
export function documentRefusal(clientId: unknown, err: { error?: string; error_description?: string; error_detail?: unknown }): DocumentRefusal | undefined {
  if (typeof clientId !== 'string' || URL.parse(clientId)?.protocol !== 'https:' || !REFUSALS.has(err.error ?? '')) return undefined;
  return {
    host: documentHost(clientId),
    error: err.error!,
    description: err.error_description,
    detail: typeof err.error_detail === 'string' ? err.error_detail : undefined,
  };
}
