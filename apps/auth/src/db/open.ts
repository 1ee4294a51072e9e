import { join } from 'node:path';
import { openMigrated, type DatabaseConfig, type Logger } from '@apps/shared';
import type { AuthConfig } from '../config.js';
import { migrations } from './migrations.js';
import type { AuthDatabase, AuthSchema } from './schema.js';

/** Where the OP's data lives: PostgreSQL when DATABASE_URL is set, else `auth.sqlite` under DATA_DIR. */
export function authDatabaseConfig(config: Pick<AuthConfig, 'databaseUrl' | 'dataDir'>): DatabaseConfig {
  return { databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'auth.sqlite') };
}

/** Opens the OP's database (SQLite under DATA_DIR, or PostgreSQL) and brings its schema up to date. */
export function openAuthDatabase(config: Pick<AuthConfig, 'databaseUrl' | 'dataDir'>, logger?: Logger): Promise<AuthDatabase> {
  return openMigrated<AuthSchema>(authDatabaseConfig(config), migrations, logger);
}
