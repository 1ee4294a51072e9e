import express, { type Express } from 'express';
import {
  apiSecurityHeaders,
  createRateCounter,
  createTracer,
  healthRoutes,
  listenForMetrics,
  refuseUntrustedCertificateHeader,
  requestLogging,
  traceRequests,
  type Database,
  type Logger,
  type MetricsServer,
  type RateCounter,
  type Tracer,
} from '@apps/shared';
import { MCP_RESOURCE_METADATA_PATH, RESOURCE_METADATA_PATH, resourceMetadataRoute } from './auth/metadata.js';
import { createTokenVerifier, type TokenVerifier } from './auth/verifier.js';
import type { ApiConfig } from './config.js';
import { createOpClient } from './consent/op-client.js';
import { ConsentRevocations, type EndedConsents } from './consent/revocations.js';
import type { FdxDataSource } from './data-source.js';
import { openApiDatabase } from './db/open.js';
import type { ApiSchema } from './db/schema.js';
import { SqlDataSource } from './db/sql-data-source.js';
import { seedIfEmpty } from './demo/load.js';
import { badRequest, errorHandler, notFound } from './errors.js';
import { CursorCodec } from './fdx/cursor.js';
import { rateLimit } from './fdx/rate-limit.js';
import { FDX_BASE_PATH, fdxRouter } from './fdx/router.js';
import { INTERNAL_BASE_PATH, internalRouter } from './internal/router.js';
import { ApiMetrics } from './metrics.js';
import { MCP_PATH, mcpRouter } from './mcp/router.js';
import { PerformanceRecorder } from './performance/recorder.js';
import { performanceRoutes } from './performance/routes.js';
import { PerformanceStore } from './performance/store.js';

export interface ApiDeps {
  logger: Logger;
  /** The API's own database: rate-limit counters and readiness (and, with SqlDataSource, the FDX data). */
  database: Database<ApiSchema>;
  /** Where every FDX route reads its data (the port in data-source.ts). */
  dataSource: FdxDataSource;
  /** Defaults to a remote-JWKS verifier built once from the config. */
  verify?: TokenVerifier;
  /** Verifies tokens for the MCP server (audience `<API_URL>/mcp`); defaults like `verify`. */
  verifyMcp?: TokenVerifier;
  /**
   * The ended consents, kept current from the OP's change feed (startServer starts and closes a
   * ConsentRevocations). Tokens of an ended consent are refused; `/public/ready` answers 503 until it has loaded.
   */
  ended: EndedConsents;
  /**
   * Request counters for the rate limits; startServer passes a batched one (RATE_LIMIT_SYNC_MS) and
   * closes it on shutdown. Default: exact, one upsert per request, nothing to close.
   */
  rateCounter?: RateCounter;
  /** Clock for date windows (tests pin it). */
  now?: () => number;
  /** Where requests, token rejections and data-port latency are counted; default: fresh ones. */
  metrics?: ApiMetrics;
  /** Traces requests, their queries and outgoing calls when OTEL_* configures an exporter (config.tracing). */
  tracer?: Tracer | undefined;
  /**
   * Counts FDX requests for the performance disclosure; startServer passes one it closes on
   * shutdown. Default: one built from the config (flushes on its timer; nothing closes it).
   */
  performance?: PerformanceRecorder;
}

/** This instance's performance-disclosure recorder (DISCLOSURE_*, INSTANCE_ID); folding not started. */
export function createPerformanceRecorder(config: ApiConfig, deps: Pick<ApiDeps, 'database' | 'logger' | 'now'>): PerformanceRecorder {
  return new PerformanceRecorder({
    store: new PerformanceStore(deps.database.db),
    instanceId: config.instanceId,
    thresholdMs: config.disclosure.thresholdMs,
    flushMs: config.disclosure.flushMs,
    logger: deps.logger,
    now: deps.now,
  });
}

/** The API's request counters (table rate_limit): exact with `syncMs` 0, else batched every `syncMs`. */
function createApiRateCounter(config: ApiConfig, deps: Pick<ApiDeps, 'database' | 'logger'>, syncMs: number): RateCounter {
  return createRateCounter(deps.database.db, { table: 'rate_limit', windowMs: config.rateLimit.windowMs, syncMs, logger: deps.logger });
}

