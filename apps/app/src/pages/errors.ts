import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, httpStatusOf, requestLog, type Logger } from '@apps/shared';
import { LoginFailedError, SessionEndedError } from '../errors.js';

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).render('error', { title: 'Not found', status: 404, message: 'There is no page at this address.' });
};

/** The one place errors become pages: readable messages, never a stack trace. */
export function errorPages(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof SessionEndedError) {
      res.redirect(303, '/?notice=session-ended');
      return;
    }
    const status = httpStatusOf(err) ?? 500;
    const exposed = err instanceof AppError ? err.expose : status < 500;
    const log = requestLog(req, logger);
    const summary = { name: err instanceof Error ? err.name : typeof err, message: err instanceof Error ? err.message : undefined };
    if (status >= 500) log.error({ err: summary }, 'request failed');
    else log.warn({ err: summary }, 'request rejected');
    if (res.headersSent) return;
    const requestId = res.getHeader('x-request-id');
    res.status(status).render('error', {
      title: err instanceof LoginFailedError ? 'Login failed' : status >= 500 ? 'Something went wrong' : 'Request not possible',
      status,
      oauthError: err instanceof LoginFailedError ? err.oauthError : undefined,
      message:
        exposed && err instanceof Error
          ? err.message
          : status < 500
            ? 'The request could not be processed.'
            : `The app could not complete this request. Reference: ${String(requestId ?? 'n/a')}.`,
      retryLogin: err instanceof LoginFailedError,
    });
  };
}
