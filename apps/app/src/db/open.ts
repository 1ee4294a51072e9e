import { join } from 'node:path';
import { migrate, openDatabase, type Logger } from '@apps/shared';
import type { AppConfig } from '../config.js';
import { migrations } from './migrations.js';
import type { AppDatabase, AppSchema } from './schema.js';

/** Opens the app's session database (SQLite file under DATA_DIR, or DATABASE_URL) and migrates it. */
export async function openAppDatabase(config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>, logger?: Logger): Promise<AppDatabase> {
  const database = openDatabase<AppSchema>({ databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'app.sqlite') }, logger);
  try {
    await migrate(database.db, migrations);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}
