import express, { type Express } from 'express';
import {
  createRateCounter,
  createTracer,
  healthRoutes,
  listenForMetrics,
  refuseUntrustedCertificateHeader,
  requestLogging,
  traceRequests,
  webSecurityHeaders,
  type Logger,
  type MetricsServer,
  type RateCounter,
  type Tracer,
} from '@apps/shared';
import type Provider from 'oidc-provider';
import { seedDemoUsers } from './demo/demo-users.js';
import type { CustomerDirectory } from './customers/directory.js';
import { customerDirectory } from './customers/from-config.js';
import { CustomerStore } from './customers/store.js';
import { AuditLog } from './audit/audit.js';
import type { AuthConfig } from './config.js';
import { openAuthDatabase } from './db/open.js';
import type { AuthDatabase } from './db/schema.js';
import { SecretIds } from './db/secret-ids.js';
import { startSweeper } from './db/sweeper.js';
import { devSigningKeys } from './keys/dev-keys.js';
import { wireProviderEvents } from './provider/events.js';
import { createProvider } from './provider/provider.js';
import type { Fetch } from './provider/client-id-documents.js';
import { startReloadingProvider } from './provider/reloading-provider.js';
import { KeyCipher } from './keys/key-cipher.js';
import { KeyRing } from './keys/key-ring.js';
import { SigningKeyStore } from './keys/key-store.js';
import { errorHandler } from './errors.js';
import { CsrfTokens } from './interactions/csrf.js';
import { withoutInteractionIds } from './interactions/log-path.js';
import { interactionRoutes } from './interactions/routes.js';
import { registrationCap } from './provider/registration-cap.js';
import { LoginGuard } from './security/login-guard.js';
import { basicClientId, registrationClientId } from './security/claimed-client.js';
import { clientAuthThrottle } from './security/client-auth-throttle.js';
import { settleClientAuthentication } from './security/client-auth-outcome.js';
import { ClientLimits } from './security/client-limits.js';
import { refreshGrantLimit } from './security/refresh-grant-limit.js';
import { tokenRateLimit } from './security/token-rate-limit.js';
import { PUBLIC_DIR } from './views.js';
import { HttpAccountCatalog, type AccountCatalog } from './consents/account-catalog.js';
import { ConsentEndings } from './consents/consent-endings.js';
import { ConsentStore } from './consents/consent-store.js';
import { internalRoutes } from './consents/internal-routes.js';
import { wireConsentHooks } from './consents/provider-hooks.js';
import { TokenConsents } from './consents/token-consents.js';
import { OpMetrics } from './metrics.js';
import { accountRoutes } from './account/routes.js';

export interface AuthDeps {
  logger: Logger;
  database: AuthDatabase;
  provider: Provider;
  customers: CustomerDirectory;
  guard: LoginGuard;
  audit: AuditLog;
  /** Token endpoint counters (table token_rate_limit); the caller flushes and closes them. */
  tokenCounter: RateCounter;
  /** Failed client authentications (table client_auth_failure); the caller closes them. */
  clientAuthFailures: RateCounter;
  /** Consents: created at the consent step, ended every way (consents/). */
  endings: ConsentEndings;
  /** The customer's accounts for the consent page (the API's internal route). */
  catalog: AccountCatalog;
  /** Where requests, grants and client-authentication failures are counted; default: fresh ones. */
  metrics?: OpMetrics;
  /** Traces requests, their queries and outgoing calls when OTEL_* configures an exporter (config.tracing). */
  tracer?: Tracer | undefined;
}

/** The longest access-token lifetime any client can have (seconds): ACCESS_TOKEN_TTL or a static client's own. */
export function maxAccessTokenTtl(config: AuthConfig): number {
  return Math.max(config.ttl.accessToken, ...config.clients.map((c) => c.access_token_ttl ?? 0));
}

/**
 * How long a signing key stays needed once a newer one took over: an instance may sign with it
 * until its next key reload, and what it signed then (access and ID tokens) stays valid that long.
 */
export function keyNeededMs(config: AuthConfig): number {
  return (config.keysReloadIntervalSeconds + Math.max(maxAccessTokenTtl(config), config.ttl.idToken)) * 1000;
}

