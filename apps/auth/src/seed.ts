import { configOrExit, createLogger, loadDotEnv } from '@apps/shared';
import { seedDemoUsers } from './demo/demo-users.js';
import { UserRepository } from './accounts/users.js';
import { loadAuthConfig } from './config.js';
import { openAuthDatabase } from './db/open.js';

// `pnpm --filter @apps/auth seed`: migrate and create the demo users if missing (idempotent).
loadDotEnv('.env');
const config = configOrExit(() => loadAuthConfig(process.env));
const logger = createLogger({ name: 'auth-seed', level: config.logLevel });
const database = await openAuthDatabase(config, logger);
try {
  await seedDemoUsers(new UserRepository(database.db), logger);
} finally {
  await database.close();
}
