import { RateCounter, type Database, type Logger, type RateCounterOptions } from '@apps/shared';
import type { ApiConfig } from '../config.js';
import type { ApiSchema } from './schema.js';

export { RateCounter };

/** The API's counter (table `rate_limit`) from its config, logging what fails in the background. */
export function createRateCounter(
  config: Pick<ApiConfig, 'rateLimit'>,
  database: Database<ApiSchema>,
  logger: Logger,
  overrides: Partial<RateCounterOptions> = {},
): RateCounter {
  return new RateCounter(database.db, {
    table: 'rate_limit',
    windowMs: config.rateLimit.windowMs,
    syncMs: config.rateLimit.syncMs,
    onError: (err, what) =>
      logger.warn({ err }, what === 'flush' ? 'could not add rate-limit hits to the shared counters; retrying' : 'could not delete expired rate-limit windows'),
    ...overrides,
  });
}
