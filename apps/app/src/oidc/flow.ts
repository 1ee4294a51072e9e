import * as client from 'openid-client';
import type { AppConfig } from '../config.js';
import { LoginFailedError, SessionEndedError, UpstreamUnavailableError } from '../errors.js';
import type { PendingLogin, TokenSet } from '../session/types.js';

/** Authorization request: code flow with PKCE S256, state, nonce and the API as resource indicator. */
export async function startLogin(
  op: client.Configuration,
  config: AppConfig,
  returnTo: string,
): Promise<{ url: URL; pending: PendingLogin }> {
  const pending: PendingLogin = {
    state: client.randomState(),
    nonce: client.randomNonce(),
    codeVerifier: client.randomPKCECodeVerifier(),
    returnTo,
  };
  const parameters = {
    redirect_uri: config.redirectUri,
    scope: config.scopes,
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
    resource: config.apiAudience,
    // No prompt by default, so the OP reuses a remembered grant; our OP issues dev-rp's refresh
    // token through force_refresh_token. LOGIN_PROMPT=consent for OPs that need it for offline_access.
    ...(config.loginPrompt ? { prompt: config.loginPrompt } : {}),
  };
  const url = usesPar(op, config) ? await pushedAuthorizationUrl(op, parameters) : client.buildAuthorizationUrl(op, parameters);
  return { url, pending };
}

function usesPar(op: client.Configuration, config: AppConfig): boolean {
  if (config.usePar === 'auto') return op.serverMetadata().require_pushed_authorization_requests === true;
  return config.usePar === 'true';
}

/** RFC 9126: the parameters go to the OP's PAR endpoint (client authenticated); the browser only carries request_uri. */
async function pushedAuthorizationUrl(op: client.Configuration, parameters: Record<string, string>): Promise<URL> {
  try {
    return await client.buildAuthorizationUrlWithPAR(op, parameters);
  } catch (err) {
    if (err instanceof client.ResponseBodyError) throw new LoginFailedError(err.error, `The identity provider refused the login request (${err.error}).`, 502);
    throw new UpstreamUnavailableError("The identity provider's pushed authorization endpoint", err);
  }
}

const CALLBACK_MESSAGES: Record<string, string> = {
  access_denied: 'The identity provider refused the authorization: this account may not share its data with this app, or the consent was cancelled.',
  login_required: 'You need to log in at the identity provider first.',
  consent_required: 'Consent is needed before the app can access your data.',
  invalid_scope: 'The app asked for a scope the identity provider does not allow.',
  invalid_request: 'The identity provider rejected the login request.',
  invalid_grant: 'The authorization code was already used or has expired. Please log in again.',
  server_error: 'The identity provider had an internal problem. Please try again.',
  temporarily_unavailable: 'The identity provider is temporarily unavailable. Please try again.',
};

/** Code exchange (with the same resource), checking state, nonce and the PKCE verifier. */
export async function completeLogin(
  op: client.Configuration,
  config: AppConfig,
  callbackQuery: string,
  pending: PendingLogin,
): Promise<TokenSet> {
  const currentUrl = new URL(config.redirectUri);
  currentUrl.search = callbackQuery;
  // Checked here first (openid-client checks again) so the user gets the precise reason.
  if (currentUrl.searchParams.get('state') !== pending.state) {
    throw new LoginFailedError(
      'state_mismatch',
      'This login response does not belong to the login started in this browser (state mismatch). Please start again.',
    );
  }
  try {
    const tokens = await client.authorizationCodeGrant(
      op,
      currentUrl,
      { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true },
      { resource: config.apiAudience },
    );
    return toTokenSet(tokens);
  } catch (err) {
    throw loginError(err);
  }
}

function loginError(err: unknown): LoginFailedError {
  if (err instanceof client.AuthorizationResponseError || err instanceof client.ResponseBodyError) {
    const known = CALLBACK_MESSAGES[err.error];
    const detail = err.error_description ? ` (${err.error_description})` : '';
    return new LoginFailedError(err.error, `${known ?? `The identity provider answered "${err.error}".`}${detail}`);
  }
  return new LoginFailedError('invalid_response', 'The login response could not be verified. Please start again.', 502);
}

/** Refresh with the resource indicator so the new access token is still a JWT for the API. */
export async function refresh(op: client.Configuration, config: AppConfig, current: TokenSet): Promise<TokenSet> {
  if (!current.refreshToken) throw new SessionEndedError();
  try {
    const tokens = await client.refreshTokenGrant(op, current.refreshToken, { resource: config.apiAudience });
    const next = toTokenSet(tokens, current);
    return { ...next, obtainedAt: current.obtainedAt, refreshedAt: Math.floor(Date.now() / 1000) };
  } catch (err) {
    if (err instanceof client.ResponseBodyError && (err.error === 'invalid_grant' || err.error === 'invalid_client')) {
      throw new SessionEndedError();
    }
    if (err instanceof client.ResponseBodyError) throw err;
    throw new UpstreamUnavailableError('The identity provider', err);
  }
}

export function endSessionUrl(op: client.Configuration, config: AppConfig, idToken: string | undefined): URL | undefined {
  if (!op.serverMetadata().end_session_endpoint) return undefined;
  const params: Record<string, string> = { post_logout_redirect_uri: config.postLogoutRedirectUri, client_id: config.clientId };
  if (idToken) params.id_token_hint = idToken;
  return client.buildEndSessionUrl(op, params);
}

export async function userInfo(op: client.Configuration, tokens: TokenSet): Promise<Record<string, unknown>> {
  const sub = typeof tokens.idTokenClaims.sub === 'string' ? tokens.idTokenClaims.sub : client.skipSubjectCheck;
  return (await client.fetchUserInfo(op, tokens.accessToken, sub));
}

function toTokenSet(tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, previous?: TokenSet): TokenSet {
  const now = Math.floor(Date.now() / 1000);
  const claims = tokens.claims();
  const idToken = tokens.id_token ?? previous?.idToken;
  if (!idToken) throw new LoginFailedError('invalid_response', 'The identity provider returned no ID token.', 502);
  return {
    accessToken: tokens.access_token,
    idToken,
    refreshToken: tokens.refresh_token ?? previous?.refreshToken,
    tokenType: tokens.token_type,
    accessTokenExpiresAt: typeof tokens.expires_in === 'number' ? now + tokens.expires_in : undefined,
    scope: tokens.scope ?? previous?.scope,
    idTokenClaims: claims ? { ...claims } : (previous?.idTokenClaims ?? {}),
    obtainedAt: now,
  };
}
