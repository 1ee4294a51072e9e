import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, httpStatusOf, isDatabaseUnavailable, requestLog, type Logger } from '@apps/shared';
import { OpUnavailableError } from './consent/op-client.js';
import { DataSourceUnavailableError, UnsupportedOperationError } from './data-source.js';

/**
 * The FDX error model: one class, one JSON shape `{ code, message, debugMessage? }`.
 * `code` is the FDX code (a number that may differ from the HTTP status).
 */
export class FdxError extends AppError {
  readonly fdxCode: number;
  readonly debugMessage: string | undefined;
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    fdxCode: number,
    message: string,
    options: { debugMessage?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(status, String(fdxCode), message, { expose: true, cause: options.cause });
    this.fdxCode = fdxCode;
    this.debugMessage = options.debugMessage;
    this.headers = options.headers ?? {};
  }

  toJSON(): { code: number; message: string; debugMessage?: string } {
    return this.debugMessage === undefined
      ? { code: this.fdxCode, message: this.message }
      : { code: this.fdxCode, message: this.message, debugMessage: this.debugMessage };
  }
}

/** The FDX codes this API answers with, in one place. */
export const FdxCode = {
  internalError: 500,
  subsystemUnavailable: 501,
  customerNotAuthorized: 602,
  accountNotFound: 701,
  invalidInput: 703,
  accountClosed: 705,
  accountRestricted: 706,
  statementNotFound: 1107,
} as const;

export const badRequest = (debugMessage: string) =>
  new FdxError(400, FdxCode.invalidInput, 'Invalid input', { debugMessage });

export const invalidDateRange = (debugMessage: string) =>
  new FdxError(400, FdxCode.invalidInput, 'Invalid start or end date', { debugMessage });

export const accountNotFound = () =>
  new FdxError(404, FdxCode.accountNotFound, 'Account not found', { debugMessage: 'No such account for this customer' });

export const statementNotFound = () =>
  new FdxError(404, FdxCode.statementNotFound, 'Statement not found', { debugMessage: 'No such statement for this account' });

export const accountClosed = () =>
  new FdxError(409, FdxCode.accountClosed, 'Account is closed', { debugMessage: 'Operation is not supported by the closed account' });

export const accountRestricted = () =>
  new FdxError(403, FdxCode.accountRestricted, 'Access forbidden', { debugMessage: 'Account is locked' });

export const requestTooLarge = () =>
  new FdxError(413, FdxCode.invalidInput, 'Request too large', { debugMessage: 'The request body is too large' });

/** FDX's consent API names no code for an unknown consent; the code repeats the HTTP status, as for an unknown route. */
export const consentNotFound = () =>
  new FdxError(404, 404, 'Consent not found', { debugMessage: 'No such consent for this data recipient' });

export const routeNotFound = () =>
  new FdxError(404, 404, 'Not found', { debugMessage: 'No such resource' });

export const subsystemUnavailable = (cause?: unknown) =>
  new FdxError(503, FdxCode.subsystemUnavailable, 'Subsystem unavailable', {
    debugMessage: 'A required subsystem is unavailable; retry later',
    headers: { 'Retry-After': '5' },
    cause,
  });

/** FDX defines no code for an operation a provider does not offer; the code repeats the HTTP status. */
export const notImplemented = () =>
  new FdxError(501, 501, 'Not implemented', { debugMessage: 'This data provider does not offer this operation' });

/** FDX defines no code for throttling; the code repeats the HTTP status, as for an unknown route. */
export const tooManyRequests = (retryAfterSeconds: number) =>
  new FdxError(429, 429, 'Too many requests', {
    debugMessage: 'The request rate limit was exceeded; retry after the time in Retry-After',
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

export const internalError = () =>
  new FdxError(500, FdxCode.internalError, 'Internal server error');

export const notFound: RequestHandler = (_req, _res, next) => next(routeNotFound());

function toFdxError(err: unknown): FdxError {
  if (err instanceof FdxError) return err;
  if (err instanceof DataSourceUnavailableError || err instanceof OpUnavailableError || isDatabaseUnavailable(err)) return subsystemUnavailable(err);
  if (err instanceof UnsupportedOperationError) return notImplemented();
  const status = httpStatusOf(err);
  if (status === 413) return requestTooLarge();
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
    // Read by the request metrics (api_fdx_requests_total's fdx_code).
    res.locals.fdxCode = fdx.fdxCode;
    res.status(fdx.status).set(fdx.headers).set('Cache-Control', 'no-store').json(fdx.toJSON());
  };
}

/**
 * An import input that cannot be read at all (a missing path, a JSON file too large to read
 * whole, a file that is not a JSON array); bad records inside a readable file are reported
 * one by one instead. The CLI maps `missing` to exit code 3, `invalid` to 1.
 */
export class ImportInputError extends Error {
  constructor(
    message: string,
    readonly reason: 'missing' | 'invalid' = 'invalid',
  ) {
    super(message);
    this.name = 'ImportInputError';
  }
}
