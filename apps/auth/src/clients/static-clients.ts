import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { API_SCOPES } from '../provider/scopes.js';
import { rateLimitsSchema } from '../security/client-limits.js';
import { isReservedClientId } from '../account/built-in-client.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const TLS_SUBJECTS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const;

const redirectUri = z.url({ protocol: /^https?$/ }).refine((u) => !u.includes('#'), 'must not contain a fragment');

/** One statically configured client, as written in OIDC_CLIENTS / .env.clients.json (snake_case like RFC 7591). */
export const staticClientSchema = z
  .strictObject({
    client_id: z.string().min(1).refine((id) => !isReservedClientId(id), 'is reserved for the OP itself (its connected-apps page)'),
    client_secret: z.string().min(32, 'must be at least 32 characters').optional(),
    client_name: z.string().min(1).optional(),
    // Shown as the data recipient's home page and logo in FDX ConsentGrant parties.
    client_uri: z.url({ protocol: /^https$/ }).optional(),
    logo_uri: z.url({ protocol: /^https$/ }).optional(),
    redirect_uris: z.array(redirectUri).min(1),
    post_logout_redirect_uris: z.array(redirectUri).default([]),
    grant_types: z.array(z.enum(['authorization_code', 'refresh_token'])).default(['authorization_code', 'refresh_token']),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'tls_client_auth', 'self_signed_tls_client_auth', 'none']).optional(),
    // RFC 8705 tls_client_auth: exactly one of these names the certificate the client must present.
    tls_client_auth_subject_dn: z.string().min(1).optional(),
    tls_client_auth_san_dns: z.string().min(1).optional(),
    tls_client_auth_san_uri: z.string().min(1).optional(),
    tls_client_auth_san_ip: z.string().min(1).optional(),
    tls_client_auth_san_email: z.string().min(1).optional(),
    // RFC 8705 certificate-bound access tokens (cnf.x5t#S256); the API then needs the same certificate.
    tls_client_certificate_bound_access_tokens: z.boolean().default(false),
    // Public keys of the client (self_signed_tls_client_auth: its certificate as a JWK with x5c).
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
    scope: z.string().min(1).optional(),
    require_pkce: z.boolean().default(true),
    force_refresh_token: z.boolean().default(false),
    // FDX data scopes granted on consent even when the request asks only for `openid offline_access` (Plaid).
    fdx_scopes: z.array(z.enum(API_SCOPES)).default([]),
    access_token_ttl: z.number().int().positive().optional(),
    refresh_token_ttl: z.number().int().positive().optional(),
    // RFC 9126: this client's authorization requests must come through PAR (POST /request).
    require_pushed_authorization_requests: z.boolean().default(false),
    // false: the consent page shares every account without asking (clients that run their own
    // account selection, as Plaid does); tokens then carry no account_ids.
    account_selection: z.boolean().default(true),
    // How long this client's consents last (days), at most CONSENT_MAX_DAYS; default CONSENT_DURATION_DAYS.
    consent_duration_days: z.number().int().positive().optional(),
    // Requests per minute, 0: no limit; absent fields take the defaults (docs/deploying.md, "Sizing").
    rate_limits: rateLimitsSchema.optional(),
  })
  .transform((c) => ({
    ...c,
    token_endpoint_auth_method: c.token_endpoint_auth_method ?? (c.client_secret ? 'client_secret_basic' : 'none'),
    response_types: ['code' as const],
  }))
  .superRefine((c, ctx) => {
    if (c.token_endpoint_auth_method === 'none' && c.client_secret) {
      ctx.addIssue({ code: 'custom', path: ['token_endpoint_auth_method'], message: 'a client with a secret must authenticate with it' });
    }
    const certificateAuth = c.token_endpoint_auth_method === 'tls_client_auth' || c.token_endpoint_auth_method === 'self_signed_tls_client_auth';
    if (c.token_endpoint_auth_method !== 'none' && !certificateAuth && !c.client_secret) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'required for a confidential client' });
    }
    if (certificateAuth && c.client_secret) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'a client that authenticates with a certificate has no secret' });
    }
    const subjects = TLS_SUBJECTS.filter((k) => c[k] !== undefined);
    if (c.token_endpoint_auth_method === 'tls_client_auth' && subjects.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['token_endpoint_auth_method'], message: `tls_client_auth needs exactly one of ${TLS_SUBJECTS.join(', ')}` });
    }
    if (c.token_endpoint_auth_method === 'self_signed_tls_client_auth' && !c.jwks) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'self_signed_tls_client_auth needs the client certificate in jwks (a JWK with x5c)' });
    }
    if (c.token_endpoint_auth_method === 'none' && !c.require_pkce) {
      ctx.addIssue({ code: 'custom', path: ['require_pkce'], message: 'public clients can not opt out of PKCE' });
    }
    c.redirect_uris.forEach((uri, i) => {
      const url = new URL(uri);
      if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
        ctx.addIssue({ code: 'custom', path: ['redirect_uris', i], message: 'must be https (or http on a loopback host)' });
      }
    });
  });

export type StaticClient = z.output<typeof staticClientSchema>;


export const staticClientsSchema = z
  .array(staticClientSchema)
  .min(1)
  .superRefine((clients, ctx) => {
    const seen = new Set<string>();
    clients.forEach((c, i) => {
      if (seen.has(c.client_id)) ctx.addIssue({ code: 'custom', path: [i, 'client_id'], message: 'duplicate client_id' });
      seen.add(c.client_id);
    });
  });

export interface ClientSourceEnv {
  OIDC_CLIENTS?: string | undefined;
  OIDC_CLIENTS_FILE: string;
  CLIENT_ID: string;
  CLIENT_NAME?: string | undefined;
  CLIENT_SECRET: string;
  REDIRECT_URI: string;
  POST_LOGOUT_REDIRECT_URI?: string | undefined;
  CLIENT_FORCE_REFRESH_TOKEN: boolean;
}

/**
 * Where the static clients come from, first match wins: OIDC_CLIENTS (JSON), the clients
 * file, then the single CLIENT_ID/CLIENT_SECRET/REDIRECT_URI client. Returns the raw value
 * and the env name to blame in errors.
 */
export function clientSource(env: ClientSourceEnv): { name: string; value: unknown } {
  const parse = (name: string, text: string) => {
    try {
      return { name, value: JSON.parse(text) as unknown };
    } catch {
      return { name, value: Symbol.for('invalid-json') };
    }
  };
  if (env.OIDC_CLIENTS) return parse('OIDC_CLIENTS', env.OIDC_CLIENTS);
  if (existsSync(env.OIDC_CLIENTS_FILE)) return parse(env.OIDC_CLIENTS_FILE, readFileSync(env.OIDC_CLIENTS_FILE, 'utf8'));
  return {
    name: 'CLIENT_ID/CLIENT_SECRET/REDIRECT_URI',
    value: [
      {
        client_id: env.CLIENT_ID,
        client_secret: env.CLIENT_SECRET,
        client_name: env.CLIENT_NAME ?? env.CLIENT_ID,
        redirect_uris: [env.REDIRECT_URI],
        post_logout_redirect_uris: env.POST_LOGOUT_REDIRECT_URI ? [env.POST_LOGOUT_REDIRECT_URI] : [],
        force_refresh_token: env.CLIENT_FORCE_REFRESH_TOKEN,
      },
    ],
  };
}