function staticClientOrigins(config: AuthConfig): string[] {
  const uris = config.clients.flatMap((c) => [...c.redirect_uris, ...c.post_logout_redirect_uris]);
  return [...new Set(uris.map((u) => new URL(u).origin))];
}

/** Builds the OP's Express app from a validated config and its opened dependencies; does not listen. */
export function createServer(config: AuthConfig, deps: AuthDeps): Express {
  const { provider, database, audit } = deps;
  const metrics = deps.metrics ?? new OpMetrics();
  const app = express();
  app.disable('x-powered-by');
  if (config.metrics.enabled) app.use(metrics.service.http());
  if (deps.tracer) app.use(traceRequests(deps.tracer, { route: (req) => metrics.service.routeOf(req) }));
  // Behind Caddy: the public scheme and host come from X-Forwarded-* (services bind loopback only).
  app.set('trust proxy', config.trustProxy ? 'loopback' : false);
  app.use(requestLogging(deps.logger, { logPath: withoutInteractionIds }));
  app.use(healthRoutes({ ready: () => database.ping() }));
  app.use(
    refuseUntrustedCertificateHeader(config.mtls.trustedProxies, (res) => {
      res.status(400).set('Cache-Control', 'no-store').json({ error: 'invalid_request', error_description: 'a client certificate header is accepted only from the TLS proxy' });
    }),
  );
  app.use('/public', express.static(PUBLIC_DIR, { index: false, fallthrough: true, maxAge: '1h' }));

  const formActionOrigins = staticClientOrigins(config);
  // Interaction pages replace this CSP with one that also allows their client's redirect origin.
  app.use(webSecurityHeaders({ formAction: ["'self'", ...formActionOrigins] }));
  app.use(
    internalRoutes({
      provider,
      endings: deps.endings,
      secret: config.internalSecret,
      providerName: config.institutionName,
      maxAccessTokenTtlSeconds: maxAccessTokenTtl(config),
    }),
  );
  const csrf = new CsrfTokens(config.cookieKeys);
  app.use(
    interactionRoutes({
      provider,
      customers: deps.customers,
      audit,
      guard: deps.guard,
      csrf,
      formActionOrigins,
      consents: deps.endings.store,
      catalog: deps.catalog,
      consentConfig: config.consents,
      logger: deps.logger,
    }),
  );
  app.use(accountRoutes({ provider, issuer: config.issuer, customers: deps.customers, endings: deps.endings, catalog: deps.catalog, csrf, logger: deps.logger }));
  const failedClientAuth = clientAuthThrottle(deps.clientAuthFailures, config, audit, metrics);
  app.post('/token', failedClientAuth('token', basicClientId), tokenRateLimit(deps.tokenCounter, config, new ClientLimits(config), audit));
  app.post('/token/introspection', failedClientAuth('introspection', basicClientId));
  app.post('/token/revocation', failedClientAuth('revocation', basicClientId));
  app.all('/reg/:id', failedClientAuth('registration', registrationClientId));
  app.post('/reg', registrationCap(database.db, config.registration.maxClients));
  // RFC 8414 metadata: the same document as OIDC discovery.
  app.get('/.well-known/oauth-authorization-server', (req, _res, next) => {
    req.url = '/.well-known/openid-configuration';
    next();
  });
  app.use(provider.callback());
  app.use(errorHandler(deps.logger));
  return app;
}

export interface AuthService {
  app: Express;
  provider: Provider;
  metrics: OpMetrics;
  /** The /metrics listener, when METRICS_PORT is set. */
  metricsServer: MetricsServer | undefined;
  /** Stops background work and the metrics listener, closes the database, then sends the last spans. */
  close(): Promise<void>;
}

/**
 * The OP's lifecycle: opens the database (migrating it), loads keys and users, builds the app
 * and starts the sweeper; `close()` stops them and flushes what is buffered.
 */
