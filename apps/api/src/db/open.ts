import { join } from 'node:path';
import { openMigrated, type Database, type Logger } from '@apps/shared';
import type { ApiConfig } from '../config.js';
import { migrations } from './migrations.js';
import type { ApiSchema } from './schema.js';

/** Opens the API's own database (SQLite file under DATA_DIR, or DATABASE_URL) and migrates it. */
export function openApiDatabase(config: Pick<ApiConfig, 'databaseUrl' | 'dataDir'>, logger?: Logger): Promise<Database<ApiSchema>> {
  return openMigrated<ApiSchema>({ databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'api.sqlite') }, migrations, logger);
}
