import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempDatabase } from '@apps/shared/testing';

export interface TestStore {
  engine: 'sqlite' | 'postgres';
  env: { DATA_DIR: string; DATABASE_URL?: string };
  config: { dataDir: string; databaseUrl: string | undefined };
  cleanup(): Promise<void>;
}

/** A fresh, empty database for one suite: a temp SQLite dir or a temp PostgreSQL database. */
export async function createTestStore(engine: 'sqlite' | 'postgres'): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-test-'));
  if (engine === 'sqlite') {
    return {
      engine,
      env: { DATA_DIR: dataDir },
      config: { dataDir, databaseUrl: undefined },
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const temp = await createTempDatabase('auth_test');
  return {
    engine,
    env: { DATA_DIR: dataDir, DATABASE_URL: temp.url },
    config: { dataDir, databaseUrl: temp.url },
    cleanup: async () => {
      await temp.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const ENGINES = ['sqlite', 'postgres'] as const;
