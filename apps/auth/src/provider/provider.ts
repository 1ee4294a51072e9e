import type { Logger } from '@apps/shared';
import type { Kysely } from 'kysely';
import Provider, { errors, interactionPolicy, type Adapter, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { mayHoldTokens, type CustomerDirectory } from '../customers/directory.js';
import { kyselyAdapterFactory } from '../db/kysely-adapter.js';
import { SecretIds } from '../db/secret-ids.js';
import type { AuthConfig } from '../config.js';
import type { AuthSchema } from '../db/schema.js';
import type { SigningKeys } from '../keys/jwks.js';
import { renderView } from '../views.js';
import { addConfiguredFdxScopes } from '../clients/fdx-scopes.js';
import { ClientLimits } from '../security/client-limits.js';
import { EXTRA_CLIENT_METADATA, pkceRequired, validateClientMetadata } from './client-policy.js';
import { mtlsEndpointAliases, mtlsFeature, readCaFile } from './mtls.js';
import { requestsMcpResource } from './mcp-resource.js';
import { assertAgentResource, clientIdDocumentsFeature, documentFetch, isAgent, type Fetch } from './client-id-documents.js';
import { ALL_SCOPES, API_SCOPES } from './scopes.js';
import type { TokenConsents } from '../consents/token-consents.js';
import { connectedAppsClient, loadExistingGrant } from '../account/built-in-client.js';

export interface ProviderDeps {
  db: Kysely<AuthSchema>;
  customers: CustomerDirectory;
  keys: SigningKeys;
  logger: Logger;
  /** The consent behind each token request (claims, lifetimes, refusal of ended consents). */
  tokenConsents: TokenConsents;
  /** Benchmark baseline only: oidc-provider's in-memory adapter instead of the database. */
  memoryAdapter?: boolean;
  /** Refuses a refresh before its token is rotated (security/refresh-grant-limit.ts); absent: no limit. */
  refreshAllowance?: (ctx: KoaContextWithOIDC) => Promise<void>;
  /** Wraps each model's database adapter (the OP's metrics time its queries). */
  wrapAdapter?: (model: string, adapter: Adapter) => Adapter;
  /** How the OP fetches what clients publish (client ID metadata documents, key sets); tests pass one trusting their CA. */
  fetch?: Fetch;
}

type StaticClient = AuthConfig['clients'][number];

function databaseAdapter(config: AuthConfig, deps: ProviderDeps): (model: string) => Adapter {
  const factory = kyselyAdapterFactory(deps.db, new SecretIds(config.tokenHashKey), {
    refreshReuseGraceMs: config.refreshReuseGraceSeconds * 1000,
    maxRegisteredClients: config.registration.maxClients,
  });
  const wrap = deps.wrapAdapter;
  return wrap ? (model) => wrap(model, factory(model)) : factory;
}

function toClientMetadata(client: StaticClient): ClientMetadata {
  const { access_token_ttl, refresh_token_ttl, consent_duration_days, ...metadata } = client;
  return {
    ...metadata,
    ...(consent_duration_days === undefined ? {} : { consent_duration_days }),
    ...(access_token_ttl === undefined ? {} : { access_token_ttl }),
    ...(refresh_token_ttl === undefined ? {} : { refresh_token_ttl }),
  };
}

/** The confirm form redirects on to the (already validated) post-logout URI, so CSP form-action must allow its origin. */
function allowFormActionTo(ctx: KoaContextWithOIDC, uri: unknown): void {
  const origin = typeof uri === 'string' ? URL.parse(uri)?.origin : undefined;
  const csp = ctx.response.get('Content-Security-Policy');
  if (!origin || !csp) return;
  ctx.set('Content-Security-Policy', csp.replace(/form-action ([^;]*)/, (_m, list: string) => `form-action ${list} ${origin}`));
}

/**
 * oidc-provider's default prompts, with one more login check: a session whose customer can no
 * longer be found (blocked or deleted: findAccount refuses them) goes back to the login step
 * instead of reusing the session.
 */
function interactionPolicyWithAccountCheck() {
  const { base, Check } = interactionPolicy;
  const policy = base();
  policy.get('login')!.checks.add(
    new Check('account_unavailable', "the signed-in customer's account is no longer available", (ctx) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}

const numberOr = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);

/** The oidc-provider configuration: code flow + PKCE, JWT access tokens for the API audience, persistent storage. */
export function buildConfiguration(config: AuthConfig, deps: ProviderDeps): Configuration {
  const { ttl } = config;
  // Only operator-configured clients can set refresh_token_ttl; grants are saved outside a request context too.
  const refreshTtlOf = new Map(config.clients.map((c) => [c.client_id, c.refresh_token_ttl ?? 0]));
  // The first key of the matching type signs; ID tokens follow id_token_signed_response_alg (RS256).
  const accessTokenJwt = { sign: { alg: config.accessTokenSigningAlg } };
  const limits = new ClientLimits(config);
  const { refreshAllowance } = deps;
  return {
    ...(deps.memoryAdapter ? {} : { adapter: databaseAdapter(config, deps) }),
    // The operator's clients and the OP's own (the connected-apps page signs in through it).
    clients: [...config.clients.map(toClientMetadata), connectedAppsClient(config.issuer)],
    loadExistingGrant,
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    extraClientMetadata: { properties: EXTRA_CLIENT_METADATA, validator: validateClientMetadata },
    // A registered client's key set or sector document, an agent's metadata: small documents, never megabytes.
    fetchResponseBodyLimits: {
      'client_id metadata document': config.clientIdDocuments.maxBytes,
      jwks_uri: 64 * 1024,
      sector_identifier_uri: 64 * 1024,
    },
    fetch: documentFetch(config.clientIdDocuments, deps.fetch),
    jwks: deps.keys,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'],
    discovery: config.mtls.endpointUrl ? { mtls_endpoint_aliases: mtlsEndpointAliases(config.mtls.endpointUrl) } : {},
    cookies: { keys: config.cookieKeys, long: { signed: true }, short: { signed: true } },
    responseTypes: ['code'],
    scopes: [...ALL_SCOPES],
    // Not a new parameter: the hook where oidc-provider lets defaults be assigned on every authorization request.
    extraParams: { scope: addConfiguredFdxScopes },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    pkce: {
      required: (ctx, client) => pkceRequired(client as unknown as { clientAuthMethod: string }) || requestsMcpResource(ctx, config.mcpResource),
    },
    // Blocked and deleted customers are not found: refresh and code grants fail with invalid_grant,
    // userinfo with invalid_token, and their sessions go back to login.
    async findAccount(ctx, sub, token) {
      // A code or refresh token of an ended or expired consent: invalid_grant.
      await deps.tokenConsents.check(ctx, token);
      const customer = await deps.customers.find(sub, { lockout: false });
      if (!mayHoldTokens(customer)) return undefined;
      return { accountId: customer.id, claims: () => ({ sub: customer.id, ...customer.claims }) };
    },
    interactions: { policy: interactionPolicyWithAccountCheck(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    rotateRefreshToken: refreshAllowance
      ? async (ctx) => {
          await refreshAllowance(ctx);
          return true;
        }
      : true,
    // The client's API allowances, signed with the token: the API enforces them without asking the OP.
    // FDX JWT profile: the consent id and the accounts chosen (absent: all the customer's accounts);
    // and the client's API allowances, signed with the token, so the API enforces them without asking the OP.
    extraTokenClaims: async (ctx, token) => ({
      ...(await deps.tokenConsents.claims(ctx, token)),
      ...(token.client ? { rl: limits.apiClaim(token.client) } : {}),
    }),
    // An agent (client ID metadata document) gets a refresh token whenever its document lists the
    // grant: it asks for the MCP server's scopes (its RFC 9728 metadata lists no offline_access, and
    // MCP clients do not add it), lives outside the customer's browser session, and is public, so
    // its refresh tokens rotate. Its tokens last as long as the consent, not the OP session.
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || client['force_refresh_token'] === true || isAgent(client)),
    expiresWithSession: async (ctx, code) =>
      !code.scopes.has('offline_access') && ctx.oidc.client?.['force_refresh_token'] !== true && !isAgent(ctx.oidc.client),
    ttl: {
      // Access and refresh tokens never outlive their consent.
      AccessToken: (ctx, _token, client) => deps.tokenConsents.capTtl(ctx, numberOr(client['access_token_ttl'], ttl.accessToken)),
      AuthorizationCode: ttl.authorizationCode,
      IdToken: ttl.idToken,
      RefreshToken: (ctx, _token, client) => deps.tokenConsents.capTtl(ctx, numberOr(client['refresh_token_ttl'], ttl.refreshToken)),
      Session: ttl.session,
      // A grant must outlive the refresh tokens issued under it (Plaid: 13-month refresh tokens).
      Grant: (_ctx, grant) => Math.max(ttl.grant, refreshTtlOf.get(grant.clientId ?? '') ?? 0),
      Interaction: ttl.interaction,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      clientIdMetadataDocument: clientIdDocumentsFeature(config.clientIdDocuments),
      mTLS: mtlsFeature(readCaFile(config.mtls.caFile)),
      // RFC 9126, on for every client; required for all (REQUIRE_PAR) or per client
      // (require_pushed_authorization_requests). Responses always carry RFC 9207 `iss`.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: config.requirePar },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          allowFormActionTo(ctx, ctx.oidc.params?.post_logout_redirect_uri);
          ctx.type = 'html';
          ctx.body = await renderView('logout', { form, clientName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId });
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          ctx.body = await renderView('logged-out', {});
        },
      },
      resourceIndicators: {
        enabled: true,
        // A token request without `resource` still gets a JWT for the API; an agent must name the MCP server.
        defaultResource: async (_ctx, client, oneOf) => {
          if (oneOf === undefined) assertAgentResource(client, undefined, config.mcpResource);
          return oneOf ?? config.apiAudience;
        },
        useGrantedResource: async () => true,
        async getResourceServerInfo(ctx, resourceIndicator, client) {
          // The API's URL (what its RFC 9728 metadata names) or the configured audience: the token's
          // audience is the indicator the client asked for, so the three always agree. The MCP server is
          // a resource server of its own: its tokens are refused by the FDX routes and vice versa.
          assertAgentResource(client, resourceIndicator, config.mcpResource);
          const mcp = resourceIndicator === config.mcpResource;
          if (!mcp && !config.apiResources.includes(resourceIndicator)) throw new errors.InvalidTarget();
          return {
            scope: API_SCOPES.join(' '),
            audience: resourceIndicator,
            accessTokenTTL: numberOr(client['access_token_ttl'], ttl.accessToken),
            accessTokenFormat: 'jwt',
            jwt: accessTokenJwt,
          };
        },
      },
      registration: {
        enabled: config.registration.enabled,
        initialAccessToken: config.registration.open ? false : config.registration.initialAccessToken,
      },
      registrationManagement: { enabled: config.registration.enabled, rotateRegistrationAccessToken: true },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = await renderView('error', { error: out.error, description: out.error_description });
    },
  };
}

export type { KoaContextWithOIDC };

export function createProvider(config: AuthConfig, deps: ProviderDeps): Provider {
  const provider = new Provider(config.issuer, buildConfiguration(config, deps));
  // Behind Caddy: issuer-relative URLs and secure cookies follow X-Forwarded-Proto/Host.
  provider.proxy = config.trustProxy;
  return provider;
}
