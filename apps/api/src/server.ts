import express, { type Express } from 'express';
import { apiSecurityHeaders, healthRoutes, requestLogging, type Database, type Logger } from '@apps/shared';
import { RESOURCE_METADATA_PATH, resourceMetadataRoute } from './auth/metadata.js';
import { createTokenVerifier, type TokenVerifier } from './auth/verifier.js';
import type { ApiConfig } from './config.js';
import { createRateCounter, type RateCounter } from './db/rate-counter.js';
import { Repository } from './db/repository.js';
import type { ApiSchema } from './db/schema.js';
import { errorHandler, notFound } from './errors.js';
import { CursorCodec } from './fdx/cursor.js';
import { FDX_BASE_PATH, fdxRouter } from './fdx/router.js';
import { rateLimit } from './rate-limit.js';

export interface ApiDeps {
  logger: Logger;
  database: Database<ApiSchema>;
  /** Defaults to a remote-JWKS verifier built once from the config. */
  verify?: TokenVerifier;
  /**
   * Request counters for the rate limits; main.ts passes a batched one (RATE_LIMIT_SYNC_MS) and
   * closes it on shutdown. Default: exact, one upsert per request, nothing to close.
   */
  rateCounter?: RateCounter;
  /** Clock for date windows (tests pin it). */
  now?: () => number;
}

/** Builds the FDX resource server's Express app from a validated config; does not listen. */
export function createServer(config: ApiConfig, deps: ApiDeps): Express {
  const verify =
    deps.verify ??
    createTokenVerifier({
      jwksUri: config.jwksUri,
      issuer: config.issuer,
      audience: config.audience,
      clockToleranceSeconds: config.clockToleranceSeconds,
      jwksCooldownMs: config.jwksCooldownMs,
    });
  const resourceMetadataUrl = `${config.publicUrl}${RESOURCE_METADATA_PATH}`;
  const now = deps.now ?? Date.now;
  const limits = config.rateLimit;
  const limiter =
    limits.perClient > 0 || limits.perIp > 0
      ? rateLimit({
          limits,
          now,
          counter: deps.rateCounter ?? createRateCounter(config, deps.database, deps.logger, { syncMs: 0 }),
        })
      : undefined;

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  app.use(requestLogging(deps.logger));
  app.use(apiSecurityHeaders());
  app.use(healthRoutes({ ready: () => deps.database.ping() }));
  app.use(resourceMetadataRoute({ resource: config.publicUrl, issuer: config.issuer }));
  // Only GETs are served, but a body that arrives is still parsed and bounded, so bad JSON is a clean 400.
  app.use(express.json({ limit: '16kb' }));
  app.use(
    FDX_BASE_PATH,
    fdxRouter({
      repository: new Repository(deps.database.db),
      verify,
      resourceMetadataUrl,
      institutionName: config.institutionName,
      rateLimit: limiter,
      cursors: new CursorCodec(config.cursorSecret),
      baseUrl: `${config.publicUrl}${FDX_BASE_PATH}`,
      now,
    }),
  );
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
