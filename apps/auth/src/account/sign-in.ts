import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { CALLBACK_PATH, CONNECTED_APPS_CLIENT_ID, CONNECTIONS_PATH } from './built-in-client.js';

/** The pending sign-in (state and PKCE verifier), signed, only sent back to the callback. */
const PENDING_COOKIE = '_op_connections_signin';
const PENDING_MAX_AGE_MS = 10 * 60_000;

/** Why a return to the callback signed nobody in; each has its own page. */
export type SignInFailure = 'not_started' | 'refused' | 'failed';

export class SignInError extends Error {
  constructor(readonly failure: SignInFailure) {
    super(`sign-in to the connected-apps page: ${failure}`);
    this.name = 'SignInError';
  }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookiesOf(provider: Provider, req: IncomingMessage, res: ServerResponse) {
  const ctx = provider.createContext(req, res);
  return { cookies: ctx.cookies, secure: ctx.secure };
}

/**
 * The connected-apps page's sign-in: an authorization request of the OP's built-in client to the
 * OP itself (code flow, PKCE S256, `openid`), its state and verifier kept in a signed cookie scoped
 * to the page. Returns where to send the browser.
 */
export function startSignIn(provider: Provider, issuer: string, req: IncomingMessage, res: ServerResponse): string {
  const state = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const { cookies, secure } = cookiesOf(provider, req, res);
  cookies.set(PENDING_COOKIE, `${state}.${verifier}`, { signed: true, httpOnly: true, sameSite: 'lax', secure, path: CONNECTIONS_PATH, maxAge: PENDING_MAX_AGE_MS });
  const params = new URLSearchParams({
    client_id: CONNECTED_APPS_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${issuer}${CALLBACK_PATH}`,
    state,
    code_challenge: sha256(verifier),
    code_challenge_method: 'S256',
  });
  return `${issuer}/auth?${params.toString()}`;
}

/**
 * The return to the callback: the state must be this browser's pending one, and the code one the
 * OP issued to its built-in client for this request (redirect URI and PKCE verifier); it is used up
 * here, never exchanged for tokens. Returns the customer it was issued for; throws SignInError.
 */
export async function finishSignIn(provider: Provider, issuer: string, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<string> {
  const { cookies, secure } = cookiesOf(provider, req, res);
  const pending = cookies.get(PENDING_COOKIE, { signed: true });
  cookies.set(PENDING_COOKIE, null, { signed: true, httpOnly: true, sameSite: 'lax', secure, path: CONNECTIONS_PATH });
  const [state, verifier] = pending?.split('.') ?? [];
  const returned = query.get('state');
  if (!state || !verifier || !returned || !sameText(state, returned)) throw new SignInError('not_started');
  if (query.get('error') === 'access_denied') throw new SignInError('refused');
  const value = query.get('code');
  const code = value ? await provider.AuthorizationCode.find(value) : undefined;
  if (
    !code ||
    !code.isValid ||
    code.clientId !== CONNECTED_APPS_CLIENT_ID ||
    code.redirectUri !== `${issuer}${CALLBACK_PATH}` ||
    code.codeChallengeMethod !== 'S256' ||
    !sameText(code.codeChallenge ?? '', sha256(verifier)) ||
    !code.accountId
  ) {
    throw new SignInError('failed');
  }
  await code.consume();
  return code.accountId;
}
