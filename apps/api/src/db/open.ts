import { join } from 'node:path';
import { migrate, openDatabase, type Database, type Logger } from '@apps/shared';
import type { ApiConfig } from '../config.js';
import { migrations } from './migrations.js';
import type { ApiSchema } from './schema.js';

/** Opens the API's own database (SQLite file under DATA_DIR, or DATABASE_URL) and migrates it. */
export async function openApiDatabase(config: Pick<ApiConfig, 'databaseUrl' | 'dataDir'>, logger?: Logger): Promise<Database<ApiSchema>> {
  const database = openDatabase<ApiSchema>({ databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'api.sqlite') }, logger);
  try {
    await migrate(database.db, migrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
