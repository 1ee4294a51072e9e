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
