import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, listen, type Database, type RateCounter } from '@apps/shared';
import { createTempDatabase } from '@kit/harness/postgres';
import { AUDIENCE, ISSUER, newKey, signToken, startJwks, type JwksServer, type SigningKey, type TokenOptions } from '@kit/harness/jwks';
import { startOpConsents, type OpConsentsStandIn } from '@kit/harness/op-consents';
import { loadApiConfig, type ApiConfig } from '../src/config.js';
import type { FdxDataSource } from '../src/data-source.js';
import { openApiDatabase } from '../src/db/open.js';
import type { ApiSchema } from '../src/db/schema.js';
import { SqlDataSource } from '../src/db/sql-data-source.js';
import { seed } from '../src/demo/load.js';
import { SEED_CUSTOMERS } from '../src/demo/seed-data.js';
import { MemoryDataSource, type MemoryAccount, type MemoryCustomer } from '../src/memory/memory-data-source.js';
import type { ConsentRevocations } from '../src/consent/revocations.js';
import type { ApiMetrics } from '../src/metrics.js';
import type { PerformanceRecorder } from '../src/performance/recorder.js';
import { startServer } from '../src/server.js';
import { CoreBankingDataSource } from './adapter-skeleton.js';
import { startFakeCore } from './fake-core.js';

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

/** INTERNAL_SECRET of the API under test and its OP stand-in. */
export const TEST_INTERNAL_SECRET = 'test-internal-secret-0123456789-abcdefghijklmnop';

export interface TestApi {
  url: string;
  base: string;
  key: SigningKey;
  jwks: JwksServer;
  database: Database<ApiSchema>;
  rateCounter: RateCounter;
  /** The OP's internal consent endpoints, played by a stand-in (@kit/harness/op-consents). */
  op: OpConsentsStandIn;
  revocations: ConsentRevocations;
  /** The /metrics listener's URL when the test set METRICS_PORT (0: a free port). */
  metricsUrl: string | undefined;
  /** The instance's metrics, read in-process (whether a listener runs or not). */
  metrics: ApiMetrics;
  /** This instance's performance-disclosure counts (flush() writes them now). */
  performance: PerformanceRecorder;
  token(options?: TokenOptions): Promise<string>;
  get(path: string, token?: string | null, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The data sources the route tests run against, all serving the demo data set: the SQL store
 * (seeded on start) on SQLite and on a throwaway PostgreSQL database, the in-memory adapter, and
 * the README's adapter skeleton calling a fake core system over HTTP. Route test files
 * `describe.each(SOURCES)`.
 */
export const SOURCES = ['sql', 'sql on PostgreSQL', 'memory', 'core adapter'] as const;
export type SourceName = (typeof SOURCES)[number];

/** Every record a source serves for these customers, read through the port itself. */
async function snapshot(source: FdxDataSource, customerIds: readonly string[]): Promise<MemoryCustomer[]> {
  const all = async <T>(read: (after: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>) => {
    const items: T[] = [];
    for (let after: string | undefined, more = true; more; ) {
      const page = await read(after);
      items.push(...page.items);
      after = page.next;
      more = after !== undefined;
    }
    return items;
  };
  const customers: MemoryCustomer[] = [];
  for (const customerId of customerIds) {
    const data = source.forCustomer(customerId);
    const accounts: MemoryAccount[] = [];
    for (const { id } of await all((after) => data.accounts({ after, limit: 500 }))) {
      const account = (await data.account(id))!;
      accounts.push({
        ...account,
        contact: await data.contact(account),
        transactions: await all((after) => data.transactions(account, { from: 0, to: Number.MAX_SAFE_INTEGER }, { after, limit: 500 })),
        statements: await all((after) => data.statements(account, { from: '0000-01-01', to: '9999-12-31' }, { after, limit: 500 })),
        paymentNetworks: await all((after) => data.paymentNetworks(account, { after, limit: 500 })),
        assetTransferNetworks: await all((after) => data.assetTransferNetworks(account, { after, limit: 500 })),
      });
    }
    customers.push({ id: customerId, accounts });
  }
  return customers;
}

let demoRecords: Promise<MemoryCustomer[]> | undefined;

/** The demo data set as plain records: seeded once per test file into a scratch SQLite file and read back. */
function demoData(): Promise<MemoryCustomer[]> {
  demoRecords ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-demo-'));
    const database = await openApiDatabase({ dataDir: dir, databaseUrl: undefined });
    try {
      await seed(database.db);
      return await snapshot(new SqlDataSource(database.db, { institutionName: 'unused' }), SEED_CUSTOMERS.map((c) => c.id));
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return demoRecords;
}

/** A source other than the SQL store, serving the demo data, and what to close with it. */
async function otherSource(name: 'memory' | 'core adapter', institutionName: string): Promise<{ dataSource: FdxDataSource; close(): Promise<void> }> {
  const memory = new MemoryDataSource(await demoData(), { institutionName });
  if (name === 'memory') return { dataSource: memory, close: async () => undefined };
  const core = await startFakeCore(memory);
  return { dataSource: new CoreBankingDataSource({ baseUrl: core.url, token: core.token }), close: () => core.close() };
}

/**
 * The API in-process on a random port with a real JWKS, over a seeded temp SQLite file (or
 * DATABASE_URL), or with `source` another data source serving the same demo data.
 */
export async function startApi(
  options: {
    databaseUrl?: string;
    seeded?: boolean;
    logLines?: string[];
    env?: Record<string, string>;
    source?: SourceName;
    /** A data source of the test's own (overrides `source`). */
    dataSource?: FdxDataSource;
    /** The OP stand-in to poll, shared by several instances (default: one of its own, closed with the API). */
    op?: OpConsentsStandIn;
    /** Return before the consent feed is first read (default: wait for it, as a load balancer waits for /ready). */
    unready?: boolean;
  } = {},
): Promise<TestApi> {
  const source = options.source ?? 'sql';
  const sql = source === 'sql' || source === 'sql on PostgreSQL';
  const temp = source === 'sql on PostgreSQL' && !options.databaseUrl ? await createTempDatabase('api_routes') : undefined;
  const databaseUrl = options.databaseUrl ?? temp?.url;
  const key = await newKey('key-1');
  const jwks = await startJwks([key.jwk]);
  const dir = mkdtempSync(join(tmpdir(), 'api-test-'));
  const op = options.op ?? (await startOpConsents({ secret: TEST_INTERNAL_SECRET }));
  const config = testConfig({
    JWKS_URI: jwks.url,
    OP_INTERNAL_URL: op.url,
    INTERNAL_SECRET: op.secret,
    DATA_DIR: dir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    SEED_ON_START: String(sql && !options.dataSource && options.seeded !== false),
    ...options.env,
  });
  const logger = options.logLines
    ? createLogger({ name: 'api', level: 'debug' }, { write: (line: string) => void options.logLines!.push(line) })
    : createLogger({ name: 'api', level: 'silent' });
  // As main.ts starts it: the counter batches per RATE_LIMIT_SYNC_MS and is flushed on close.
  const other = options.dataSource
    ? { dataSource: options.dataSource, close: async () => undefined }
    : sql
      ? undefined
      : await otherSource(source, config.institutionName);
  const service = await startServer(config, logger, { dataSource: other?.dataSource });
  const { database, rateCounter, revocations } = service;
  if (!options.unready) await revocations.whenLoaded();
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
    op,
    revocations,
    metricsUrl: service.metricsServer?.url,
    metrics: service.metrics,
    performance: service.performance,
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
      await other?.close();
      if (!options.op) await op.close();
      await temp?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
