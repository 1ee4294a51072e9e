import { Router } from 'express';
import { requireToken, tokenOf } from '../auth/bearer.js';
import type { RejectionKind, TokenVerifier } from '../auth/verifier.js';
import type { OpClient } from '../consent/op-client.js';
import type { EndedConsents } from '../consent/revocations.js';
import { consentRoutes } from '../consent/routes.js';
import { customerDataFor } from '../consent/selected-accounts.js';
import type { FdxDataSource } from '../data-source.js';
import { accountRoutes } from './accounts.js';
import type { FdxContext } from './context.js';
import { customerRoutes } from './customers.js';
import type { rateLimit } from './rate-limit.js';
import { statementRoutes } from './statements.js';
import { transactionRoutes } from './transactions.js';

export const FDX_BASE_PATH = '/api/fdx/v6';

export interface FdxRouterOptions extends FdxContext {
  /** Every route reads through it, scoped to the token's customer. */
  dataSource: FdxDataSource;
  verify: TokenVerifier;
  /** Ended consents (the OP's feed): their tokens are refused. */
  ended: EndedConsents;
  /** The OP's internal consent endpoints, behind the FDX consent API. */
  op: OpClient;
  resourceMetadataUrl: string;
  /** Counted after the token is checked, so the client is known (absent: no limit). */
  rateLimit?: ReturnType<typeof rateLimit>;
  /** Told why a token was refused (the token-rejection metric). */
  onTokenRejected?: (kind: RejectionKind | 'missing') => void;
}

/** Every FDX route: token first, then the data source scoped to the token's customer and its consent's accounts. */
export function fdxRouter(options: FdxRouterOptions): Router {
  const router = Router();
  // The consent API authenticates on its own terms: a token of an ended consent may still read its own.
  router.use(
    '/consents',
    consentRoutes({ verify: options.verify, ended: options.ended, resourceMetadataUrl: options.resourceMetadataUrl, rateLimit: options.rateLimit, op: options.op }),
  );
  router.use(requireToken({ verify: options.verify, ended: options.ended, resourceMetadataUrl: options.resourceMetadataUrl, onReject: options.onTokenRejected }));
  if (options.rateLimit) router.use(options.rateLimit.afterToken, options.rateLimit.afterTokenError);
  router.use((_req, res, next) => {
    res.locals.customer = customerDataFor(options.dataSource, tokenOf(res));
    next();
  });
  // Each resource module adds its routes to this one router: a nested router per resource
  // would cost every request a router dispatch per module.
  customerRoutes(router);
  accountRoutes(router, options, options.resourceMetadataUrl);
  transactionRoutes(router, options, options.resourceMetadataUrl);
  statementRoutes(router, options, options.resourceMetadataUrl);
  return router;
}
