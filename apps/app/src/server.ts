import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import { healthRoutes, requestLogging, webSecurityHeaders, type Database, type Logger } from '@apps/shared';
import type { AppConfig } from './config.js';
import type { OidcClient } from './oidc/discovery.js';
import { authRoutes } from './pages/auth.js';
import { errorPages, notFound } from './pages/errors.js';
import { explorerRoutes } from './pages/explorer.js';
import { homeRoutes } from './pages/home.js';
import { tokenRoutes } from './pages/tokens.js';
import { SessionCipher } from './session/crypto.js';
import { sessionCookie, sessionOf, sessions } from './session/middleware.js';
import type { AppDatabase } from './session/migrations.js';
import { SessionStore } from './session/store.js';

export interface AppDeps {
  logger: Logger;
  database: Database<AppDatabase>;
  oidc: OidcClient;
}

const VIEWS = fileURLToPath(new URL('../views', import.meta.url));
const PUBLIC = fileURLToPath(new URL('../public', import.meta.url));

/** Builds the relying-party web app from a validated config; does not listen. */
export function createServer(config: AppConfig, deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('views', VIEWS);
  app.set('view engine', 'ejs');
  app.use(requestLogging(deps.logger));
  app.use(healthRoutes({ ready: () => deps.database.ping() }));
  // Logout posts a form that redirects to the OP: form-action must allow its origin.
  app.use(webSecurityHeaders({ formAction: ["'self'", new URL(config.issuer).origin] }));
  // Under `no-referrer` browsers send `Origin: null` even on the app's own form posts, which the
  // CSRF check must refuse; `same-origin` still gives other origins (OP, API) no referrer.
  app.use((_req, res, next) => {
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  app.use('/public', express.static(PUBLIC, { index: false, fallthrough: false, maxAge: '1h' }));
  app.use(cookieParser(config.cookieSecret));
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));
  const store = new SessionStore(deps.database.db, new SessionCipher(config.cookieSecret));
  app.use(sessions(store, sessionCookie(config.appUrl), config.sessionTtlSeconds));
  app.use((req, res, next) => {
    const data = sessionOf(res).data;
    const claims = data?.tokens?.idTokenClaims;
    res.locals.path = req.path;
    res.locals.loggedIn = Boolean(data?.tokens);
    res.locals.csrf = data?.csrf;
    res.locals.user = claims
      ? { sub: claims.sub, name: claims.name ?? claims.email ?? claims.sub, email: claims.email }
      : undefined;
    res.locals.opReady = Boolean(deps.oidc.configuration);
    res.locals.opError = deps.oidc.lastError;
    res.locals.config = { issuer: config.issuer, apiBaseUrl: config.apiBaseUrl, apiAudience: config.apiAudience, clientId: config.clientId };
    next();
  });
  const pageDeps = { config, oidc: deps.oidc };
  app.use(homeRoutes());
  app.use(authRoutes(pageDeps));
  app.use(explorerRoutes(pageDeps));
  app.use(tokenRoutes(pageDeps));
  app.use(notFound);
  app.use(errorPages(deps.logger));
  // Expired rows are cleaned up at start and then hourly; lookups ignore them regardless.
  const purge = () => void store.purgeExpired().catch((err: unknown) => deps.logger.warn({ err }, 'session purge failed'));
  purge();
  setInterval(purge, 3_600_000).unref();
  return app;
}
