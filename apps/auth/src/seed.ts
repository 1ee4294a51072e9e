import { configOrExit, createLogger, loadDotEnv } from '@apps/shared';
import { seedDemoUsers } from './demo/demo-users.js';
import { CustomerStore } from './customers/store.js';
import { loadAuthConfig } from './config.js';
import { openAuthDatabase } from './db/open.js';

// `pnpm --filter @apps/auth seed`: migrate and create the demo users if missing (idempotent).
loadDotEnv('.env');
const config = configOrExit(() => loadAuthConfig(process.env));
const logger = createLogger({ name: 'auth-seed', level: config.logLevel });
if (config.nodeEnv === 'production') {
  logger.error('demo users are never seeded in production; add customers with `pnpm kit customers add` or `import`');
  process.exit(2);
}
const database = await openAuthDatabase(config, logger);
try {
  await seedDemoUsers(new CustomerStore(database.db), logger);
} finally {
  await database.close();
}
