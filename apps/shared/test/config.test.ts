import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, devSecret, devSecretList, envBoolean, envPort, httpsUrl, loadConfig, nodeEnv } from '../src/config.js';

const schema = z.object({
  nodeEnv: nodeEnv,
  port: envPort(3001),
  issuer: httpsUrl,
  cookieSecret: devSecret('dev-insecure-cookie-secret-change-me-0000000000'),
  trustProxy: envBoolean(true),
});
const fromEnv = (env: Record<string, string | undefined>) =>
  z.preprocess(
    (e: Record<string, string | undefined>) => ({
      nodeEnv: e.NODE_ENV,
      port: e.PORT,
      issuer: e.OP_ISSUER,
      cookieSecret: e.COOKIE_SECRET,
      trustProxy: e.TRUST_PROXY,
    }),
    schema,
  ).safeParse(env);

describe('loadConfig', () => {
  it('applies defaults and coerces types', () => {
    const config = loadConfig('auth', schema, { nodeEnv: undefined, issuer: 'https://localhost:8443/' });
    expect(config).toMatchObject({ nodeEnv: 'development', port: 3001, issuer: 'https://localhost:8443', trustProxy: true });
  });

  it('lists every problem in one error', () => {
    let error: unknown;
    try {
      loadConfig('auth', schema, { port: 'abc', issuer: 'not a url', trustProxy: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^port:/m);
    expect(problems).toMatch(/^issuer:/m);
    expect(problems).toMatch(/^trustProxy:/m);
    expect((error as ConfigError).message).toContain('auth: invalid configuration');
  });

  it('refuses development default secrets in production', () => {
    expect(() => loadConfig('auth', schema, { nodeEnv: 'production', issuer: 'https://id.example.com' })).toThrow(
      /cookieSecret: uses a development default secret/,
    );
  });

  it('accepts real secrets in production', () => {
    const config = loadConfig('auth', schema, {
      nodeEnv: 'production',
      issuer: 'https://id.example.com',
      cookieSecret: 'a'.repeat(64),
    });
    expect(config.cookieSecret).toBe('a'.repeat(64));
  });

  it('rejects short secrets', () => {
    expect(() => loadConfig('auth', schema, { issuer: 'https://x.test', cookieSecret: 'short' })).toThrow(/cookieSecret: must be at least 32/);
  });

  it('reads a secret list newest first, names a bad entry, and refuses a dev secret in any entry in production', () => {
    const list = z.object({ nodeEnv, keys: devSecretList('dev-insecure-cookie-secret-change-me-0000000000') });
    const [a, b] = ['a'.repeat(40), 'b'.repeat(40)];
    expect(loadConfig('auth', list, { keys: `${b}, ${a},` }).keys).toEqual([b, a]);
    expect(() => loadConfig('auth', list, { keys: `${b},short` })).toThrow(/keys: entry 2 of 2 must be at least 32 characters/);
    expect(() => loadConfig('auth', list, { keys: `${a},${a}` })).toThrow(/keys: lists the same secret twice/);
    expect(() => loadConfig('auth', list, { nodeEnv: 'production', keys: `${a},dev-insecure-${b}` })).toThrow(
      /keys \(entry 2 of 2\): uses a development default secret/,
    );
  });

  it('refuses to mark a dev default that lacks the marker', () => {
    expect(() => devSecret('plain-default-without-marker-000000000')).toThrow(/must contain/);
  });

  it('works through a preprocess step from raw env names', () => {
    expect(fromEnv({ OP_ISSUER: 'https://localhost:8443', PORT: '4000' }).success).toBe(true);
  });
});
