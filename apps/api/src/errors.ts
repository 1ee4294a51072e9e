import { AppError } from '@apps/shared';

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

export const routeNotFound = () =>
  new FdxError(404, 404, 'Not found', { debugMessage: 'No such resource' });

export const subsystemUnavailable = (cause?: unknown) =>
  new FdxError(503, FdxCode.subsystemUnavailable, 'Subsystem unavailable', {
    debugMessage: 'A required subsystem is unavailable; retry later',
    headers: { 'Retry-After': '5' },
    cause,
  });

/** FDX defines no code for throttling; the code repeats the HTTP status, as for an unknown route. */
export const tooManyRequests = (retryAfterSeconds: number) =>
  new FdxError(429, 429, 'Too many requests', {
    debugMessage: 'The request rate limit was exceeded; retry after the time in Retry-After',
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

export const internalError = () =>
  new FdxError(500, FdxCode.internalError, 'Internal server error');
