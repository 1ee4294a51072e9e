import type { ErrorRequestHandler, RequestHandler } from 'express';
import { httpStatusOf, isDatabaseUnavailable, requestLog, type Logger } from '@apps/shared';
import { FdxError, badRequest, internalError, routeNotFound, subsystemUnavailable } from './errors.js';

export const notFound: RequestHandler = (_req, _res, next) => next(routeNotFound());

function toFdxError(err: unknown): FdxError {
  if (err instanceof FdxError) return err;
  if (isDatabaseUnavailable(err)) return subsystemUnavailable(err);
  const status = httpStatusOf(err);
  if (status === 413) return new FdxError(413, 703, 'Request too large', { debugMessage: 'The request body is too large' });
  if (status !== undefined && status < 500) return badRequest('The request could not be understood');
  return internalError();
}

/**
 * The one translation of errors to the wire: an FDX error object with its status, never a
 * stack trace or an internal message. Express only treats 4-parameter functions as error handlers.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const fdx = toFdxError(err);
    const log = requestLog(req, logger);
    if (fdx.status >= 500) log.error({ err, fdxCode: fdx.fdxCode }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(fdx.status).set(fdx.headers).set('Cache-Control', 'no-store').json(fdx.toJSON());
  };
}
