import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempDatabase } from './postgres.js';

export type Engine = 'sqlite' | 'postgres';
export const ENGINES = ['sqlite', 'postgres'] as const;

/** Where a service keeps its data, as the environment every app reads (DATA_DIR, DATABASE_URL) and as config values. */
export interface TestStore {
  engine: Engine;
  env: { DATA_DIR: string; DATABASE_URL?: string };
  config: { dataDir: string; databaseUrl: string | undefined };
  cleanup(): Promise<void>;
}

/** A fresh, empty store for one suite or run: a temp data dir (SQLite) and, for PostgreSQL, a temp database. */
export async function createTestStore(engine: Engine, prefix = 'kit_test'): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix.replace(/_/g, '-')}-`));
  if (engine === 'sqlite') {
    return {
      engine,
      env: { DATA_DIR: dataDir },
      config: { dataDir, databaseUrl: undefined },
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const temp = await createTempDatabase(prefix);
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
