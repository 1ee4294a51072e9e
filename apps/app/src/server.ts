import express, { type Express } from 'express';
import { healthRoutes, requestLogging, webSecurityHeaders, type Logger } from '@apps/shared';
import type { AppConfig } from './config.js';

export interface AppDeps {
  logger: Logger;
}

/** Builds the relying-party web app from a validated config; does not listen. */
export function createServer(_config: AppConfig, deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLogging(deps.logger));
  app.use(healthRoutes());
  app.use(webSecurityHeaders());
  return app;
}
