import type { Database, Logger } from '@apps/shared';
import type { ApiConfig } from '../config.js';
import type { ApiSchema } from '../db/schema.js';

/** What every operator command of the API gets: its validated config and its open database. */
export interface OperatorDeps {
  config: ApiConfig;
  logger: Logger;
  database: Database<ApiSchema>;
}
