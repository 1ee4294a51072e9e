import { configOrExit, createLogger, loadDotEnv, serve } from '@apps/shared';
import { loadApiConfig } from './config.js';
import { openApiDatabase } from './db/open.js';
import { createRateCounter } from './db/rate-counter.js';
import { seedIfEmpty } from './demo/load.js';
import { createServer } from './server.js';

loadDotEnv('.env');
const config = configOrExit(() => loadApiConfig(process.env));
const logger = createLogger({ name: 'api', level: config.logLevel });
const database = await openApiDatabase(config, logger);
if (config.seedOnStart) {
  const seeded = await seedIfEmpty(database.db);
  if (seeded) logger.info(seeded, 'empty database: seeded demo customers');
}
const rateCounter = createRateCounter(config, database, logger);
const app = createServer(config, { logger, database, rateCounter });
const onClose = async () => {
  await rateCounter.close();
  await database.close();
};
await serve(app, { host: config.host, port: config.port, logger, onClose });
