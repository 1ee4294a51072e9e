import { Router } from 'express';
import { requireToken } from '../auth/bearer.js';
import type { TokenVerifier } from '../auth/verifier.js';
import type { Repository } from '../data/repository.js';
import type { rateLimit } from '../rate-limit.js';
import { accountsRouter } from './accounts.js';
import type { FdxContext } from './context.js';
import { customersRouter } from './customers.js';
import { statementsRouter } from './statements.js';
import { transactionsRouter } from './transactions.js';

export const FDX_BASE_PATH = '/api/fdx/v6';

export interface FdxRouterOptions extends FdxContext {
  repository: Repository;
  verify: TokenVerifier;
  resourceMetadataUrl: string;
  /** Counted after the token is checked, so the client is known (absent: no limit). */
  rateLimit?: ReturnType<typeof rateLimit>;
}

/** Every FDX route: token first, then a repository scoped to the token's customer. */
export function fdxRouter(options: FdxRouterOptions): Router {
  const router = Router();
  router.use(requireToken({ verify: options.verify, resourceMetadataUrl: options.resourceMetadataUrl }));
  if (options.rateLimit) router.use(options.rateLimit.afterToken, options.rateLimit.afterTokenError);
  router.use((_req, res, next) => {
    res.locals.customer = options.repository.forCustomer((res.locals as { token: { sub: string } }).token.sub);
    next();
  });
  router.use(customersRouter());
  router.use(accountsRouter(options, options.resourceMetadataUrl));
  router.use(transactionsRouter(options, options.resourceMetadataUrl));
  router.use(statementsRouter(options, options.resourceMetadataUrl));
  return router;
}
