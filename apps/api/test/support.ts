import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, listen, type Database, type RateCounter } from '@apps/shared';
import { AUDIENCE, ISSUER, newKey, signToken, startJwks, type JwksServer, type SigningKey, type TokenOptions } from '@kit/harness/jwks';
import { loadApiConfig, type ApiConfig } from '../src/config.js';
import type { ApiSchema } from '../src/db/schema.js';
import { startServer } from '../src/server.js';

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
