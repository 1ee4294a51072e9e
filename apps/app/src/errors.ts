import { AppError } from '@apps/shared';

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
