import { createLogger, type CliProgram } from '@apps/shared';
import { loadAuthConfig } from '../config.js';
import { openAuthDatabase } from '../db/open.js';
import { customers } from './customers.js';
import type { OperatorDeps } from './deps.js';

/**
 * The OP's half of `pnpm kit` (customers, clients, grants, audit, keys). It opens the same
 * database a running instance uses, so every change takes effect without a restart.
 * Each noun lives in its own module beside this one.
 */
export const program: CliProgram<OperatorDeps> = {
  name: 'pnpm kit',
  nouns: { customers },
  async open() {
    const config = loadAuthConfig(process.env);
    const logger = createLogger({ name: 'kit', level: process.env.KIT_LOG_LEVEL ?? 'warn' });
    const database = await openAuthDatabase(config, logger);
    return { config, logger, database, close: () => database.close() };
  },
};
