// Each service, started the way production starts it (its real main.ts, NODE_ENV=production),
// refuses to run with development secrets, an http public URL or (OP) without signing keys:
// it prints the configuration problem, no stack trace, and exits 1 before listening.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceCommand, type ServiceName } from '@kit/harness/stack';
import { newSigningKey } from '@kit/harness/topology';
import { afterAll, describe, expect, it } from 'vitest';

const cwd = mkdtempSync(join(tmpdir(), 'kit-prod-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const secret = (n: number) => `${'a1b2c3d4'.repeat(8)}`.slice(0, 64) + String(n);
/** A production environment each service accepts (checked below), to break one value at a time. */
const GOOD: Record<ServiceName, Record<string, string>> = {
  auth: {
    OP_ISSUER: 'https://id.bank.example',
    COOKIE_SECRET: secret(1),
    CLIENT_SECRET: secret(2),
    REGISTRATION_INITIAL_ACCESS_TOKEN: secret(3),
    TOKEN_HASH_KEY: secret(7),
    INTERNAL_SECRET: secret(9),
    REDIRECT_URI: 'https://app.bank.example/callback',
    POST_LOGOUT_REDIRECT_URI: 'https://app.bank.example/',
    JWKS: JSON.stringify({ keys: [newSigningKey()] }),
  },
  api: { API_URL: 'https://api.bank.example', OP_ISSUER: 'https://id.bank.example', CURSOR_SECRET: secret(4), INTERNAL_SECRET: secret(8) },
  app: {
    APP_URL: 'https://app.bank.example',
    OP_ISSUER: 'https://id.bank.example',
    API_BASE_URL: 'https://api.bank.example/api/fdx/v6',
    CLIENT_SECRET: secret(5),
    COOKIE_SECRET: secret(6),
  },
};

/** Runs main.ts with a bogus database so an accepted config fails later, at a different step. */
function start(service: ServiceName, env: Record<string, string | undefined>) {
  const command = serviceCommand(service);
  const run = spawnSync(
    process.execPath,
    command.args,
    {
      cwd,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        ...command.env,
        NODE_ENV: 'production',
        PORT: '1', // never reached: every run stops at the configuration or the (unreachable) database
        DATA_DIR: join(cwd, service),
        ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)),
      },
    },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe.each(['auth', 'api', 'app'] as const)('%s in production', (service) => {
  it('accepts a complete production configuration (it gets past the configuration check)', () => {
    const run = start(service, { ...GOOD[service], DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(run.output).not.toContain('invalid configuration');
  });

  it('refuses the development default secrets', () => {
    const secrets = Object.keys(GOOD[service]).filter((k) => /SECRET|TOKEN/.test(k));
    const run = start(service, { ...GOOD[service], ...Object.fromEntries(secrets.map((k) => [k, undefined])) });
    expect(run.status).toBe(1);
    expect(run.output).toContain(`${service}: invalid configuration`);
    expect(run.output).toContain('uses a development default secret');
    expect(run.output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses an http public URL', () => {
    const urls = Object.keys(GOOD[service]).filter((k) => /URL$|ISSUER/.test(k) && k !== 'API_BASE_URL');
    const run = start(service, { ...GOOD[service], ...Object.fromEntries(urls.map((k) => [k, GOOD[service][k]!.replace('https:', 'http:')])) });
    expect(run.status).toBe(1);
    for (const name of urls) expect(run.output).toContain(`${name}: must be an https URL in production`);
    expect(run.output).not.toMatch(/\n\s+at /);
  });
});

describe('the OP in production', () => {
  it('refuses to start without JWKS (generated keys are for development only)', () => {
    const run = start('auth', { ...GOOD.auth, JWKS: undefined });
    expect(run.status).toBe(1);
    expect(run.output).toContain('JWKS: required in production');
  });
});
