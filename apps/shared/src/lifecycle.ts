import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { Express } from 'express';
import type { Logger } from 'pino';

export interface ServeOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Releases what the app holds (database pools, timers) once connections are drained. */
  onClose?: () => Promise<void>;
  /** How long in-flight requests get to finish after SIGTERM. */
  drainMs?: number;
  /** Sent as X-Served-By on every response, so a load-balanced deployment shows which instance answered. */
  instanceId?: string;
  /**
   * After SIGTERM, how long to keep serving while /public/health answers 503, so the load
   * balancer's health check takes the instance out of rotation before it stops accepting
   * connections (longer than the balancer's health-check interval). Default SHUTDOWN_DELAY_MS or 0.
   */
  shutdownDelayMs?: number;
}

/** Set once SIGTERM arrives: health checks fail so load balancers stop sending new requests. */
export const shutdownState = { draining: false };

/** INSTANCE_ID from the environment, otherwise hostname:pid (unique per process on a host). */
export function defaultInstanceId(env: Record<string, string | undefined> = process.env): string {
  const configured = env.INSTANCE_ID?.trim();
  return configured && /^[\w.:-]{1,64}$/.test(configured) ? configured : `${hostname()}:${process.pid}`;
}

export function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.once('error', reject);
  });
}

/**
 * Listens, then on SIGTERM/SIGINT stops accepting connections, lets in-flight requests
 * finish (closing idle keep-alive sockets so the load balancer moves on), releases
 * resources and exits.
 */
export async function serve(app: Express, options: ServeOptions): Promise<Server> {
  const { logger } = options;
  const instanceId = options.instanceId ?? defaultInstanceId();
  const server = await listen(app, options.host, options.port);
  server.prependListener('request', (_req, res) => {
    res.setHeader('X-Served-By', instanceId);
    // While draining, no keep-alive: the proxy's next request opens a connection to another instance.
    if (shutdownState.draining) res.setHeader('Connection', 'close');
  });
  const delayMs = options.shutdownDelayMs ?? (Number.parseInt(process.env.SHUTDOWN_DELAY_MS ?? '0', 10) || 0);
  server.keepAliveTimeout = 65_000;
  logger.info({ host: options.host, port: options.port, instanceId }, 'listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    shutdownState.draining = true;
    logger.info({ signal, delayMs }, 'shutting down: failing health checks, then draining connections');
    setTimeout(close, delayMs);
  };
  const close = () => {
    const force = setTimeout(() => {
      logger.warn('drain timeout reached; closing remaining connections');
      server.closeAllConnections();
    }, options.drainMs ?? 10_000);
    force.unref();
    server.close(async () => {
      try {
        await options.onClose?.();
        logger.info('stopped');
        process.exit(0);
      } catch (err) {
        logger.error({ err }, 'error while releasing resources');
        process.exit(1);
      }
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return server;
}
