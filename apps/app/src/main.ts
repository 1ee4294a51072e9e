import { join } from 'node:path';
import { configOrExit, createLogger, loadDotEnv, migrate, openDatabase, serve } from '@apps/shared';
import { loadAppConfig } from './config.js';
import { OidcClient } from './oidc/discovery.js';
import { createServer } from './server.js';
import { migrations, type AppDatabase } from './session/migrations.js';

loadDotEnv('.env');
const config = configOrExit(() => loadAppConfig(process.env));
const logger = createLogger({ name: 'app', level: config.logLevel });
const database = openDatabase<AppDatabase>({ databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'app.sqlite') }, logger);
await migrate(database.db, migrations);
const oidc = new OidcClient(config, logger, { maxDelayMs: config.discoveryRetryMaxMs }).start();
const app = createServer(config, { logger, database, oidc });
await serve(app, {
  host: config.host,
  port: config.port,
  logger,
  onClose: async () => {
    oidc.stop();
    await database.close();
  },
});