export async function startServer(config: AuthConfig, logger: Logger, options: { memoryAdapter?: boolean; fetch?: Fetch } = {}): Promise<AuthService> {
  const database = await openAuthDatabase(config, logger);
  try {
    const store = new CustomerStore(database.db);
    if (config.seedDemoUsers) await seedDemoUsers(store, logger);
    else if (!config.upstream && (await store.count()) === 0) {
      logger.warn(
        'no customers: nobody can sign in until you add some with `pnpm kit customers add <id> --email <email> --name <name> --password-stdin` ' +
          'or `pnpm kit customers import <file.csv>` (or set UPSTREAM_OIDC_* to sign in at your IdP)',
      );
    }
    const guard = new LoginGuard(database.db, config, logger);
    const customers = customerDirectory(config, database.db, (email) => guard.isLocked(email), logger);
    const staticKeys = config.jwks ?? (await devSigningKeys(database.db, config.accessTokenSigningAlg));
    if (!config.jwks) logger.warn('using development signing keys stored in the database (set JWKS in production)');
    const metrics = new OpMetrics({ keyNeededMs: keyNeededMs(config) });
    const audit = new AuditLog(database.db, logger, (event) => metrics.audited(event));
    const consents = new ConsentStore(database.db);
    const endings = new ConsentEndings(consents, audit);
    const tokenConsents = new TokenConsents(consents);
    const catalog = new HttpAccountCatalog(config.apiInternalUrl, config.internalSecret, config.accountCatalogTimeoutSeconds * 1000);
    // Batched every RATE_LIMIT_SYNC_MS (0: one upsert per request); login attempts are counted exactly by the LoginGuard.
    const tokenCounter = createRateCounter(database.db, {
      table: 'token_rate_limit',
      windowMs: config.rateLimits.windowSeconds * 1000,
      syncMs: config.rateLimits.tokenSyncMs,
      logger,
    });
    // Refreshes per grant count in the token counters, checked by every provider the key ring builds.
    const refreshAllowance = refreshGrantLimit(tokenCounter, new ClientLimits(config), audit);
    // Keys from `pnpm kit keys` join the static ones; each instance rebuilds its provider when they change.
    const keyRing = new KeyRing(new SigningKeyStore(database.db, config.keysEncryptionKey === undefined ? undefined : new KeyCipher(config.keysEncryptionKey)), staticKeys);
    const providers = await startReloadingProvider({
      load: async () => {
        const keys = await keyRing.load();
        metrics.keysLoaded(keys);
        return keys;
      },
      build: (keys) => {
        const built = createProvider(config, {
          db: database.db,
          customers,
          keys,
          logger,
          tokenConsents,
          memoryAdapter: options.memoryAdapter,
          ...(options.fetch ? { fetch: options.fetch } : {}),
          refreshAllowance,
          wrapAdapter: config.metrics.enabled ? (model, adapter) => metrics.timedAdapter(model, adapter) : undefined,
        });
        wireProviderEvents(built, audit, logger, metrics);
        wireConsentHooks(built, { endings, keys, issuer: config.issuer, logger });
        built.use(settleClientAuthentication(logger));
        return built;
      },
      intervalMs: config.keysReloadIntervalSeconds * 1000,
      logger,
    });
    const { provider } = providers;
    // Exact when RATE_LIMIT_SYNC_MS is 0, else batched like the token counters (see README).
    const clientAuthFailures = createRateCounter(database.db, {
      table: 'client_auth_failure',
      windowMs: config.rateLimits.windowSeconds * 1000,
      syncMs: config.rateLimits.tokenSyncMs,
      logger,
    });
    const tracer = createTracer(config.tracing, { logger });
    const app = createServer(config, { logger, database, provider, customers, guard, audit, tokenCounter, clientAuthFailures, endings, catalog, metrics, tracer });
    const auditRetentionMs = config.auditRetentionDays === undefined ? undefined : config.auditRetentionDays * 86_400_000;
    const stopSweeper = startSweeper(database.db, logger, config.sweepIntervalSeconds * 1000, auditRetentionMs, new SecretIds(config.tokenHashKey), endings);
    let metricsServer: MetricsServer | undefined;
    try {
      metricsServer = await listenForMetrics(metrics.service, config.metrics, logger);
    } catch (err) {
      stopSweeper();
      await providers.stop();
      await tokenCounter.close();
      await clientAuthFailures.close();
      throw err;
    }
    return {
      app,
      provider,
      metrics,
      metricsServer,
      close: async () => {
        await metricsServer?.close();
        stopSweeper();
        await providers.stop();
        // Hits counted since the last flush still count for the other instances; queued audit events are written.
        await tokenCounter.close();
        await clientAuthFailures.close();
        await audit.flush();
        await database.close();
        await tracer?.shutdown();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
