import type { Logger } from '@apps/shared';
import type { AuthConfig } from '../config.js';
import type { AuthDatabase } from '../db/schema.js';

/** What every operator command of the OP gets: its validated config and its open database. */
export interface OperatorDeps {
  config: AuthConfig;
  logger: Logger;
  database: AuthDatabase;
}
