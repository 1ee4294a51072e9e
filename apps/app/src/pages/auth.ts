import { Router } from 'express';
import { LoginFailedError } from '../errors.js';
import { completeLogin, endSessionUrl, startLogin } from '../oidc/flow.js';
import { requireCsrf } from '../session/csrf.js';
import { sessionOf } from '../session/middleware.js';
import { opConfiguration, refreshSession, requireLogin, safeReturnTo, type PageDeps } from './context.js';

/** A pending login lives at most this long: the OP round trip, including typing a password. */
const PENDING_LOGIN_TTL = 15 * 60;

export function authRoutes(deps: PageDeps): Router {
  const { config, oidc } = deps;
  const router = Router();
  const csrf = requireCsrf(config.appUrl);

  router.get('/login', async (req, res) => {
    const op = opConfiguration(oidc);
    const session = sessionOf(res);
    const current = await session.ensure(PENDING_LOGIN_TTL);
    const { url, pending } = await startLogin(op, config, safeReturnTo(req.query.returnTo));
    current.data.pending = pending;
    await session.save();
    res.set('Cache-Control', 'no-store').redirect(303, url.href);
  });

  router.get('/callback', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const session = sessionOf(res);
    const pending = session.data?.pending;
    if (!pending) throw noLoginInProgress(req.query.error);
    session.data.pending = undefined;
    await session.save();
    const q = req.originalUrl.indexOf('?');
    const tokens = await completeLogin(opConfiguration(oidc), config, q >= 0 ? req.originalUrl.slice(q) : '', pending);
    session.data.tokens = tokens;
    await session.rotate();
    res.redirect(303, pending.returnTo);
  });

  // Without a session there is nothing to end and nothing to forge.
  router.post(
    '/logout',
    (_req, res, next) => (sessionOf(res).data ? next() : res.redirect(303, '/?notice=logged-out')),
    csrf,
    async (_req, res) => {
      const session = sessionOf(res);
      const idToken = session.data?.tokens?.idToken;
      await session.destroy();
      const op = oidc.configuration;
      const target = op ? endSessionUrl(op, config, idToken) : undefined;
      res.redirect(303, target?.href ?? '/?notice=logged-out');
    },
  );

  router.post('/refresh', requireLogin, csrf, async (_req, res) => {
    await refreshSession(res, deps);
    res.redirect(303, deps.config.debugTokensPage ? '/debug/tokens?refreshed=1' : '/token');
  });

  return router;
}

function noLoginInProgress(error: unknown): LoginFailedError {
  const base = 'No login was in progress in this browser (it may have expired or been started elsewhere), so this response cannot be trusted.';
  const suffix = typeof error === 'string' ? ` The identity provider reported "${error.slice(0, 64)}".` : '';
  return new LoginFailedError('no_pending_login', `${base}${suffix} Please start the login again.`);
}

