import { join } from 'node:path';
import { openMigrated, type Logger } from '@apps/shared';
import type { AppConfig } from '../config.js';
import { migrations } from './migrations.js';
import type { AppDatabase, AppSchema } from './schema.js';

/** Opens the app's session database (SQLite file under DATA_DIR, or DATABASE_URL) and migrates it. */
export function openAppDatabase(config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>, logger?: Logger): Promise<AppDatabase> {
  return openMigrated<AppSchema>({ databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'app.sqlite') }, migrations, logger);
}
