import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  devSecret,
  devSecretList,
  envBoolean,
  envInt,
  envPort,
  httpsInProduction,
  httpsUrl,
  loadConfig,
  nodeEnv,
  trustedProxies,
  type Env,
  metricsConfig,
  metricsEnv,
  metricsSwitchConsistent,
  tracingConfig,
  tracingEnv,
} from '@apps/shared';
import { z } from 'zod';
import { clientSource, staticClientsSchema } from './clients/static-clients.js';
import { ACCESS_TOKEN_ALGS, hasKeyFor, jwksSchema } from './keys/jwks.js';

const seconds = envInt;

/** A comma-separated list of hostnames, `*.example.com` for any subdomain of example.com; lower-cased. */
const hostList = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
  .refine((hosts) => hosts.every((h) => /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$|^\[[0-9a-f:.]+\]$/.test(h)), 'must be hostnames separated by commas (*.example.com for its subdomains)');
const DEV_CLIENT_SECRET = 'dev-insecure-rp-client-secret-change-me-000000000';
const DEV_KEYS_ENCRYPTION_KEY = 'dev-insecure-keys-encryption-key-change-me-000000000';

const schema = z
  .object({
    NODE_ENV: nodeEnv,
    HOST: z.string().default('127.0.0.1'),
    PORT: envPort(3001),
    ...metricsEnv,
    ...tracingEnv,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    OP_ISSUER: httpsUrl.default('https://localhost:8443'),
    API_AUDIENCE: z.string().min(1).default('api://my-api'),
    // The FDX API's public URL: its RFC 9728 resource identifier, accepted as a resource indicator
    // (tokens for it carry it as their audience) beside API_AUDIENCE.
    API_URL: httpsUrl.default('https://localhost:8444'),
    // The API's MCP server: a second resource server, for AI assistants (README, "Connect an AI assistant"). Default: API_URL + /mcp.
    MCP_RESOURCE: httpsUrl.optional(),
    // Comma-separated; the first signs new cookies, all verify (rotation).
    COOKIE_SECRET: devSecretList('dev-insecure-auth-cookie-secret-change-me-00000000'),
    TRUST_PROXY: envBoolean(true),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    JWKS: z.string().optional(),
    // ID tokens stay RS256 whatever this says (what Plaid expects); ES256 needs an EC P-256 key.
    ACCESS_TOKEN_SIGNING_ALG: z.enum(ACCESS_TOKEN_ALGS, { error: 'must be RS256 (the default) or ES256' }).default('RS256'),
    // Seals the private keys `pnpm kit keys` stores in the database (AES-256-GCM). Needed for
    // database keys only; in development a fixed development key is used when unset.
    KEYS_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    // Refresh tokens, codes, session ids… are stored under HMAC-SHA-256 with this key (db/secret-ids.ts).
    // The same on every instance; changing it invalidates every stored refresh token, code and session.
    TOKEN_HASH_KEY: devSecret('dev-insecure-token-hash-key-change-me-000000000000'),
    // How often each instance checks the database for signing-key changes (seconds).
    KEYS_RELOAD_INTERVAL: seconds(5, 1, 300),
    OIDC_CLIENTS: z.string().optional(),
    OIDC_CLIENTS_FILE: z.string().default('.env.clients.json'),
    CLIENT_ID: z.string().min(1).default('dev-rp'),
    CLIENT_NAME: z.string().min(1).max(100).optional(),
    CLIENT_SECRET: devSecret(DEV_CLIENT_SECRET),
    REDIRECT_URI: z.url().default('https://localhost:8445/callback'),
    POST_LOGOUT_REDIRECT_URI: z.url().default('https://localhost:8445/'),
    CLIENT_FORCE_REFRESH_TOKEN: envBoolean(true),
    SEED_DEMO_USERS: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
    ACCESS_TOKEN_TTL: seconds(3600, 60),
    ID_TOKEN_TTL: seconds(3600, 60),
    REFRESH_TOKEN_TTL: seconds(14 * 86400, 60),
    SESSION_TTL: seconds(86400, 60),
    GRANT_TTL: seconds(365 * 86400, 60),
    AUTHORIZATION_CODE_TTL: seconds(60, 10, 600),
    INTERACTION_TTL: seconds(600, 60),
    LOGIN_LOCKOUT_THRESHOLD: envInt(5, 1),
    LOGIN_LOCKOUT_WINDOW: seconds(900, 1),
    RATE_LIMIT_WINDOW: seconds(60, 1),
    RATE_LIMIT_LOGIN_PER_IP: envInt(30, 1),
    RATE_LIMIT_LOGIN_PER_ACCOUNT: envInt(10, 1),
    RATE_LIMIT_TOKEN_PER_IP: envInt(300, 1),
    // Per client and window, for clients without `rate_limits` metadata (docs/deploying.md, "Sizing"):
    // registered and public clients get the tight defaults, confidential clients the operator
    // configured (static or `pnpm kit clients add`) the *_OPERATOR_CLIENT ones; 0: no limit.
    RATE_LIMIT_TOKEN_PER_CLIENT: envInt(300, 1),
    RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT: envInt(15_000, 0),
    // refresh_token grants of one grant (one customer's connection to one client), every client.
    RATE_LIMIT_REFRESH_PER_GRANT: envInt(10, 0),
    // What the OP writes in access tokens' `rl` claim, for the API to enforce.
    RATE_LIMIT_API_PER_CLIENT: envInt(3000, 0),
    RATE_LIMIT_API_PER_OPERATOR_CLIENT: envInt(90_000, 0),
    RATE_LIMIT_API_PER_CUSTOMER: envInt(600, 0),
    RATE_LIMIT_SYNC_MS: envInt(250, 0, 10_000),
    // Failed client authentication (401 at /token, revocation, introspection, /reg/:id) per window.
    CLIENT_AUTH_FAILURES_PER_WINDOW: envInt(10, 1),
    CLIENT_AUTH_FAILURES_PER_IP: envInt(30, 1),
    // RFC 8705: the origin (a Caddy site that asks for client certificates) where the token,
    // revocation, introspection, PAR and userinfo endpoints take a certificate; discovery's
    // mtls_endpoint_aliases. Browsers never go there, so they are never asked for a certificate.
    // Default https://localhost:8446 outside production; unset in production: no mTLS endpoints.
    MTLS_ENDPOINT_URL: httpsUrl.optional(),
    // PEM file of the CAs whose client certificates `tls_client_auth` clients may present.
    MTLS_CA_FILE: z.string().min(1).optional(),
    // Whose X-Client-Cert header (the certificate Caddy passes on) is believed.
    TRUSTED_PROXIES: trustedProxies,
    // RFC 9126 for every client (each client can also be set with require_pushed_authorization_requests).
    REQUIRE_PAR: envBoolean(false),
    REGISTRATION_ENABLED: envBoolean(true),
    REGISTRATION_OPEN: envBoolean(false),
    REGISTRATION_INITIAL_ACCESS_TOKEN: devSecret('dev-insecure-registration-initial-access-token-0000'),
    REGISTRATION_MAX_CLIENTS: envInt(100, 0),
    SWEEP_INTERVAL: seconds(300, 1),
    // Audit events older than this many days are deleted by the sweeper; unset keeps them forever.
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).optional(),
    REFRESH_TOKEN_REUSE_GRACE: seconds(0, 0, 60),
    // Sign-in at the bank's own OpenID Connect IdP instead of local passwords (all three or none).
    UPSTREAM_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
    UPSTREAM_OIDC_CLIENT_ID: z.string().min(1).optional(),
    UPSTREAM_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    // The ID token claim whose value is the customer id (the `sub` of our tokens, the FDX customer id).
    UPSTREAM_OIDC_CUSTOMER_CLAIM: z.string().min(1).default('sub'),
    UPSTREAM_OIDC_SCOPE: z
      .string()
      .default('openid')
      .refine((s) => s.split(' ').includes('openid'), 'must include openid'),
    UPSTREAM_OIDC_TIMEOUT: seconds(5, 1, 60),
    // Client ID metadata documents (README, "Connect an AI assistant"): an agent's client_id is an
    // https URL whose JSON the OP fetches. Hosts allowed (empty: any) and refused; fetch limits.
    CLIENT_ID_METADATA_DOCUMENTS: envBoolean(true),
    CLIENT_ID_METADATA_DOCUMENT_HOSTS: hostList,
    CLIENT_ID_METADATA_DOCUMENT_DENY_HOSTS: hostList,
    CLIENT_ID_METADATA_DOCUMENT_TIMEOUT_MS: envInt(2500, 100, 10_000),
    CLIENT_ID_METADATA_DOCUMENT_MAX_BYTES: envInt(5 * 1024, 512, 64 * 1024),
    // Development only: documents on localhost / 127.0.0.1 / [::1] (refused like any private address otherwise).
    CLIENT_ID_METADATA_DOCUMENT_ALLOW_LOOPBACK: envBoolean(false),
    // Consents (issue 16): how long one lasts unless its client says otherwise, and the cap no client exceeds.
    CONSENT_DURATION_DAYS: envInt(365, 1),
    CONSENT_MAX_DAYS: envInt(396, 1),
    // Service-to-service calls between the OP and the API (Authorization: Bearer), the same on both.
    INTERNAL_SECRET: devSecret('dev-insecure-internal-secret-change-me-00000000000000'),
    // Where the OP asks the API for a customer's accounts (the consent page).
    // Default: API_URL (through the proxy).
    API_INTERNAL_URL: z.url({ protocol: /^https?$/ }).optional(),
    ACCOUNT_CATALOG_TIMEOUT: seconds(5, 1, 60),
    // The data provider's name in FDX ConsentGrant parties (default: the issuer).
    INSTITUTION_NAME: z.string().trim().min(1).optional(),
  })
  .superRefine(httpsInProduction('OP_ISSUER', 'API_URL', 'MTLS_ENDPOINT_URL', 'MCP_RESOURCE'), { when: () => true })
  .superRefine(metricsSwitchConsistent)
  .superRefine((e, ctx) => {
    if (e.NODE_ENV === 'production' && !e.JWKS) {
      ctx.addIssue({ code: 'custom', path: ['JWKS'], message: 'required in production (generated keys are for development only)' });
    }
    if (e.NODE_ENV === 'production' && e.SEED_DEMO_USERS && ['true', '1', 'yes'].includes(e.SEED_DEMO_USERS)) {
      ctx.addIssue({ code: 'custom', path: ['SEED_DEMO_USERS'], message: 'demo users are refused in production (add customers with pnpm kit customers)' });
    }
    const upstream = [e.UPSTREAM_OIDC_ISSUER, e.UPSTREAM_OIDC_CLIENT_ID, e.UPSTREAM_OIDC_CLIENT_SECRET];
    if (upstream.some(Boolean) && !upstream.every(Boolean)) {
      for (const [name, value] of [['UPSTREAM_OIDC_ISSUER', e.UPSTREAM_OIDC_ISSUER], ['UPSTREAM_OIDC_CLIENT_ID', e.UPSTREAM_OIDC_CLIENT_ID], ['UPSTREAM_OIDC_CLIENT_SECRET', e.UPSTREAM_OIDC_CLIENT_SECRET]] as const) {
        if (!value) ctx.addIssue({ code: 'custom', path: [name], message: 'required when any UPSTREAM_OIDC_ISSUER/CLIENT_ID/CLIENT_SECRET is set' });
      }
    }
    if (e.NODE_ENV === 'production' && e.UPSTREAM_OIDC_ISSUER?.startsWith('http:')) {
      ctx.addIssue({ code: 'custom', path: ['UPSTREAM_OIDC_ISSUER'], message: 'must be an https URL in production' });
    }
    if (e.MTLS_CA_FILE && !existsSync(e.MTLS_CA_FILE)) {
      ctx.addIssue({ code: 'custom', path: ['MTLS_CA_FILE'], message: 'no such file' });
    }
    // INTERNAL_SECRET travels with every call to the API: over https, or on this host's loopback.
    const internal = e.API_INTERNAL_URL ? URL.parse(e.API_INTERNAL_URL) : undefined;
    if (e.NODE_ENV === 'production' && internal?.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(internal.hostname)) {
      ctx.addIssue({ code: 'custom', path: ['API_INTERNAL_URL'], message: 'must be an https URL (or http on a loopback host) in production' });
    }
    if (e.CONSENT_DURATION_DAYS > e.CONSENT_MAX_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['CONSENT_DURATION_DAYS'], message: `must not exceed CONSENT_MAX_DAYS (${e.CONSENT_MAX_DAYS})` });
    }
    if (e.NODE_ENV === 'production' && e.CLIENT_ID_METADATA_DOCUMENT_ALLOW_LOOPBACK) {
      ctx.addIssue({ code: 'custom', path: ['CLIENT_ID_METADATA_DOCUMENT_ALLOW_LOOPBACK'], message: 'loopback client ID metadata documents are for development only; production refuses them' });
    }
    if (e.NODE_ENV === 'production' && e.REGISTRATION_OPEN) {
      ctx.addIssue({ code: 'custom', path: ['REGISTRATION_OPEN'], message: 'open registration is refused in production' });
    }
  }, { when: () => true })
  .transform((e, ctx) => {
    const source = clientSource(e);
    const clients = staticClientsSchema.safeParse(source.value);
    if (!clients.success) {
      for (const issue of clients.error.issues) {
        ctx.addIssue({ code: 'custom', path: [`${source.name}${pathOf(issue.path)}`], message: issue.message });
      }
      return z.NEVER;
    }
    clients.data.forEach((c, i) => {
      if (c.consent_duration_days !== undefined && c.consent_duration_days > e.CONSENT_MAX_DAYS) {
        ctx.addIssue({ code: 'custom', path: [`${source.name}[${i}].consent_duration_days`], message: `must not exceed CONSENT_MAX_DAYS (${e.CONSENT_MAX_DAYS})` });
      }
    });
    let jwks: z.output<typeof jwksSchema> | undefined;
    if (e.JWKS) {
      const parsed = jwksSchema.safeParse(safeJson(e.JWKS));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const at = issue?.path.length ? `${pathOf(issue.path).slice(1)}: ` : '';
        ctx.addIssue({ code: 'custom', path: ['JWKS'], message: `must be a JSON Web Key Set of private RSA (and EC P-256) keys: ${at}${issue?.message}` });
        return z.NEVER;
      }
      jwks = parsed.data;
      if (!hasKeyFor(jwks, e.ACCESS_TOKEN_SIGNING_ALG)) {
        ctx.addIssue({
          code: 'custom',
          path: ['ACCESS_TOKEN_SIGNING_ALG'],
          message: 'ES256 needs an EC P-256 private key in JWKS (pnpm secrets jwks --es256)',
        });
        return z.NEVER;
      }
    }
    return {
      nodeEnv: e.NODE_ENV,
      host: e.HOST,
      port: e.PORT,
      metrics: metricsConfig(e),
      tracing: tracingConfig(e, 'auth', ctx),
      logLevel: e.LOG_LEVEL,
      issuer: e.OP_ISSUER,
      apiAudience: e.API_AUDIENCE,
      // What the OP accepts as `resource` for the FDX API; each indicator becomes the token's audience.
      apiResources: [...new Set([e.API_AUDIENCE, e.API_URL])],
      mcpResource: e.MCP_RESOURCE ?? `${e.API_URL}/mcp`,
      cookieKeys: e.COOKIE_SECRET,
      trustProxy: e.TRUST_PROXY,
      dataDir: resolve(e.DATA_DIR),
      databaseUrl: e.DATABASE_URL,
      jwks,
      accessTokenSigningAlg: e.ACCESS_TOKEN_SIGNING_ALG,
      keysEncryptionKey: e.KEYS_ENCRYPTION_KEY ?? (e.NODE_ENV === 'production' ? undefined : DEV_KEYS_ENCRYPTION_KEY),
      keysReloadIntervalSeconds: e.KEYS_RELOAD_INTERVAL,
      tokenHashKey: e.TOKEN_HASH_KEY,
      clients: clients.data,
      seedDemoUsers: e.SEED_DEMO_USERS ? ['true', '1', 'yes'].includes(e.SEED_DEMO_USERS) : e.NODE_ENV !== 'production',
      ttl: {
        accessToken: e.ACCESS_TOKEN_TTL,
        idToken: e.ID_TOKEN_TTL,
        refreshToken: e.REFRESH_TOKEN_TTL,
        session: e.SESSION_TTL,
        grant: e.GRANT_TTL,
        authorizationCode: e.AUTHORIZATION_CODE_TTL,
        interaction: e.INTERACTION_TTL,
      },
      lockout: { threshold: e.LOGIN_LOCKOUT_THRESHOLD, windowSeconds: e.LOGIN_LOCKOUT_WINDOW },
      rateLimits: {
        windowSeconds: e.RATE_LIMIT_WINDOW,
        loginPerIp: e.RATE_LIMIT_LOGIN_PER_IP,
        loginPerAccount: e.RATE_LIMIT_LOGIN_PER_ACCOUNT,
        tokenPerIp: e.RATE_LIMIT_TOKEN_PER_IP,
        tokenPerClient: e.RATE_LIMIT_TOKEN_PER_CLIENT,
        tokenPerOperatorClient: e.RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT,
        refreshPerGrant: e.RATE_LIMIT_REFRESH_PER_GRANT,
        apiPerClient: e.RATE_LIMIT_API_PER_CLIENT,
        apiPerOperatorClient: e.RATE_LIMIT_API_PER_OPERATOR_CLIENT,
        apiPerCustomer: e.RATE_LIMIT_API_PER_CUSTOMER,
        tokenSyncMs: e.RATE_LIMIT_SYNC_MS,
        clientAuthFailuresPerClientIp: e.CLIENT_AUTH_FAILURES_PER_WINDOW,
        clientAuthFailuresPerIp: e.CLIENT_AUTH_FAILURES_PER_IP,
      },
      requirePar: e.REQUIRE_PAR,
      mtls: { endpointUrl: e.MTLS_ENDPOINT_URL ?? (e.NODE_ENV === 'production' ? undefined : 'https://localhost:8446'), caFile: e.MTLS_CA_FILE, trustedProxies: e.TRUSTED_PROXIES },
      registration: {
        enabled: e.REGISTRATION_ENABLED,
        open: e.REGISTRATION_OPEN,
        initialAccessToken: e.REGISTRATION_INITIAL_ACCESS_TOKEN,
        maxClients: e.REGISTRATION_MAX_CLIENTS,
      },
      clientIdDocuments: {
        enabled: e.CLIENT_ID_METADATA_DOCUMENTS,
        allowHosts: e.CLIENT_ID_METADATA_DOCUMENT_HOSTS,
        denyHosts: e.CLIENT_ID_METADATA_DOCUMENT_DENY_HOSTS,
        timeoutMs: e.CLIENT_ID_METADATA_DOCUMENT_TIMEOUT_MS,
        maxBytes: e.CLIENT_ID_METADATA_DOCUMENT_MAX_BYTES,
        allowLoopback: e.CLIENT_ID_METADATA_DOCUMENT_ALLOW_LOOPBACK,
      },
      consents: { durationDays: e.CONSENT_DURATION_DAYS, maxDays: e.CONSENT_MAX_DAYS },
      internalSecret: e.INTERNAL_SECRET,
      apiInternalUrl: (e.API_INTERNAL_URL ?? e.API_URL).replace(/\/$/, ''),
      accountCatalogTimeoutSeconds: e.ACCOUNT_CATALOG_TIMEOUT,
      institutionName: e.INSTITUTION_NAME ?? e.OP_ISSUER,
      sweepIntervalSeconds: e.SWEEP_INTERVAL,
      auditRetentionDays: e.AUDIT_RETENTION_DAYS,
      refreshReuseGraceSeconds: e.REFRESH_TOKEN_REUSE_GRACE,
      upstream:
        e.UPSTREAM_OIDC_ISSUER && e.UPSTREAM_OIDC_CLIENT_ID && e.UPSTREAM_OIDC_CLIENT_SECRET
          ? {
              issuer: e.UPSTREAM_OIDC_ISSUER,
              clientId: e.UPSTREAM_OIDC_CLIENT_ID,
              clientSecret: e.UPSTREAM_OIDC_CLIENT_SECRET,
              customerClaim: e.UPSTREAM_OIDC_CUSTOMER_CLAIM,
              scope: e.UPSTREAM_OIDC_SCOPE,
              timeoutSeconds: e.UPSTREAM_OIDC_TIMEOUT,
            }
          : undefined,
    };
  });

/** `.keys[1].crv` for a zod issue path. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export type AuthConfig = z.output<typeof schema>;

export function loadAuthConfig(env: Env): AuthConfig {
  return loadConfig('auth', schema, env);
}
