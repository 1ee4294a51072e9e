import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { shutdownState } from './lifecycle.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Reuses a well-formed incoming X-Request-Id (from Caddy or a client), otherwise makes one. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * One child logger per request with its id, echoed as X-Request-Id. Only the path
 * is logged: query strings carry authorization codes and state.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    genReqId: (req, res) => {
      const id = requestIdOf(req);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/public/health') },
  });
}

export interface HealthChecks {
  /** Resolves when the service can do its work (e.g. its database answers). */
  ready?: () => Promise<void>;
}

/** `GET /public/health` (the process is alive) and `GET /public/ready` (its dependencies answer). */
export function healthRoutes(checks: HealthChecks = {}): Router {
  const router = Router();
  router.get('/public/health', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    if (shutdownState.draining) res.status(503).json({ status: 'draining' });
    else res.json({ status: 'ok' });
  });
  router.get('/public/ready', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    try {
      await checks.ready?.();
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  return router;
}
