import { Router, type ErrorRequestHandler } from 'express';
import { isDatabaseUnavailable, requestLog, type Logger } from '@apps/shared';
import { DataSourceUnavailableError, type FdxDataSource } from '../data-source.js';
import { pathParam } from '../fdx/context.js';
import { customerAccounts } from './accounts.js';
import { requireServiceSecret } from './service-auth.js';

export const INTERNAL_BASE_PATH = '/internal/v1';

export interface InternalRouterOptions {
  /** INTERNAL_SECRET, shared with the OP. */
  secret: string;
  dataSource: FdxDataSource;
  logger: Logger;
}

const MAX_ID_LENGTH = 256;

/** Contract errors, not FDX ones: the caller is the OP, which maps them to its own pages. */
function internalErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof DataSourceUnavailableError || isDatabaseUnavailable(err)) {
      requestLog(req, logger).warn({ err }, 'internal request: data source unavailable');
      res.status(503).json({ error: 'unavailable' });
      return;
    }
    requestLog(req, logger).error({ err }, 'internal request failed');
    res.status(500).json({ error: 'server_error' });
  };
}

/** The API's service-to-service routes (CONSENT-CONTRACT §4), for the OP only: INTERNAL_SECRET, JSON, no-store. */
export function internalRouter(options: InternalRouterOptions): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(requireServiceSecret(options.secret));
  router.get('/customers/:customerId/accounts', async (req, res) => {
    const customerId = pathParam(req, 'customerId');
    const accounts = customerId.length > MAX_ID_LENGTH ? [] : await customerAccounts(options.dataSource, customerId);
    res.json({ accounts });
  });
  router.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  router.use(internalErrors(options.logger));
  return router;
}
