import { createLogger, type CliProgram } from '@apps/shared';
import { loadAuthConfig } from '../config.js';
import { openAuthDatabase } from '../db/open.js';
import { customers } from './customers.js';
import { auditNoun } from './audit.js';
import { clientsNoun } from './clients.js';
import type { OperatorDeps } from './deps.js';
import { grantsNoun } from './grants.js';
import { consentsNoun } from './consents.js';
import { keysNoun } from './keys.js';

/**
 * The OP's half of `pnpm kit` (customers, clients, grants, consents, audit, keys). It opens the same
 * database a running instance uses, so every change takes effect without a restart.
 * Each noun lives in its own module beside this one.
 */
export const program: CliProgram<OperatorDeps> = {
  name: 'pnpm kit',
  nouns: {
    customers,
    clients: clientsNoun,
    grants: grantsNoun,
    consents: consentsNoun,
    audit: auditNoun,
    keys: keysNoun,
  },
  async open() {
    const config = loadAuthConfig(process.env);
    const logger = createLogger({ name: 'kit', level: process.env.KIT_LOG_LEVEL ?? 'warn' });
    const database = await openAuthDatabase(config, logger);
    return { config, logger, database, close: () => database.close() };
  },
};
