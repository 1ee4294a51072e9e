import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseEnv, promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../secrets.js', import.meta.url));
const exec = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function secrets(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [SCRIPT, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Parses the output the way the services read .env files. */
async function envOf(...args: string[]): Promise<Record<string, string>> {
  const run = await secrets(...args);
  expect(run.code, run.stderr).toBe(0);
  return parseEnv(run.stdout) as Record<string, string>;
}

function keysOf(env: Record<string, string>): JWK[] {
  return (JSON.parse(env.JWKS!) as { keys: JWK[] }).keys;
}

const URL_SAFE_32 = /^[A-Za-z0-9_-]{32}$/;
const HEX_64 = /^[0-9a-f]{64}$/;

describe('scripts/secrets.js', () => {
  it('prints a URL-safe 32-character CLIENT_ID and a 64-hex CLIENT_SECRET for `client`', async () => {
    const env = await envOf('client');
    expect(Object.keys(env)).toEqual(['CLIENT_ID', 'CLIENT_SECRET']);
    expect(env.CLIENT_ID).toMatch(URL_SAFE_32);
    expect(env.CLIENT_SECRET).toMatch(HEX_64);
  });

  it('puts a valid prefix in front of 24 random URL-safe characters', async () => {
    for (const args of [['--prefix', 'acme-'], ['--prefix=acme-']]) {
      const env = await envOf('client', ...args);
      expect(env.CLIENT_ID).toMatch(/^acme-[A-Za-z0-9_-]{24}$/);
    }
  });

  it('prints CLIENT_SECRET and COOKIE_SECRET for `secrets`, different from each other', async () => {
    const env = await envOf('secrets');
    expect(Object.keys(env)).toEqual(['CLIENT_SECRET', 'COOKIE_SECRET']);
    expect(env.CLIENT_SECRET).toMatch(HEX_64);
    expect(env.COOKIE_SECRET).toMatch(HEX_64);
    expect(env.COOKIE_SECRET).not.toBe(env.CLIENT_SECRET);
  });

  it('prints everything for `all`, on lines a .env file and the shared config accept', async () => {
    const run = await secrets('all');
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(4);
    const env = parseEnv(run.stdout) as Record<string, string>;
    expect(env.CLIENT_ID).toMatch(URL_SAFE_32);
    expect(env.CLIENT_SECRET).toMatch(HEX_64);
    expect(env.COOKIE_SECRET).toMatch(HEX_64);
    expect(keysOf(env)).toHaveLength(1);
    expect(run.stdout).not.toContain('dev-insecure');
  });

  it('never repeats a value across runs', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => envOf('all')));
    for (const name of ['CLIENT_ID', 'CLIENT_SECRET', 'COOKIE_SECRET']) {
      expect(new Set(runs.map((env) => env[name])).size).toBe(3);
    }
    const kids = runs.map((env) => keysOf(env)[0]!.kid);
    const moduli = runs.map((env) => keysOf(env)[0]!.n);
    expect(new Set(kids).size).toBe(3);
    expect(new Set(moduli).size).toBe(3);
  });

  it('prints a private RS256 2048-bit signing JWK set on one line', async () => {
    const run = await secrets('jwks');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^JWKS='\{"keys":\[.*\]\}'\n$/);
    const [key] = keysOf(parseEnv(run.stdout) as Record<string, string>);
    expect(key).toMatchObject({ kty: 'RSA', e: 'AQAB', use: 'sig', alg: 'RS256' });
    for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) expect(key![part]).toBeTruthy();
    expect(Buffer.from(key!.n!, 'base64url').length * 8).toBe(2048);
    expect(key!.kid).toBe(await calculateJwkThumbprint(key!));
  });

  it('signs an RS256 JWT with the private key that verifies with only its public part', async () => {
    const [key] = keysOf(await envOf('jwks'));
    const privateKey = await importJWK(key!, 'RS256');
    const jwt = await new SignJWT({ scope: 'accounts:read' })
      .setProtectedHeader({ alg: 'RS256', kid: key!.kid!, typ: 'at+jwt' })
      .setIssuer('https://localhost:8443')
      .setAudience('api://my-api')
      .setSubject('cust-10001')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

    const { kty, n, e, kid } = key!;
    const publicKey = await importJWK({ kty, n, e, kid }, 'RS256');
    expect(await exportJWK(publicKey)).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, {
      issuer: 'https://localhost:8443',
      audience: 'api://my-api',
      typ: 'at+jwt',
    });
    expect(protectedHeader.kid).toBe(kid);
    expect(payload.sub).toBe('cust-10001');
  });

  it('adds a private EC P-256 key after the RSA key for `jwks --es256`, which signs ES256 JWTs', async () => {
    const keys = keysOf(await envOf('jwks', '--es256'));
    expect(keys.map((k) => k.kty)).toEqual(['RSA', 'EC']);
    const [rsa, ec] = keys as [JWK, JWK];
    expect(rsa).toMatchObject({ alg: 'RS256', use: 'sig' });
    expect(ec).toMatchObject({ crv: 'P-256', use: 'sig', alg: 'ES256' });
    expect(ec.d).toBeTruthy();
    expect(ec.kid).toBe(await calculateJwkThumbprint(ec));
    expect(ec.kid).not.toBe(rsa.kid);

    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: ec.kid! }).setSubject('cust-10001').sign(await importJWK(ec, 'ES256'));
    const { kty, crv, x, y } = ec;
    expect((await jwtVerify(jwt, await importJWK({ kty, crv, x, y }, 'ES256'))).payload.sub).toBe('cust-10001');

    expect(keysOf(await envOf('all', '--es256')).map((k) => k.kty)).toEqual(['RSA', 'EC']);
    expect(keysOf(await envOf('jwks')).map((k) => k.kty)).toEqual(['RSA']);
  });

  it('prints usage for --help, on stdout, with exit code 0', async () => {
    for (const args of [['--help'], ['-h'], ['client', '--help']]) {
      const run = await secrets(...args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: pnpm secrets <command>');
      expect(run.stdout).not.toMatch(/CLIENT_SECRET=/);
    }
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [[], 'missing command'],
    [['jwks', '--prefix', 'acme-'], 'unknown option "--prefix" for "jwks"'],
    [['client', '--verbose'], 'unknown option "--verbose"'],
    [['client', '--es256'], 'unknown option "--es256" for "client"'],
    [['client', '--prefix'], '--prefix needs a value'],
    [['client', '--prefix', 'acme corp'], 'invalid --prefix "acme corp"'],
    [['client', '--prefix', 'a/b?c'], 'invalid --prefix'],
    [['client', '--prefix', 'x'.repeat(33)], 'invalid --prefix'],
  ])('refuses %j with a clear message and exit code 2, printing no secret', async (args, message) => {
    const run = await secrets(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('pnpm secrets --help');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