/** The ended-consents set of this instance, polling OP_INTERNAL_URL's feed (not started); `metrics` count its polls and report its age. */
export function createConsentRevocations(config: ApiConfig, logger: Logger, metrics?: ApiMetrics): ConsentRevocations {
  const revocations = new ConsentRevocations({
    op: createOpClient({ baseUrl: config.opInternalUrl, secret: config.internalSecret }),
    intervalMs: config.consentFeed.intervalMs,
    retentionMs: config.consentFeed.retentionMs,
    logger,
    onPoll: (outcome) => metrics?.feedPolled(outcome),
  });
  metrics?.watchRevocations(revocations);
  return revocations;
}

/** Builds the FDX resource server's Express app from a validated config; does not listen. */
export function createServer(config: ApiConfig, deps: ApiDeps): Express {
  const verifierFor = (audience: string | string[]) =>
    createTokenVerifier({
      jwksUri: config.jwksUri,
      issuer: config.issuer,
      audience,
      clockToleranceSeconds: config.clockToleranceSeconds,
      jwksCooldownMs: config.jwksCooldownMs,
    });
  // Two audiences, two verifiers: an FDX token is refused at /mcp and an MCP token at the FDX routes.
  const verify = deps.verify ?? verifierFor(config.audiences);
  const verifyMcp = deps.verifyMcp ?? verifierFor(config.mcpResource);
  const resourceMetadataUrl = `${config.publicUrl}${RESOURCE_METADATA_PATH}`;
  const now = deps.now ?? Date.now;
  // Always on: a token's `rl` claim may set limits even when the API's defaults are 0.
  const limiter = rateLimit({
    limits: config.rateLimit,
    now,
    counter: deps.rateCounter ?? createApiRateCounter(config, deps, 0),
    logger: deps.logger,
  });

  const metrics = deps.metrics ?? new ApiMetrics();
  const disclosure = deps.performance ?? createPerformanceRecorder(config, deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  // First, so an FDX request's time includes everything the API does for it (a disclosure, not a metric: always on).
  app.use(FDX_BASE_PATH, disclosure.middleware());
  // METRICS_ENABLED=false: none of the per-request metrics work below is in the request path.
  const counted = config.metrics.enabled;
  if (counted) app.use(metrics.service.http());
  if (deps.tracer) app.use(traceRequests(deps.tracer, { route: (req) => metrics.service.routeOf(req) }));
  app.use(requestLogging(deps.logger));
  app.use(apiSecurityHeaders());
  app.use(
    refuseUntrustedCertificateHeader(config.trustedProxies, () => {
      throw badRequest('A client certificate header is accepted only from the TLS proxy');
    }),
  );
  app.use(
    healthRoutes({
      ready: async () => {
        await deps.database.ping();
        if (!deps.ended.loaded) throw new Error('the consent feed has not been read yet');
      },
    }),
  );
  app.use(resourceMetadataRoute({ resource: config.publicUrl, issuer: config.issuer, mcpResource: config.mcpResource }));
  // Bodies (the consent API's revocation request; anything sent elsewhere) are parsed and bounded, so bad JSON is a clean 400.
  app.use(express.json({ limit: '16kb' }));
  app.use(
    performanceRoutes({
      store: new PerformanceStore(deps.database.db),
      thresholdMs: config.disclosure.thresholdMs,
      institutionName: config.institutionName,
      now,
      cacheMs: config.disclosure.flushMs,
      limit: limiter.anonymous,
    }),
  );
  app.use(INTERNAL_BASE_PATH, internalRouter({ secret: config.internalSecret, dataSource: deps.dataSource, logger: deps.logger }));
  if (counted) app.use(FDX_BASE_PATH, metrics.fdxRequestCounter(FDX_BASE_PATH));
  app.use(
    FDX_BASE_PATH,
    fdxRouter({
      dataSource: counted ? metrics.timed(deps.dataSource) : deps.dataSource,
      verify,
      ended: deps.ended,
      op: createOpClient({ baseUrl: config.opInternalUrl, secret: config.internalSecret }),
      onTokenRejected: (kind) => metrics.tokenRejected(kind),
      resourceMetadataUrl,
      rateLimit: limiter,
      cursors: new CursorCodec(config.cursorSecret),
      baseUrl: `${config.publicUrl}${FDX_BASE_PATH}`,
      now,
    }),
  );
  app.use(
    MCP_PATH,
    mcpRouter({
      dataSource: deps.dataSource,
      verify: verifyMcp,
      ended: deps.ended,
      resourceMetadataUrl: `${config.publicUrl}${MCP_RESOURCE_METADATA_PATH}`,
      rateLimit: limiter,
      cursors: new CursorCodec(config.cursorSecret),
      now,
      logger: deps.logger,
      institutionName: config.institutionName,
    }),
  );
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

/** A running API: the app to serve and what it holds open, released by `close()`. */
export interface ApiService {
  app: Express;
  database: Database<ApiSchema>;
  rateCounter: RateCounter;
  /** The ended consents, polled from the OP's feed every CONSENT_FEED_INTERVAL_MS. */
  revocations: ConsentRevocations;
  metrics: ApiMetrics;
  /** The performance disclosure's counts of this instance (flushed every DISCLOSURE_FLUSH_MS). */
  performance: PerformanceRecorder;
  /** The /metrics listener, when METRICS_PORT is set. */
  metricsServer: MetricsServer | undefined;
  /** Stops the metrics listener and the feed polling, flushes the rate and performance counters, closes the database, then sends the last spans. */
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * The bank's own data adapter (README, "Your own data adapter"). Default: the SQL store in the
   * API's database (SqlDataSource), filled by `pnpm kit data import` or, for the demo, `pnpm seed`.
   */
  dataSource?: FdxDataSource;
}

/** Logged once at start-up when the SQL store has no customer: every data request would find nothing. */
export const EMPTY_STORE_WARNING =
  'the FDX data store is empty, so every customer will see no accounts: load your data with ' +
  '`pnpm kit data import <file or folder>` (container: `node dist/cli.js data import <path>`), ' +
  'or the demo data set with `pnpm seed`';

/** Seeds the demo customers into an empty store when SEED_ON_START says so, else warns once if it is empty. */
async function prepareStore(config: ApiConfig, source: SqlDataSource, logger: Logger): Promise<void> {
  if (config.seedOnStart) {
    const seeded = await seedIfEmpty(source.db);
    if (seeded) logger.info(seeded, 'empty database: seeded demo customers');
    return;
  }
  if (await source.isEmpty()) logger.warn(EMPTY_STORE_WARNING);
}

/**
 * Opens the API's database (migrating it), prepares the SQL store (demo seed or empty-store
 * warning) unless the caller brings its own data source, starts the batched rate counter and
 * builds the app.
 */
export async function startServer(config: ApiConfig, logger: Logger, options: StartOptions = {}): Promise<ApiService> {
  const database = await openApiDatabase(config, logger);
  let dataSource = options.dataSource;
  if (!dataSource) {
    const sql = new SqlDataSource(database.db, { institutionName: config.institutionName });
    try {
      await prepareStore(config, sql, logger);
    } catch (err) {
      await database.close();
      throw err;
    }
    dataSource = sql;
  }
  const rateCounter = createApiRateCounter(config, { database, logger }, config.rateLimit.syncMs);
  const metrics = new ApiMetrics();
  const revocations = createConsentRevocations(config, logger, metrics);
  revocations.start();
  const tracer = createTracer(config.tracing, { logger });
  const performance = createPerformanceRecorder(config, { database, logger });
  performance.startFolding();
  const app = createServer(config, { logger, database, dataSource, rateCounter, ended: revocations, metrics, tracer, performance });
  let metricsServer: MetricsServer | undefined;
  try {
    metricsServer = await listenForMetrics(metrics.service, config.metrics, logger);
  } catch (err) {
    await performance.close();
    await revocations.close();
    await rateCounter.close();
    await database.close();
    throw err;
  }
  return {
    app,
    database,
    rateCounter,
    revocations,
    metrics,
    performance,
    metricsServer,
    close: async () => {
      await metricsServer?.close();
      await revocations.close();
      await rateCounter.close();
      await performance.close();
      await database.close();
      await tracer?.shutdown();
    },
  };
}
