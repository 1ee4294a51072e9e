import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@apps/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpConsents, type OpConsentsStandIn } from '@kit/harness/op-consents';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { loadApiConfig } from '../src/config.js';
import { EMPTY_STORE_WARNING, startServer } from '../src/server.js';
import { MemoryDataSource } from '../src/memory/memory-data-source.js';

/** What a production deployment sets (docker-compose.prod.example.yml), with nothing about seeding. */
const PRODUCTION = {
  NODE_ENV: 'production',
  API_URL: 'https://api.bank.example',
  OP_ISSUER: 'https://id.bank.example',
  CURSOR_SECRET: 'a-production-cursor-secret-of-enough-length-0123456789',
  INTERNAL_SECRET: 'a-production-internal-secret-of-enough-length-0123456789',
  LOG_LEVEL: 'info',
};

describe('SEED_ON_START', () => {
  it('defaults to off in production and on elsewhere', () => {
    expect(loadApiConfig(PRODUCTION).seedOnStart).toBe(false);
    expect(loadApiConfig({ NODE_ENV: 'development' }).seedOnStart).toBe(true);
    expect(loadApiConfig({ NODE_ENV: 'test' }).seedOnStart).toBe(true);
    expect(loadApiConfig({}).seedOnStart).toBe(true);
  });

  it('is honoured when set either way', () => {
    expect(loadApiConfig({ ...PRODUCTION, SEED_ON_START: 'true' }).seedOnStart).toBe(true);
    expect(loadApiConfig({ NODE_ENV: 'development', SEED_ON_START: 'false' }).seedOnStart).toBe(false);
    expect(() => loadApiConfig({ SEED_ON_START: 'maybe' })).toThrow(/SEED_ON_START/);
  });
});

interface Started {
  warnings: string[];
  customers: number;
}

describe.each([
  ['SQLite', false],
  ['PostgreSQL', true],
])('starting in production (%s)', (_engine, postgres) => {
  let temp: TempDatabase | undefined;
  let dir: string;
  let op: OpConsentsStandIn;
  beforeAll(async () => {
    temp = postgres ? await createTempDatabase('api_prod') : undefined;
    dir = mkdtempSync(join(tmpdir(), 'api-prod-'));
    op = await startOpConsents({ secret: PRODUCTION.INTERNAL_SECRET });
  });
  afterAll(async () => {
    await op.close();
    await temp?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts and stops the API as main.ts does, returning its warnings and how many customers its store then holds. */
  async function start(env: Record<string, string> = {}, dataSource?: MemoryDataSource): Promise<Started> {
    const lines: string[] = [];
    const config = loadApiConfig({ ...PRODUCTION, OP_INTERNAL_URL: op.url, DATA_DIR: dir, ...(temp ? { DATABASE_URL: temp.url } : {}), ...env });
    const logger = createLogger({ name: 'api', level: 'info' }, { write: (line: string) => void lines.push(line) });
    const service = await startServer(config, logger, { dataSource });
    try {
      const customers = await service.database.db.selectFrom('customer').select('id').execute();
      const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40).map((l) => l.msg);
      return { warnings, customers: customers.length };
    } finally {
      await service.close();
    }
  }

  it('seeds no demo data and warns once, naming the commands that fill the store', async () => {
    const { warnings, customers } = await start();
    expect(customers).toBe(0);
    expect(warnings).toEqual([EMPTY_STORE_WARNING]);
    expect(EMPTY_STORE_WARNING).toContain('pnpm kit data import');
    expect(EMPTY_STORE_WARNING).toContain('pnpm seed');
  });

  it("does not warn about the SQL store when the bank's own data source serves the data", async () => {
    const { warnings } = await start({}, new MemoryDataSource([], { institutionName: 'Bank' }));
    expect(warnings).toEqual([]);
  });

  it('seeds the demo data only when SEED_ON_START=true says so, and then does not warn', async () => {
    const seeded = await start({ SEED_ON_START: 'true' });
    expect(seeded.customers).toBeGreaterThan(0);
    expect(seeded.warnings).toEqual([]);
    const again = await start();
    expect(again.warnings).toEqual([]);
  });
});
