import { createLogger, type CliProgram } from '@apps/shared';
import { loadApiConfig } from '../config.js';
import { openApiDatabase } from '../db/open.js';
import { dataNoun } from './data.js';
import type { OperatorDeps } from './deps.js';
import { performanceNoun } from './performance.js';

/**
 * The API's half of `pnpm kit` (data, performance). It opens the same database a running instance
 * reads, so imported data is served without a restart. Each noun lives in its own module.
 */
export const program: CliProgram<OperatorDeps> = {
  name: 'pnpm kit',
  nouns: {
    data: dataNoun,
    performance: performanceNoun,
  },
  async open() {
    const config = loadApiConfig(process.env);
    const logger = createLogger({ name: 'kit', level: process.env.KIT_LOG_LEVEL ?? 'warn' });
    const database = await openApiDatabase(config, logger);
    return { config, logger, database, close: () => database.close() };
  },
};
