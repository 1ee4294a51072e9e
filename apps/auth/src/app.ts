import type { Logger } from '@apps/shared';
import type { Express } from 'express';
import type Provider from 'oidc-provider';
import { seedDemoUsers } from './accounts/seed.js';
import { UserRepository } from './accounts/users.js';
import { startSweeper } from './adapter/sweeper.js';
import { AuditLog } from './audit/audit.js';
import type { AuthConfig } from './config.js';
import { openAuthDatabase } from './db/open.js';
import { devSigningKeys } from './keys/dev_keys.js';
import { wireProviderEvents } from './provider/events.js';
import { createProvider } from './provider/provider.js';
import { createTokenRateCounter } from './security/token_rate_limit.js';
import { createServer } from './server.js';

export interface AuthApp {
  app: Express;
  provider: Provider;
  /** Stops background work and closes the database. */
  close(): Promise<void>;
}

/** Opens the database (migrating it), loads keys and users, and builds the app. */
export async function startAuth(config: AuthConfig, logger: Logger, options: { memoryAdapter?: boolean } = {}): Promise<AuthApp> {
  const database = await openAuthDatabase(config, logger);
  try {
    const users = new UserRepository(database.db);
    if (config.seedDemoUsers) await seedDemoUsers(users, logger);
    const keys = config.jwks ?? (await devSigningKeys(database.db, config.accessTokenSigningAlg));
    if (!config.jwks) logger.warn('using development signing keys stored in the database (set JWKS in production)');
    const audit = new AuditLog(database.db, logger);
    for (const client of config.clients) {
      if (!client.require_pkce) {
        void audit.record({ type: 'client.pkce_optional', clientId: client.client_id, detail: { reason: 'configured require_pkce: false' } });
      }
    }
    const provider = createProvider(config, { db: database.db, users, keys, logger, memoryAdapter: options.memoryAdapter });
    wireProviderEvents(provider, audit, logger);
    const tokenCounter = createTokenRateCounter(config, database.db, logger);
    const app = createServer(config, { logger, database, provider, users, audit, tokenCounter });
    const stopSweeper = startSweeper(database.db, logger, config.sweepIntervalSeconds * 1000);
    return {
      app,
      provider,
      close: async () => {
        stopSweeper();
        // Hits counted since the last flush still count for the other instances; queued audit events are written.
        await tokenCounter.close();
        await audit.flush();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
