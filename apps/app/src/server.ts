import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import {
  createTracer,
  healthRoutes,
  listenForMetrics,
  requestLogging,
  ServiceMetrics,
  traceRequests,
  webSecurityHeaders,
  type Logger,
  type MetricsServer,
  type Tracer,
} from '@apps/shared';
import type { AppConfig } from './config.js';
import { openAppDatabase } from './db/open.js';
import type { AppDatabase } from './db/schema.js';
import { startSweeper } from './db/sweeper.js';
import { errorPages, notFound } from './errors.js';
import { OidcClient } from './oidc/discovery.js';
import { authRoutes } from './pages/auth.js';
import { explorerRoutes } from './pages/explorer.js';
import { homeRoutes } from './pages/home.js';
import { tokenRoutes } from './pages/tokens.js';
import { SessionCipher } from './session/crypto.js';
import { sessionCookie, sessionOf, sessions } from './session/middleware.js';
import { SessionStore } from './session/store.js';

export interface AppDeps {
  logger: Logger;
  database: AppDatabase;
  oidc: OidcClient;
  /** Where request metrics are counted (startServer serves them on METRICS_PORT); default: a fresh registry. */
  metrics?: ServiceMetrics;
  /** Traces requests, their queries and outgoing calls when OTEL_* configures an exporter (config.tracing). */
  tracer?: Tracer | undefined;
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
  const metrics = deps.metrics ?? new ServiceMetrics();
  if (config.metrics.enabled) app.use(metrics.http());
  if (deps.tracer) app.use(traceRequests(deps.tracer, { route: (req) => metrics.routeOf(req) }));
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
  // Every COOKIE_SECRET verifies; the first (newest) signs.
  app.use(cookieParser([...config.cookieSecrets]));
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));
  const store = new SessionStore(deps.database.db, new SessionCipher(config.cookieSecrets));
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
    res.locals.debugTokensPage = config.debugTokensPage;
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
  return app;
}

export interface AppService {
  app: Express;
  database: AppDatabase;
  oidc: OidcClient;
  metrics: ServiceMetrics;
  /** The /metrics listener, when METRICS_PORT is set. */
  metricsServer: MetricsServer | undefined;
  /** Stops the metrics listener, discovery retries and the session sweeper, closes the database, then sends the last spans. */
  close(): Promise<void>;
}

/**
 * The app's lifecycle: opens the session database (migrating it), starts OP discovery (retried
 * until it succeeds) and the hourly sweep of expired sessions, and builds the app.
 */
export async function startServer(config: AppConfig, logger: Logger): Promise<AppService> {
  const database = await openAppDatabase(config, logger);
  const oidc = new OidcClient(config, logger, { maxDelayMs: config.discoveryRetryMaxMs }).start();
  const stopSweeper = startSweeper(database.db, logger, 3_600_000);
  const metrics = new ServiceMetrics();
  const tracer = createTracer(config.tracing, { logger });
  let metricsServer: MetricsServer | undefined;
  try {
    metricsServer = await listenForMetrics(metrics, config.metrics, logger);
  } catch (err) {
    stopSweeper();
    oidc.stop();
    await database.close();
    throw err;
  }
  return {
    app: createServer(config, { logger, database, oidc, metrics, tracer }),
    database,
    oidc,
    metrics,
    metricsServer,
    close: async () => {
      await metricsServer?.close();
      stopSweeper();
      oidc.stop();
      await database.close();
      await tracer?.shutdown();
    },
  };
}
