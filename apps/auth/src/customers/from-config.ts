import type { Logger } from '@apps/shared';
import type { Kysely } from 'kysely';
import type { AuthConfig } from '../config.js';
import type { AuthSchema } from '../db/schema.js';
import type { CustomerDirectory } from './directory.js';
import { LocalCustomerDirectory, type LockoutCheck } from './local/local-directory.js';
import { CustomerStore } from './store.js';
import { PendingLogins } from './upstream/pending-logins.js';
import { UpstreamCustomerDirectory } from './upstream/upstream-directory.js';

/** The path the upstream IdP redirects back to (register `<OP_ISSUER>` + this at the IdP). */
export const UPSTREAM_CALLBACK_PATH = '/interaction/upstream/callback';

/** The identity adapter the configuration selects: the upstream IdP when UPSTREAM_OIDC_* is set, else local passwords. */
export function customerDirectory(
  config: Pick<AuthConfig, 'upstream' | 'issuer' | 'ttl'>,
  db: Kysely<AuthSchema>,
  isLocked: LockoutCheck,
  logger: Logger,
): CustomerDirectory {
  const store = new CustomerStore(db);
  const local = new LocalCustomerDirectory(store, isLocked);
  if (!config.upstream) return local;
  const pending = new PendingLogins(db, config.ttl.interaction);
  return new UpstreamCustomerDirectory(config.upstream, `${config.issuer}${UPSTREAM_CALLBACK_PATH}`, local, store, pending, logger);
}
