import { errors, type ClientMetadata, type KoaContextWithOIDC } from 'oidc-provider';
import { rateLimitsSchema } from '../security/client-limits.js';
import { ALL_SCOPES, API_SCOPES } from './scopes.js';

/** Client metadata beyond RFC 7591 that static clients may set (see .env.clients.json). */
export const EXTRA_CLIENT_METADATA = [
  'require_pkce',
  'force_refresh_token',
  'fdx_scopes',
  'access_token_ttl',
  'refresh_token_ttl',
  'account_selection',
  'consent_duration_days',
  'rate_limits',
];

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function isDynamicRegistration(ctx: KoaContextWithOIDC | undefined): boolean {
  const route = ctx?.oidc?.route;
  return route === 'registration' || route === 'client_update';
}

/**
 * Validates the extra metadata for every client, and the registration policy for clients
 * registered dynamically: https or loopback redirect URIs only, no fragments, known scopes,
 * PKCE always required.
 */
export function validateClientMetadata(
  ctx: KoaContextWithOIDC | undefined,
  key: string,
  value: unknown,
  metadata: ClientMetadata,
): void {
  switch (key) {
    case 'require_pkce':
      if (value !== undefined && typeof value !== 'boolean') throw new errors.InvalidClientMetadata('require_pkce must be a boolean');
      if (value === false && metadata.token_endpoint_auth_method === 'none') {
        throw new errors.InvalidClientMetadata('public clients can not opt out of PKCE');
      }
      if (value === false && isDynamicRegistration(ctx)) {
        throw new errors.InvalidClientMetadata('require_pkce can only be disabled by the operator');
      }
      if (isDynamicRegistration(ctx)) assertRegistrationPolicy(metadata);
      return;
    case 'force_refresh_token':
      if (value !== undefined && typeof value !== 'boolean') throw new errors.InvalidClientMetadata('force_refresh_token must be a boolean');
      if (value === true && isDynamicRegistration(ctx)) {
        throw new errors.InvalidClientMetadata('force_refresh_token can only be set by the operator');
      }
      return;
    case 'fdx_scopes':
      if (value !== undefined && (!Array.isArray(value) || value.some((s) => !(API_SCOPES as readonly unknown[]).includes(s)))) {
        throw new errors.InvalidClientMetadata('fdx_scopes must list FDX data scopes');
      }
      if (value !== undefined && isDynamicRegistration(ctx)) throw new errors.InvalidClientMetadata('fdx_scopes can only be set by the operator');
      return;
    case 'access_token_ttl':
    case 'refresh_token_ttl':
      if (value !== undefined && (!Number.isInteger(value) || (value as number) <= 0)) {
        throw new errors.InvalidClientMetadata(`${key} must be a positive integer (seconds)`);
      }
      if (value !== undefined && isDynamicRegistration(ctx)) throw new errors.InvalidClientMetadata(`${key} can only be set by the operator`);
      return;
    case 'account_selection':
      if (value !== undefined && typeof value !== 'boolean') throw new errors.InvalidClientMetadata('account_selection must be a boolean');
      if (value === false && isDynamicRegistration(ctx)) throw new errors.InvalidClientMetadata('account_selection can only be turned off by the operator');
      return;
    case 'consent_duration_days':
      // Capped at CONSENT_MAX_DAYS where it is used (consents/consent-duration.ts).
      if (value !== undefined && (!Number.isInteger(value) || (value as number) <= 0)) {
        throw new errors.InvalidClientMetadata('consent_duration_days must be a positive integer (days)');
      }
      if (value !== undefined && isDynamicRegistration(ctx)) throw new errors.InvalidClientMetadata('consent_duration_days can only be set by the operator');
      return;
    case 'rate_limits':
      if (value !== undefined && !rateLimitsSchema.safeParse(value).success) {
        throw new errors.InvalidClientMetadata('rate_limits must be an object of non-negative integers (requests per minute)');
      }
      // A registered client must not raise (nor set) its own allowances.
      if (value !== undefined && isDynamicRegistration(ctx)) throw new errors.InvalidClientMetadata('rate_limits can only be set by the operator');
      return;
    default:
  }
}

function assertRegistrationPolicy(metadata: ClientMetadata): void {
  const uris = [...(metadata.redirect_uris ?? []), ...((metadata.post_logout_redirect_uris as string[] | undefined) ?? [])];
  for (const uri of uris) {
    const url = URL.parse(uri);
    if (!url) throw new errors.InvalidRedirectUri('redirect URIs must be absolute URLs');
    if (url.hash || uri.includes('#')) throw new errors.InvalidRedirectUri('redirect URIs must not contain a fragment');
    const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
    if (url.protocol !== 'https:' && !loopback) throw new errors.InvalidRedirectUri('redirect URIs must use https (or http on a loopback host)');
  }
  // What the OP fetches for a registered client: https only. (oidc-provider also refuses to
  // connect to loopback, private and other special-use addresses, and times out after 2.5 s.)
  for (const key of ['jwks_uri', 'sector_identifier_uri'] as const) {
    const value = metadata[key];
    if (value !== undefined && (typeof value !== 'string' || URL.parse(value)?.protocol !== 'https:')) {
      throw new errors.InvalidClientMetadata(`${key} must be an https URL`);
    }
  }
  const requestUris = metadata['request_uris'];
  if (Array.isArray(requestUris) && requestUris.some((u) => typeof u !== 'string' || URL.parse(u)?.protocol !== 'https:')) {
    throw new errors.InvalidClientMetadata('request_uris must be https URLs');
  }
  const scopes = typeof metadata.scope === 'string' ? metadata.scope.split(' ').filter(Boolean) : [];
  const unknown = scopes.filter((s) => !ALL_SCOPES.includes(s));
  if (unknown.length > 0) throw new errors.InvalidClientMetadata(`scope contains values that are not allowed: ${unknown.join(' ')}`);
  const grantTypes = metadata.grant_types ?? ['authorization_code'];
  if (grantTypes.some((g) => g !== 'authorization_code' && g !== 'refresh_token')) {
    throw new errors.InvalidClientMetadata('only authorization_code and refresh_token grants can be registered');
  }
}

/** PKCE is required unless an operator configured a confidential client with require_pkce: false. */
export function pkceRequired(client: { clientAuthMethod: string; [key: string]: unknown }): boolean {
  return client.clientAuthMethod === 'none' || client['require_pkce'] !== false;
}
