import { join } from 'node:path';
import { openMigrated, type DatabaseConfig, type Logger } from '@apps/shared';
import type { AuthConfig } from '../config.js';
import { hashStoredSecrets } from './hash-stored-secrets.js';
import { migrations } from './migrations.js';
import type { AuthDatabase, AuthSchema } from './schema.js';
import { SecretIds } from './secret-ids.js';

/** Where the OP's data lives: PostgreSQL when DATABASE_URL is set, else `auth.sqlite` under DATA_DIR. */
export function authDatabaseConfig(config: Pick<AuthConfig, 'databaseUrl' | 'dataDir'>): DatabaseConfig {
  return { databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'auth.sqlite') };
}

/**
 * Opens the OP's database (SQLite under DATA_DIR, or PostgreSQL) and brings its schema up to date.
 * With the token hash key (the service and the CLI pass their config), rows of secret-keyed models
 * still stored under their raw id (before 0009, or by an instance of an older release) are re-keyed.
 */
export async function openAuthDatabase(
  config: Pick<AuthConfig, 'databaseUrl' | 'dataDir'> & Partial<Pick<AuthConfig, 'tokenHashKey'>>,
  logger?: Logger,
): Promise<AuthDatabase> {
  const database = await openMigrated<AuthSchema>(authDatabaseConfig(config), migrations, logger);
  if (config.tokenHashKey === undefined) return database;
  try {
    const converted = await hashStoredSecrets(database.db, new SecretIds(config.tokenHashKey));
    if (converted > 0) logger?.info({ converted }, 'stored tokens and sessions re-keyed under TOKEN_HASH_KEY');
    return database;
  } catch (err) {
    await database.close();
    throw err;
  }
}
