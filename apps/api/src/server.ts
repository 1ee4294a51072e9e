import express, { type Express } from 'express';
import { apiSecurityHeaders, healthRoutes, requestLogging, type Logger } from '@apps/shared';
import type { ApiConfig } from './config.js';

export interface ApiDeps {
  logger: Logger;
}

/** Builds the FDX resource server's Express app from a validated config; does not listen. */
export function createServer(_config: ApiConfig, deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLogging(deps.logger));
  app.use(apiSecurityHeaders());
  app.use(healthRoutes());
  return app;
}
