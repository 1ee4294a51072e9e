import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type * as client from 'openid-client';
import type { AppConfig } from '../config.js';
import { IdentityProviderUnavailableError, SessionEndedError } from '../errors.js';
import type { TokenAccess } from '../fdx/client.js';
import type { OidcClient } from '../oidc/discovery.js';
import { refresh } from '../oidc/flow.js';
import { sessionOf, type SessionContext } from '../session/middleware.js';
import type { TokenSet } from '../session/types.js';

export interface PageDeps {
  config: AppConfig;
  oidc: OidcClient;
}

export function opConfiguration(oidc: OidcClient): client.Configuration {
  const op = oidc.configuration;
  if (!op) throw new IdentityProviderUnavailableError();
  return op;
}

/** Only local paths: `returnTo` must never turn the app into an open redirector. */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : '/';
}

/** Pages that need tokens send anonymous visitors to log in and come back. */
export const requireLogin: RequestHandler = (req, res, next) => {
  if (sessionOf(res).data?.tokens) return next();
  res.redirect(303, `/login?returnTo=${encodeURIComponent(safeReturnTo(req.originalUrl))}`);
};

export function tokensOf(res: Response): TokenSet {
  const tokens = sessionOf(res).data?.tokens;
  if (!tokens) throw new SessionEndedError();
  return tokens;
}

/** Refreshes in flight, per session id: concurrent 401s share one refresh (rotated refresh tokens are single-use). */
const inflight = new Map<string, Promise<TokenSet>>();

/** Refreshes the session's tokens and stores them; a dead grant ends the local session. */
export async function refreshSession(res: Response, deps: PageDeps): Promise<TokenSet> {
  const session = sessionOf(res);
  const id = session.current?.id;
  if (!id) throw new SessionEndedError();
  let pending = inflight.get(id);
  if (!pending) {
    pending = refreshAndStore(session, deps).finally(() => inflight.delete(id));
    inflight.set(id, pending);
  }
  const next = await pending;
  if (session.current) session.current.data.tokens = next;
  res.locals.tokensRefreshed = true;
  return next;
}

async function refreshAndStore(session: SessionContext, deps: PageDeps): Promise<TokenSet> {
  const used = session.data?.tokens;
  if (!used) throw new SessionEndedError();
  try {
    const next = await refresh(opConfiguration(deps.oidc), deps.config, used);
    session.data.tokens = next;
    await session.save();
    return next;
  } catch (err) {
    if (!(err instanceof SessionEndedError)) throw err;
    // Another instance may have refreshed first (its rotated token is in the store): use that.
    const stored = (await session.reload())?.data.tokens;
    if (stored && stored.refreshToken !== used.refreshToken) return stored;
    await session.destroy();
    throw err;
  }
}

export function tokenAccess(res: Response, deps: PageDeps): TokenAccess {
  return { current: () => tokensOf(res), refresh: () => refreshSession(res, deps) };
}

export type Handler = (req: Request, res: Response, next: NextFunction) => Promise<void> | void;
