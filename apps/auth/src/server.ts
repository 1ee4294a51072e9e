import express, { type Express } from 'express';
import { healthRoutes, requestLogging, webSecurityHeaders, type Logger } from '@apps/shared';
import type { AuthConfig } from './config.js';

export interface AuthDeps {
  logger: Logger;
}

/** Builds the OP's Express app from a validated config; does not listen. */
export function createServer(config: AuthConfig, deps: AuthDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind Caddy: the public scheme and host come from X-Forwarded-* (services bind loopback only).
  app.set('trust proxy', config.trustProxy ? 'loopback' : false);
  app.use(requestLogging(deps.logger));
  app.use(healthRoutes());
  app.use(webSecurityHeaders());
  return app;
}
