import { AppError, isDatabaseUnavailable, requestLog, type Logger } from '@apps/shared';
import type { ErrorRequestHandler } from 'express';
import { errors } from 'oidc-provider';
import { renderView } from './views.js';

/** A login form's CSRF token was missing, stale or forged, or the form does not fit the interaction. */
export class CsrfError extends AppError {
  constructor() {
    super(403, 'csrf', 'invalid CSRF token');
  }
}

/** Too many login attempts from one IP or for one account in the window. */
export class RateLimited extends AppError {
  constructor(readonly retryAfter: number) {
    super(429, 'rate_limited', 'rate limited');
  }
}

/** Too many failed passwords for one account: it is locked for the rest of the window. */
export class AccountLocked extends AppError {
  constructor(readonly retryAfter: number) {
    super(429, 'account_locked', 'account locked');
  }
}

/** A customer with this id or email is already in the local store. */
export class CustomerExists extends AppError {
  constructor(readonly field: 'id' | 'email') {
    super(409, 'customer_exists', `a customer with this ${field} already exists`);
  }
}

/** Why a sign-in at the upstream IdP did not produce a customer; `message` is safe to show. */
export type UpstreamFailure = 'unavailable' | 'denied' | 'bad_state' | 'rejected' | 'claim_missing';

const UPSTREAM_MESSAGES: Record<UpstreamFailure, { status: number; message: string }> = {
  unavailable: { status: 503, message: "Your bank's sign-in service cannot be reached right now. Please try again in a few minutes." },
  denied: { status: 403, message: "The sign-in at your bank was cancelled or refused, so the application was not given access." },
  bad_state: { status: 400, message: 'This sign-in has expired or was not started in this browser. Go back to the application and start again.' },
  rejected: { status: 502, message: "Your bank's sign-in answer could not be verified. Go back to the application and start again." },
  claim_missing: { status: 502, message: "Your bank's sign-in did not say which customer you are, so you cannot be signed in here." },
};

/** A sign-in at the upstream IdP failed; carries no token, code or upstream text. */
export class UpstreamLoginError extends AppError {
  constructor(
    readonly failure: UpstreamFailure,
    /** For the log: the upstream error code or the library's error code, never a token. */
    readonly reason?: string,
  ) {
    super(UPSTREAM_MESSAGES[failure].status, `upstream_${failure}`, UPSTREAM_MESSAGES[failure].message);
  }
}

/**
 * The OP's answer when its storage is unreachable: an OAuth error with status 503
 * that oidc-provider renders like any other (JSON for endpoints, error page for browsers).
 */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(cause?: unknown) {
    super(503, 'temporarily_unavailable', { cause: cause instanceof Error ? cause : undefined });
    this.error_description = 'the authorization server is temporarily unavailable, try again later';
    this.expose = true;
  }
}

interface OAuthErrorBody {
  status: number;
  error: string;
  description: string;
}

/** Maps anything thrown outside oidc-provider's own handler to an OAuth error; never leaks internals. */
function toOAuthError(err: unknown): OAuthErrorBody {
  if (isDatabaseUnavailable(err) || (err instanceof errors.OIDCProviderError && err.status === 503)) {
    return { status: 503, error: 'temporarily_unavailable', description: 'the authorization server is temporarily unavailable, try again later' };
  }
  if (err instanceof errors.SessionNotFound) {
    return { status: 400, error: 'invalid_request', description: 'your sign-in session has expired or was not started here; go back to the application and try again' };
  }
  if (err instanceof errors.OIDCProviderError && err.expose) {
    return { status: err.status, error: err.error, description: err.error_description ?? err.error };
  }
  if (err instanceof CsrfError) {
    return { status: 403, error: 'invalid_request', description: 'the form was stale or did not come from this site; reload the page and try again' };
  }
  const status = (err as { status?: unknown } | undefined)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, error: 'invalid_request', description: 'the request could not be processed' };
  }
  return { status: 500, error: 'server_error', description: 'an unexpected error occurred' };
}

/** The one Express error middleware (four parameters, or Express would not treat it as one). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return async (err: unknown, req, res, _next) => {
    const out = toOAuthError(err);
    const log = requestLog(req, logger);
    if (out.status >= 500) log.error({ err: { name: (err as Error)?.name, message: (err as Error)?.message, stack: (err as Error)?.stack } }, 'request failed');
    if (res.headersSent) return;
    res.status(out.status).set('Cache-Control', 'no-store');
    if (out.status === 503) res.set('Retry-After', '5');
    if (req.accepts(['json', 'html']) === 'html' && (req.path.startsWith('/interaction/') || req.path.startsWith('/account/'))) {
      res.type('html').send(await renderView('error', { error: out.error, description: out.description }));
      return;
    }
    res.json({ error: out.error, error_description: out.description });
  };
}
