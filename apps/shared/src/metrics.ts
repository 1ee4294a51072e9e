import { createServer, IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';

export { Counter, Gauge, Histogram, Registry };

/** `http_route` of a request no route template matched (static files, 404s): one value, never the path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** OpenTelemetry's known HTTP methods; anything else is `_OTHER` (semantic conventions, http.request.method). */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/** Seconds; OpenTelemetry's advised buckets for http.server.request.duration. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export interface MetricsOptions {
  /**
   * The route template of a request served outside Express routes (the OP's oidc-provider
   * endpoints): a fixed string per endpoint, or undefined for UNMATCHED_ROUTE. Gets the path
   * without its query; must never return the path itself when it carries ids.
   */
  routeOf?: (path: string) => string | undefined;
}

/**
 * One service's metrics: its own registry (what its /metrics serves, with the process's runtime
 * metrics) and the HTTP middleware. Domain metrics are registered on `registry` by the code that
 * moves them. Label values are bounded by construction: route templates, known methods, status codes.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'http_request_method' | 'http_route' | 'http_response_status_code'>;

  constructor(private readonly options: MetricsOptions = {}) {
    this.duration = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP server requests (OpenTelemetry http.server.request.duration).',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
  }

  /** Express middleware, first in the chain: times each request to its response's end. */
  http(): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      captureRoute(req);
      res.once('finish', () => {
        this.duration.observe(
          {
            http_request_method: KNOWN_METHODS.has(req.method) ? req.method : '_OTHER',
            http_route: this.routeOf(req),
            http_response_status_code: String(res.statusCode),
          },
          (performance.now() - started) / 1000,
        );
      });
      next();
    };
  }

  /** The route template of a request seen by http() (UNMATCHED_ROUTE when none matched): its label, and its trace span's name. */
  routeOf(req: Request): string {
    return routeTemplate(req) ?? this.options.routeOf?.(req.originalUrl.split('?')[0] ?? '') ?? UNMATCHED_ROUTE;
  }

  /** The exposition text: this service's metrics and the process's runtime metrics. */
  async scrape(): Promise<string> {
    return `${await runtimeRegistry().metrics()}\n${await this.registry.metrics()}`;
  }
}

/** Where the accessor below keeps a request's current route and the last template matched. */
const ROUTE = Symbol('route');
const TEMPLATE = Symbol('routeTemplate');
type Tracked = Request & { [ROUTE]?: unknown; [TEMPLATE]?: string };

/** Request prototypes (one per Express app: `app.request`) that already carry the accessor. */
const watched = new WeakSet<object>();

/**
 * Express (router 2) sets `req.route` when it dispatches to a route, while `req.baseUrl` is the
 * mount path of the router holding it; it restores both once the router is left. Watching the
 * assignment keeps the full template (mount path + route path) of the last route matched. The
 * accessor sits on the app's request prototype, installed by the first request through it, so a
 * request pays one property write per route matched, nothing per request (defining an accessor on
 * every request cost more than the histogram itself). Returns a reader of the template.
 */
export function captureRoute(req: Request): () => string | undefined {
  const proto = Object.getPrototypeOf(req) as object | null;
  // Never on Node's IncomingMessage or on Object: only an app's request prototype is ours to extend.
  if (proto && proto !== IncomingMessage.prototype && proto !== Object.prototype && !watched.has(proto)) {
    watched.add(proto);
    Object.defineProperty(proto, 'route', {
      configurable: true,
      enumerable: true,
      get(this: Tracked) {
        return this[ROUTE];
      },
      set(this: Tracked, route: { path?: unknown } | undefined) {
        this[ROUTE] = route;
        if (route && typeof route.path === 'string') this[TEMPLATE] = `${this.baseUrl}${route.path}`;
      },
    });
  }
  return () => routeTemplate(req);
}

/** The route template Express matched for this request (with its mount path), once captureRoute saw its app. */
export function routeTemplate(req: Request): string | undefined {
  return (req as Tracked)[TEMPLATE];
}

let runtime: Registry | undefined;

/**
 * Node runtime metrics (event-loop lag, heap, GC, CPU, handles), collected once per process: they
 * describe the process, and several services built in one test process share it.
 */
function runtimeRegistry(): Registry {
  if (!runtime) {
    runtime = new Registry();
    collectDefaultMetrics({ register: runtime });
  }
  return runtime;
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464 (the port actually bound when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` on its own listener (METRICS_HOST:METRICS_PORT, loopback by default), apart from
 * the service's public port so it is never routed through the proxy. Anything else is 404.
 */
export async function startMetricsServer(
  metrics: ServiceMetrics,
  options: { host: string; port: number; logger?: Logger },
): Promise<MetricsServer> {
  const server: Server = createServer((req: IncomingMessage, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
      (err: unknown) => {
        options.logger?.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  options.logger?.info({ host: options.host, port }, 'metrics listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A bounded label value: one of `allowed`, else `other`. */
export function boundedLabel<T extends string>(value: unknown, allowed: readonly T[]): T | 'other' {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : 'other';
}

/** Starts the /metrics listener when METRICS_PORT is set (see MetricsConfig); undefined when it is not. */
export function listenForMetrics(
  metrics: ServiceMetrics,
  config: { host: string; port: number | undefined },
  logger?: Logger,
): Promise<MetricsServer | undefined> {
  return config.port === undefined ? Promise.resolve(undefined) : startMetricsServer(metrics, { host: config.host, port: config.port, logger });
}
