import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { shutdownState } from './lifecycle.js';
import { traceLogFields } from './tracing/context.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Reuses a well-formed incoming X-Request-Id (from Caddy or a client), otherwise makes one. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const REQUEST_ID_KEY = Symbol('requestId');

type WithRequestId = IncomingMessage & { [REQUEST_ID_KEY]?: string };

function levelOf(status: number): 'info' | 'warn' | 'error' {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/**
 * One line per request when its response is finished (or the client went away), with a
 * request id echoed as X-Request-Id. Only the path is logged: query strings carry
 * authorization codes and state. No child logger per request: `requestLog` makes one
 * for the few requests that log more than their line (errors). `logPath` takes secrets out of
 * the path itself (the OP's interaction ids).
 */
export function requestLogging(logger: Logger, options: { logPath?: (path: string) => string } = {}): RequestHandler {
  const logPath = options.logPath ?? ((path: string) => path);
  return (req, res, next) => {
    const started = performance.now();
    const id = requestIdOf(req);
    // Read now: the response may finish outside the request's context (the socket's callbacks).
    const trace = traceLogFields();
    (req as WithRequestId)[REQUEST_ID_KEY] = id;
    res.setHeader('X-Request-Id', id);
    if (req.url.startsWith('/public/health')) {
      next();
      return;
    }
    const line = (msg: string, status: number) => {
      const level = levelOf(status);
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          reqId: id,
          ...trace,
          req: { method: req.method, path: logPath(req.originalUrl.split('?')[0] ?? ''), remoteAddress: req.ip },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
        },
        msg,
      );
    };
    const finished = () => {
      res.off('close', aborted);
      line('request completed', res.statusCode);
    };
    const aborted = () => {
      res.off('finish', finished);
      line('request aborted', 499);
    };
    res.once('finish', finished);
    res.once('close', aborted);
    next();
  };
}

/** The logger for what a handler logs about one request: tagged with its request id. */
export function requestLog(req: IncomingMessage, logger: Logger): Logger {
  const id = (req as WithRequestId)[REQUEST_ID_KEY];
  return id === undefined ? logger : logger.child({ reqId: id });
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
