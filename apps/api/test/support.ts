import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, listen, type Database, type RateCounter } from '@apps/shared';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { loadApiConfig, type ApiConfig } from '../src/config.js';
import type { ApiSchema } from '../src/db/schema.js';
import { startServer } from '../src/server.js';

export const ISSUER = 'https://op.test.example';
export const AUDIENCE = 'api://my-api';
export const ALL_SCOPES = 'openid accounts:read customers:read transactions:read';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function newKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateKey, jwk };
}

/** A real JWKS endpoint on a random port that counts how often it is fetched. */
export interface JwksServer {
  url: string;
  requests: number;
  keys: JWK[];
  close(): Promise<void>;
}

export async function startJwks(keys: JWK[]): Promise<JwksServer> {
  const state = { requests: 0, keys };
  const server: Server = createHttpServer((_req, res) => {
    state.requests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    get requests() {
      return state.requests;
    },
    set requests(n: number) {
      state.requests = n;
    },
    get keys() {
      return state.keys;
    },
    set keys(k: JWK[]) {
      state.keys = k;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface TokenOptions {
  sub?: string;
  scope?: string;
  iss?: string;
  aud?: string;
  expiresIn?: number | string;
  typ?: string;
  alg?: string;
  notBefore?: number;
  clientId?: string;
}

export async function signToken(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: options.scope ?? ALL_SCOPES, client_id: options.clientId ?? 'dev-rp' })
    .setProtectedHeader({ alg: options.alg ?? (key.jwk.alg as string), kid: key.kid, typ: options.typ ?? 'at+jwt' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setSubject(options.sub ?? 'cust-10001')
    .setIssuedAt(now)
    .setJti(`jti-${Math.random().toString(36).slice(2)}`)
    .setNotBefore(options.notBefore ?? now)
    .setExpirationTime(options.expiresIn ?? now + 300)
    .sign(key.privateKey);
}

export function testConfig(env: Record<string, string> = {}): ApiConfig {
  return loadApiConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    API_URL: 'https://api.test.example',
    OP_ISSUER: ISSUER,
    API_AUDIENCE: AUDIENCE,
    ...env,
  });
}

export interface TestApi {
  url: string;
  base: string;
  key: SigningKey;
  jwks: JwksServer;
  database: Database<ApiSchema>;
  rateCounter: RateCounter;
  token(options?: TokenOptions): Promise<string>;
  get(path: string, token?: string | null, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/** The API in-process on a random port, over a seeded temp SQLite file (or DATABASE_URL), with a real JWKS. */
export async function startApi(
  options: { databaseUrl?: string; seeded?: boolean; logLines?: string[]; env?: Record<string, string> } = {},
): Promise<TestApi> {
  const key = await newKey('key-1');
  const jwks = await startJwks([key.jwk]);
  const dir = mkdtempSync(join(tmpdir(), 'api-test-'));
  const config = testConfig({
    JWKS_URI: jwks.url,
    DATA_DIR: dir,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    SEED_ON_START: String(options.seeded !== false),
    ...options.env,
  });
  const logger = options.logLines
    ? createLogger({ name: 'api', level: 'debug' }, { write: (line: string) => void options.logLines!.push(line) })
    : createLogger({ name: 'api', level: 'silent' });
  // As main.ts starts it: the counter batches per RATE_LIMIT_SYNC_MS and is flushed on close.
  const service = await startServer(config, logger);
  const { database, rateCounter } = service;
  const server = await listen(service.app, '127.0.0.1', 0);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const base = `${url}/api/fdx/v6`;
  return {
    url,
    base,
    key,
    jwks,
    database,
    rateCounter,
    token: (o) => signToken(key, o),
    get: async (path, token, headers = {}) => {
      const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token ?? (await signToken(key))}` };
      return fetch(path.startsWith('http') ? path : `${base}${path}`, { headers: { ...auth, ...headers } });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await jwks.close();
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
