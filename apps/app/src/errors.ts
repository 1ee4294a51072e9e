import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, httpStatusOf, requestLog, type Logger } from '@apps/shared';

/** Discovery has not succeeded yet: pages say so instead of failing obscurely. */
export class IdentityProviderUnavailableError extends AppError {
  constructor() {
    super(503, 'op_unreachable', 'The identity provider is unreachable right now. The app keeps retrying; try again in a moment.', {
      expose: true,
    });
  }
}

/** The OP answered the login with an error, or the response failed a check (state, nonce, PKCE). */
export class LoginFailedError extends AppError {
  readonly oauthError: string;

  constructor(oauthError: string, message: string, status = 400) {
    super(status, 'login_failed', message, { expose: true });
    this.oauthError = oauthError;
  }
}

/** The OP no longer honours the refresh token (revoked, expired): the user has to log in again. */
export class SessionEndedError extends AppError {
  constructor() {
    super(401, 'session_ended', 'Your session at the identity provider has ended. Please log in again.');
  }
}

export class LoginRequiredError extends AppError {
  constructor() {
    super(401, 'login_required', 'Log in to use this page.');
  }
}

/** A dependency (the FDX API, or the OP during a refresh) did not answer at all. */
export class UpstreamUnavailableError extends AppError {
  constructor(what: string, cause: unknown) {
    super(502, 'upstream_unavailable', `${what} could not be reached${reasonOf(cause)}. Try again in a moment.`, { expose: true, cause });
  }
}

function reasonOf(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  if (code) return ` (${code})`;
  if (err instanceof Error && err.name === 'TimeoutError') return ' (timed out)';
  return cause instanceof Error && cause !== err ? ` (${cause.message})` : '';
}

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
