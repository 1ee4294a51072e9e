import { describe, expect, it } from 'vitest';
import { ConfigError } from '@apps/shared';
import { loadAppConfig } from '../src/config.js';

describe('app config', () => {
  it('has working development defaults matching the cross-app contract', () => {
    const config = loadAppConfig({});
    expect(config).toMatchObject({
      appUrl: 'https://localhost:8445',
      redirectUri: 'https://localhost:8445/callback',
      postLogoutRedirectUri: 'https://localhost:8445/',
      issuer: 'https://localhost:8443',
      apiBaseUrl: 'https://localhost:8444/api/fdx/v6',
      apiAudience: 'api://my-api',
      clientId: 'dev-rp',
      port: 3004,
      host: '127.0.0.1',
    });
    expect(config.scopes.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'offline_access', 'accounts:read', 'customers:read', 'transactions:read']),
    );
    expect(config.databaseUrl).toBeUndefined();
  });

  it('refuses the development secrets in production', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'production' })).toThrow(/CLIENT_SECRET|clientSecret/);
    try {
      loadAppConfig({ NODE_ENV: 'production' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toMatch(/cookieSecret/);
    }
  });

  it('requires https URLs in production', () => {
    expect(() =>
      loadAppConfig({
        NODE_ENV: 'production',
        APP_URL: 'http://app.example.com',
        CLIENT_SECRET: 'x'.repeat(40),
        COOKIE_SECRET: 'y'.repeat(40),
      }),
    ).toThrow(/APP_URL: must be an https URL in production/);
  });

  it('rejects short secrets, a scope list without openid and a non-PostgreSQL DATABASE_URL', () => {
    expect(() => loadAppConfig({ COOKIE_SECRET: 'short' })).toThrow(/COOKIE_SECRET: must be at least 32 characters/);
    expect(() => loadAppConfig({ SCOPES: 'profile email' })).toThrow(/SCOPES: must include openid/);
    expect(() => loadAppConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('reads COOKIE_SECRET as a list, newest first, and names a bad entry', () => {
    const [a, b] = ['a'.repeat(40), 'b'.repeat(40)];
    expect(loadAppConfig({}).cookieSecrets).toEqual(['dev-insecure-app-cookie-secret-change-me-00000000']);
    expect(loadAppConfig({ COOKIE_SECRET: ` ${b} , ${a},` }).cookieSecrets).toEqual([b, a]);
    expect(() => loadAppConfig({ COOKIE_SECRET: `${b},short` })).toThrow(/COOKIE_SECRET: entry 2 of 2 must be at least 32 characters/);
    expect(() => loadAppConfig({ COOKIE_SECRET: `${a},${a}` })).toThrow(/COOKIE_SECRET: lists the same secret twice/);
    expect(() => loadAppConfig({ COOKIE_SECRET: ','.repeat(40) })).toThrow(/COOKIE_SECRET: must list at least one secret/);
  });

  it('refuses a development secret anywhere in the COOKIE_SECRET list in production', () => {
    const production = { NODE_ENV: 'production', CLIENT_SECRET: 'x'.repeat(40) };
    const dev = 'dev-insecure-app-cookie-secret-change-me-00000000';
    expect(loadAppConfig({ ...production, COOKIE_SECRET: `${'y'.repeat(40)},${'z'.repeat(40)}` }).cookieSecrets).toHaveLength(2);
    expect(() => loadAppConfig({ ...production, COOKIE_SECRET: `${'y'.repeat(40)},${dev}` })).toThrow(
      /cookieSecrets \(entry 2 of 2\): uses a development default secret/,
    );
    expect(() => loadAppConfig({ ...production, COOKIE_SECRET: `${dev},${'y'.repeat(40)}` })).toThrow(/cookieSecrets \(entry 1 of 2\)/);
  });

  it('hides the token debugger in production unless DEBUG_TOKENS_PAGE=true', () => {
    const production = {
      NODE_ENV: 'production',
      CLIENT_SECRET: 'x'.repeat(40),
      COOKIE_SECRET: 'y'.repeat(40),
    };
    expect(loadAppConfig({}).debugTokensPage).toBe(true);
    expect(loadAppConfig(production).debugTokensPage).toBe(false);
    expect(loadAppConfig({ ...production, DEBUG_TOKENS_PAGE: 'true' }).debugTokensPage).toBe(true);
    expect(loadAppConfig({ DEBUG_TOKENS_PAGE: 'false' }).debugTokensPage).toBe(false);
  });

  it('trims trailing slashes from URLs', () => {
    expect(loadAppConfig({ APP_URL: 'https://app.example.test/' }).redirectUri).toBe('https://app.example.test/callback');
  });
});
