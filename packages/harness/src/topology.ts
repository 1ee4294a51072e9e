// The scale-out topology on top of the stack starter: two OP and two API instances (round robin,
// health-checked by Caddy) and one app, every service on its own PostgreSQL database, sharing
// signing keys and cookie keys. Used by `pnpm scale`, `pnpm load` and the e2e/scale tests.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Https } from './http.js';
import { OAuthClient } from './oauth.js';
import { DEV_CLIENT, startStack, type ServiceName, type Stack, type StackOptions } from './stack.js';

/** A confidential client for HTTP-driven flows (tests, load): no browser, its redirect URI is never fetched. */
export const SCALE_CLIENT = {
  client_id: 'scale-rp',
  client_secret: 'scale-rp-client-secret-0123456789abcdef-0123456789',
  client_name: 'Scale test client',
  redirect_uris: ['https://rp.example.test/callback'],
  force_refresh_token: true,
};

export type Jwk = Record<string, string>;

export interface SharedSecrets {
  jwks: { keys: Jwk[] };
  authCookieSecret: string;
  appCookieSecret: string;
}

/** An RS256 private JWK with its RFC 7638 thumbprint as kid (what `pnpm secrets jwks` makes). */
export function newSigningKey(): Jwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Jwk;
  const kid = createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}

export function newSecrets(): SharedSecrets {
  return {
    jwks: { keys: [newSigningKey()] },
    authCookieSecret: randomBytes(32).toString('hex'),
    appCookieSecret: randomBytes(32).toString('hex'),
  };
}

/** Generated once into `file` (git-ignored), then reused so restarts keep sessions and tokens valid. */
export function loadOrCreateSecrets(file: string): SharedSecrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SharedSecrets;
  const secrets = newSecrets();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

export interface TopologyOptions {
  databaseUrls: Record<ServiceName, string>;
  secrets: SharedSecrets;
  instances?: StackOptions['instances'];
  /** Extra environment per service (e.g. lower lockout thresholds, a PostgreSQL proxy URL). */
  env?: StackOptions['env'];
}

/**
 * Loose limits: many virtual users share one loopback IP, which the per-IP limits would otherwise
 * throttle, and sign in as one demo customer, whom the per-customer API limit (written into the
 * tokens by the OP) would otherwise throttle.
 */
export const LOAD_FRIENDLY_LIMITS = {
  RATE_LIMIT_LOGIN_PER_IP: '100000',
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000',
  RATE_LIMIT_TOKEN_PER_IP: '100000',
  RATE_LIMIT_TOKEN_PER_CLIENT: '100000',
  RATE_LIMIT_TOKEN_PER_OPERATOR_CLIENT: '100000',
  RATE_LIMIT_API_PER_CUSTOMER: '0',
  LOGIN_LOCKOUT_THRESHOLD: '1000',
};

export async function startTopology(options: TopologyOptions): Promise<Stack> {
  const { secrets } = options;
  const stackEnv = (urls: { app: string }) => ({
    auth: {
      JWKS: JSON.stringify(secrets.jwks),
      COOKIE_SECRET: secrets.authCookieSecret,
      // A refresh rotated by an instance that crashed before answering can be retried on the other.
      REFRESH_TOKEN_REUSE_GRACE: '10',
      ...options.env?.auth,
      OIDC_CLIENTS:
        options.env?.auth?.OIDC_CLIENTS ??
        JSON.stringify([
          SCALE_CLIENT,
          {
            client_id: DEV_CLIENT.id,
            client_secret: DEV_CLIENT.secret,
            client_name: 'Demo app',
            redirect_uris: [`${urls.app}/callback`],
            post_logout_redirect_uris: [`${urls.app}/`],
            force_refresh_token: true,
          },
        ]),
    },
    api: { ...options.env?.api },
    app: { COOKIE_SECRET: secrets.appCookieSecret, ...options.env?.app },
  });
  // The app's redirect URI depends on the Caddy port the harness picks, hence envFor.
  return startStack({
    instances: { auth: 2, api: 2, app: 1, ...options.instances },
    databaseUrls: options.databaseUrls,
    envFor: stackEnv,
  });
}

/**
 * One user agent of SCALE_CLIENT on the topology, over `http` (the stack's CA): consented
 * authorization requests for offline access and every scope the load uses.
 */
export function scaleClient(stack: Stack, http: Https, retry = false): OAuthClient {
  return new OAuthClient(stack.urls.auth, {
    client: SCALE_CLIENT,
    http,
    retry,
    apiUrl: stack.urls.api,
    authorization: { scope: 'openid offline_access accounts:read customers:read transactions:read', prompt: 'consent' },
  });
}
