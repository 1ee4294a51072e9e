import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '@apps/shared';
import { createTempDatabase } from '@kit/harness/postgres';
import { openApiDatabase } from '../../src/db/open.js';
import type { ApiSchema } from '../../src/db/schema.js';

export const ENGINES = ['sqlite', 'postgres'] as const;
export type EngineName = (typeof ENGINES)[number];

/** A fresh, migrated API store on either engine, and the env a child CLI needs to reach the same one. */
export interface TestStore {
  database: Database<ApiSchema>;
  env: Record<string, string>;
  count(table: keyof ApiSchema): Promise<number>;
  close(): Promise<void>;
}

export async function openTestStore(engine: EngineName): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'api-import-'));
  const temp = engine === 'postgres' ? await createTempDatabase('api_import') : undefined;
  const database = await openApiDatabase({ dataDir, databaseUrl: temp?.url });
  return {
    database,
    env: { DATA_DIR: dataDir, ...(temp ? { DATABASE_URL: temp.url } : {}) },
    async count(table) {
      const row = await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async close() {
      await database.close();
      await temp?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Writes NDJSON lines (objects or raw text) to a new temp file; returns its path. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'api-import-files-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
