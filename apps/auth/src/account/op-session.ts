import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';

/** The signed-in customer of a browser's OP session, and the session id the page's CSRF tokens bind to. */
export interface SignedIn {
  accountId: string;
  sessionId: string;
}

/**
 * Reads the browser's OP session (oidc-provider's signed `_session` cookie) without creating,
 * extending or saving one: a page that only reads never mints a session for a stranger.
 * Undefined: no cookie, a forged or stale one, an expired session, or nobody signed in.
 */
export async function signedIn(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<SignedIn | undefined> {
  const cookies = provider.createContext(req, res).cookies;
  const id = cookies.get(provider.cookieName('session'), { signed: true });
  if (!id) return undefined;
  const session = await provider.Session.find(id);
  if (!session?.accountId) return undefined;
  return { accountId: session.accountId, sessionId: session.jti };
}
