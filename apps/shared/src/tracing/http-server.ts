import type { Request, RequestHandler } from 'express';
import { captureRoute } from '../metrics.js';
import { parseTraceparent, withSpan } from './context.js';
import { SpanKind } from './span.js';
import type { Tracer } from './tracer.js';

/** OpenTelemetry's known HTTP methods; anything else is `_OTHER`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

export interface TraceRequestsOptions {
  /** The route template a finished request matched (mount path included); never the raw path, which carries ids. */
  route: (req: Request) => string;
}

/**
 * Express middleware, after the metrics one (which learns the route template) and before request
 * logging: one SERVER span per request, continuing the caller's W3C `traceparent` (Caddy's span
 * when Caddy traces), named `METHOD /route/:template` with OpenTelemetry's HTTP attributes and
 * Caddy's request id. Everything the request awaits runs inside it, so queries, outgoing calls and
 * log lines find it. Recorded: method, scheme, protocol version, route, status, request id;
 * never the path, query string, headers or addresses. Health probes are not traced.
 */
export function traceRequests(tracer: Tracer, options: TraceRequestsOptions): RequestHandler {
  return (req, res, next) => {
    if (req.url.startsWith('/public/health')) {
      next();
      return;
    }
    const method = KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
    const span = tracer.startSpan(method, SpanKind.SERVER, parseTraceparent(req.headers.traceparent, req.headers.tracestate));
    if (span.recording) {
      // The route template, also when the metrics middleware is off (METRICS_ENABLED=false).
      captureRoute(req);
      const finished = (aborted: boolean) => {
        res.off('finish', onFinish);
        res.off('close', onClose);
        const route = options.route(req);
        const status = aborted ? undefined : res.statusCode;
        span.name = `${method} ${route}`;
        span
          .setAttribute('http.request.method', method)
          .setAttribute('url.scheme', req.protocol)
          .setAttribute('network.protocol.version', req.httpVersion)
          .setAttribute('http.route', route)
          .setAttribute('http.response.status_code', status);
        const requestId = res.getHeader('x-request-id');
        if (typeof requestId === 'string') span.setAttribute('http.request.header.x-request-id', [requestId]);
        if (aborted) span.fail('the client closed the connection before the response was sent');
        else if (res.statusCode >= 500) span.fail();
        span.end();
      };
      const onFinish = () => finished(false);
      const onClose = () => finished(true);
      res.once('finish', onFinish);
      res.once('close', onClose);
    }
    withSpan(span, next);
  };
}
