import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@apps/shared';
import { describe, expect, it } from 'vitest';
import { loadAuthConfig } from '../src/config.js';
import { productionEnv } from './helpers/production-env.js';
import { generateEcSigningKey, generateSigningKey } from '../src/keys/jwks.js';

const noFile = { OIDC_CLIENTS_FILE: join(tmpdir(), 'does-not-exist.json') };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAuthConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('auth configuration', () => {
  it('falls back to the single dev-rp client with working dev defaults', () => {
    const config = loadAuthConfig({ ...noFile });
    expect(config.clients).toHaveLength(1);
    expect(config.clients[0]).toMatchObject({
      client_id: 'dev-rp',
      client_secret: 'dev-insecure-rp-client-secret-change-me-000000000',
      redirect_uris: ['https://localhost:8445/callback'],
      post_logout_redirect_uris: ['https://localhost:8445/'],
      token_endpoint_auth_method: 'client_secret_basic',
      require_pkce: true,
    });
    expect(config.cookieKeys).toEqual(['dev-insecure-auth-cookie-secret-change-me-00000000']);
  });

  it('names the fallback client on the consent page by CLIENT_NAME, else by its id', () => {
    expect(loadAuthConfig({ ...noFile }).clients[0]!.client_name).toBe('dev-rp');
    expect(loadAuthConfig({ ...noFile, CLIENT_NAME: 'Open Finance demo app' }).clients[0]!.client_name).toBe('Open Finance demo app');
  });

  it('prefers OIDC_CLIENTS over the clients file over the single-client variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-cfg-'));
    const file = join(dir, 'clients.json');
    writeFileSync(file, JSON.stringify([{ client_id: 'from-file', redirect_uris: ['https://a.example/cb'] }]));
    expect(loadAuthConfig({ OIDC_CLIENTS_FILE: file }).clients[0]!.client_id).toBe('from-file');
    const env = { OIDC_CLIENTS_FILE: file, OIDC_CLIENTS: JSON.stringify([{ client_id: 'from-env', redirect_uris: ['https://a.example/cb'] }]) };
    expect(loadAuthConfig(env).clients[0]!.client_id).toBe('from-env');
  });

  it('names the bad field of a bad client', () => {
    const clients = [{ client_id: 'ok', redirect_uris: ['https://a.example/cb'] }, { client_id: 'bad', redirect_uris: ['not a url'] }];
    const problems = problemsOf({ ...noFile, OIDC_CLIENTS: JSON.stringify(clients) });
    expect(problems.join('\n')).toContain('OIDC_CLIENTS[1].redirect_uris[0]');
  });

  it("takes a client's rate_limits (per minute, 0 = none) and names a bad one", () => {
    const client = { client_id: 'plaid', client_secret: 'x'.repeat(32), redirect_uris: ['https://a.example/cb'] };
    const ok = loadAuthConfig({ ...noFile, OIDC_CLIENTS: JSON.stringify([{ ...client, rate_limits: { token_per_minute: 0, api_per_customer_per_minute: 120 } }]) });
    expect(ok.clients[0]!.rate_limits).toEqual({ token_per_minute: 0, api_per_customer_per_minute: 120 });
    for (const rateLimits of [{ token_per_minute: -1 }, { api_per_minute: 1.5 }, { per_hour: 10 }]) {
      expect(problemsOf({ ...noFile, OIDC_CLIENTS: JSON.stringify([{ ...client, rate_limits: rateLimits }]) }).join('\n')).toContain('OIDC_CLIENTS[0].rate_limits');
    }
  });

  it('refuses require_pkce: false for a public client', () => {
    const clients = [{ client_id: 'spa', redirect_uris: ['https://a.example/cb'], require_pkce: false }];
    expect(problemsOf({ ...noFile, OIDC_CLIENTS: JSON.stringify(clients) }).join('\n')).toMatch(/OIDC_CLIENTS\[0\]\.require_pkce: public clients/);
  });

  it('refuses production without configured signing keys, or with dev secrets', () => {
    const problems = problemsOf({ ...noFile, NODE_ENV: 'production' });
    expect(problems.some((p) => p.startsWith('JWKS:'))).toBe(true);
  });

  it('refuses the development token hash key in production', () => {
    const { TOKEN_HASH_KEY: _, ...env } = productionEnv();
    const problems = problemsOf({ ...noFile, ...env });
    expect(problems).toEqual(['tokenHashKey: uses a development default secret; production refuses it (generate one with scripts/secrets.js)']);
  });

  it('refuses the development INTERNAL_SECRET in production and a short one anywhere', () => {
    const { INTERNAL_SECRET: _, ...env } = productionEnv();
    const problems = problemsOf({ ...noFile, ...env });
    expect(problems).toEqual(['internalSecret: uses a development default secret; production refuses it (generate one with scripts/secrets.js)']);
    expect(problemsOf({ ...noFile, INTERNAL_SECRET: 'short' })).toContain('INTERNAL_SECRET: must be at least 32 characters');
  });

  it('sends INTERNAL_SECRET to the API over https, or http on loopback only, in production', () => {
    const prod = { ...noFile, NODE_ENV: 'production' };
    expect(problemsOf({ ...prod, API_INTERNAL_URL: 'http://api.internal:3002' })).toContain('API_INTERNAL_URL: must be an https URL (or http on a loopback host) in production');
    expect(problemsOf({ ...prod, API_INTERNAL_URL: 'http://127.0.0.1:3002' }).some((p) => p.startsWith('API_INTERNAL_URL'))).toBe(false);
    expect(problemsOf({ ...noFile, API_INTERNAL_URL: 'http://api.internal:3002' }).some((p) => p.startsWith('API_INTERNAL_URL'))).toBe(false);
  });

  it('consent durations: 365 days by default, capped at 396, and no client beyond the cap', () => {
    const config = loadAuthConfig({ ...noFile, NODE_ENV: 'test' });
    expect(config.consents).toEqual({ durationDays: 365, maxDays: 396 });
    expect(problemsOf({ ...noFile, CONSENT_DURATION_DAYS: '400' })).toContain('CONSENT_DURATION_DAYS: must not exceed CONSENT_MAX_DAYS (396)');
    const client = { client_id: 'c', client_secret: 's'.repeat(40), redirect_uris: ['https://c.example/cb'], consent_duration_days: 500 };
    expect(problemsOf({ ...noFile, OIDC_CLIENTS: JSON.stringify([client]) })).toContain('OIDC_CLIENTS[0].consent_duration_days: must not exceed CONSENT_MAX_DAYS (396)');
    expect(problemsOf({ ...noFile, OIDC_CLIENTS: JSON.stringify([{ ...client, consent_duration_days: 30, account_selection: 'no' }]) }).join()).toMatch(/account_selection/);
  });

  it('refuses a token hash key shorter than 32 characters', () => {
    expect(problemsOf({ ...noFile, TOKEN_HASH_KEY: 'short' })).toContain('TOKEN_HASH_KEY: must be at least 32 characters');
  });

  it('starts in production with real secrets and JWKS', () => {
    const secret = 'x'.repeat(40);
    const config = loadAuthConfig({
      ...noFile,
      NODE_ENV: 'production',
      COOKIE_SECRET: `${'a'.repeat(40)},${'b'.repeat(40)}`,
      CLIENT_SECRET: secret,
      REGISTRATION_INITIAL_ACCESS_TOKEN: 'y'.repeat(40),
      TOKEN_HASH_KEY: 'z'.repeat(40),
      INTERNAL_SECRET: 'i'.repeat(40),
      JWKS: JSON.stringify({ keys: [generateSigningKey()] }),
    });
    expect(config.tokenHashKey).toBe('z'.repeat(40));
    expect(config.internalSecret).toBe('i'.repeat(40));
    expect(config.cookieKeys).toHaveLength(2);
    expect(config.jwks?.keys).toHaveLength(1);
    expect(config.seedDemoUsers).toBe(false);
  });

  it('client ID metadata documents: on, any host, 2.5 s, 5 KiB by default; host lists parsed; loopback refused in production', () => {
    expect(loadAuthConfig({ ...noFile }).clientIdDocuments).toEqual({ enabled: true, allowHosts: [], denyHosts: [], timeoutMs: 2500, maxBytes: 5120, allowLoopback: false });
    const listed = loadAuthConfig({ ...noFile, CLIENT_ID_METADATA_DOCUMENT_HOSTS: ' Agents.Example , *.assistant.example', CLIENT_ID_METADATA_DOCUMENT_DENY_HOSTS: 'bad.example' });
    expect(listed.clientIdDocuments).toMatchObject({ allowHosts: ['agents.example', '*.assistant.example'], denyHosts: ['bad.example'] });
    expect(problemsOf({ ...noFile, CLIENT_ID_METADATA_DOCUMENT_HOSTS: 'https://agents.example/' }).join('\n')).toContain('CLIENT_ID_METADATA_DOCUMENT_HOSTS: must be hostnames');
    expect(problemsOf({ ...noFile, CLIENT_ID_METADATA_DOCUMENT_TIMEOUT_MS: '60000' }).join('\n')).toContain('CLIENT_ID_METADATA_DOCUMENT_TIMEOUT_MS');
    expect(loadAuthConfig({ ...noFile, CLIENT_ID_METADATA_DOCUMENT_ALLOW_LOOPBACK: 'true' }).clientIdDocuments.allowLoopback).toBe(true);
    expect(problemsOf({ ...noFile, ...productionEnv(), CLIENT_ID_METADATA_DOCUMENT_ALLOW_LOOPBACK: 'true' })).toEqual([
      'CLIENT_ID_METADATA_DOCUMENT_ALLOW_LOOPBACK: loopback client ID metadata documents are for development only; production refuses them',
    ]);
  });

  it('refuses demo users in production', () => {
    expect(problemsOf({ ...noFile, NODE_ENV: 'production', SEED_DEMO_USERS: 'true' })).toContain(
      'SEED_DEMO_USERS: demo users are refused in production (add customers with pnpm kit customers)',
    );
  });

  it('takes the upstream IdP from UPSTREAM_OIDC_* (all three or none), https in production', () => {
    expect(loadAuthConfig(noFile).upstream).toBeUndefined();
    const upstream = { UPSTREAM_OIDC_ISSUER: 'https://idp.bank.test', UPSTREAM_OIDC_CLIENT_ID: 'kit-op', UPSTREAM_OIDC_CLIENT_SECRET: 's3cret' };
    expect(loadAuthConfig({ ...noFile, ...upstream }).upstream).toEqual({
      issuer: 'https://idp.bank.test',
      clientId: 'kit-op',
      clientSecret: 's3cret',
      customerClaim: 'sub',
      scope: 'openid',
      timeoutSeconds: 5,
    });
    expect(problemsOf({ ...noFile, UPSTREAM_OIDC_ISSUER: 'https://idp.bank.test' })).toEqual([
      'UPSTREAM_OIDC_CLIENT_ID: required when any UPSTREAM_OIDC_ISSUER/CLIENT_ID/CLIENT_SECRET is set',
      'UPSTREAM_OIDC_CLIENT_SECRET: required when any UPSTREAM_OIDC_ISSUER/CLIENT_ID/CLIENT_SECRET is set',
    ]);
    expect(problemsOf({ ...noFile, ...upstream, UPSTREAM_OIDC_SCOPE: 'profile' })).toEqual(['UPSTREAM_OIDC_SCOPE: must include openid']);
    const production = problemsOf({ ...noFile, ...upstream, NODE_ENV: 'production', UPSTREAM_OIDC_ISSUER: 'http://idp.bank.test' });
    expect(production).toContain('UPSTREAM_OIDC_ISSUER: must be an https URL in production');
  });

  it('signs access tokens RS256 unless ACCESS_TOKEN_SIGNING_ALG says ES256', () => {
    expect(loadAuthConfig({ ...noFile }).accessTokenSigningAlg).toBe('RS256');
    expect(loadAuthConfig({ ...noFile, ACCESS_TOKEN_SIGNING_ALG: 'ES256' }).accessTokenSigningAlg).toBe('ES256');
    expect(problemsOf({ ...noFile, ACCESS_TOKEN_SIGNING_ALG: 'HS256' })).toEqual(['ACCESS_TOKEN_SIGNING_ALG: must be RS256 (the default) or ES256']);
    expect(problemsOf({ ...noFile, ACCESS_TOKEN_SIGNING_ALG: 'es256' })).toHaveLength(1);
  });

  it('refuses ES256 when JWKS has no EC key, and takes it with one', () => {
    const rsa = generateSigningKey();
    const env = { ...noFile, ACCESS_TOKEN_SIGNING_ALG: 'ES256' };
    expect(problemsOf({ ...env, JWKS: JSON.stringify({ keys: [rsa] }) })).toEqual([
      'ACCESS_TOKEN_SIGNING_ALG: ES256 needs an EC P-256 private key in JWKS (pnpm secrets jwks --es256)',
    ]);
    const config = loadAuthConfig({ ...env, JWKS: JSON.stringify({ keys: [rsa, generateEcSigningKey()] }) });
    expect(config.jwks?.keys.map((k) => k.kty)).toEqual(['RSA', 'EC']);
  });

  it('refuses a JWKS without an RSA key, with a public or non-P-256 EC key, or with another key type', () => {
    const rsa = generateSigningKey();
    const { d: _d, ...publicEc } = generateEcSigningKey();
    const cases: [unknown[], string][] = [
      [[generateEcSigningKey()], 'an RSA key is required (ID tokens are signed RS256)'],
      [[rsa, publicEc], 'keys[1].d: private key parameter d is required'],
      [[rsa, { ...generateEcSigningKey(), crv: 'P-384' }], 'keys[1].crv: EC keys must use the P-256 curve (ES256)'],
      [[rsa, { ...generateEcSigningKey(), alg: 'ES384' }], 'keys[1].alg'],
      [[{ kty: 'oct', kid: 'x', k: 'c2VjcmV0' }, rsa], 'keys[0].kty: kty must be "RSA" or "EC"'],
    ];
    for (const [keys, message] of cases) {
      const problems = problemsOf({ ...noFile, ACCESS_TOKEN_SIGNING_ALG: 'ES256', JWKS: JSON.stringify({ keys }) });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('JWKS: must be a JSON Web Key Set of private RSA (and EC P-256) keys: ');
      expect(problems[0]).toContain(message);
    }
  });

  it('refuses a JWKS with public keys only', () => {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicKey } = generateSigningKey();
    const problems = problemsOf({ ...noFile, JWKS: JSON.stringify({ keys: [publicKey] }) });
    expect(problems.some((p) => p.startsWith('JWKS:'))).toBe(true);
  });
});
